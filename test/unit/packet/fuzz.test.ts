// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Fuzzes the decoder with the driver of test/fuzz/fuzz-decoder.ts: 50,000 inputs per protocol version (random
// bytes and mutated valid packets), a fresh seed per run. A failure prints the seed and the distinct failures
// with their inputs; replay the run with FUZZ_SEED=<seed>, or one input with the `npm run fuzz -- ... --replay`
// command printed beside each failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decode,
  encode,
  type Packet,
  PacketDecoder,
  type ProtocolVersion,
} from '../../../src/packet/index.js';
import {
  errorProblem,
  Fuzzer,
  type FuzzTarget,
  formatStats,
  fromHex,
  mix32,
  refusedOnlyWhenSending,
} from '../../fuzz/fuzz-decoder.js';

const INPUTS_PER_VERSION = 50_000;
const fromEnv = process.env['FUZZ_SEED'];
const SEED = fromEnv !== undefined ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;

describe(`decoder fuzzing (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, () => {
  for (const v of [3, 4, 5] as const) {
    it(`MQTT ${v === 3 ? '3.1' : v === 4 ? '3.1.1' : '5.0'}: ${INPUTS_PER_VERSION} random and mutated inputs`, (t) => {
      const fuzzer = new Fuzzer({ seed: mix32(SEED + v), versions: [v] });
      const stats = fuzzer.run({ iterations: INPUTS_PER_VERSION });
      const summary = formatStats(stats);
      t.diagnostic(`FUZZ_SEED=${SEED}\n${summary}`);
      assert.equal(stats.inputs, INPUTS_PER_VERSION);
      assert.ok(stats.randomInputs > 0 && stats.mutatedInputs > 0, 'both random and mutated inputs ran');
      assert.ok(stats.decoded > 0 && stats.rejected > 0, 'some inputs decoded and some were rejected');
      assert.equal(stats.failureCount, 0, `FUZZ_SEED=${SEED} (driver seed ${stats.seed})\n${summary}`);
    });
  }
});

describe('fuzz driver', () => {
  it('is deterministic for a seed', () => {
    const a = new Fuzzer({ seed: 1234, corpusSize: 60 }).run({ iterations: 2000 });
    const b = new Fuzzer({ seed: 1234, corpusSize: 60 }).run({ iterations: 2000 });
    const strip = (s: typeof a) => ({
      ...s,
      elapsedMillis: 0,
      slowestMillis: 0,
      slowest: undefined,
      failures: [],
    });
    assert.deepStrictEqual(strip(a), strip(b));
    assert.deepStrictEqual(
      new Fuzzer({ seed: 9, corpusSize: 60 }).inputAt(77),
      new Fuzzer({ seed: 9, corpusSize: 60 }).inputAt(77),
    );
  });

  it('accepts only ProtocolErrors with an allowed reason code and an offset within the input', () => {
    assert.match(errorProblem(new TypeError('x'), 10) ?? '', /TypeError/);
    assert.equal(
      errorProblem(
        catchError(() => decode(Uint8Array.of(0x00, 0x00), 4)),
        2,
      ),
      undefined,
    );
    assert.equal(
      errorProblem(
        catchError(() => decode(Uint8Array.of(0x30), 4)),
        1,
      ),
      undefined,
    );
  });

  it('reports a codec that throws something else, or decodes what it cannot re-encode', () => {
    // A decoder that crashes on PINGREQ and one whose SUBACKs lose their packet identifier.
    class CrashingDecoder extends PacketDecoder {
      constructor(
        onPacket: (p: Packet) => void,
        options?: { protocolVersion?: ProtocolVersion; maxPacketSize?: number },
      ) {
        super((p) => {
          if (p.type === 'pingreq') throw new RangeError('boom');
          onPacket(p.type === 'suback' ? { ...p, packetId: 0 } : p);
        }, options);
      }
    }
    const target: FuzzTarget = {
      encode,
      PacketDecoder: CrashingDecoder,
      decode: (bytes, version, options) => {
        const p = decode(bytes, version, options);
        if (p.type === 'pingreq') throw new RangeError('boom');
        return p.type === 'suback' ? { ...p, packetId: 0 } : p;
      },
    };
    const stats = new Fuzzer({ seed: 5, versions: [4], corpusSize: 100, target }).run({ iterations: 3000 });
    const kinds = new Set(stats.failures.map((f) => f.kind));
    assert.ok(kinds.has('decode-bad-exception'), formatStats(stats));
    assert.ok(kinds.has('stream-bad-exception'), formatStats(stats));
    assert.ok(kinds.has('reencode-throws'), formatStats(stats));
    const f = stats.failures.find((x) => x.kind === 'decode-bad-exception');
    assert.ok(f !== undefined && f.input.length > 0);
    assert.throws(
      () => target.decode(fromHex(f.input), f.version, { maxPacketSize: f.maxPacketSize }),
      RangeError,
    );
  });
});

// Inputs the fuzzer found, kept as deterministic checks of the same invariants.
describe('fuzz findings', () => {
  it('the stream decoder never holds more than maxPacketSize bytes, even of a fixed header', () => {
    for (const maxPacketSize of [2, 3]) {
      const decoder = new PacketDecoder(() => {}, { protocolVersion: 4, maxPacketSize });
      try {
        // A PUBLISH whose remaining length, still incomplete, is already over any packet of 2 or 3 bytes.
        for (const b of [0x30, 0x80, 0x80, 0x80]) {
          decoder.push(Uint8Array.of(b));
          assert.ok(decoder.buffered <= maxPacketSize, `buffered ${decoder.buffered}, max ${maxPacketSize}`);
        }
      } catch (e) {
        assert.equal(errorProblem(e, 4), undefined);
      }
    }
  });

  for (const [name, hex, v] of [
    ['a 3.1.1 CONNECT with an empty client id and clean session 0', '100c00044d5154540400a14f0000', 4],
    ['a 3.1 CONNECT with an empty client id', '100e00064d514973647003c2b7000000', 3],
    [
      'a 3.1 CONNECT with a 24-byte client id',
      '102600064d5149736470030200000018616161616161616161616161616161616161616161616161',
      3,
    ],
  ] as const) {
    it(`${name}: decodes (a server answers it with a CONNACK) but is never sent`, () => {
      // The identifier rules bind the client; a server must still read the CONNECT to refuse it with return code
      // 2 / reason 0x85, so the decoder accepts what the encoder refuses.
      const p: Packet = decode(fromHex(hex), v);
      assert.equal(p.type, 'connect');
      assert.throws(
        () => encode(p, v),
        (e: unknown) => refusedOnlyWhenSending(p, e),
      );
    });
  }
});

describe('fuzz driver time limit', () => {
  it('reports inputs over the time limit', () => {
    const stats = new Fuzzer({ seed: 3, corpusSize: 30, maxInputMillis: 0 }).run({ iterations: 20 });
    assert.ok(
      stats.failures.some((f) => f.kind === 'slow'),
      formatStats(stats),
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}
