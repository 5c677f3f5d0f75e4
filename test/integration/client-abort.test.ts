// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type MqttClient } from '../../src/node.js';
import { acceptedClient, type FakeBroker, startFakeBroker } from '../helpers/fake-broker.js';

// Every operation takes an AbortSignal: aborting rejects the caller's promise with the signal's reason, and the
// client stays usable.
describe('client – AbortSignal', () => {
  let fb: FakeBroker;
  let client: MqttClient;

  before(async () => {
    fb = await startFakeBroker();
    ({ client } = await acceptedClient(fb, { protocolVersion: 5 }));
  });

  after(async () => {
    client.destroy();
    await client.closed();
    await fb.close();
  });

  it('client – a publish awaiting PUBACK rejects with the abort reason', async () => {
    const conn = fb.connections[0];
    assert.ok(conn !== undefined, 'the client is connected');
    const ac = new AbortController();
    const publishing = client.publish('a/b', 'x', { qos: 1, signal: ac.signal });
    await conn.expect('publish');
    const reason = new Error('no longer wanted');
    ac.abort(reason);
    await assert.rejects(publishing, (e: unknown) => e === reason);
  });

  it('client – an already aborted signal rejects at once and nothing is sent', async () => {
    const conn = fb.connections[0];
    assert.ok(conn !== undefined, 'the client is connected');
    const before = conn.received.length;
    const reason = new Error('aborted before');
    await assert.rejects(
      client.subscribe('x/#', { signal: AbortSignal.abort(reason) }),
      (e: unknown) => e === reason,
    );
    await assert.rejects(
      client.publish('a/b', 'x', { qos: 1, signal: AbortSignal.abort(reason) }),
      (e: unknown) => e === reason,
    );
    // A SUBSCRIBE round trip orders the stream: anything sent above would have arrived before it.
    const sub = client.subscribe('after/abort');
    const s = await conn.expect('subscribe');
    assert.equal(s.subscriptions[0]?.topicFilter, 'after/abort', 'nothing was sent for the aborted calls');
    conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [0] });
    await sub;
    assert.equal(conn.received.length, before + 1, 'only this SUBSCRIBE arrived');
  });

  it('client – end() with flush can be aborted and still leaves the client usable', async () => {
    const conn = fb.connections[0];
    assert.ok(conn !== undefined, 'the client is connected');
    const pending = client.publish('slow/ack', 'x', { qos: 1 });
    const p = await conn.expect('publish');
    const reason = new Error('stop waiting');
    await assert.rejects(
      client.end({ flush: true, signal: AbortSignal.abort(reason) }),
      (e: unknown) => e === reason,
    );
    assert.equal(client.connected, true, 'an aborted end() does not end the client');
    conn.send({ type: 'puback', packetId: p.packetId ?? 0, reasonCode: 0 });
    assert.equal((await pending).reasonCode, 0);
  });
});

describe('client – AbortSignal on connect', () => {
  it('client – aborting connect() before the CONNACK ends the client with the reason; after it, does nothing', async () => {
    const fb = await startFakeBroker();
    try {
      const early = new AbortController();
      const attempt = connect(`mqtt://127.0.0.1:${fb.port}`, { reconnect: false, signal: early.signal });
      const conn = await fb.nextConnection();
      await conn.expect('connect');
      const reason = new Error('gave up waiting');
      early.abort(reason);
      await assert.rejects(attempt, (e: unknown) => e === reason);

      const late = new AbortController();
      const ok = connect(`mqtt://127.0.0.1:${fb.port}`, { reconnect: false, signal: late.signal });
      const conn2 = await fb.nextConnection();
      await conn2.expect('connect');
      conn2.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      const client = await ok;
      late.abort(new Error('too late'));
      assert.equal(client.connected, true, 'an abort after the connection is up leaves the client connected');
      client.destroy();
      await client.closed();
    } finally {
      await fb.close();
    }
  });
});
