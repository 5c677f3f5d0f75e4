// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// DNS SRV lookup of brokers: the RFC 2782 order (priority, then weighted random) measured over many seeded draws,
// and the typed errors for no record, a "." target and a failed lookup. The resolver is injected: no real DNS.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError, isMqttError } from '../../../src/packet/errors.js';
import {
  orderSrvRecords,
  resolveSrvBrokers,
  SrvLookupError,
  type SrvRecord,
} from '../../../src/transport/srv.js';

/** A seeded xorshift32 generator giving numbers in [0, 1), so the statistics below are reproducible. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function rec(name: string, priority: number, weight: number, port = 1883): SrvRecord {
  return { name, port, priority, weight };
}

/** How often each target comes first over `draws` orderings. */
function firstPicks(records: SrvRecord[], draws: number, seed: number): Map<string, number> {
  const random = seeded(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < draws; i++) {
    const first = orderSrvRecords(records, random)[0]?.name ?? 'none';
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return counts;
}

function errorOf(reason: SrvLookupError['reason'], query: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SrvLookupError, `an SrvLookupError, got ${String(e)}`);
    assert.ok(isMqttError(e), 'branded as an mqttkit error');
    assert.equal(e.code, 'MQTT_ERR_SRV_LOOKUP_FAILED', 'code');
    assert.equal(e.reason, reason, 'reason');
    assert.equal(e.query, query, 'query');
    assert.ok(e.message.includes(query), `the message names ${query}: ${e.message}`);
    return true;
  };
}

describe('SRV broker lookup', () => {
  const DRAWS = 10_000;

  test('order – ascending priority, every record exactly once, input untouched', () => {
    const records = [rec('c', 30, 5), rec('a1', 10, 1), rec('b', 20, 0), rec('a2', 10, 1), rec('a3', 10, 0)];
    const copy = structuredClone(records);
    const random = seeded(1);
    for (let i = 0; i < 100; i++) {
      const names = orderSrvRecords(records, random).map((r) => r.name);
      assert.deepEqual(names.slice(3), ['b', 'c'], 'priorities 20 and 30 after the three of priority 10');
      assert.deepEqual(names.slice(0, 3).sort(), ['a1', 'a2', 'a3'], 'priority 10 first, each once');
    }
    assert.deepEqual(records, copy, 'the input array is not modified');
    assert.deepEqual(orderSrvRecords([], random), [], 'no records, no order');
  });

  test('order – weights 60/30/10: first-pick frequency within 3 % of the weight share', () => {
    const counts = firstPicks([rec('a', 1, 60), rec('b', 1, 30), rec('c', 1, 10)], DRAWS, 42);
    for (const [name, share] of [
      ['a', 0.6],
      ['b', 0.3],
      ['c', 0.1],
    ] as const) {
      const freq = (counts.get(name) ?? 0) / DRAWS;
      assert.ok(Math.abs(freq - share) <= 0.03, `${name} first in ${freq}, expected ${share} ± 0.03`);
    }
  });

  test('order – after the first pick, the rest is again weighted (second place of 60/30/10)', () => {
    // P(b second) = P(a first)·30/40 + P(c first)·30/90 = 0.6·0.75 + 0.1·(1/3) ≈ 0.483
    const random = seeded(7);
    let bSecond = 0;
    for (let i = 0; i < DRAWS; i++) {
      if (orderSrvRecords([rec('a', 1, 60), rec('b', 1, 30), rec('c', 1, 10)], random)[1]?.name === 'b')
        bSecond++;
    }
    assert.ok(
      Math.abs(bSecond / DRAWS - 0.483) <= 0.03,
      `b second in ${bSecond / DRAWS}, expected 0.483 ± 0.03`,
    );
  });

  test('order – weight 0 is rarely first while others have weight, but not never', () => {
    const counts = firstPicks([rec('a', 1, 50), rec('zero', 1, 0), rec('b', 1, 50)], DRAWS, 3);
    const freq = (counts.get('zero') ?? 0) / DRAWS;
    // RFC 2782 draws 0 … sum inclusive, so weight 0 (first in the list) wins only on 0: 1 / 101.
    assert.ok(freq > 0 && freq < 0.02, `weight 0 first in ${freq}, expected about 0.0099`);
  });

  test('order – all weights 0: each record first about equally often', () => {
    const counts = firstPicks([rec('a', 1, 0), rec('b', 1, 0), rec('c', 1, 0)], DRAWS, 11);
    for (const name of ['a', 'b', 'c']) {
      const freq = (counts.get(name) ?? 0) / DRAWS;
      assert.ok(Math.abs(freq - 1 / 3) <= 0.03, `${name} first in ${freq}, expected 1/3 ± 0.03`);
    }
  });

  test('order – a random source returning 1, or a weight that is not a number, loses no record', () => {
    const records = [rec('a', 1, 1), rec('b', 1, 0), rec('c', 1, 0), rec('nan', 1, Number.NaN)];
    for (const random of [() => 1, () => 0, seeded(9)]) {
      const names = orderSrvRecords(records, random).map((r) => r.name);
      assert.deepEqual(names.sort(), ['a', 'b', 'c', 'nan'], 'every record once');
    }
  });

  test('lookup – queries _mqtt._tcp.<domain> and returns host/port pairs in order', async () => {
    const asked: string[] = [];
    const brokers = await resolveSrvBrokers('example.com', {
      resolver: async (name) => {
        asked.push(name);
        return [rec('backup.example.com.', 20, 0, 1884), rec('main.example.com', 10, 5, 1883)];
      },
      random: seeded(5),
    });
    assert.deepEqual(asked, ['_mqtt._tcp.example.com'], 'the plain name');
    assert.deepEqual(
      brokers,
      [
        { host: 'main.example.com', port: 1883 },
        { host: 'backup.example.com', port: 1884 }, // trailing dot dropped
      ],
      'priority order',
    );
  });

  test('lookup – secure queries _secure-mqtt._tcp.<domain>', async () => {
    const asked: string[] = [];
    await resolveSrvBrokers('example.com', {
      secure: true,
      resolver: async (name) => {
        asked.push(name);
        return [rec('tls.example.com', 0, 0, 8883)];
      },
    });
    assert.deepEqual(asked, ['_secure-mqtt._tcp.example.com'], 'the secure name');
  });

  test('lookup – a lone "." target rejects with reason not-available; "." beside others is skipped', async () => {
    for (const root of ['.', '']) {
      await assert.rejects(
        resolveSrvBrokers('example.com', { resolver: async () => [rec(root, 0, 0, 0)] }),
        errorOf('not-available', '_mqtt._tcp.example.com'),
        `target ${JSON.stringify(root)}`,
      );
    }
    const brokers = await resolveSrvBrokers('example.com', {
      resolver: async () => [rec('.', 0, 0, 0), rec('b.example.com', 5, 1)],
    });
    assert.deepEqual(brokers, [{ host: 'b.example.com', port: 1883 }], 'only the real target');
  });

  test('lookup – an empty answer rejects with reason not-found, naming the queried name', async () => {
    await assert.rejects(
      resolveSrvBrokers('example.org', { secure: true, resolver: async () => [] }),
      errorOf('not-found', '_secure-mqtt._tcp.example.org'),
      'empty answer',
    );
  });

  test('lookup – ENOTFOUND / ENODATA map to not-found, other failures to failed, with the cause kept', async () => {
    for (const [code, reason] of [
      ['ENOTFOUND', 'not-found'],
      ['ENODATA', 'not-found'],
      ['ETIMEOUT', 'failed'],
      ['ESERVFAIL', 'failed'],
    ] as const) {
      const cause = Object.assign(new Error(`querySrv ${code} _mqtt._tcp.nowhere.invalid`), { code });
      const rejecting = (): Promise<SrvRecord[]> => Promise.reject(cause);
      const throwing = (): Promise<SrvRecord[]> => {
        throw cause; // a resolver failing synchronously is mapped all the same
      };
      for (const resolver of [rejecting, throwing]) {
        await assert.rejects(
          resolveSrvBrokers('nowhere.invalid', { resolver }),
          (e: unknown) => errorOf(reason, '_mqtt._tcp.nowhere.invalid')(e) && (e as Error).cause === cause,
          `${code} from ${resolver.name}`,
        );
      }
    }
  });

  test('lookup – an invalid domain throws InvalidArgumentError without querying', async () => {
    for (const domain of ['', '.', 42 as unknown as string]) {
      await assert.rejects(
        resolveSrvBrokers(domain, { resolver: () => assert.fail('no query expected') }),
        InvalidArgumentError,
        `domain ${String(domain)}`,
      );
    }
  });

  test('lookup – an aborted signal rejects with its reason, before or during the query', async () => {
    const before = AbortSignal.abort(new Error('stop'));
    await assert.rejects(
      resolveSrvBrokers('example.com', { signal: before, resolver: () => assert.fail('no query expected') }),
      /stop/,
      'already aborted',
    );
    const controller = new AbortController();
    const pending = resolveSrvBrokers('example.com', {
      signal: controller.signal,
      resolver: () => new Promise<SrvRecord[]>(() => {}), // never answers
    });
    const reason = new Error('gave up');
    controller.abort(reason);
    await assert.rejects(pending, (e: unknown) => e === reason, 'aborted while waiting');
  });
});
