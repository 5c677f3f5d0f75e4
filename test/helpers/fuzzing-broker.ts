// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The broker's side of client fuzzing (test/fuzz/client-fuzz.test.ts), on top of the scripted fake broker.
 *
 * Fuzz input for the broker to send the client: valid packets of every type from
 * the fast-check arbitraries of the codec's property tests (most of them out of place: acknowledgements of
 * nothing, a second CONNACK, packets only a server reads), the same packets mutated (bits flipped, bytes
 * inserted, deleted or truncated, wrong remaining length, wrong flags or type, a tampered inner length), and
 * random bytes; split into chunks at random boundaries. Everything is drawn from a seeded {@link Rng}, so a seed
 * gives the same bytes again.
 *
 * {@link clientVerdict} runs the client's own stream decoder over the bytes, so that the test knows what the
 * client will see: which packets, a decoding error, or a packet left incomplete at the end.
 *
 * {@link Responder} answers everything else the client sends as a broker would, but for what it is told to
 * withhold, and keeps its answers out of the middle of the fuzz bytes.
 *
 * @module
 */
import fc from 'fast-check';
import { decodeServerBody } from '../../src/packet/decode-body.js';
import { StreamDecoder } from '../../src/packet/decoder.js';
import {
  encode,
  type Packet,
  type PacketTypeName,
  ProtocolError,
  type ProtocolVersion,
} from '../../src/packet/index.js';
import { type Rng, reframe, toHex } from '../fuzz/fuzz-decoder.js';
import { packetOfType } from '../unit/packet/arbitraries.js';
import type { FakeConnection } from './fake-broker.js';

/** Bytes for the broker to send, the chunks to send them in, and what they are made of. */
export interface FuzzInput {
  /** What the bytes are made of, e.g. `PUBACK + truncate(SUBACK) + garbage[12]`. */
  label: string;
  bytes: Uint8Array;
  chunks: Uint8Array[];
}

/** Packet types and their weights: what a broker sends most, but every type now and then. */
const TYPE_WEIGHTS: ReadonlyArray<readonly [PacketTypeName, number]> = [
  ['publish', 8],
  ['puback', 3],
  ['pubrec', 3],
  ['pubrel', 3],
  ['pubcomp', 3],
  ['suback', 3],
  ['unsuback', 3],
  ['pingresp', 2],
  ['connack', 2],
  ['disconnect', 1],
  ['auth', 1],
  ['connect', 1],
  ['subscribe', 1],
  ['unsubscribe', 1],
  ['pingreq', 1],
];

/** A valid packet of a random type for `v`, drawn with fast-check from a seed of `rng`. */
function validPacket(rng: Rng, v: ProtocolVersion): Packet {
  const types = TYPE_WEIGHTS.filter(([t]) => t !== 'auth' || v === 5);
  const type = (types[rng.weighted(types.map(([, w]) => w))] as (typeof types)[number])[0];
  const [p] = fc.sample(packetOfType(type, v), { seed: rng.u32() | 0, numRuns: 1 });
  if (p === undefined) throw new Error('fast-check gave no sample');
  return p;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let x = n;
  do {
    const b = x % 128;
    x = Math.floor(x / 128);
    out.push(x > 0 ? b | 0x80 : b);
  } while (x > 0);
  return out;
}

/** Where the body starts: after the first byte and the remaining length (as far as it goes). */
function bodyStart(b: Uint8Array): number {
  let i = 1;
  while (i < b.length && i < 5 && ((b[i] as number) & 0x80) !== 0) i++;
  return Math.min(b.length, i + 1);
}

type Mutator = (rng: Rng, b: Uint8Array) => Uint8Array;

/** Mutations of one encoded packet; `b` is a copy the mutator may change. */
const MUTATORS: Readonly<Record<string, Mutator>> = {
  'flip-bits': (rng, b) => {
    for (let k = rng.range(1, 4); k > 0 && b.length > 0; k--) {
      const i = rng.int(b.length);
      b[i] = (b[i] as number) ^ (1 << rng.int(8));
    }
    return b;
  },
  'replace-byte': (rng, b) => {
    if (b.length > 0) b[rng.int(b.length)] = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(256)]);
    return b;
  },
  insert: (rng, b) => {
    const at = rng.int(b.length + 1);
    return concat([b.subarray(0, at), rng.bytes(rng.range(1, 8)), b.subarray(at)]);
  },
  delete: (rng, b) => {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    return concat([b.subarray(0, at), b.subarray(at + rng.range(1, 8))]);
  },
  truncate: (rng, b) => b.subarray(0, rng.chance(0.3) ? Math.max(0, b.length - 1) : rng.int(b.length + 1)),
  'remaining-length': (rng, b) => {
    if (b.length === 0) return b;
    const body = b.subarray(bodyStart(b));
    const forms = [
      varint(Math.max(0, body.length + rng.pick([-3, -2, -1, 1, 2, 3]))),
      varint(rng.int(268_435_456)),
      [...varint(body.length).map((x) => x | 0x80), 0], // not in the fewest bytes
      [0xff, 0xff, 0xff, 0xff, 0x7f], // five bytes
      [0xff, 0xff, 0xff, 0x7f], // the largest remaining length
    ];
    return concat([b.subarray(0, 1), Uint8Array.from(rng.pick(forms)), body]);
  },
  flags: (rng, b) => {
    if (b.length > 0) b[0] = ((b[0] as number) & 0xf0) | rng.int(16);
    return b;
  },
  type: (rng, b) => {
    if (b.length > 0) b[0] = (rng.int(16) << 4) | ((b[0] as number) & 0x0f);
    return b;
  },
  'inner-length': (rng, b) => {
    const start = bodyStart(b);
    if (b.length - start < 2) return b;
    const at = rng.range(start, b.length - 2);
    const v = rng.pick([0, 1, 0xffff, b.length - at - 1, b.length - at + 1, rng.int(0x1_0000)]);
    b[at] = (v >> 8) & 0xff;
    b[at + 1] = v & 0xff;
    return b;
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

/** Packets with these identifiers are given another one (so that fuzz does not acknowledge the test's own). */
function avoid(p: Packet, ids: ReadonlySet<number>): Packet {
  if (!('packetId' in p) || p.packetId === undefined) return p;
  let id = p.packetId;
  while (ids.has(id)) id = (id % 65_535) + 1;
  return { ...p, packetId: id } as Packet;
}

/** One piece of the input: a valid packet, a mutated one, or random bytes. */
function piece(rng: Rng, v: ProtocolVersion, ids: ReadonlySet<number>): { label: string; bytes: Uint8Array } {
  const kind = rng.weighted([3, 6, 1]);
  if (kind === 2) {
    const n = rng.range(1, 48);
    return { label: `garbage[${n}]`, bytes: rng.bytes(n) };
  }
  const p = avoid(validPacket(rng, v), ids);
  const name = p.type.toUpperCase();
  let bytes = encode(p, v);
  if (kind === 0) return { label: name, bytes };
  const ops: string[] = [];
  for (let k = rng.weighted([0, 6, 2, 1]); k > 0; k--) {
    const op = rng.pick(MUTATOR_NAMES);
    ops.push(op);
    bytes = (MUTATORS[op] as Mutator)(rng, Uint8Array.from(bytes));
  }
  // Re-framed, a body mutation reaches the body decoders instead of only breaking the framing.
  if (rng.chance(0.3) && !ops.includes('remaining-length')) {
    bytes = reframe(bytes);
    ops.push('reframe');
  }
  return { label: `${ops.join('+')}(${name})`, bytes };
}

/** Splits `bytes` at random boundaries: one chunk, a few, or (when short) one byte each. */
function split(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  if (bytes.length <= 64 && rng.chance(0.15)) return Array.from(bytes, (b) => Uint8Array.of(b));
  const cuts = new Set<number>();
  for (let k = rng.weighted([4, 3, 2, 1]); k > 0; k--) cuts.add(rng.int(bytes.length + 1));
  const points = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const chunks: Uint8Array[] = [];
  for (let i = 1; i < points.length; i++) {
    const c = bytes.subarray(points[i - 1], points[i]);
    if (c.length > 0) chunks.push(c);
  }
  return chunks;
}

/**
 * Fuzz input of one to three pieces for protocol version `v`. Valid packets never carry an identifier of `ids`
 * (mutations still may, rarely).
 */
export function fuzzInput(rng: Rng, v: ProtocolVersion, ids: ReadonlySet<number> = new Set()): FuzzInput {
  const pieces = Array.from({ length: rng.weighted([5, 3, 2]) + 1 }, () => piece(rng, v, ids));
  const bytes = concat(pieces.map((p) => p.bytes));
  return { label: pieces.map((p) => p.label).join(' + '), bytes, chunks: split(rng, bytes) };
}

/** Input of valid packets given by the caller, in random chunks (a packet in the wrong state, say). */
function packetsInput(rng: Rng, v: ProtocolVersion, packets: readonly Packet[]): FuzzInput {
  const bytes = concat(packets.map((p) => encode(p, v)));
  const label = packets.map((p) => `${p.type.toUpperCase()}${'packetId' in p ? ` id ${p.packetId}` : ''}`);
  return { label: label.join(' + '), bytes, chunks: split(rng, bytes) };
}

/** What the client's decoder makes of the bytes. */
export interface ClientVerdict {
  /** The packets decoded, in order (before any error). */
  packets: Packet[];
  /** The ProtocolError that stopped decoding, if any. */
  error: ProtocolError | undefined;
  /** Anything else the decoder threw: always a bug. */
  unexpected: unknown;
  /** Bytes of an incomplete packet left at the end. */
  buffered: number;
}

/** Runs the client's stream decoder (server-to-client packets only) over `bytes`. */
export function clientVerdict(bytes: Uint8Array, v: ProtocolVersion, maxPacketSize: number): ClientVerdict {
  const packets: Packet[] = [];
  const decoder = new StreamDecoder(
    (p) => packets.push(p),
    { protocolVersion: v, maxPacketSize },
    decodeServerBody,
  );
  const verdict: ClientVerdict = { packets, error: undefined, unexpected: undefined, buffered: 0 };
  try {
    decoder.push(bytes);
    verdict.buffered = decoder.buffered;
  } catch (e) {
    if (e instanceof ProtocolError) verdict.error = e;
    else verdict.unexpected = e;
  }
  return verdict;
}

/** The input for a failure message: its label, length, chunk sizes and (the start of) its bytes in hex. */
export function describeInput(input: FuzzInput, maxBytes = 128): string {
  const more = input.bytes.length > maxBytes ? '…' : '';
  const chunks = input.chunks.map((c) => c.length).join(',');
  return `${input.label} (${input.bytes.length} bytes in chunks ${chunks}: ${toHex(input.bytes.subarray(0, maxBytes))}${more})`;
}

/**
 * Valid acknowledgements in the wrong state: PUBREC or PUBCOMP for the held QoS 1 message, PUBACK and UNSUBACK
 * for the pending SUBSCRIBE, then its SUBACK twice (with one to three reason codes, for its two filters), a
 * PUBACK for nothing, and PINGRESP unasked for.
 */
export function wrongStateInput(
  rng: Rng,
  v: ProtocolVersion,
  heldId: number,
  subscribeId: number,
): FuzzInput {
  const codes = v === 5 ? [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2] : [0, 1, 2, 0x80];
  const suback = (): Packet => ({
    type: 'suback',
    packetId: subscribeId,
    reasonCodes: Array.from({ length: rng.range(1, 3) }, () => rng.pick(codes)),
  });
  return packetsInput(rng, v, [
    { type: rng.pick(['pubrec', 'pubcomp'] as const), packetId: heldId, reasonCode: 0 },
    { type: 'puback', packetId: subscribeId, reasonCode: 0 },
    { type: 'unsuback', packetId: subscribeId, reasonCodes: v === 5 ? [0, 0] : [] },
    suback(),
    suback(),
    { type: 'puback', packetId: ((heldId + 99) % 65_535) + 1, reasonCode: 0 },
    { type: 'pingresp' },
  ]);
}

/**
 * The broker's side of one accepted connection: answers every packet as a broker would (PUBACK, PUBREC, PUBCOMP,
 * SUBACK, UNSUBACK, PINGRESP), except the PUBLISH and the SUBSCRIBE it is told to withhold.
 */
export class Responder {
  readonly log: Packet[] = [];
  /** The topic of a PUBLISH not to acknowledge (until {@link release}). */
  withhold: string | undefined;
  /** The first filter of a SUBSCRIBE not to answer. */
  withholdSubscribe: string | undefined;
  private withheldId: number | undefined;
  // While fuzz bytes are being written, answers wait here: they must not land between the fuzz bytes.
  private held: Packet[] | undefined;
  private waiters: { match: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];

  constructor(
    readonly conn: FakeConnection,
    private readonly v: ProtocolVersion,
  ) {
    void this.run();
  }

  /** The first packet from the client since this responder started that matches. */
  seen(match: (p: Packet) => boolean): Promise<Packet> {
    const p = this.log.find(match);
    if (p !== undefined) return Promise.resolve(p);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Acknowledges the withheld PUBLISH, and withholds nothing from now on. */
  release(): void {
    this.withhold = undefined;
    if (this.withheldId !== undefined)
      this.send({ type: 'puback', packetId: this.withheldId, reasonCode: 0 });
  }

  /** Writes fuzz bytes chunk by chunk (the event loop turning between chunks), the answers kept until after. */
  async sendFuzz(chunks: readonly Uint8Array[]): Promise<void> {
    this.held = [];
    await sendChunks(this.conn, chunks);
    const answers = this.held;
    this.held = undefined;
    for (const p of answers) this.conn.send(p);
  }

  private send(p: Packet): void {
    if (this.held !== undefined) this.held.push(p);
    else this.conn.send(p);
  }

  private async run(): Promise<void> {
    for (;;) {
      let p: Packet;
      try {
        p = await this.conn.next(600_000);
      } catch {
        return; // closed
      }
      this.log.push(p);
      this.answer(p);
      const waiting = this.waiters;
      this.waiters = waiting.filter((w) => !w.match(p));
      for (const w of waiting) if (w.match(p)) w.resolve(p);
    }
  }

  private answer(p: Packet): void {
    switch (p.type) {
      case 'publish': {
        const packetId = p.packetId as number;
        if (p.qos === 0) return;
        if (p.topic === this.withhold) this.withheldId = packetId;
        else this.send({ type: p.qos === 1 ? 'puback' : 'pubrec', packetId, reasonCode: 0 });
        return;
      }
      case 'pubrel':
        this.send({ type: 'pubcomp', packetId: p.packetId, reasonCode: 0 });
        return;
      case 'pubrec': // a QoS 2 message of the fuzz input reached the client
        this.send({ type: 'pubrel', packetId: p.packetId, reasonCode: 0 });
        return;
      case 'subscribe':
        if (p.subscriptions[0]?.topicFilter === this.withholdSubscribe) return;
        this.send({ type: 'suback', packetId: p.packetId, reasonCodes: p.subscriptions.map((s) => s.qos) });
        return;
      case 'unsubscribe':
        this.send({
          type: 'unsuback',
          packetId: p.packetId,
          reasonCodes: this.v === 5 ? p.topicFilters.map(() => 0) : [],
        });
        return;
      case 'pingreq':
        this.send({ type: 'pingresp' });
        return;
      default:
    }
  }
}

/** Writes the chunks one by one, letting the event loop turn between them so that they arrive apart. */
export async function sendChunks(conn: FakeConnection, chunks: readonly Uint8Array[]): Promise<void> {
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    conn.sendRaw(chunk);
  }
}

/** Answers the CONNECT on `conn` with an accepting CONNACK; the responder then answers the client's packets. */
export function accept(conn: FakeConnection, v: ProtocolVersion, sessionPresent: boolean): Responder {
  conn.send({ type: 'connack', sessionPresent, reasonCode: 0 });
  return new Responder(conn, v);
}
