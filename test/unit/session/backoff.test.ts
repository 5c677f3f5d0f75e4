// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Reconnect policy: exponential backoff with jitter, and which CONNACK refusals are worth retrying.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, isRetryableRefusal, resolveBackoff } from '../../../src/session/backoff.js';

describe('session backoff', () => {
  test('backoff – defaults: 1 s first delay, 60 s cap, factor 2, jitter 0.5, stable after 10 s', () => {
    assert.deepEqual(resolveBackoff(undefined), {
      minDelay: 1_000,
      maxDelay: 60_000,
      factor: 2,
      jitter: 0.5,
      stableAfter: 10_000,
    });
    assert.deepEqual(resolveBackoff({ minDelay: 50, jitter: 0 }), {
      minDelay: 50,
      maxDelay: 60_000,
      factor: 2,
      jitter: 0,
      stableAfter: 10_000,
    });
  });

  test('backoff – with jitter 0 the delays double from minDelay and are capped at maxDelay', () => {
    const b = resolveBackoff({ jitter: 0 });
    const delays = Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1, b, () => 0.5));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  test('backoff – a custom factor and cap are honoured', () => {
    const b = resolveBackoff({ minDelay: 100, factor: 3, maxDelay: 1_000, jitter: 0 });
    const delays = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, b));
    assert.deepEqual(delays, [100, 300, 900, 1_000, 1_000]);
  });

  test('backoff – a very high attempt number stays at maxDelay', () => {
    const b = resolveBackoff({ jitter: 0 });
    assert.equal(backoffDelay(10_000, b), 60_000);
  });

  test('backoff – jitter draws the given fraction: random 0 gives base × (1 − jitter), random ~1 gives ~base', () => {
    const b = resolveBackoff({ jitter: 0.5 });
    assert.equal(
      backoffDelay(1, b, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(3, b, () => 0),
      2_000,
    );
    const high = backoffDelay(3, b, () => 0.999_999);
    assert.ok(high <= 4_000 && high >= 3_999, `got ${high}`);
    assert.equal(
      backoffDelay(7, b, () => 0),
      30_000,
      'jitter applies to the capped delay',
    );
  });

  test('backoff – jitter 1 spreads the delay over the whole range from 0', () => {
    const b = resolveBackoff({ jitter: 1 });
    assert.equal(
      backoffDelay(2, b, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(2, b, () => 0.5),
      1_000,
    );
  });

  test('backoff – every jittered delay lies within [base × (1 − jitter), base]', () => {
    const b = resolveBackoff({ jitter: 0.3 });
    for (let attempt = 1; attempt <= 10; attempt++) {
      const base = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const d = backoffDelay(attempt, b, () => r);
        assert.ok(d >= Math.floor(base * 0.7) && d <= base, `attempt ${attempt}, random ${r}: ${d}`);
      }
    }
  });

  const FINAL: Array<[number, string]> = [
    [0x84, 'Unsupported Protocol Version'],
    [0x85, 'Client Identifier not valid'],
    [0x86, 'Bad User Name or Password'],
    [0x87, 'Not authorized'],
    [0x8a, 'Banned'],
    [0x8c, 'Bad authentication method'],
  ];
  for (const [code, name] of FINAL) {
    test(`backoff – a refusal with 0x${code.toString(16)} ${name} is not retried`, () => {
      assert.equal(isRetryableRefusal(code), false);
    });
  }

  const RETRY: Array<[number, string]> = [
    [0x80, 'Unspecified error'],
    [0x88, 'Server unavailable'],
    [0x89, 'Server busy'],
    [0x9f, 'Connection rate exceeded'],
  ];
  for (const [code, name] of RETRY) {
    test(`backoff – a refusal with 0x${code.toString(16)} ${name} is retried`, () => {
      assert.equal(isRetryableRefusal(code), true);
    });
  }
});
