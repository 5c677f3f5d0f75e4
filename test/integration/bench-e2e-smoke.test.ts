// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

// The end-to-end benchmark (npm run bench) must keep working: a quick run through Mosquitto, both libraries and the floor client, every
// figure present. Its figures are rough, so no speed is asserted here.
const KEYS = [
  'qos0_msgs_per_s',
  'qos1_msgs_per_s',
  'qos2_msgs_per_s',
  'qos0_pub_cpu_us_per_msg',
  'qos0_sub_cpu_us_per_msg',
  'qos1_pub_cpu_us_per_msg',
  'qos1_sub_cpu_us_per_msg',
  'qos2_pub_cpu_us_per_msg',
  'qos2_sub_cpu_us_per_msg',
  'latency_p50_us',
  'latency_p99_us',
  'idle_conn_rss_kib',
  'idle_conn_heap_kib',
];

describe('bench/e2e.ts', () => {
  it('bench e2e – a quick run ends with one JSON line holding every figure as positive numbers', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/e2e.ts', '--quick', '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
    assert.equal(r.error, undefined, `${String(r.error)}\n${output}`);
    assert.equal(r.status, 0, output);
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    const figures = JSON.parse(last) as Record<string, unknown>;
    assert.deepEqual(Object.keys(figures).sort(), [...KEYS].sort());
    for (const key of KEYS) {
      const figure = figures[key] as Record<string, unknown>;
      assert.deepEqual(
        Object.keys(figure).sort(),
        ['floor', 'floorRatio', 'mqttjs', 'mqttkit', 'ratio'],
        key,
      );
      for (const [name, value] of Object.entries(figure)) {
        assert.ok(
          typeof value === 'number' && Number.isFinite(value) && value > 0,
          `${key}.${name} = ${String(value)}`,
        );
      }
    }
  });
});
