// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Several brokers: the `servers` list (failover in order, round robin on reconnect) and MQTT 5 Server Reference
// (CONNACK 0x9C / 0x9D or DISCONNECT), reported always and followed with `followServerReference`. Scripted
// brokers stand in for the broker nodes, so each test sees which one the client reached.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientClosedError, ConnackError, connect, createClient } from '../../src/node.js';
import { parseServerReference } from '../../src/transport/failover.js';
import { within } from '../helpers/clients.js';
import { type FakeBroker, type FakeConnection, startFakeBroker } from '../helpers/fake-broker.js';
import { freePorts } from '../helpers/ports.js';

const accept = { type: 'connack', sessionPresent: false, reasonCode: 0 } as const;

/** Takes the CONNECT of the next connection to `broker` and accepts it; returns the broker's side. */
async function acceptNext(broker: FakeBroker): Promise<FakeConnection> {
  const conn = await broker.nextConnection();
  await conn.expect('connect');
  conn.send(accept);
  return conn;
}

describe('several brokers', () => {
  let a: FakeBroker;
  let b: FakeBroker;
  let dead: number;
  before(async () => {
    a = await startFakeBroker();
    b = await startFakeBroker();
    [dead] = (await freePorts(1)) as [number];
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('servers – the first broker is down: the same attempt connects to the next one', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${dead}`, {
      servers: [`127.0.0.1:${a.port}`],
      reconnect: false,
    });
    await acceptNext(a);
    const client = await within(connecting, 'connect through the second broker');
    await client.end();
  });

  it('servers – in order: a reconnect starts again with the first broker', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${a.port}`, {
      servers: [{ host: '127.0.0.1', port: b.port }],
      reconnect: { minDelay: 10, maxDelay: 10 },
    });
    const first = await acceptNext(a);
    const client = await within(connecting, 'connect');
    first.destroy();
    await acceptNext(a);
    await client.end();
  });

  it('servers – round robin: a reconnect goes to the next broker', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${a.port}`, {
      servers: [`127.0.0.1:${b.port}`],
      serverOrder: 'round-robin',
      reconnect: { minDelay: 10, maxDelay: 10 },
    });
    const first = await acceptNext(a);
    const client = await within(connecting, 'connect');
    first.destroy();
    await acceptNext(b);
    await within(
      new Promise((resolve) => client.once('connect', resolve)),
      'reconnected to the second broker',
    );
    await client.end();
  });

  it('server reference – reported on the ConnackError when not followed', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${a.port}`, { protocolVersion: 5, reconnect: false });
    const conn = await a.nextConnection();
    await conn.expect('connect');
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x9d,
      properties: { serverReference: `127.0.0.1:${b.port}` },
    });
    const e = await connecting.then(
      () => assert.fail('connected'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ConnackError, `a ConnackError, got ${String(e)}`);
    assert.equal(e.reasonCode, 0x9d, 'Server moved');
    assert.equal(e.properties?.serverReference, `127.0.0.1:${b.port}`, 'the reference is on the error');
  });

  it('server reference – CONNACK 0x9C with followServerReference: connect() ends up at the referenced broker', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${a.port}`, {
      protocolVersion: 5,
      followServerReference: true,
      reconnect: false,
    });
    const conn = await a.nextConnection();
    await conn.expect('connect');
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x9c,
      properties: { serverReference: `127.0.0.1:${b.port}` },
    });
    await acceptNext(b);
    const client = await within(connecting, 'connect through the reference');
    await client.end();
  });

  it('server reference – DISCONNECT 0x9D while connected: the reconnect goes to the referenced broker', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${a.port}`, {
      protocolVersion: 5,
      followServerReference: true,
      reconnect: { minDelay: 10, maxDelay: 10 },
    });
    const conn = await acceptNext(a);
    const client = await within(connecting, 'connect');
    conn.send({
      type: 'disconnect',
      reasonCode: 0x9d,
      properties: { serverReference: `127.0.0.1:${b.port}` },
    });
    await acceptNext(b);
    await within(new Promise((resolve) => client.once('connect', resolve)), 'reconnected to the reference');
    await client.end();
  });

  it('server reference – parsing: host, host:port, [v6]:port, several, junk skipped', () => {
    assert.deepEqual(parseServerReference('broker2', 1883), [{ host: 'broker2', port: 1883 }]);
    assert.deepEqual(parseServerReference('b2:8883  [::1]:1884 bad:port:x b3', 1883), [
      { host: 'b2', port: 8883 },
      { host: '::1', port: 1884 },
      { host: 'b3', port: 1883 },
    ]);
    assert.deepEqual(parseServerReference('h:70000', 1883), [], 'a port out of range is skipped');
  });

  it('client – end() during a connection attempt drops it: a CONNACK arriving later connects nothing', async () => {
    const client = createClient(`mqtt://127.0.0.1:${a.port}`, { reconnect: { minDelay: 10, maxDelay: 10 } });
    let connects = 0;
    client.on('connect', () => connects++);
    const connecting = client.connect();
    const conn = await a.nextConnection();
    await conn.expect('connect');
    await client.end();
    conn.send(accept);
    await assert.rejects(connecting, ClientClosedError);
    await conn.closed;
    assert.equal(connects, 0, 'no connect event after end()');
    assert.equal(client.connected, false, 'not connected');
  });

  it('servers – a bad entry is an option error', async () => {
    await assert.rejects(
      connect('mqtt://127.0.0.1:1', { servers: [{ host: '' }] }),
      /servers: each entry needs a host/,
    );
    await assert.rejects(connect('mqtt://127.0.0.1:1', { servers: ['a:b:c'] }), /servers: not a host/);
  });
});
