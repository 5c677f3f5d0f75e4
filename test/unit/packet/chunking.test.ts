// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The streaming decoder must give the same packets however the byte stream is cut into chunks.
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Packet, PacketDecoder, type ProtocolVersion } from '../../../src/packet/index.js';
import { fromHex, VECTORS, type Vector } from '../../fixtures/vectors.js';
import { seededRandom as prng } from '../../helpers/seeded-random.js';

/** Integer in [lo, hi]. */
function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

interface Stream {
  bytes: Uint8Array;
  /** Offset just past each packet, in order. */
  ends: number[];
  packets: Packet[];
}

function streamOf(vectors: Vector[]): Stream {
  const parts = vectors.map((v) => fromHex(v.hex));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
    ends.push(at);
  }
  return { bytes, ends, packets: vectors.map((v) => v.packet) };
}

/**
 * Feeds `stream` to a new decoder cut at `cuts` (increasing offsets strictly inside the stream). After
 * every push checks how many packets came out and that `buffered` is exactly the bytes of the packet in
 * progress (so 0 right after a packet completes). Each chunk is a fresh copy that is overwritten once
 * pushed, since the caller may reuse a chunk after `push` returns. Finally checks the packets themselves.
 */
function feed(stream: Stream, version: ProtocolVersion, cuts: readonly number[], what: string): void {
  const got: Packet[] = [];
  const decoder = new PacketDecoder((p) => got.push(p), { protocolVersion: version });
  let from = 0;
  for (const to of [...cuts, stream.bytes.length]) {
    const chunk = stream.bytes.slice(from, to);
    decoder.push(chunk);
    chunk.fill(0xee);
    from = to;
    const complete = stream.ends.filter((end) => end <= to).length;
    strictEqual(got.length, complete, `${what}: packets after ${to} bytes`);
    const lastEnd = complete === 0 ? 0 : (stream.ends[complete - 1] as number);
    strictEqual(decoder.buffered, to - lastEnd, `${what}: buffered after ${to} bytes`);
  }
  strictEqual(decoder.buffered, 0, `${what}: buffered at the end`);
  deepStrictEqual(got, stream.packets, what);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('chunking of each vector', () => {
  for (const v of VECTORS) {
    const stream = streamOf([v]);
    const n = stream.bytes.length;

    test(`chunking – ${v.name}: one byte at a time`, () => {
      feed(stream, v.version, range(1, n), 'byte by byte');
    });

    test(`chunking – ${v.name}: two chunks at every split point`, () => {
      for (let i = 1; i < n; i++) feed(stream, v.version, [i], `split at ${i}`);
    });

    test(`chunking – ${v.name}: three chunks at sampled split pairs`, () => {
      const pairs: Array<[number, number]> = [];
      if (n <= 48) {
        for (let i = 1; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
      } else {
        // Cuts around the fixed header and the end, then random pairs.
        const edges = [1, 2, 3, 4, 5, n - 3, n - 2, n - 1];
        for (const i of edges) for (const j of edges) if (i < j) pairs.push([i, j]);
        const rand = prng(n);
        for (let k = 0; k < 200; k++) {
          const i = between(rand, 1, n - 2);
          pairs.push([i, between(rand, i + 1, n - 1)]);
        }
      }
      for (const [i, j] of pairs) feed(stream, v.version, [i, j], `split at ${i} and ${j}`);
    });
  }
});

describe('chunking of concatenated vectors', () => {
  for (const version of [3, 4, 5] as const) {
    const stream = streamOf(VECTORS.filter((v) => v.version === version));

    test(`chunking – all v${version} vectors in one chunk`, () => {
      feed(stream, version, [], 'one chunk');
    });

    test(`chunking – all v${version} vectors one byte at a time`, () => {
      feed(stream, version, range(1, stream.bytes.length), 'byte by byte');
    });

    test(`chunking – all v${version} vectors in random-size chunks`, () => {
      for (const [seed, maxChunk] of [
        [1, 3],
        [2, 17],
        [3, 64],
        [4, 300],
        [5, 5000],
        [6, 30_000],
      ] as const) {
        const rand = prng(seed * 1000 + version);
        const cuts: number[] = [];
        let at = between(rand, 1, maxChunk);
        while (at < stream.bytes.length) {
          cuts.push(at);
          at += between(rand, 1, maxChunk);
        }
        feed(stream, version, cuts, `seed ${seed}, chunks of 1..${maxChunk} bytes`);
      }
    });

    test(`chunking – all v${version} vectors cut at every packet boundary`, () => {
      feed(stream, version, stream.ends.slice(0, -1), 'cut at packet boundaries');
    });
  }

  test('chunking – CONNECT of every version decodes in its own version, whatever the decoder expects', () => {
    const stream = streamOf(VECTORS.filter((v) => v.packet.type === 'connect'));
    for (const version of [3, 4, 5] as const) {
      feed(stream, version, [], `decoder version ${version}, one chunk`);
      feed(stream, version, range(1, stream.bytes.length), `decoder version ${version}, byte by byte`);
    }
  });
});
