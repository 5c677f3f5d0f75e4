// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Nothing of the client keeps a Node process alive once it has ended: no socket, timer or pending iterator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { freePorts } from '../helpers/ports.js';

const FIXTURE = 'test/integration/fixtures/client-exit.ts';
// The child needs ~0.5 s to start with tsx; a client that kept it alive would hold it for good.
const EXIT_WITHIN_MS = 10_000;

function run(url: string, mode: string): { status: number | null; out: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, url, mode], {
    encoding: 'utf8',
    timeout: EXIT_WITHIN_MS,
    killSignal: 'SIGKILL',
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { status: r.status, out: `${r.stdout}${r.stderr}`, timedOut };
}

describe('client exit', () => {
  let broker: Broker;
  let url: string;
  before(async () => {
    broker = await startBroker();
    url = `mqtt://${broker.host}:${broker.ports.tcp}`;
  });
  after(() => broker?.stop());

  for (const mode of ['end', 'destroy'] as const) {
    test(`client – the process exits by itself after ${mode}() of a client that subscribed, published and iterated`, {
      timeout: 15_000,
    }, () => {
      const r = run(url, mode);
      assert.equal(r.timedOut, false, `still running after ${EXIT_WITHIN_MS} ms:\n${r.out}`);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`ended: ${mode}`));
    });
  }

  test('client – the process exits by itself after a refused first connection', {
    timeout: 15_000,
  }, async () => {
    const [port] = await freePorts(1);
    const r = run(`mqtt://127.0.0.1:${port}`, 'refused');
    assert.equal(r.timedOut, false, `still running after ${EXIT_WITHIN_MS} ms:\n${r.out}`);
    assert.equal(r.status, 0, r.out);
  });

  test('client – the process exits by itself after end() while waiting to reconnect', {
    timeout: 15_000,
  }, () => {
    const r = run('', 'reconnect-wait');
    assert.equal(r.timedOut, false, `still running after ${EXIT_WITHIN_MS} ms:\n${r.out}`);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /ended: reconnect-wait/);
  });
});
