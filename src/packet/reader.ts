// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Reads the data types of MQTT section 1.5 from the bytes of one packet, failing with a {@link ProtocolError}
 * that names the field and the byte offset.
 *
 * @module
 */
import { copyBytes } from './alloc.js';
import { ProtocolError } from './errors.js';
import { asciiString, decodeUtf8, findInvalidUtf8 } from './utf8.js';

/** Reason codes the decoder fails with. */
export const MALFORMED = 0x81;
/** @see MALFORMED */
export const PROTOCOL_ERROR = 0x82;

// Shared by every idle reader: a Uint8Array per decoder is memory an idle connection need not hold.
const EMPTY = new Uint8Array(0);

/** A cursor over the bytes of one packet. One instance is reused for every packet a decoder reads. */
export class Reader {
  /** The bytes; the packet occupies part of them. */
  buf: Uint8Array = EMPTY;
  /** Next byte to read. */
  pos = 0;
  /** One past the last byte the current section may read. */
  end = 0;
  /** Index of the packet's first (fixed header) byte, so that offsets in errors count from there. */
  origin = 0;
  /** True when `buf` belongs to this packet alone, so payloads may be views into it rather than copies. */
  owned = false;
  /** Whether the last utf8() was plain ASCII (and, for a topic name, free of wildcards). */
  plain = false;

  /** Points the reader at a packet body `buf[pos, end)` whose fixed header started at `origin`. */
  reset(buf: Uint8Array, pos: number, end: number, origin: number, owned: boolean): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.origin = origin;
    this.owned = owned;
  }

  /** Throws a ProtocolError located at `at` (default: the current position). */
  fail(reasonCode: number, message: string, at: number = this.pos): never {
    throw new ProtocolError(reasonCode, message, at - this.origin);
  }

  /** Bytes left in the current section. */
  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail(MALFORMED, `${what} needs ${n} bytes but only ${this.end - this.pos} remain`);
    }
  }

  /** A one-byte integer. */
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  /** A two-byte big-endian integer. */
  u16(what: string): number {
    this.need(2, what);
    const b = this.buf;
    const v = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  /** A four-byte big-endian integer. */
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (
      (b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))
    );
  }

  /** A Variable Byte Integer: at most four bytes, in the fewest bytes that hold the value. [MQTT-1.5.5-1] */
  varint(what: string): number {
    const start = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.fail(MALFORMED, `${what} is cut short`, start);
      const b = this.buf[this.pos++] as number;
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0 && i > 0) this.fail(MALFORMED, `${what} is not encoded in the fewest bytes`, start);
        return value;
      }
      mul *= 128;
    }
    return this.fail(MALFORMED, `${what} is longer than 4 bytes`, start);
  }

  /** A UTF-8 Encoded String: two-byte length, then well-formed UTF-8 without U+0000. */
  utf8(what: string, topicName = false): string {
    if (this.end - this.pos < 2) this.fail(MALFORMED, `length of ${what} needs 2 bytes`);
    const len = ((this.buf[this.pos] as number) << 8) | (this.buf[this.pos + 1] as number);
    this.pos += 2;
    this.need(len, what);
    const start = this.pos;
    const end = start + len;
    const b = this.buf;
    let i = start;
    // One scan for the common case: ASCII without U+0000 (and, for topic names, without + or #).
    if (topicName) {
      for (; i < end; i++) {
        const c = b[i] as number;
        if (c < 0x2c && (c === 0 || c === 0x23 || c === 0x2b)) break;
        if (c >= 0x80) break;
      }
    } else {
      for (; i < end; i++) {
        const c = b[i] as number;
        if (c === 0 || c >= 0x80) break;
      }
    }
    if (i === end) {
      this.plain = true;
      this.pos = end;
      return asciiString(b, start, end);
    }
    this.plain = false;
    const bad = findInvalidUtf8(this.buf, start, end);
    if (bad >= 0) {
      this.fail(
        MALFORMED,
        this.buf[bad] === 0 ? `${what} contains U+0000` : `${what} is not well-formed UTF-8`,
        bad,
      );
    }
    this.pos = end;
    return decodeUtf8(this.buf, start, end);
  }

  /** Binary Data: two-byte length, then that many bytes (copied unless the packet buffer is ours). */
  binary(what: string): Uint8Array {
    const len = this.u16(`length of ${what}`);
    return this.bytes(len, what);
  }

  /** `n` raw bytes (copied unless the packet buffer is ours). */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return this.owned ? this.buf.subarray(start, start + n) : copyBytes(this.buf, start, start + n);
  }

  /** Fails unless the current section has been read to its last byte. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      this.fail(MALFORMED, `${this.end - this.pos} unexpected bytes after ${what}`);
    }
  }
}
