// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A bump allocator for small byte arrays. Creating a small `Uint8Array` costs several hundred nanoseconds in V8
 * (a backing store per array), while a view into a shared slab costs a few tens; encoded packets and decoded
 * payloads are small and many, so they come from here. A view keeps its whole slab alive, which bounds the waste
 * to one slab per retained array (Node's `Buffer.allocUnsafe` pool makes the same trade with 8 KiB).
 *
 * @module
 */

const SLAB_SIZE = 16 * 1024;
// Larger arrays get their own backing store: their allocation cost is small next to filling them.
const MAX_POOLED = 2 * 1024;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/** A region of `size` bytes that the caller fills completely. */
export function allocate(size: number): Uint8Array {
  const buf = reserve(size);
  if (buf !== slab) return buf;
  const start = used;
  commit(buf, start + size);
  return buf.subarray(start, start + size);
}

/**
 * A buffer with at least `size` free bytes from index {@link reservedOffset}: the current slab, or a new array when
 * `size` is large. Nothing is taken until {@link commit}, so a writer that fails half-way gives everything back.
 */
export function reserve(size: number): Uint8Array {
  if (size > MAX_POOLED) return new Uint8Array(size);
  if (used + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  return slab;
}

/** Where the free region of a buffer returned by {@link reserve} starts. */
export function reservedOffset(buf: Uint8Array): number {
  return buf === slab ? used : 0;
}

/** Takes `buf[reservedOffset, end)` for good. */
export function commit(buf: Uint8Array, end: number): void {
  // Keep views 8-byte aligned so that a later DataView or typed-array cast over them stays cheap.
  if (buf === slab) used = (end + 7) & ~7;
}

/** A copy of `src[start, end)` in freshly allocated memory. */
export function copyBytes(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = allocate(end - start);
  out.set(src.subarray(start, end));
  return out;
}
