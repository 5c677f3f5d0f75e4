// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Base64 (RFC 4648 section 4: the standard alphabet, with `=` padding) for `Uint8Array`, as SCRAM uses it for
 * nonces, salts, proofs and signatures. Written out because `Buffer` does not exist in browsers, and `btoa`/`atob`
 * work on binary strings, which would need a second conversion on every call.
 *
 * @module
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Character code → 6-bit value, or -1 for a character outside the alphabet (padding included, handled apart).
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** The base64 text of `bytes`, padded with `=` to a multiple of four characters. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}${ALPHABET[n & 63]}`;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}=`;
  }
  return out;
}

/**
 * The bytes that the base64 `text` stands for, or `undefined` when `text` is not canonical padded base64: a length
 * that is not a multiple of four, a character outside the alphabet, padding anywhere but at the end, or non-zero
 * bits left over before the padding. Strict on purpose: SCRAM compares these values byte for byte, and a lenient
 * decoder would accept two spellings of one proof.
 */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const end = text.length - padding;
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (VALUES[code] as number) : -1;
    if (value < 0) return undefined;
    acc = ((acc << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // What remains after the last whole byte must be zero bits, or the text is a non-canonical spelling.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
