// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Smoke test of the codec benchmark: it runs, verifies both codecs agree, and reports its figures in the agreed
// shape. It asserts no speed: timing goals belong to the benchmark itself, not to tests on a shared machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CASES = ['encode_v311', 'decode_v311', 'encode_v5', 'decode_v5'];

describe('codec benchmark', () => {
  it('codec benchmark – a --quick --json run ends with one JSON line of positive figures for the four cases', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/codec.ts', '--quick', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DEBUG: undefined },
    });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.status, 0, `bench exited with ${String(run.status)}:\n${run.stderr}`);
    const lines = run.stdout.trimEnd().split('\n');
    const last = lines[lines.length - 1] ?? '';
    const result = JSON.parse(last) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(result).sort(), [...CASES].sort());
    for (const name of CASES) {
      const figures = result[name] as Record<string, unknown>;
      assert.deepEqual(Object.keys(figures).sort(), ['mqttPacket', 'mqttkit', 'ratio'], name);
      for (const key of ['mqttkit', 'mqttPacket']) {
        const ops = figures[key];
        assert.ok(
          typeof ops === 'number' && Number.isInteger(ops) && ops > 0,
          `${name}.${key} = ${String(ops)}`,
        );
      }
      const ratio = figures['ratio'];
      assert.ok(
        typeof ratio === 'number' && Number.isFinite(ratio) && ratio > 0,
        `${name}.ratio = ${String(ratio)}`,
      );
    }
  });
});
