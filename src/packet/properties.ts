// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Decoding and encoding of MQTT 5 property sections, driven by the table in property-table.ts. Encoding writes
 * properties in the order of the object's keys, so decoding a packet and encoding it again gives back the same
 * bytes.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import {
  ALLOWED,
  BINARY,
  BY_ID,
  BY_NAME,
  BYTE,
  CONTEXT_BITS,
  FLAG,
  PAIR,
  type PropertyContext,
  type Row,
  STRING,
  U16,
  U32,
  VARINT,
} from './property-table.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import type { AllProperties } from './types.js';
import { measureBinary, measureString, varintSize, type Writer } from './writer.js';

export {
  isPropertyAllowed,
  PROPERTIES,
  type PropertyContext,
  type PropertySpec,
  type PropertyType,
  propertyById,
} from './property-table.js';

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
