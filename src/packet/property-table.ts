// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The table of the 27 MQTT 5 properties (specification section 2.2.2.2): identifier, name, data type and the
 * packets each may appear in, with the lookups the property codec needs.
 *
 * @module
 */
import type { AllProperties, PacketTypeName } from './types.js';
import { MAX_VARINT } from './writer.js';

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

export const CONTEXT_BITS: Record<PropertyContext, number> = {
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
export const BYTE = 0;
export const FLAG = 1;
export const U16 = 2;
export const U32 = 3;
export const VARINT = 4;
export const STRING = 5;
export const BINARY = 6;
export const PAIR = 7;
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

/** A table row with what the hot loops need precomputed. */
export interface Row extends PropertySpec {
  readonly mask: number;
  readonly kind: number;
  readonly min: number;
  readonly max: number;
}

// A plain object rather than a Map: a keyed load on a fixed-shape object is cheaper than hashing the name.
export const BY_NAME: Record<string, Row | undefined> = Object.create(null);
// By identifier, then the context bit: only 0x0B maps to two names, so the list holds at most two rows.
export const BY_ID: (Row[] | undefined)[] = [];
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
export const ALLOWED: Partial<Record<PropertyContext, (Row | undefined)[]>> = {};
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
