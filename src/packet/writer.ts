// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Writes the data types of MQTT section 1.5 into a buffer sized beforehand. Sizes and validity are settled by the
 * `measure*` helpers first, so writing never fails and never reallocates.
 *
 * @module
 */
import { allocate } from './alloc.js';
import { InvalidArgumentError, PacketTooLargeError } from './errors.js';
import { utf8Length, writeUtf8 } from './utf8.js';

/** Largest value of a Variable Byte Integer, and so of the remaining length. */
export const MAX_VARINT = 268_435_455;
/** The largest packet MQTT can frame: 1 type byte, 4 length bytes and the largest remaining length. */
export const MAX_PACKET_SIZE = MAX_VARINT + 5;

/** Bytes a Variable Byte Integer of `n` takes. */
export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Size of a UTF-8 Encoded String field (length prefix included); throws if MQTT cannot carry `s`. */
export function measureString(s: string, what: string): number {
  if (typeof s !== 'string') throw new InvalidArgumentError(`${what} must be a string, got ${typeof s}`);
  const n = utf8Length(s);
  if (n < 0) {
    throw new InvalidArgumentError(
      n === -1
        ? `${what} contains U+0000, which MQTT forbids`
        : `${what} contains a lone surrogate (not valid UTF-16)`,
    );
  }
  if (n > 65_535) throw new InvalidArgumentError(`${what} is ${n} bytes of UTF-8, over the limit of 65,535`);
  return n + 2;
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

/** A cursor writing into a freshly allocated packet buffer. */
export class Writer {
  readonly buf: Uint8Array;
  pos = 0;

  /** Allocates a packet of `1 + varintSize(remaining) + remaining` bytes and writes its fixed header. */
  constructor(firstByte: number, remaining: number, maxPacketSize: number, what: string) {
    const total = 1 + varintSize(remaining) + remaining;
    if (remaining > MAX_VARINT || total > maxPacketSize) {
      throw new PacketTooLargeError(total, Math.min(maxPacketSize, MAX_PACKET_SIZE), what);
    }
    this.buf = allocate(total);
    this.buf[0] = firstByte;
    this.pos = 1;
    this.varint(remaining);
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
      let byte = n & 0x7f;
      n = Math.floor(n / 128);
      if (n > 0) byte |= 0x80;
      this.buf[this.pos++] = byte;
    } while (n > 0);
  }

  /** A UTF-8 Encoded String; the length prefix is filled in after the bytes are written. */
  string(s: string): void {
    const n = writeUtf8(this.buf, this.pos + 2, s);
    this.u16(n);
    this.pos += n;
  }

  /** Binary Data: two-byte length then the bytes. */
  binary(b: Uint8Array): void {
    this.u16(b.length);
    this.bytes(b);
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}
