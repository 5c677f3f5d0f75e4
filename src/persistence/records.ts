// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The records of the session log: one per change of the session, each framed as
 * `["MK"][body length: u32][CRC-32 of body: u32][CRC-32 of the ten bytes before, low 16 bits: u16][body]`, the
 * body starting with its type byte. The frame checks itself, so that a reader looking for the next record after a
 * damaged one can reject almost every position without reading a body. Messages and
 * subscriptions are stored as the MQTT 5 PUBLISH / SUBSCRIBE packets that carry them, so the codec already
 * tested byte for byte does the work and every property survives exactly.
 *
 * @module
 */
import { decode } from '../packet/decoder.js';
import { encode } from '../packet/encode.js';
import type { PublishPacket, SubscribePacket } from '../packet/types.js';
import { publishOf } from '../session/outgoing.js';
import type { OutgoingMessage, StoredPublish, StoredSubscription } from '../session/store.js';
import { crc32 } from './crc32.js';

/** The first bytes of a session log: "MQKS" and the format version. */
export const LOG_HEADER = Uint8Array.of(0x4d, 0x51, 0x4b, 0x53, 2, 0, 0, 0);
/** Bytes of the frame before each record body. */
export const FRAME = 12;
const MAGIC_0 = 0x4d;
const MAGIC_1 = 0x4b;
/** A record body larger than this is corruption, not data (a PUBLISH is at most 256 MiB). */
export const MAX_BODY = 268_435_456 + 64;

/** One change of the session, as written to and read from the log. */
export type LogRecord =
  | { kind: 'enqueue'; seq: number; front: boolean; message: OutgoingMessage; queuedAt?: number }
  | { kind: 'inflight'; seq: number; packetId: number; stage: 'publish' | 'pubrel'; sentBefore: boolean }
  | { kind: 'dequeue'; seq: number }
  | { kind: 'deleteInflight'; packetId: number }
  | { kind: 'addIncoming'; packetId: number }
  | { kind: 'deleteIncoming'; packetId: number }
  | { kind: 'clearIncoming' }
  | { kind: 'putSubscription'; entry: StoredSubscription }
  | { kind: 'deleteSubscription'; topicFilter: string }
  | { kind: 'clear' }
  | { kind: 'seq'; seq: number }
  | { kind: 'meta'; clientId: string; sessionExpiryInterval: number | undefined };

const KIND_CODES = {
  enqueue: 1,
  inflight: 2,
  dequeue: 3,
  deleteInflight: 4,
  addIncoming: 5,
  deleteIncoming: 6,
  clearIncoming: 7,
  putSubscription: 8,
  deleteSubscription: 9,
  clear: 10,
  seq: 11,
  meta: 12,
  // An `enqueue` with the time the message was handed over (for its Message Expiry Interval).
  enqueueAt: 13,
} as const;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The framed bytes of `record`. */
export function encodeRecord(record: LogRecord): Uint8Array {
  const body = recordBody(record);
  const out = new Uint8Array(FRAME + body.length);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  view.setUint32(2, body.length);
  view.setUint32(6, crc32(body));
  view.setUint16(10, crc32(out, 0, 10) & 0xffff);
  out.set(body, FRAME);
  return out;
}

/**
 * Why the record framed at `pos` is not whole, or undefined when it is: a frame that is not one (checked in
 * constant time), a body cut short, or a body failing its checksum.
 */
export function frameProblem(bytes: Uint8Array, view: DataView, pos: number): string | undefined {
  if (bytes.length - pos < FRAME) return 'a record frame cut short';
  if (bytes[pos] !== MAGIC_0 || bytes[pos + 1] !== MAGIC_1) return 'no record frame';
  if ((crc32(bytes, pos, pos + 10) & 0xffff) !== view.getUint16(pos + 10)) return 'a damaged record frame';
  const length = view.getUint32(pos + 2);
  if (length === 0 || length > MAX_BODY) return `an impossible record length ${length}`;
  if (bytes.length - pos - FRAME < length) return 'a record cut short';
  if (crc32(bytes, pos + FRAME, pos + FRAME + length) !== view.getUint32(pos + 6))
    return 'a checksum mismatch';
  return undefined;
}

/** The body length of the (whole) record framed at `pos`. */
export function bodyLength(view: DataView, pos: number): number {
  return view.getUint32(pos + 2);
}

function recordBody(r: LogRecord): Uint8Array {
  const code = KIND_CODES[r.kind];
  switch (r.kind) {
    case 'enqueue': {
      const packet = encode(toPublish(r.message), 5);
      const timed = r.queuedAt !== undefined;
      const head = timed ? 17 : 9;
      const body = withHead(timed ? KIND_CODES.enqueueAt : code, head, packet.length);
      const view = new DataView(body.buffer);
      view.setFloat64(1, r.seq);
      body[9] = r.front ? 1 : 0;
      if (timed) view.setFloat64(10, r.queuedAt as number);
      body.set(packet, head + 1);
      return body;
    }
    case 'inflight': {
      const body = withHead(code, 12, 0);
      const view = new DataView(body.buffer);
      view.setFloat64(1, r.seq);
      view.setUint16(9, r.packetId);
      body[11] = (r.stage === 'pubrel' ? 2 : 1) | (r.sentBefore ? 4 : 0);
      return body;
    }
    case 'dequeue':
    case 'seq': {
      const body = withHead(code, 8, 0);
      new DataView(body.buffer).setFloat64(1, r.seq);
      return body;
    }
    case 'deleteInflight':
    case 'addIncoming':
    case 'deleteIncoming': {
      const body = withHead(code, 2, 0);
      new DataView(body.buffer).setUint16(1, r.packetId);
      return body;
    }
    case 'putSubscription': {
      const packet: SubscribePacket = {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [r.entry.subscription],
      };
      if (r.entry.properties !== undefined) packet.properties = r.entry.properties;
      const bytes = encode(packet, 5);
      const body = withHead(code, 0, bytes.length);
      body.set(bytes, 1);
      return body;
    }
    case 'deleteSubscription':
      return withText(code, r.topicFilter);
    case 'meta':
      return withText(
        code,
        JSON.stringify({ clientId: r.clientId, sessionExpiryInterval: r.sessionExpiryInterval ?? null }),
      );
    default:
      return Uint8Array.of(code);
  }
}

function withHead(code: number, fixed: number, rest: number): Uint8Array {
  const body = new Uint8Array(1 + fixed + rest);
  body[0] = code;
  return body;
}

function withText(code: number, text: string): Uint8Array {
  const bytes = utf8.encode(text);
  const body = withHead(code, 0, bytes.length);
  body.set(bytes, 1);
  return body;
}

function toPublish(m: OutgoingMessage): PublishPacket {
  const p = publishOf(m, false);
  // The identifier is the session's business (the `inflight` record); the packet needs one to be valid.
  if (m.qos > 0) p.packetId = 1;
  if (m.properties !== undefined) p.properties = m.properties;
  return p;
}

/**
 * Decodes a record body (its checksum already verified).
 *
 * @throws {Error} when the body is not a record of this format (an unknown type, a bad packet inside).
 */
export function decodeRecord(body: Uint8Array): LogRecord {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (body[0]) {
    case KIND_CODES.enqueue:
    case KIND_CODES.enqueueAt: {
      const timed = body[0] === KIND_CODES.enqueueAt;
      const p = decode(body.subarray(timed ? 18 : 10), 5);
      if (p.type !== 'publish') throw new Error('an enqueue record without a PUBLISH');
      const message: OutgoingMessage = { topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain };
      if (p.properties !== undefined) message.properties = p.properties;
      const record: LogRecord = { kind: 'enqueue', seq: view.getFloat64(1), front: body[9] === 1, message };
      if (timed) record.queuedAt = view.getFloat64(10);
      return record;
    }
    case KIND_CODES.inflight: {
      const flags = body[11] as number;
      return {
        kind: 'inflight',
        seq: view.getFloat64(1),
        packetId: view.getUint16(9),
        stage: (flags & 3) === 2 ? 'pubrel' : 'publish',
        sentBefore: (flags & 4) !== 0,
      };
    }
    case KIND_CODES.dequeue:
      return { kind: 'dequeue', seq: view.getFloat64(1) };
    case KIND_CODES.seq:
      return { kind: 'seq', seq: view.getFloat64(1) };
    case KIND_CODES.deleteInflight:
      return { kind: 'deleteInflight', packetId: view.getUint16(1) };
    case KIND_CODES.addIncoming:
      return { kind: 'addIncoming', packetId: view.getUint16(1) };
    case KIND_CODES.deleteIncoming:
      return { kind: 'deleteIncoming', packetId: view.getUint16(1) };
    case KIND_CODES.clearIncoming:
      return { kind: 'clearIncoming' };
    case KIND_CODES.putSubscription: {
      const p = decode(body.subarray(1), 5);
      if (p.type !== 'subscribe' || p.subscriptions.length !== 1)
        throw new Error('a subscription record without its SUBSCRIBE');
      const entry: StoredSubscription = {
        subscription: p.subscriptions[0] as StoredSubscription['subscription'],
      };
      if (p.properties !== undefined) entry.properties = p.properties;
      return { kind: 'putSubscription', entry };
    }
    case KIND_CODES.deleteSubscription:
      return { kind: 'deleteSubscription', topicFilter: fromUtf8.decode(body.subarray(1)) };
    case KIND_CODES.clear:
      return { kind: 'clear' };
    case KIND_CODES.meta: {
      const meta = JSON.parse(fromUtf8.decode(body.subarray(1))) as {
        clientId: string;
        sessionExpiryInterval: number | null;
      };
      return {
        kind: 'meta',
        clientId: meta.clientId,
        sessionExpiryInterval: meta.sessionExpiryInterval ?? undefined,
      };
    }
    default:
      throw new Error(`unknown record type ${String(body[0])}`);
  }
}

/** The record that puts `entry` in the queue (at its end, or with `front` at its head). */
export function enqueueRecord(entry: StoredPublish, front: boolean): LogRecord {
  const record: LogRecord = { kind: 'enqueue', seq: entry.seq, front, message: entry.message };
  if (entry.queuedAt !== undefined) record.queuedAt = entry.queuedAt;
  return record;
}

/** The records that rebuild `entry` (a queued or in-flight message) from nothing. */
export function entryRecords(entry: StoredPublish): LogRecord[] {
  const records: LogRecord[] = [enqueueRecord(entry, false)];
  if (entry.packetId > 0 && entry.stage !== 'queued') {
    records.push({
      kind: 'inflight',
      seq: entry.seq,
      packetId: entry.packetId,
      stage: entry.stage,
      sentBefore: entry.sentBefore,
    });
  }
  return records;
}
