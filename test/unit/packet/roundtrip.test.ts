// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Property-based round trips of the codec: decode(encode(p)) deep-equals p for every packet type and version,
// re-encoding a decoded packet gives the same bytes, and the stream decoder splits any chunking of a stream of
// packets back into the same packets. fast-check prints the seed and the shrunk counterexample on failure; set
// FC_SEED (and FC_PATH) to replay one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type AllProperties,
  decode,
  encode,
  type Packet,
  PacketDecoder,
  type PropertyContext,
  type ProtocolVersion,
  type PublishPacket,
} from '../../../src/packet/index.js';
import { packetDifference } from '../../fuzz/fuzz-decoder.js';
import * as arb from './arbitraries.js';

const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];
const VERSION_NAMES: Record<ProtocolVersion, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5.0' };

const seedFromEnv = process.env['FC_SEED'];
const pathFromEnv = process.env['FC_PATH'];
const replay: fc.Parameters<unknown> = {};
if (seedFromEnv !== undefined) replay.seed = Number(seedFromEnv);
if (pathFromEnv !== undefined) replay.path = pathFromEnv;

function params(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, ...replay };
}

/**
 * Fails with the path of the first difference. assert.deepStrictEqual would diff the whole inspected packets,
 * which with 64 KiB strings takes seconds per call and gigabytes while fast-check shrinks.
 */
function assertSamePacket(actual: unknown, expected: unknown, context: string): void {
  const d = packetDifference(actual, expected);
  if (d !== undefined) assert.fail(`${d}\n${context}`);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Cuts `bytes` into chunks whose sizes cycle through `sizes` (each at least 1). */
function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function streamDecode(chunks: Uint8Array[], v: ProtocolVersion): { packets: Packet[]; buffered: number } {
  const packets: Packet[] = [];
  const decoder = new PacketDecoder((p) => packets.push(p), { protocolVersion: v });
  for (const c of chunks) decoder.push(c);
  return { packets, buffered: decoder.buffered };
}

// Runs per property: about 40 (version, type) pairs; sized so that the whole file stays well under 20 s.
const RUNS_PER_TYPE = 300;

for (const v of VERSIONS) {
  describe(`codec round trip, ${VERSION_NAMES[v]}`, () => {
    for (const type of arb.packetTypes(v)) {
      it(`${type}: decode(encode(p)) deep-equals p`, () => {
        fc.assert(
          fc.property(arb.packetOfType(type, v), (p) => {
            const bytes = encode(p, v);
            const decoded = decode(bytes, v);
            if (packetDifference(decoded, p) !== undefined) {
              assertSamePacket(decoded, p, `bytes: ${hex(bytes.subarray(0, 512))}`);
            }
          }),
          params(type === 'pingreq' || type === 'pingresp' ? 1 : RUNS_PER_TYPE),
        );
      });
    }

    it('encode(decode(encode(p))) equals encode(p) byte for byte', () => {
      fc.assert(
        fc.property(arb.packet(v), (p) => {
          const bytes = encode(p, v);
          const again = encode(decode(bytes, v), v);
          if (Buffer.compare(again, bytes) !== 0) {
            assert.fail(
              `re-encoded ${hex(again.subarray(0, 512))}\n  original ${hex(bytes.subarray(0, 512))}`,
            );
          }
        }),
        params(1000),
      );
    });

    it('the stream decoder yields every packet of a stream, in order, whatever the chunking', () => {
      const chunkSizes = fc.oneof(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 4 }),
        fc.constant<number[]>([1]),
      );
      fc.assert(
        fc.property(
          fc.array(arb.packet(v), { minLength: 1, maxLength: 25 }),
          chunkSizes,
          (packets, sizes) => {
            const stream = concat(packets.map((p) => encode(p, v)));
            const { packets: decoded, buffered } = streamDecode(chunked(stream, sizes), v);
            assert.equal(buffered, 0, 'no bytes left over');
            assert.equal(decoded.length, packets.length);
            assert.deepStrictEqual(decoded, packets);
          },
        ),
        params(200),
      );
    });
  });
}

describe('arbitraries', () => {
  const contexts: PropertyContext[] = [
    'connect',
    'will',
    'connack',
    'publish',
    'puback',
    'pubrec',
    'pubrel',
    'pubcomp',
    'subscribe',
    'suback',
    'unsubscribe',
    'unsuback',
    'disconnect',
    'auth',
  ];
  it('generate every property allowed in each context, and only those', () => {
    for (const ctx of contexts) {
      const seen = new Set<string>();
      for (const props of fc.sample(arb.properties(ctx), { numRuns: 200, seed: 42 })) {
        for (const k of Object.keys(props ?? {})) seen.add(k);
      }
      assert.deepStrictEqual([...seen].sort(), [...arb.propertyNames(ctx)].sort(), ctx);
    }
  });

  it('generate every packet type of each version', () => {
    for (const v of VERSIONS) {
      const seen = new Set(fc.sample(arb.packet(v), { numRuns: 500, seed: 7 }).map((p) => p.type));
      assert.deepStrictEqual([...seen].sort(), [...arb.packetTypes(v)].sort(), `version ${v}`);
    }
  });
});

describe('codec round trip at size boundaries', () => {
  // A QoS 0 PUBLISH of topic 't' has 3 bytes before the payload in MQTT 3 and 4 in MQTT 5 (property length).
  function publishOfRemainingLength(remaining: number, v: ProtocolVersion): PublishPacket {
    const overhead = v === 5 ? 4 : 3;
    const payload = new Uint8Array(remaining - overhead);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    return { type: 'publish', topic: 't', payload, qos: 0, retain: false, dup: false };
  }
  const lengths = [
    [127, 1],
    [128, 2],
    [16_383, 2],
    [16_384, 3],
    [2_097_151, 3],
    [2_097_152, 4],
  ] as const;

  for (const v of VERSIONS) {
    it(`${VERSION_NAMES[v]}: remaining lengths 127/128/16383/16384/2097151/2097152`, () => {
      for (const [remaining, lengthBytes] of lengths) {
        const p = publishOfRemainingLength(remaining, v);
        const bytes = encode(p, v);
        assert.equal(bytes.length, 1 + lengthBytes + remaining, `remaining length ${remaining}`);
        assert.deepStrictEqual(decode(bytes, v), p);
        // Split just after the fixed header, and in the middle of the remaining length.
        const split = streamDecode(
          [bytes.subarray(0, 2), bytes.subarray(2, 1 + lengthBytes + 7), bytes.subarray(1 + lengthBytes + 7)],
          v,
        );
        assert.deepStrictEqual(split.packets, [p]);
      }
    });
  }

  it('MQTT 5: numeric properties at their limits', () => {
    const props: AllProperties = {
      messageExpiryInterval: 0xffff_ffff,
      topicAlias: 65_535,
      subscriptionIdentifiers: [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455],
      payloadFormatIndicator: 1,
    };
    const p: Packet = {
      type: 'publish',
      topic: 'a',
      payload: new Uint8Array(0),
      qos: 2,
      retain: true,
      dup: true,
      packetId: 65_535,
      properties: props,
    };
    assert.deepStrictEqual(decode(encode(p, 5), 5), p);
    const c: Packet = {
      type: 'connect',
      protocolVersion: 5,
      clientId: '',
      clean: true,
      keepAlive: 65_535,
      properties: {
        sessionExpiryInterval: 0xffff_ffff,
        receiveMaximum: 65_535,
        maximumPacketSize: 0xffff_ffff,
        topicAliasMaximum: 0,
      },
    };
    assert.deepStrictEqual(decode(encode(c, 5), 5), c);
  });
});
