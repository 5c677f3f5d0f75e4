// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The 27 MQTT 5 properties (specification section 2.2.2.2), table-driven: identifier, name, data type and the
 * packets each may appear in. Encoding writes properties in the order of the object's keys, so decoding a packet
 * and encoding it again gives back the same bytes.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import type { AllProperties, PacketTypeName } from './types.js';
import { MAX_VARINT, measureBinary, measureString, varintSize, type Writer } from './writer.js';

/** Where a property may appear: a packet type, or the will message inside CONNECT. */
export type PropertyContext = PacketTypeName | 'will';

/** Data types of section 1.5; `flag` is a byte restricted to 0 or 1 and shown as a boolean. */
export type PropertyType = 'byte' | 'flag' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair';

/** One row of the property table. */
export interface PropertySpec {
  readonly id: number;
  readonly name: keyof AllProperties;
  readonly type: PropertyType;
  readonly contexts: readonly PropertyContext[];
}

const ACKS: PropertyContext[] = ['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback'];
const ALL: PropertyContext[] = [
  'connect',
  'connack',
  'publish',
  'will',
  ...ACKS,
  'subscribe',
  'unsubscribe',
  'disconnect',
  'auth',
];

/** The property table, in identifier order. */
export const PROPERTIES: readonly PropertySpec[] = [
  { id: 0x01, name: 'payloadFormatIndicator', type: 'byte', contexts: ['publish', 'will'] },
  { id: 0x02, name: 'messageExpiryInterval', type: 'u32', contexts: ['publish', 'will'] },
  { id: 0x03, name: 'contentType', type: 'string', contexts: ['publish', 'will'] },
  { id: 0x08, name: 'responseTopic', type: 'string', contexts: ['publish', 'will'] },
  { id: 0x09, name: 'correlationData', type: 'binary', contexts: ['publish', 'will'] },
  { id: 0x0b, name: 'subscriptionIdentifiers', type: 'varint', contexts: ['publish'] },
  { id: 0x0b, name: 'subscriptionIdentifier', type: 'varint', contexts: ['subscribe'] },
  { id: 0x11, name: 'sessionExpiryInterval', type: 'u32', contexts: ['connect', 'connack', 'disconnect'] },
  { id: 0x12, name: 'assignedClientIdentifier', type: 'string', contexts: ['connack'] },
  { id: 0x13, name: 'serverKeepAlive', type: 'u16', contexts: ['connack'] },
  { id: 0x15, name: 'authenticationMethod', type: 'string', contexts: ['connect', 'connack', 'auth'] },
  { id: 0x16, name: 'authenticationData', type: 'binary', contexts: ['connect', 'connack', 'auth'] },
  { id: 0x17, name: 'requestProblemInformation', type: 'flag', contexts: ['connect'] },
  { id: 0x18, name: 'willDelayInterval', type: 'u32', contexts: ['will'] },
  { id: 0x19, name: 'requestResponseInformation', type: 'flag', contexts: ['connect'] },
  { id: 0x1a, name: 'responseInformation', type: 'string', contexts: ['connack'] },
  { id: 0x1c, name: 'serverReference', type: 'string', contexts: ['connack', 'disconnect'] },
  { id: 0x1f, name: 'reasonString', type: 'string', contexts: ['connack', ...ACKS, 'disconnect', 'auth'] },
  { id: 0x21, name: 'receiveMaximum', type: 'u16', contexts: ['connect', 'connack'] },
  { id: 0x22, name: 'topicAliasMaximum', type: 'u16', contexts: ['connect', 'connack'] },
  { id: 0x23, name: 'topicAlias', type: 'u16', contexts: ['publish'] },
  { id: 0x24, name: 'maximumQoS', type: 'byte', contexts: ['connack'] },
  { id: 0x25, name: 'retainAvailable', type: 'flag', contexts: ['connack'] },
  { id: 0x26, name: 'userProperties', type: 'pair', contexts: ALL },
  { id: 0x27, name: 'maximumPacketSize', type: 'u32', contexts: ['connect', 'connack'] },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', type: 'flag', contexts: ['connack'] },
  { id: 0x29, name: 'subscriptionIdentifierAvailable', type: 'flag', contexts: ['connack'] },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', type: 'flag', contexts: ['connack'] },
];

const CONTEXT_BITS: Record<PropertyContext, number> = {
  connect: 1 << 1,
  connack: 1 << 2,
  publish: 1 << 3,
  puback: 1 << 4,
  pubrec: 1 << 5,
  pubrel: 1 << 6,
  pubcomp: 1 << 7,
  subscribe: 1 << 8,
  suback: 1 << 9,
  unsuback: 1 << 11,
  unsubscribe: 1 << 10,
  pingreq: 1 << 12,
  pingresp: 1 << 13,
  disconnect: 1 << 14,
  auth: 1 << 15,
  will: 1 << 16,
};

// Data types as small integers, so that the hot loops switch on a number.
const BYTE = 0;
const FLAG = 1;
const U16 = 2;
const U32 = 3;
const VARINT = 4;
const STRING = 5;
const BINARY = 6;
const PAIR = 7;
const KIND: Record<PropertyType, number> = {
  byte: BYTE,
  flag: FLAG,
  u16: U16,
  u32: U32,
  varint: VARINT,
  string: STRING,
  binary: BINARY,
  pair: PAIR,
};

// Smallest legal value where it is not the type's own (a Protocol Error otherwise), and largest.
const MIN_ONE = new Set(['receiveMaximum', 'topicAlias', 'maximumPacketSize', 'subscriptionIdentifier']);
const MAX_ONE = new Set(['payloadFormatIndicator', 'maximumQoS']);
const TYPE_MAX: Record<PropertyType, number> = {
  byte: 255,
  flag: 1,
  u16: 65_535,
  u32: 0xffff_ffff,
  varint: MAX_VARINT,
  string: 0,
  binary: 0,
  pair: 0,
};

interface Row extends PropertySpec {
  readonly mask: number;
  readonly kind: number;
  readonly min: number;
  readonly max: number;
}

// A plain object rather than a Map: a keyed load on a fixed-shape object is cheaper than hashing the name.
const BY_NAME: Record<string, Row | undefined> = Object.create(null);
// By identifier, then the context bit: only 0x0B maps to two names, so the list holds at most two rows.
const BY_ID: (Row[] | undefined)[] = [];
for (const p of PROPERTIES) {
  const row: Row = {
    ...p,
    mask: p.contexts.reduce((m, c) => m | CONTEXT_BITS[c], 0),
    kind: KIND[p.type],
    min: MIN_ONE.has(p.name) || p.name === 'subscriptionIdentifiers' ? 1 : 0,
    max: MAX_ONE.has(p.name) ? 1 : TYPE_MAX[p.type],
  };
  BY_NAME[p.name] = row;
  const list = BY_ID[p.id] ?? [];
  list.push(row);
  BY_ID[p.id] = list;
}

// For each context, the row of each identifier allowed there: one array index per property on the hot path.
const ALLOWED: Partial<Record<PropertyContext, (Row | undefined)[]>> = {};
for (const context of Object.keys(CONTEXT_BITS) as PropertyContext[]) {
  const table: (Row | undefined)[] = [];
  for (const row of Object.values(BY_NAME) as Row[])
    if (row.mask & CONTEXT_BITS[context]) table[row.id] = row;
  ALLOWED[context] = table;
}

/** The table row of a property by identifier (for 0x0B, the PUBLISH form). */
export function propertyById(id: number): PropertySpec | undefined {
  return BY_ID[id]?.[0];
}

/** Whether property `name` may appear in `context`. */
export function isPropertyAllowed(name: string, context: PropertyContext): boolean {
  const row = BY_NAME[name];
  return row !== undefined && (row.mask & CONTEXT_BITS[context]) !== 0;
}

/**
 * Reads a property section (length, then properties) in `context`. Returns undefined when it is empty, so that
 * packets without properties carry no `properties` object.
 */
export function decodeProperties(r: Reader, context: PropertyContext): AllProperties | undefined {
  const len = r.varint('property length');
  if (len === 0) return undefined;
  if (len > r.remaining()) {
    r.fail(MALFORMED, `property length ${len} exceeds the ${r.remaining()} bytes left in the packet`);
  }
  const outerEnd = r.end;
  r.end = r.pos + len;
  const allowed = ALLOWED[context] as (Row | undefined)[];
  const props: Record<string, unknown> = {};
  const named = props as AllProperties;
  while (r.pos < r.end) {
    const at = r.pos;
    const id = r.varint('property identifier');
    const row = allowed[id] ?? notAllowed(r, id, context, at);
    // Named stores for the frequent properties: `props[name] = …` with a varying name is a megamorphic keyed store.
    if (id === 0x26) {
      const pair: [string, string] = [r.utf8('user property name'), r.utf8('user property value')];
      const list = named.userProperties;
      if (list === undefined) named.userProperties = [pair];
      else list.push(pair);
      continue;
    }
    if (id === 0x02) {
      if (named.messageExpiryInterval !== undefined)
        r.fail(PROTOCOL_ERROR, 'property messageExpiryInterval appears more than once', at);
      named.messageExpiryInterval = r.u32('messageExpiryInterval');
      continue;
    }
    if (id === 0x03) {
      if (named.contentType !== undefined)
        r.fail(PROTOCOL_ERROR, 'property contentType appears more than once', at);
      named.contentType = r.utf8('contentType');
      continue;
    }
    const name = row.name;
    const value = readValue(r, row, at);
    if (row.kind === PAIR || name === 'subscriptionIdentifiers') {
      const list = props[name] as unknown[] | undefined;
      if (list === undefined) props[name] = [value];
      else list.push(value);
    } else {
      if (props[name] !== undefined) r.fail(PROTOCOL_ERROR, `property ${name} appears more than once`, at);
      props[name] = value;
    }
  }
  r.end = outerEnd;
  if (props['authenticationData'] !== undefined && props['authenticationMethod'] === undefined) {
    r.fail(PROTOCOL_ERROR, 'authenticationData without authenticationMethod');
  }
  return props as AllProperties;
}

function notAllowed(r: Reader, id: number, context: PropertyContext, at: number): never {
  const known = BY_ID[id]?.[0];
  if (known === undefined) return r.fail(MALFORMED, `unknown property identifier 0x${hex(id)}`, at);
  return r.fail(MALFORMED, `property ${known.name} (0x${hex(id)}) is not allowed in ${context}`, at);
}

// Reads one value and applies the rules beyond its data type; each broken rule is a Protocol Error per the
// property's own section, except a Topic Alias of 0, which is answered with Topic Alias invalid.
function readValue(r: Reader, row: Row, at: number): unknown {
  switch (row.kind) {
    case FLAG: {
      const v = r.u8(row.name);
      if (v > 1) r.fail(PROTOCOL_ERROR, `${row.name} must be 0 or 1, got ${v}`, at);
      return v === 1;
    }
    case STRING: {
      const s = r.utf8(row.name);
      // A Response Topic is a topic name: not empty, no wildcards. [MQTT-3.3.2-13] [MQTT-4.7.3-1]
      if (row.id === 0x08 && (s === '' || hasWildcard(s))) {
        r.fail(PROTOCOL_ERROR, 'responseTopic must not be empty or contain wildcards', at);
      }
      return s;
    }
    case PAIR:
      return [r.utf8('user property name'), r.utf8('user property value')];
    case BINARY:
      return r.binary(row.name);
  }
  const v =
    row.kind === BYTE
      ? r.u8(row.name)
      : row.kind === U16
        ? r.u16(row.name)
        : row.kind === U32
          ? r.u32(row.name)
          : r.varint(row.name);
  if (v < row.min) {
    if (row.id === 0x23) r.fail(0x94, 'topic alias must not be 0', at); // [MQTT-3.3.2-8]
    r.fail(
      PROTOCOL_ERROR,
      row.id === 0x0b ? 'subscription identifier must not be 0' : `${row.name} must not be 0`,
      at,
    );
  }
  if (v > row.max) r.fail(PROTOCOL_ERROR, `${row.name} must be 0 or 1, got ${v}`, at);
  return v;
}

function hasWildcard(s: string): boolean {
  return s.includes('+') || s.includes('#');
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Size of the property section's content (not counting its length prefix), exact when every string is ASCII.
 * Throws InvalidArgumentError for an unknown property, a property not allowed in `context`, or a value out of its
 * type's range.
 */
export function measureProperties(props: object | undefined, context: PropertyContext): number {
  if (props === undefined) return 0;
  const mask = CONTEXT_BITS[context];
  let size = 0;
  for (const name in props) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const row = BY_NAME[name];
    if (row === undefined) throw new InvalidArgumentError(`unknown MQTT 5 property ${name}`);
    if ((row.mask & mask) === 0)
      throw new InvalidArgumentError(`property ${name} is not allowed in ${context}`);
    size += measureValue(row, value);
  }
  const p = props as AllProperties;
  if (p.authenticationData !== undefined && p.authenticationMethod === undefined) {
    throw new InvalidArgumentError('authenticationData needs an authenticationMethod'); // section 3.1.2.11.10
  }
  return size;
}

function checkRange(row: Row, v: unknown, what: string = row.name): void {
  if (typeof v !== 'number' || !(v >= row.min && v <= row.max) || Math.floor(v) !== v) {
    throw new InvalidArgumentError(
      `${what} must be an integer from ${row.min} to ${row.max}, got ${String(v)}`,
    );
  }
}

function measureValue(row: Row, value: unknown): number {
  switch (row.kind) {
    case BYTE:
      checkRange(row, value);
      return 2;
    case FLAG:
      if (typeof value !== 'boolean') throw new InvalidArgumentError(`${row.name} must be a boolean`);
      return 2;
    case U16:
      checkRange(row, value);
      return 3;
    case U32:
      checkRange(row, value);
      return 5;
    case VARINT: {
      if (row.name !== 'subscriptionIdentifiers') {
        checkRange(row, value);
        return 1 + varintSize(value as number);
      }
      if (!Array.isArray(value))
        throw new InvalidArgumentError('subscriptionIdentifiers must be an array of numbers');
      let s = 0;
      for (let i = 0; i < value.length; i++) {
        checkRange(row, value[i], 'subscription identifier');
        s += 1 + varintSize(value[i] as number);
      }
      return s;
    }
    case STRING:
      if (row.name === 'responseTopic' && (value === '' || hasWildcard(value as string))) {
        throw new InvalidArgumentError(
          `responseTopic must be a topic name without wildcards: "${String(value)}"`,
        );
      }
      return 1 + measureString(value as string, row.name);
    case BINARY:
      return 1 + measureBinary(value as Uint8Array, row.name);
    default:
      return measurePairs(value);
  }
}

function measurePairs(value: unknown): number {
  if (!Array.isArray(value))
    throw new InvalidArgumentError('userProperties must be an array of [name, value]');
  let s = 0;
  for (let i = 0; i < value.length; i++) {
    const pair: unknown = value[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new InvalidArgumentError('each user property must be a [name, value] pair');
    }
    s +=
      1 +
      measureString(pair[0] as string, 'user property name') +
      measureString(pair[1] as string, 'user property value');
  }
  return s;
}

/** Writes the property section (length prefix included) measured beforehand as `size` bytes of content. */
export function writeProperties(w: Writer, props: object | undefined, size: number): void {
  if (props === undefined || size === 0) {
    w.u8(0);
    return;
  }
  const start = w.beginSection(size);
  for (const name in props) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined) continue;
    writeValue(w, BY_NAME[name] as Row, value);
  }
  w.endSection(start, size);
}

function writeValue(w: Writer, row: Row, value: unknown): void {
  switch (row.kind) {
    case BYTE:
      w.u8(row.id);
      w.u8(value as number);
      return;
    case FLAG:
      w.u8(row.id);
      w.u8(value ? 1 : 0);
      return;
    case U16:
      w.u8(row.id);
      w.u16(value as number);
      return;
    case U32:
      w.u8(row.id);
      w.u32(value as number);
      return;
    case VARINT:
      if (typeof value === 'number') {
        w.u8(row.id);
        w.varint(value);
      } else {
        const list = value as number[];
        for (let i = 0; i < list.length; i++) {
          w.u8(row.id);
          w.varint(list[i] as number);
        }
      }
      return;
    case STRING:
      w.u8(row.id);
      w.string(value as string, row.name);
      return;
    case BINARY:
      w.u8(row.id);
      w.binary(value as Uint8Array);
      return;
    default: {
      const pairs = value as [string, string][];
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i] as [string, string];
        w.u8(row.id);
        w.string(pair[0], 'user property name');
        w.string(pair[1], 'user property value');
      }
    }
  }
}

/** Size of a whole property section: length prefix plus content. */
export function sectionSize(contentSize: number): number {
  return varintSize(contentSize) + contentSize;
}
