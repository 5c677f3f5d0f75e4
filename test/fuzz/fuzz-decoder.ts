// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A reusable fuzz driver for the packet decoder, with its own seeded PRNG (no fast-check): it builds a corpus of
 * valid packets with the codec, then feeds `decode` and a `PacketDecoder` (in random chunk sizes, with a chosen
 * `maxPacketSize`) with random byte strings and with mutations of the corpus (bit flips, byte insertion,
 * deletion and replacement, truncation, length-field tampering, splices and concatenations of two packets,
 * optionally re-framed so that the fixed header matches the mutated body and the mutation reaches the body
 * parsers).
 *
 * It checks that:
 * - the only exceptions are `ProtocolError`s with reason code 0x81, 0x82, 0x84, 0x94 or 0x95, a message, and an
 *   offset that is undefined or lies within the input;
 * - `decoder.buffered` never exceeds `maxPacketSize`, and a failed decoder keeps failing with the same error;
 * - `decode` and the stream decoder agree (same packet, or same error) whatever the chunking;
 * - every packet that decodes re-encodes without throwing, decodes again to an equal packet, and re-encodes to
 *   the same bytes (a canonical form);
 * - every corpus packet round-trips;
 * - no input takes more than `maxInputMillis` (re-timed before it counts, to rule out a GC pause).
 *
 * Failures do not stop the run: each distinct kind is kept once, with a reproducer, and counted.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type AllProperties,
  decode,
  encode,
  InvalidArgumentError,
  MAX_PACKET_SIZE,
  PACKET_TYPE_NAMES,
  type Packet,
  PacketDecoder,
  type PacketTypeName,
  PROPERTIES,
  type PropertyContext,
  type PropertySpec,
  ProtocolError,
  type ProtocolVersion,
  type PubackPacket,
  type PubcompPacket,
  type PubrecPacket,
  type PubrelPacket,
  type QoS,
  REASON_CODES_BY_PACKET,
  type ReasonCodePacket,
  type SubackPacket,
  type Subscription,
  type UnsubackPacket,
  V3_CONNACK_TO_REASON,
} from '../../src/packet/index.js';

// ---------------------------------------------------------------------------------------------------------------
// PRNG

/** splitmix32: spreads a seed (or a seed and an index) into well-mixed 32-bit words. */
export function mix32(x: number): number {
  let z = (x + 0x9e37_79b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A small, fast, seeded PRNG (sfc32). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x5bd1_e995);
    this.c = mix32(this.b ^ 0x1b87_3593);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n), n up to 2^32. */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** A uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Picks an index with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.int(total);
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Valid packets, for the seed corpus

const VARINT_EDGES = [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455];
const U16_EDGES = [0, 1, 127, 128, 255, 256, 65_534, 65_535];
const U32_EDGES = [0, 1, 127, 128, 16_383, 16_384, 65_535, 65_536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
const WORDS = ['a', 'sensor', 'temp', '$SYS', 'x', 'home', 'büro', '温度', '🚀', ' ', '\ufeff', 'é'];

function edgeOr(rng: Rng, edges: readonly number[], min: number, max: number): number {
  if (rng.chance(0.3)) {
    const e = rng.pick(edges);
    if (e >= min && e <= max) return e;
  }
  return min + rng.int(max - min + 1);
}

/** One code point of a random UTF-8 length (never U+0000 or a surrogate). */
function codePoint(rng: Rng): number {
  switch (rng.weighted([10, 1, 2, 2, 2, 1])) {
    case 0:
      return rng.range(0x20, 0x7e);
    case 1:
      return rng.range(1, 0x1f);
    case 2:
      return rng.range(0x80, 0x7ff);
    case 3: {
      const c = rng.range(0x800, 0xfffd);
      return c >= 0xd800 && c <= 0xdfff ? 0xfeff : c;
    }
    case 4:
      return rng.range(0x1_0000, 0x10_ffff);
    default:
      return rng.pick([0xfeff, 0xffff, 0xfffe, 0x10_ffff, 0x7f, 0x80, 0x7ff, 0x800]);
  }
}

function randomString(rng: Rng, maxLength = 10): string {
  if (rng.chance(0.2)) return rng.pick(WORDS);
  const n = rng.chance(0.05) ? rng.range(60, 300) : rng.int(maxLength + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCodePoint(codePoint(rng));
  return s;
}

function level(rng: Rng): string {
  return randomString(rng, 6).replace(/[/+#]/g, '');
}

function randomTopic(rng: Rng): string {
  const n = rng.range(1, 4);
  const levels: string[] = [];
  for (let i = 0; i < n; i++) levels.push(level(rng));
  const t = levels.join('/');
  return t === '' ? 'x' : t;
}

function randomFilter(rng: Rng, v: ProtocolVersion): string {
  if (rng.chance(0.1)) return rng.pick(['#', '+', '+/+', 'a/#', '/', '+/b/#']);
  const n = rng.range(1, 4);
  const levels: string[] = [];
  for (let i = 0; i < n; i++) levels.push(rng.chance(0.25) ? '+' : level(rng));
  if (rng.chance(0.3)) levels.push('#');
  if (levels[0] === '$share') levels[0] = 's';
  let f = levels.join('/');
  if (f === '') f = 'f';
  if (v === 5 && rng.chance(0.15)) {
    const group = level(rng) || 'g';
    f = `$share/${group}/${f}`;
  }
  return f;
}

function randomBinary(rng: Rng, max = 16): Uint8Array {
  return rng.bytes(rng.chance(0.03) ? rng.range(100, 400) : rng.int(max + 1));
}

function propertyValue(rng: Rng, spec: PropertySpec): unknown {
  switch (spec.name) {
    case 'payloadFormatIndicator':
    case 'maximumQoS':
      return rng.int(2);
    case 'receiveMaximum':
    case 'topicAlias':
      return edgeOr(rng, U16_EDGES, 1, 65_535);
    case 'maximumPacketSize':
      return edgeOr(rng, U32_EDGES, 1, 0xffff_ffff);
    case 'responseTopic':
      return randomTopic(rng);
    case 'subscriptionIdentifiers': {
      const ids: number[] = [];
      for (let n = rng.range(1, 3); n > 0; n--) ids.push(edgeOr(rng, VARINT_EDGES, 1, 268_435_455));
      return ids;
    }
    case 'userProperties': {
      const pairs: [string, string][] = [];
      for (let n = rng.range(1, 3); n > 0; n--) pairs.push([randomString(rng), randomString(rng)]);
      return pairs;
    }
    default:
      break;
  }
  switch (spec.type) {
    case 'byte':
      return rng.int(256);
    case 'flag':
      return rng.chance(0.5);
    case 'u16':
      return edgeOr(rng, U16_EDGES, 0, 65_535);
    case 'u32':
      return edgeOr(rng, U32_EDGES, 0, 0xffff_ffff);
    case 'varint':
      return edgeOr(rng, VARINT_EDGES, 1, 268_435_455);
    case 'string':
      return randomString(rng);
    case 'binary':
      return randomBinary(rng);
    case 'pair':
      return [[randomString(rng), randomString(rng)]];
  }
}

/** Random MQTT 5 properties for `context` (every allowed one now and then), or undefined. */
function randomProperties(rng: Rng, context: PropertyContext): AllProperties | undefined {
  if (rng.chance(0.3)) return undefined;
  const all = rng.chance(0.2);
  const out: Record<string, unknown> = {};
  for (const spec of PROPERTIES) {
    if (!spec.contexts.includes(context)) continue;
    if (all || rng.chance(0.3)) out[spec.name] = propertyValue(rng, spec);
  }
  if (out['authenticationData'] !== undefined && out['authenticationMethod'] === undefined) {
    out['authenticationMethod'] = randomString(rng);
  }
  return Object.keys(out).length === 0 ? undefined : (out as AllProperties);
}

function reasonCodeOf(rng: Rng, packet: ReasonCodePacket): number {
  return rng.pick([...REASON_CODES_BY_PACKET[packet].keys()]);
}

function packetIdOf(rng: Rng): number {
  return edgeOr(rng, U16_EDGES, 1, 65_535);
}

// Every packet type, from the codec's own table (index 0 is reserved).
const TYPES = PACKET_TYPE_NAMES.filter((t): t is PacketTypeName => t !== undefined);

/**
 * A random valid packet of `type` for stream version `v`. CONNECT names a random protocol level of its own,
 * since the decoder reads the level from the packet.
 */
export function randomPacket(rng: Rng, type: PacketTypeName, v: ProtocolVersion): Packet {
  const v5 = v === 5;
  const qosOf = (): QoS => rng.int(3) as QoS;
  switch (type) {
    case 'connect': {
      const pv = rng.pick([3, 4, 5] as const);
      let clientId = randomString(rng, 23);
      if (pv === 3) clientId = clientId.replace(/[^\x20-\x7e]/g, '').slice(0, 23) || 'c';
      const p: Packet = {
        type,
        protocolVersion: pv,
        clientId,
        // [MQTT-3.1.3-7] An empty client identifier needs Clean Session in 3.1.1.
        clean: rng.chance(0.5) || (pv === 4 && clientId === ''),
        keepAlive: edgeOr(rng, U16_EDGES, 0, 65_535),
      };
      if (rng.chance(0.5)) p.username = randomString(rng);
      if (rng.chance(0.5)) {
        p.password = randomBinary(rng);
        if (pv !== 5 && p.username === undefined) p.username = '';
      }
      if (rng.chance(0.5)) {
        p.will = {
          topic: randomTopic(rng),
          payload: randomBinary(rng),
          qos: qosOf(),
          retain: rng.chance(0.5),
        };
        const wp = pv === 5 ? randomProperties(rng, 'will') : undefined;
        if (wp !== undefined) p.will.properties = wp;
      }
      const props = pv === 5 ? randomProperties(rng, 'connect') : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'connack': {
      const reasonCode = v5 ? reasonCodeOf(rng, 'connack') : rng.pick(V3_CONNACK_TO_REASON);
      const p: Packet = {
        type,
        sessionPresent: v !== 3 && reasonCode === 0 && rng.chance(0.5),
        reasonCode,
      };
      const props = v5 ? randomProperties(rng, 'connack') : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'publish': {
      const qos = qosOf();
      const payload = rng.chance(0.05) ? rng.bytes(rng.range(120, 20_000)) : randomBinary(rng, 40);
      const p: Packet = { type, topic: randomTopic(rng), payload, qos, retain: rng.chance(0.5), dup: false };
      if (qos > 0) {
        p.packetId = packetIdOf(rng);
        p.dup = rng.chance(0.5);
      }
      let props = v5 ? randomProperties(rng, 'publish') : undefined;
      if (v5 && rng.chance(0.2)) {
        p.topic = '';
        if (props?.topicAlias === undefined) props = { ...props, topicAlias: rng.range(1, 65_535) };
      }
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': {
      const p: PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket = {
        type,
        packetId: packetIdOf(rng),
        reasonCode: v5 ? reasonCodeOf(rng, type) : 0,
      };
      const props = v5 ? randomProperties(rng, type) : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'subscribe': {
      const subscriptions: Subscription[] = [];
      for (let n = rng.range(1, 4); n > 0; n--) {
        const topicFilter = randomFilter(rng, v);
        subscriptions.push({
          topicFilter,
          qos: qosOf(),
          noLocal: v5 && !topicFilter.startsWith('$share/') && rng.chance(0.5),
          retainAsPublished: v5 && rng.chance(0.5),
          retainHandling: v5 ? (rng.int(3) as 0 | 1 | 2) : 0,
        });
      }
      const p: Packet = { type, packetId: packetIdOf(rng), subscriptions };
      const props = v5 ? randomProperties(rng, 'subscribe') : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'suback':
    case 'unsuback': {
      const reasonCodes: number[] = [];
      if (v5 || type === 'suback') {
        for (let n = rng.range(1, 5); n > 0; n--) {
          reasonCodes.push(v5 ? reasonCodeOf(rng, type) : rng.pick([0, 1, 2, 0x80]));
        }
      }
      const p: SubackPacket | UnsubackPacket = { type, packetId: packetIdOf(rng), reasonCodes };
      const props = v5 ? randomProperties(rng, type) : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'unsubscribe': {
      const topicFilters: string[] = [];
      for (let n = rng.range(1, 4); n > 0; n--) topicFilters.push(randomFilter(rng, v));
      const p: Packet = { type, packetId: packetIdOf(rng), topicFilters };
      const props = v5 ? randomProperties(rng, 'unsubscribe') : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'pingreq':
    case 'pingresp':
      return { type };
    case 'disconnect': {
      const p: Packet = { type, reasonCode: v5 ? reasonCodeOf(rng, 'disconnect') : 0 };
      const props = v5 ? randomProperties(rng, 'disconnect') : undefined;
      if (props !== undefined) p.properties = props;
      return p;
    }
    case 'auth': {
      if (!v5) throw new Error('AUTH exists only in MQTT 5');
      const p: Packet = { type, reasonCode: reasonCodeOf(rng, 'auth') };
      let props = randomProperties(rng, 'auth');
      if ((p.reasonCode !== 0 || props !== undefined) && props?.authenticationMethod === undefined) {
        props = { ...props, authenticationMethod: randomString(rng) };
      }
      if (props !== undefined) p.properties = props;
      return p;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7f, 0x80, 0x81, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0,
  0xf4, 0xf5, 0xfe, 0xff, 0x0b, 0x26, 0x23, 0x15, 0x16, 0x2b, 0x2f, 0x24,
];

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function varintBytes(n: number): Uint8Array {
  const out: number[] = [];
  let x = n;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    out.push(b);
  } while (x > 0);
  return Uint8Array.from(out);
}

/** Length of the fixed header of `b` (first byte plus remaining length bytes, at most 5), as far as it goes. */
function headerLength(b: Uint8Array): number {
  let i = 1;
  while (i < b.length && i < 5 && ((b[i] as number) & 0x80) !== 0) i++;
  return Math.min(b.length, i + 1);
}

/** Rewrites the remaining length so that it matches the bytes after the fixed header. */
export function reframe(b: Uint8Array): Uint8Array {
  if (b.length === 0) return b;
  const h = headerLength(b);
  const body = b.subarray(h);
  return concatBytes(Uint8Array.of(b[0] as number), varintBytes(body.length), body);
}

/** Names of the mutation operators, for the statistics. */
export const MUTATIONS = [
  'flip-bits',
  'replace-byte',
  'insert-bytes',
  'delete-bytes',
  'truncate',
  'remaining-length',
  'inner-length',
  'varint',
  'first-byte',
  'splice',
  'concat',
  'duplicate-range',
] as const;
export type Mutation = (typeof MUTATIONS)[number];
const MUTATION_WEIGHTS = [6, 6, 4, 4, 3, 4, 6, 3, 2, 3, 2, 2];

function mutate(rng: Rng, input: Uint8Array, op: Mutation, other: () => Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  const n = b.length;
  switch (op) {
    case 'flip-bits': {
      if (n === 0) return b;
      for (let k = rng.range(1, 4); k > 0; k--) {
        const i = rng.int(n);
        b[i] = (b[i] as number) ^ (1 << rng.int(8));
      }
      return b;
    }
    case 'replace-byte': {
      if (n === 0) return b;
      for (let k = rng.range(1, 3); k > 0; k--) {
        b[rng.int(n)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      }
      return b;
    }
    case 'insert-bytes': {
      const at = rng.int(n + 1);
      const k = rng.range(1, 8);
      const ins = rng.chance(0.5)
        ? rng.bytes(k)
        : Uint8Array.from({ length: k }, () => rng.pick(INTERESTING_BYTES));
      return concatBytes(b.subarray(0, at), ins, b.subarray(at));
    }
    case 'delete-bytes': {
      if (n === 0) return b;
      const at = rng.int(n);
      const k = rng.range(1, Math.min(8, n - at));
      return concatBytes(b.subarray(0, at), b.subarray(at + k));
    }
    case 'truncate':
      return b.subarray(0, rng.chance(0.3) ? Math.max(0, n - 1) : rng.int(n + 1));
    case 'remaining-length': {
      if (n === 0) return b;
      const h = headerLength(b);
      const body = b.subarray(h);
      let len: Uint8Array;
      switch (rng.int(6)) {
        case 0:
          len = varintBytes(Math.max(0, body.length + rng.range(-3, 3)));
          break;
        case 1:
          len = varintBytes(rng.int(268_435_456));
          break;
        case 2: // not in the fewest bytes
          len = concatBytes(
            Uint8Array.from(varintBytes(body.length), (x) => x | 0x80),
            Uint8Array.of(0),
          );
          break;
        case 3: // five bytes
          len = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x7f);
          break;
        case 4: // the largest remaining length
          len = Uint8Array.of(0xff, 0xff, 0xff, 0x7f);
          break;
        default: // continuation bit on the last byte: the length runs into the body
          len = varintBytes(body.length);
          len[len.length - 1] = (len[len.length - 1] as number) | 0x80;
      }
      return concatBytes(b.subarray(0, 1), len, body);
    }
    case 'inner-length': {
      // Prefer a spot that looks like a two-byte length prefix (its value fits in what follows it).
      if (n < 4) return b;
      const h = headerLength(b);
      let at = -1;
      for (let tries = 0; tries < 8; tries++) {
        const i = rng.range(h, n - 2);
        const val = ((b[i] as number) << 8) | (b[i + 1] as number);
        if (val <= n - i - 2) {
          at = i;
          break;
        }
      }
      if (at < 0) at = rng.range(Math.min(h, n - 2), n - 2);
      const old = ((b[at] as number) << 8) | (b[at + 1] as number);
      const choices = [
        old + 1,
        old - 1,
        old + rng.range(2, 40),
        0,
        0xffff,
        n - at - 2,
        n - at - 1,
        rng.int(0x1_0000),
      ];
      const val = Math.min(0xffff, Math.max(0, rng.pick(choices)));
      b[at] = val >> 8;
      b[at + 1] = val & 0xff;
      return b;
    }
    case 'varint': {
      // A Variable Byte Integer (property length, identifier or value) in odd forms.
      const at = rng.int(n + 1);
      const forms = [
        [0x80, 0x00],
        [0x80, 0x80, 0x80, 0x80, 0x01],
        [0xff, 0xff, 0xff, 0x7f],
        [0x80, 0x80, 0x80, 0x00],
        [0x7f],
        [0x80],
        [0xff],
        [rng.int(128)],
      ];
      const v = Uint8Array.from(rng.pick(forms));
      const replace = rng.chance(0.5) ? Math.min(n - at, v.length) : 0;
      return concatBytes(b.subarray(0, at), v, b.subarray(at + replace));
    }
    case 'first-byte': {
      if (n === 0) return b;
      b[0] = rng.chance(0.5)
        ? ((b[0] as number) & 0xf0) | rng.int(16)
        : (rng.int(16) << 4) | ((b[0] as number) & 0x0f);
      return b;
    }
    case 'splice': {
      const o = other();
      return concatBytes(b.subarray(0, rng.int(n + 1)), o.subarray(rng.int(o.length + 1)));
    }
    case 'concat':
      return rng.chance(0.5) ? concatBytes(b, other()) : concatBytes(other(), b);
    case 'duplicate-range': {
      if (n === 0) return b;
      const from = rng.int(n);
      const len = rng.range(1, Math.min(16, n - from));
      const at = rng.int(n + 1);
      return concatBytes(b.subarray(0, at), b.subarray(from, from + len), b.subarray(at));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing packets

function show(x: unknown): string {
  if (x instanceof Uint8Array)
    return `bytes[${x.length}] ${toHex(x.subarray(0, 24))}${x.length > 24 ? '…' : ''}`;
  if (typeof x === 'string') {
    const shown = x.length > 40 ? `${x.slice(0, 40)}…` : x;
    // Escape everything outside printable ASCII, so that a stripped BOM or a swapped code point is visible.
    const esc = shown.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
    return `"${esc}" (length ${x.length})`;
  }
  const s = JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? `bytes[${v.length}]` : v));
  return s === undefined ? String(x) : s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** Where `actual` first differs from `expected`, compactly, or undefined when they are deep-equal. */
export function packetDifference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(actual, expected)) return undefined;
  if (
    typeof actual === 'object' &&
    typeof expected === 'object' &&
    actual !== null &&
    expected !== null &&
    !(actual instanceof Uint8Array) &&
    !(expected instanceof Uint8Array) &&
    Array.isArray(actual) === Array.isArray(expected)
  ) {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    for (const k of keys) {
      if (!(k in a)) return `${path}.${k}: missing, expected ${show(e[k])}`;
      if (!(k in e)) return `${path}.${k}: unexpected ${show(a[k])}`;
      const d = packetDifference(a[k], e[k], Array.isArray(actual) ? `${path}[${k}]` : `${path}.${k}`);
      if (d !== undefined) return d;
    }
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(e)) return `${path}: prototypes differ`;
  }
  return `${path}: got ${show(actual)}, expected ${show(expected)}`;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The driver

/** Reason codes a ProtocolError from the decoder may carry. */
export const ALLOWED_REASON_CODES: ReadonlySet<number> = new Set([0x81, 0x82, 0x84, 0x94, 0x95]);

/** What the driver runs against; replaceable so that the driver itself can be tested on a broken codec. */
export interface FuzzTarget {
  decode: typeof decode;
  encode: typeof encode;
  PacketDecoder: typeof PacketDecoder;
}

export interface FuzzOptions {
  /** Seed of the whole run: the corpus and every input derive from it. */
  seed: number;
  /** Protocol versions to draw from. Default 3, 4 and 5. */
  versions?: readonly ProtocolVersion[];
  /** Maximum packet sizes to configure the decoders with. */
  maxPacketSizes?: readonly number[];
  /** Longest an input may take, in milliseconds. Default 50. */
  maxInputMillis?: number;
  /** Valid packets per version in the seed corpus. Default 400. */
  corpusSize?: number;
  /** Share of inputs that are mutated corpus packets rather than random bytes. Default 0.75. */
  mutatedShare?: number;
  /** Distinct failures kept with a reproducer. Default 50. */
  maxFailures?: number;
  target?: FuzzTarget;
}

/** One distinct failure, with what is needed to replay it. */
export interface FuzzFailure {
  kind: string;
  detail: string;
  /** Index of the input in the run: `new Fuzzer({ seed }).runOne(index)` replays it. */
  index: number;
  version: ProtocolVersion;
  maxPacketSize: number;
  /** The input bytes, in hex. */
  input: string;
  /** Chunk sizes given to the stream decoder, when the stream decoder was involved. */
  chunks?: number[];
  /** How many inputs failed this way. */
  count: number;
}

export interface FuzzStats {
  seed: number;
  versions: ProtocolVersion[];
  inputs: number;
  randomInputs: number;
  mutatedInputs: number;
  /** Mutated inputs whose fixed header was rewritten to match their body. */
  reframed: number;
  byVersion: Record<ProtocolVersion, number>;
  /** Inputs `decode` accepted as one packet. */
  decoded: number;
  /** Inputs `decode` rejected with a ProtocolError, by reason code (hex). */
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Packets the stream decoder emitted, and inputs on which it failed or was left with a partial packet. */
  streamPackets: number;
  streamErrors: number;
  streamIncomplete: number;
  /** Decoded packets put through the re-encode oracle. */
  oracleChecks: number;
  mutations: Record<string, number>;
  corpusPackets: number;
  slowestMillis: number;
  slowest?: { index: number; version: ProtocolVersion; length: number; input: string };
  failures: FuzzFailure[];
  failureCount: number;
  elapsedMillis: number;
}

interface Seed {
  version: ProtocolVersion;
  bytes: Uint8Array;
}

interface Input {
  bytes: Uint8Array;
  version: ProtocolVersion;
  maxPacketSize: number;
  chunks: number[];
}

const DEFAULT_MAX_PACKET_SIZES = [
  MAX_PACKET_SIZE,
  MAX_PACKET_SIZE,
  268_435_455,
  65_536,
  1024,
  128,
  64,
  16,
  5,
  4,
  3,
  2,
];

/** Fuzzes the decoder; see the module documentation. */
export class Fuzzer {
  readonly stats: FuzzStats;
  private readonly seed: number;
  private readonly versions: readonly ProtocolVersion[];
  private readonly maxPacketSizes: readonly number[];
  private readonly maxInputMillis: number;
  private readonly mutatedShare: number;
  private readonly maxFailures: number;
  private readonly t: FuzzTarget;
  private readonly corpus = new Map<ProtocolVersion, Seed[]>();
  private readonly failureByKey = new Map<string, FuzzFailure>();
  private next = 0;

  constructor(options: FuzzOptions) {
    this.seed = options.seed >>> 0;
    this.versions = options.versions ?? [3, 4, 5];
    this.maxPacketSizes = options.maxPacketSizes ?? DEFAULT_MAX_PACKET_SIZES;
    this.maxInputMillis = options.maxInputMillis ?? 50;
    this.mutatedShare = options.mutatedShare ?? 0.75;
    this.maxFailures = options.maxFailures ?? 50;
    this.t = options.target ?? { decode, encode, PacketDecoder };
    this.stats = {
      seed: this.seed,
      versions: [...this.versions],
      inputs: 0,
      randomInputs: 0,
      mutatedInputs: 0,
      reframed: 0,
      byVersion: { 3: 0, 4: 0, 5: 0 },
      decoded: 0,
      rejected: 0,
      rejectedByReason: {},
      streamPackets: 0,
      streamErrors: 0,
      streamIncomplete: 0,
      oracleChecks: 0,
      mutations: {},
      corpusPackets: 0,
      slowestMillis: 0,
      failures: [],
      failureCount: 0,
      elapsedMillis: 0,
    };
    this.buildCorpus(options.corpusSize ?? 400);
  }

  /** Runs inputs until `iterations` more have run or `deadline` (a `performance.now()` time) has passed. */
  run(limits: { iterations?: number; deadline?: number }): FuzzStats {
    const start = performance.now();
    const end = this.next + (limits.iterations ?? Number.POSITIVE_INFINITY);
    const deadline = limits.deadline ?? Number.POSITIVE_INFINITY;
    while (this.next < end) {
      if ((this.next & 255) === 0 && performance.now() >= deadline) break;
      this.runOne(this.next++);
    }
    this.stats.elapsedMillis += performance.now() - start;
    return this.stats;
  }

  /** Generates and checks input number `index` (deterministic for a given seed). */
  runOne(index: number): void {
    const input = this.makeInput(index);
    const s = this.stats;
    s.inputs++;
    s.byVersion[input.version]++;
    let ms = this.timed(input, index, true);
    if (ms > this.maxInputMillis) {
      // Re-time it twice, so that a GC pause or a descheduled process is not taken for slowness.
      ms = Math.min(ms, this.timed(input, index, false), this.timed(input, index, false));
      if (ms > this.maxInputMillis) {
        this.fail('slow', `took ${ms.toFixed(1)} ms (limit ${this.maxInputMillis} ms)`, index, input);
      }
    }
    if (ms > s.slowestMillis) {
      s.slowestMillis = ms;
      s.slowest = {
        index,
        version: input.version,
        length: input.bytes.length,
        input: toHex(input.bytes.subarray(0, 256)),
      };
    }
  }

  /** The input number `index` would check, for replaying a failure. */
  inputAt(index: number): {
    bytes: Uint8Array;
    version: ProtocolVersion;
    maxPacketSize: number;
    chunks: number[];
  } {
    return this.makeInput(index, false);
  }

  private timed(input: Input, index: number, record: boolean): number {
    const t0 = performance.now();
    this.check(input, index, record);
    return performance.now() - t0;
  }

  private buildCorpus(size: number): void {
    const rng = new Rng(mix32(this.seed ^ 0x00c0_ffee));
    for (const v of this.versions) {
      const seeds: Seed[] = [];
      const types = TYPES.filter((t) => v === 5 || t !== 'auth');
      for (let i = 0; i < size; i++) {
        const type = types[i % types.length] as PacketTypeName;
        const p = randomPacket(rng, type, v);
        let bytes: Uint8Array;
        try {
          bytes = this.t.encode(p, v);
        } catch (e) {
          this.fail('corpus-encode', `${describeError(e)} for ${show(p)}`, -1, {
            bytes: new Uint8Array(0),
            version: v,
            maxPacketSize: MAX_PACKET_SIZE,
            chunks: [],
          });
          continue;
        }
        const input = { bytes, version: v, maxPacketSize: MAX_PACKET_SIZE, chunks: [] };
        try {
          const back = this.t.decode(bytes, v);
          const diff = packetDifference(back, p);
          if (diff !== undefined) this.fail('corpus-roundtrip', `${type}: ${diff}`, -1, input);
        } catch (e) {
          this.fail('corpus-decode', `${type}: ${describeError(e)}`, -1, input);
        }
        seeds.push({ version: v, bytes: Uint8Array.from(bytes) });
      }
      this.corpus.set(v, seeds);
      this.stats.corpusPackets += seeds.length;
    }
  }

  private makeInput(index: number, record = true): Input {
    const rng = new Rng(mix32(this.seed) ^ mix32(index + 0x3c6e_f372));
    const version = rng.pick(this.versions);
    const maxPacketSize = rng.pick(this.maxPacketSizes);
    const seeds = this.corpus.get(version) ?? [];
    const s = this.stats;
    let bytes: Uint8Array;
    if (seeds.length > 0 && rng.chance(this.mutatedShare)) {
      if (record) s.mutatedInputs++;
      const other = (): Uint8Array => rng.pick(seeds).bytes;
      bytes = rng.pick(seeds).bytes;
      for (let k = rng.weighted([0, 6, 3, 2, 1]); k > 0; k--) {
        const op = MUTATIONS[rng.weighted(MUTATION_WEIGHTS)] as Mutation;
        if (record) s.mutations[op] = (s.mutations[op] ?? 0) + 1;
        bytes = mutate(rng, bytes, op, other);
      }
      if (rng.chance(0.5)) {
        if (record) s.reframed++;
        bytes = reframe(bytes);
      }
    } else {
      if (record) s.randomInputs++;
      bytes = randomBytes(rng, version);
    }
    const chunks: number[] = [];
    // One-byte chunks cost a push per byte; keep them to inputs of realistic size.
    const style = bytes.length > 4096 ? rng.range(2, 3) : rng.int(4);
    let left = bytes.length;
    while (left > 0) {
      const c = Math.min(
        left,
        style === 0 ? 1 : style === 1 ? rng.range(1, 4) : style === 2 ? rng.range(1, 64) : rng.range(1, 4096),
      );
      chunks.push(c);
      left -= c;
    }
    return { bytes, version, maxPacketSize, chunks };
  }

  private check(input: Input, index: number, record: boolean): void {
    const { bytes, version, maxPacketSize } = input;
    const s = this.stats;
    const t = this.t;
    const fail = (kind: string, detail: string, withChunks = false): void => {
      if (record) this.fail(kind, detail, index, input, withChunks);
    };

    // 1. decode() on the whole input.
    let single: Packet | undefined;
    let singleError: ProtocolError | undefined;
    try {
      single = t.decode(bytes, version, { maxPacketSize });
      if (record) s.decoded++;
    } catch (e) {
      const problem = errorProblem(e, bytes.length);
      if (problem !== undefined) fail('decode-bad-exception', problem);
      else {
        singleError = e as ProtocolError;
        if (record) {
          s.rejected++;
          const key = `0x${singleError.reasonCode.toString(16)}`;
          s.rejectedByReason[key] = (s.rejectedByReason[key] ?? 0) + 1;
        }
      }
    }
    if (single !== undefined) this.oracle(single, version, fail, record);

    // 2. The stream decoder, in chunks.
    const streamed: Packet[] = [];
    const decoder = new t.PacketDecoder((p) => streamed.push(p), { protocolVersion: version, maxPacketSize });
    let streamError: ProtocolError | undefined;
    let pos = 0;
    for (const n of input.chunks) {
      const chunk = bytes.subarray(pos, pos + n);
      pos += n;
      try {
        decoder.push(chunk);
      } catch (e) {
        const problem = errorProblem(e, bytes.length);
        if (problem !== undefined) {
          fail('stream-bad-exception', problem, true);
          return;
        }
        streamError = e as ProtocolError;
        break;
      }
      if (decoder.buffered > maxPacketSize) {
        fail('buffered-over-max', `buffered ${decoder.buffered} bytes, maxPacketSize ${maxPacketSize}`, true);
      }
    }
    if (streamError !== undefined) {
      if (record) s.streamErrors++;
      // A failed decoder keeps failing with the same error until reset.
      try {
        decoder.push(Uint8Array.of(0xc0, 0x00));
        fail('stream-not-sticky', 'push after a ProtocolError did not throw', true);
      } catch (e) {
        if (e !== streamError)
          fail('stream-not-sticky', `push after a ProtocolError threw ${describeError(e)}`, true);
      }
    } else if (decoder.buffered > 0 && record) s.streamIncomplete++;
    if (record) s.streamPackets += streamed.length;

    // 3. decode() and the stream decoder agree.
    if (single !== undefined) {
      if (streamError !== undefined) {
        fail(
          'stream-disagrees',
          `decode accepted the input, the stream decoder failed: ${streamError.message}`,
          true,
        );
      } else if (streamed.length !== 1 || decoder.buffered !== 0) {
        fail(
          'stream-disagrees',
          `decode accepted one packet, the stream decoder gave ${streamed.length}`,
          true,
        );
      } else {
        const d = packetDifference(streamed[0], single);
        if (d !== undefined) fail('stream-disagrees', `stream packet differs from decode's: ${d}`, true);
      }
    } else if (singleError !== undefined) {
      const countError = singleError.message.startsWith('expected exactly one packet');
      if (!countError) {
        if (streamError === undefined) {
          fail(
            'stream-disagrees',
            `decode failed (${singleError.message}), the stream decoder did not`,
            true,
          );
        } else if (
          streamError.message !== singleError.message ||
          streamError.reasonCode !== singleError.reasonCode
        ) {
          fail(
            'stream-disagrees',
            `decode failed with "${singleError.message}", the stream decoder with "${streamError.message}"`,
            true,
          );
        }
      }
      for (const p of streamed) this.oracle(p, version, (k, d) => fail(k, d, true), record);
    }
  }

  /**
   * A decoded packet re-encodes, decodes to an equal packet, and re-encodes to the same bytes (except CONNECTs
   * with client identifiers only a server has to accept: see refusedOnlyWhenSending).
   */
  private oracle(
    p: Packet,
    version: ProtocolVersion,
    fail: (kind: string, detail: string) => void,
    record: boolean,
  ): void {
    const t = this.t;
    if (record) this.stats.oracleChecks++;
    let bytes: Uint8Array;
    try {
      bytes = t.encode(p, version);
    } catch (e) {
      if (refusedOnlyWhenSending(p, e)) return;
      fail('reencode-throws', `${p.type}: ${describeError(e)}; decoded ${show(p)}`);
      return;
    }
    let back: Packet;
    try {
      back = t.decode(bytes, version);
    } catch (e) {
      fail('redecode-throws', `${p.type}: ${describeError(e)}; re-encoded ${toHex(bytes.subarray(0, 200))}`);
      return;
    }
    const diff = packetDifference(back, p);
    if (diff !== undefined) {
      fail('redecode-differs', `${p.type}: ${diff}`);
      return;
    }
    try {
      const again = t.encode(back, version);
      if (toHex(again) !== toHex(bytes))
        fail('not-canonical', `${p.type}: re-encoding gives different bytes`);
    } catch (e) {
      fail('reencode-throws', `${p.type} (second time): ${describeError(e)}`);
    }
  }

  private fail(kind: string, detail: string, index: number, input: Input, withChunks = false): void {
    const s = this.stats;
    s.failureCount++;
    // One entry per kind and message shape (quoted text and numbers stripped).
    const key = `${kind}|${detail
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\d+/g, 'N')
      .slice(0, 160)}`;
    const known = this.failureByKey.get(key);
    if (known !== undefined) {
      known.count++;
      return;
    }
    if (this.failureByKey.size >= this.maxFailures) return;
    const f: FuzzFailure = {
      kind,
      detail,
      index,
      version: input.version,
      maxPacketSize: input.maxPacketSize,
      input: toHex(input.bytes),
      count: 1,
    };
    if (withChunks) f.chunks = input.chunks;
    this.failureByKey.set(key, f);
    s.failures.push(f);
  }
}

/** Random bytes: pure noise, or a plausible fixed header with a random body. */
function randomBytes(rng: Rng, version: ProtocolVersion): Uint8Array {
  const kind = rng.weighted([3, 5, 1]);
  if (kind === 0) return rng.bytes(rng.chance(0.9) ? rng.int(48) : rng.int(1024));
  const type = rng.range(1, version === 5 ? 15 : 14);
  const flags = type === 3 ? rng.int(16) : type === 6 || type === 8 || type === 10 ? 2 : 0;
  const body =
    kind === 1 ? rng.bytes(rng.chance(0.9) ? rng.int(40) : rng.int(600)) : interestingBody(rng, rng.int(40));
  return concatBytes(
    Uint8Array.of((type << 4) | (rng.chance(0.95) ? flags : rng.int(16))),
    varintBytes(body.length),
    body,
  );
}

function interestingBody(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.pick(INTERESTING_BYTES));
}

/** Why `e` is not an acceptable decoder error, or undefined when it is one. */
export function errorProblem(e: unknown, inputLength: number): string | undefined {
  if (!(e instanceof ProtocolError)) return `threw ${describeError(e)}`;
  if (!ALLOWED_REASON_CODES.has(e.reasonCode)) {
    return `ProtocolError with reason code 0x${e.reasonCode.toString(16)}: ${e.message}`;
  }
  if (typeof e.message !== 'string' || e.message.length === 0) return 'ProtocolError without a message';
  const at = e.offset;
  if (at !== undefined && !(Number.isInteger(at) && at >= 0 && at <= inputLength)) {
    return `ProtocolError offset ${String(at)} outside the ${inputLength}-byte input: ${e.message}`;
  }
  return undefined;
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const where = e.stack?.split('\n')[1]?.trim() ?? '';
    return `${e.name}: ${e.message}${e instanceof ProtocolError ? '' : ` ${where}`}`;
  }
  return `non-error ${String(e)}`;
}

/** A multi-line, human-readable summary of a run. */
export function formatStats(s: FuzzStats): string {
  const lines = [
    `seed ${s.seed}: ${s.inputs} inputs (${s.randomInputs} random, ${s.mutatedInputs} mutated, ${s.reframed} re-framed) in ${(s.elapsedMillis / 1000).toFixed(1)} s`,
    `  by version: 3.1 ${s.byVersion[3]}, 3.1.1 ${s.byVersion[4]}, 5.0 ${s.byVersion[5]}; corpus ${s.corpusPackets} packets`,
    `  decode: ${s.decoded} accepted, ${s.rejected} rejected ${JSON.stringify(s.rejectedByReason)}`,
    `  stream: ${s.streamPackets} packets, ${s.streamErrors} errors, ${s.streamIncomplete} left incomplete; ${s.oracleChecks} re-encode checks`,
    `  mutations: ${JSON.stringify(s.mutations)}`,
    `  slowest input: ${s.slowestMillis.toFixed(2)} ms${s.slowest ? ` (#${s.slowest.index}, v${s.slowest.version}, ${s.slowest.length} bytes)` : ''}`,
    `  failures: ${s.failureCount} (${s.failures.length} distinct)`,
  ];
  const versionArgs = s.versions.map((v) => `--version ${v}`).join(' ');
  for (const f of s.failures) {
    const replay =
      f.index < 0 ? 'a corpus packet' : `npm run fuzz -- --seed ${s.seed} ${versionArgs} --replay ${f.index}`;
    lines.push(
      `  - [${f.kind}] x${f.count}: ${f.detail}`,
      `      replay: ${replay}`,
      `      version ${f.version}, maxPacketSize ${f.maxPacketSize}${f.chunks ? `, chunks ${JSON.stringify(f.chunks.slice(0, 40))}` : ''}`,
      `      input: ${f.input.length > 400 ? `${f.input.slice(0, 400)}… (${f.input.length / 2} bytes)` : f.input}`,
    );
  }
  return lines.join('\n');
}

/**
 * Whether encoding `p` failed on a rule that binds only the sender of a CONNECT: an MQTT 3.1 client identifier
 * outside 1..23 bytes, or an empty one without a clean session in 3.1.1. The decoder accepts such a CONNECT on
 * purpose, since the server's answer to it is a CONNACK refusing the identifier, not a closed connection.
 */
export function refusedOnlyWhenSending(p: Packet, e: unknown): boolean {
  return p.type === 'connect' && e instanceof InvalidArgumentError && /client ?id/i.test(e.message);
}
