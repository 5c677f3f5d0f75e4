// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

// The README's first command runs examples/demo.ts; it must work with Mosquitto and, where Mosquitto is missing,
// with the embedded broker.
function runDemo(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('demo', () => {
  for (const [name, env] of [
    ['with Mosquitto', {}],
    ['with the embedded broker', { MQTTKIT_DEMO_BROKER: 'embedded' }],
  ] as const) {
    it(`demo – runs a full session ${name} and exits 0`, () => {
      const { status, out } = runDemo(env);
      assert.equal(status, 0, out);
      for (const line of [
        /monitor received home\/kitchen\/temperature = "20\.5" \(QoS 0\)/,
        /monitor received home\/kitchen\/temperature = "22\.5" \(QoS 2\)/,
        /retained: true/,
        /monitor received home\/status\/sensor = "sensor vanished"/,
        /Messages seen by the monitor: 5\./,
      ]) {
        assert.match(out, line);
      }
    });
  }
});
