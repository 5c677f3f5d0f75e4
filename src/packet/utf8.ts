// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * UTF-8 for MQTT strings, written out because the short ASCII strings MQTT is full of (topics, property names)
 * decode several times faster by hand than through `TextDecoder`, and because MQTT needs checks `TextDecoder` does
 * not make (no U+0000, an exact error offset).
 *
 * @module
 */

// ignoreBOM: [MQTT-1.5.4-3] a leading U+FEFF is content and must not be stripped.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Index of the first byte in `buf[start, end)` that makes the string unacceptable to MQTT (ill-formed UTF-8 or a
 * U+0000), or -1 if there is none. [MQTT-1.5.4-1] [MQTT-1.5.4-2]
 */
export function findInvalidUtf8(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = buf[i] as number;
    if (b < 0x80) {
      if (b === 0) return i;
      i++;
      continue;
    }
    // Well-formed sequences per the Unicode Standard, table 3-7: no overlongs, no surrogates, nothing past U+10FFFF.
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= end) return i; // truncated sequence
    const b1 = buf[i + 1] as number;
    if (b1 < lo || b1 > hi) return i + 1;
    for (let k = 2; k <= need; k++) {
      const bk = buf[i + k] as number;
      if (bk < 0x80 || bk > 0xbf) return i + k;
    }
    i += need + 1;
  }
  return -1;
}

/** Whether `buf[start, end)` is all ASCII (no byte of 0x80 or above). */
export function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return false;
  return true;
}

/** `buf[start, end)`, known to be ASCII, as a string. */
export function asciiString(buf: Uint8Array, start: number, end: number): string {
  let i = start;
  let s = '';
  while (end - i >= 16) {
    s += String.fromCharCode(
      buf[i] as number,
      buf[i + 1] as number,
      buf[i + 2] as number,
      buf[i + 3] as number,
      buf[i + 4] as number,
      buf[i + 5] as number,
      buf[i + 6] as number,
      buf[i + 7] as number,
      buf[i + 8] as number,
      buf[i + 9] as number,
      buf[i + 10] as number,
      buf[i + 11] as number,
      buf[i + 12] as number,
      buf[i + 13] as number,
      buf[i + 14] as number,
      buf[i + 15] as number,
    );
    i += 16;
  }
  if (end - i >= 8) {
    s += String.fromCharCode(
      buf[i] as number,
      buf[i + 1] as number,
      buf[i + 2] as number,
      buf[i + 3] as number,
      buf[i + 4] as number,
      buf[i + 5] as number,
      buf[i + 6] as number,
      buf[i + 7] as number,
    );
    i += 8;
  }
  return i === end ? s : s + shortAscii(buf, i, end - i);
}

// One call of the exact arity: appending the last characters one at a time costs a string each.
function shortAscii(b: Uint8Array, i: number, n: number): string {
  const f = String.fromCharCode;
  switch (n) {
    case 1:
      return f(b[i] as number);
    case 2:
      return f(b[i] as number, b[i + 1] as number);
    case 3:
      return f(b[i] as number, b[i + 1] as number, b[i + 2] as number);
    case 4:
      return f(b[i] as number, b[i + 1] as number, b[i + 2] as number, b[i + 3] as number);
    case 5:
      return f(
        b[i] as number,
        b[i + 1] as number,
        b[i + 2] as number,
        b[i + 3] as number,
        b[i + 4] as number,
      );
    case 6:
      return f(
        b[i] as number,
        b[i + 1] as number,
        b[i + 2] as number,
        b[i + 3] as number,
        b[i + 4] as number,
        b[i + 5] as number,
      );
    default:
      return f(
        b[i] as number,
        b[i + 1] as number,
        b[i + 2] as number,
        b[i + 3] as number,
        b[i + 4] as number,
        b[i + 5] as number,
        b[i + 6] as number,
      );
  }
}

/** Decodes `buf[start, end)`, which the caller has checked with {@link findInvalidUtf8}. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start > 64 || !isAscii(buf, start, end)) return decoder.decode(buf.subarray(start, end));
  return asciiString(buf, start, end);
}

/**
 * The UTF-8 length of `s`, or a negative number when `s` cannot be sent: -1 for a U+0000, -2 for a lone surrogate
 * (which has no UTF-8 form).
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) return -1;
    } else if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -2;
      n += 2; // four bytes for two UTF-16 units
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -2;
    else n += 2;
  }
  return n;
}

/** Writes `s` at `buf[pos]` and returns the number of bytes written; `buf` must have room. */
export function writeUtf8(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return i + encoder.encodeInto(s.slice(i), buf.subarray(pos + i)).written;
    buf[pos + i] = c;
  }
  return n;
}

/** UTF-8 bytes of `s` (for callers outside the hot path). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
