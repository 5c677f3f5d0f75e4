// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A small deterministic random generator (mulberry32) for tests that draw from a seed, so that a failure can be
 * run again with the seed it prints.
 *
 * @module
 */

/** A generator of numbers in [0, 1) determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
