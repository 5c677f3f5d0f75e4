// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * CRC-32 (IEEE 802.3, the checksum of zip and PNG) for the session log's records. Node 20 has no `zlib.crc32`
 * (it arrived in Node 22), and a table-driven CRC is a few lines.
 *
 * @module
 */

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The CRC-32 of `bytes[start, end)`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
