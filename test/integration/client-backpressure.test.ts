// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from '../../src/node.js';
import { acceptedClient, type FakeBroker, startFakeBroker } from '../helpers/fake-broker.js';

// A QoS 0 publish resolves once written; when the socket's buffer is full, "written" waits for it to drain, so a
// publisher that awaits each publish cannot pile up unbounded memory in front of a slow network.
describe('client – QoS 0 backpressure', () => {
  let fb: FakeBroker;
  let client: MqttClient;

  before(async () => {
    fb = await startFakeBroker();
    ({ client } = await acceptedClient(fb, { protocolVersion: 4 }));
  });

  after(async () => {
    client.destroy();
    await client.closed();
    await fb.close();
  });

  it('client – a QoS 0 publish waits for the socket to drain while the broker does not read', async () => {
    const conn = fb.connections[0];
    assert.ok(conn !== undefined, 'the client is connected');
    conn.pause();
    const payload = new Uint8Array(64 * 1024);
    // Publish, awaiting each, until one does not resolve within a turn of the event loop: the buffer is full.
    let stuck: Promise<unknown> | undefined;
    let sent = 0;
    for (let i = 0; i < 10_000 && stuck === undefined; i++) {
      const p = client.publish('bulk/data', payload);
      sent++;
      const settled = await Promise.race([
        p.then(() => true),
        new Promise((r) => setImmediate(() => r(false))),
      ]);
      if (!settled) stuck = p;
    }
    assert.ok(
      stuck !== undefined,
      `every one of ${sent} publishes of 64 KiB resolved at once; no backpressure`,
    );
    assert.ok(sent < 10_000, 'the buffer filled long before 640 MB were queued');
    conn.resume();
    const r = (await stuck) as { packetId: number | undefined };
    assert.equal(r.packetId, undefined, 'it resolves as a QoS 0 publication once the buffer drains');
  });
});
