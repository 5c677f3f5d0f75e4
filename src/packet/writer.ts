// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Writes the data types of MQTT section 1.5. An encoder first adds up an upper bound of the packet's size (cheap:
 * a string of n UTF-16 units takes at most 3n bytes), reserves that much, writes the body once — checking strings
 * as it copies them — and then writes the fixed header in front of the body, when the remaining length is known.
 * Each string is thus read once, not measured and then written.
 *
 * @module
 */
import { commit, reserve, reservedOffset } from './alloc.js';
import { InvalidArgumentError, PacketTooLargeError } from './errors.js';
import { utf8Length, writeUtf8 } from './utf8.js';

/** Largest value of a Variable Byte Integer, and so of the remaining length. */
export const MAX_VARINT = 268_435_455;
/** The largest packet MQTT can frame: 1 type byte, 4 length bytes and the largest remaining length. */
export const MAX_PACKET_SIZE = MAX_VARINT + 5;
/** Room kept in front of the body for the fixed header: one type byte and up to four length bytes. */
const HEADER_ROOM = 5;

// UTF-16 units of the strings measured since the last resetMeasure(): each may take 3 bytes instead of the 1 that
// measureString counts, so the writer reserves 2 more per unit.
let stringUnits = 0;

/** Starts measuring a new packet; called by `encode` before anything is measured. */
export function resetMeasure(): void {
  stringUnits = 0;
}

/** Bytes a Variable Byte Integer of `n` takes. */
export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * Upper bound of a UTF-8 Encoded String field (length prefix included), exact for ASCII. The string's content is
 * checked when it is written.
 */
export function measureString(s: string, what: string): number {
  if (typeof s !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof s}`);
  if (s.length > 65_535) throw tooLong(what, utf8Length(s));
  stringUnits += s.length;
  return 2 + s.length;
}

function tooLong(what: string, n: number): InvalidArgumentError {
  return new InvalidArgumentError(`${what} is ${n} bytes of UTF-8, over the limit of 65,535`);
}

/** Size of a Binary Data field (length prefix included). */
export function measureBinary(b: Uint8Array, what: string): number {
  if (!(b instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array`);
  if (b.length > 65_535)
    throw new InvalidArgumentError(`${what} is ${b.length} bytes, over the limit of 65,535`);
  return b.length + 2;
}

/** Throws unless `v` is an integer in `[min, max]`. */
export function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
}

const TOPIC_CACHE = new Map<string, Uint8Array>();

/** A cursor writing one packet body into reserved memory; {@link finish} puts the fixed header in front. */
export class Writer {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  private bodyStart = 0;

  /**
   * Reserves room for a body measured as `asciiSize` bytes (exact if every string is ASCII), plus what the strings
   * measured since {@link resetMeasure} may need beyond that, plus room for property lengths to grow.
   */
  begin(asciiSize: number): this {
    const bound = HEADER_ROOM + asciiSize + 2 * stringUnits + 8;
    this.buf = reserve(bound);
    this.bodyStart = reservedOffset(this.buf) + HEADER_ROOM;
    this.pos = this.bodyStart;
    return this;
  }

  /**
   * Writes the fixed header in front of the body and returns the whole packet.
   *
   * @throws {PacketTooLargeError} when the packet exceeds `maxPacketSize` or what MQTT can frame.
   */
  finish(firstByte: number, maxPacketSize: number, what: string): Uint8Array {
    const remaining = this.pos - this.bodyStart;
    const start = this.bodyStart - 1 - varintSize(remaining);
    const total = this.pos - start;
    if (remaining > MAX_VARINT || total > maxPacketSize) {
      throw new PacketTooLargeError(total, Math.min(maxPacketSize, MAX_PACKET_SIZE), what);
    }
    const buf = this.buf;
    buf[start] = firstByte;
    let p = start + 1;
    let n = remaining;
    do {
      const byte = n & 0x7f;
      n = Math.floor(n / 128);
      buf[p++] = n > 0 ? byte | 0x80 : byte;
    } while (n > 0);
    commit(buf, this.pos);
    return buf.subarray(start, this.pos);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
  }

  varint(v: number): void {
    let n = v;
    do {
      const byte = n & 0x7f;
      n = Math.floor(n / 128);
      this.buf[this.pos++] = n > 0 ? byte | 0x80 : byte;
    } while (n > 0);
  }

  /**
   * A UTF-8 Encoded String: copied in one pass while checking it, the length prefix filled in after.
   *
   * @throws {InvalidArgumentError} for U+0000, a lone surrogate, a wildcard when `topicName`, or over 65,535 bytes.
   */
  string(s: string, what: string, topicName = false): void {
    const buf = this.buf;
    const n = s.length;
    let p = this.pos + 2;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // One comparison keeps the common case fast: every character that needs a closer look is 0x00, '#', '+'
      // (all below 0x2c) or outside ASCII.
      if (c < 0x2c || c >= 0x80) {
        if (c === 0 || c >= 0x80) {
          this.slowString(s, what);
          if (topicName && (s.includes('+') || s.includes('#'))) throw wildcard(s);
          return;
        }
        if (topicName && (c === 0x23 || c === 0x2b)) throw wildcard(s);
      }
      buf[p++] = c;
    }
    buf[this.pos] = n >>> 8;
    buf[this.pos + 1] = n & 0xff;
    this.pos = p;
  }

  private slowString(s: string, what: string): void {
    const n = utf8Length(s);
    if (n === -1) throw new InvalidArgumentError(`${what} contains U+0000, which MQTT forbids`);
    if (n === -2) throw new InvalidArgumentError(`${what} contains a lone surrogate (not valid UTF-16)`);
    if (n > 65_535) throw tooLong(what, n);
    this.u16(n);
    this.pos += writeUtf8(this.buf, this.pos, s);
  }

  /** A topic name, from a small cache of encoded topic fields (topics repeat): one memcpy instead of a char loop. */
  topic(s: string): void {
    let field = TOPIC_CACHE.get(s);
    if (field === undefined) {
      const start = this.pos;
      this.string(s, 'topic', true);
      // Only mid-sized topics: short ones encode as fast as they copy, long ones would make the cache large.
      if (s.length < 16 || s.length > 256) return;
      field = this.buf.slice(start, this.pos);
      if (TOPIC_CACHE.size >= 256) TOPIC_CACHE.clear();
      TOPIC_CACHE.set(s, field);
      return;
    }
    this.buf.set(field, this.pos);
    this.pos += field.length;
  }

  /** Binary Data: two-byte length then the bytes. */
  binary(b: Uint8Array): void {
    this.u16(b.length);
    this.bytes(b);
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 32) this.buf.set(b, this.pos);
    else for (let i = 0; i < n; i++) this.buf[this.pos + i] = b[i] as number;
    this.pos += n;
  }

  /** Marks where a property section starts, leaving room for its length; see {@link endSection}. */
  beginSection(expected: number): number {
    this.pos += varintSize(expected);
    return this.pos;
  }

  /**
   * Writes the length of the section begun at `start` (room for `varintSize(expected)` bytes was left in front),
   * moving the section if the real length needs a different number of bytes.
   */
  endSection(start: number, expected: number): void {
    const length = this.pos - start;
    const room = varintSize(expected);
    const need = varintSize(length);
    if (need !== room) {
      this.buf.copyWithin(start + need - room, start, this.pos);
      this.pos += need - room;
    }
    const end = this.pos;
    this.pos = start - room;
    this.varint(length);
    this.pos = end;
  }
}

/** The one writer: encoding is synchronous and never re-entrant. */
export const WRITER = new Writer();

function wildcard(s: string): InvalidArgumentError {
  return new InvalidArgumentError(`topic name must not contain wildcards: ${s}`); // [MQTT-3.3.2-2]
}
