// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 session and server features against the scripted broker, which can announce what Mosquitto does not:
// Maximum QoS 0, no retained messages, an assigned client identifier; reason strings and user properties on
// acknowledgements and refusals; the Session Expiry Interval on DISCONNECT.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ClientClosedError,
  connect,
  createClient,
  InvalidArgumentError,
  MemorySessionStore,
  PublishError,
} from '../../src/node.js';
import { within } from '../helpers/clients.js';
import { acceptedClient, type FakeBroker, startFakeBroker } from '../helpers/fake-broker.js';

describe('MQTT 5 session and server features (scripted broker)', () => {
  let fb: FakeBroker;
  before(async () => {
    fb = await startFakeBroker();
  });
  after(async () => {
    await fb.close();
  });

  it('limits – Maximum QoS 0: a QoS 1 publish is refused locally, the connection stays, QoS 0 goes', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, { protocolVersion: 5, reconnect: false });
    const conn = await fb.nextConnection();
    await conn.expect('connect');
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { maximumQoS: 0 } });
    const client = await connecting;
    await assert.rejects(client.publish('t', 'x', { qos: 1 }), InvalidArgumentError);
    await client.publish('t', 'y', { qos: 0 });
    const p = await conn.expect('publish');
    assert.equal(p.qos, 0, 'only the QoS 0 message reached the broker');
    assert.equal(client.connected, true, 'still connected');
    await client.end();
  });

  it('limits – Retain Available 0: a retained publish is refused locally', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, { protocolVersion: 5, reconnect: false });
    const conn = await fb.nextConnection();
    await conn.expect('connect');
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: { retainAvailable: false },
    });
    const client = await connecting;
    await assert.rejects(client.publish('t', 'x', { retain: true }), /does not support retained/);
    assert.equal(client.connected, true, 'still connected');
    await client.end();
  });

  it('acks – reason string and user properties of PUBACK reach the result, and a refusal carries them', async () => {
    const { client, conn } = await acceptedClient(fb, { protocolVersion: 5 });
    const ok = client.publish('a', '1', { qos: 1 });
    const p1 = await conn.expect('publish');
    conn.send({
      type: 'puback',
      packetId: p1.packetId as number,
      reasonCode: 0x10,
      properties: { reasonString: 'no subscribers', userProperties: [['node', 'b7']] },
    });
    const r = await within(ok, 'PUBACK');
    assert.equal(r.reasonCode, 0x10, 'No matching subscribers is a success code');
    assert.equal(r.properties?.reasonString, 'no subscribers', 'reason string');
    assert.deepEqual(r.properties?.userProperties, [['node', 'b7']], 'user properties');
    const refused = client.publish('b', '2', { qos: 1 });
    const p2 = await conn.expect('publish');
    conn.send({
      type: 'puback',
      packetId: p2.packetId as number,
      reasonCode: 0x87,
      properties: { reasonString: 'ACL says no' },
    });
    const e = await refused.then(
      () => assert.fail('accepted'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof PublishError, `a PublishError, got ${String(e)}`);
    assert.equal(e.reasonCode, 0x87, 'reason code');
    assert.equal(e.reasonString, 'ACL says no', 'reason string on the error');
    await client.end();
  });

  it('acks – SUBACK and UNSUBACK properties reach the handle and the result', async () => {
    const { client, conn } = await acceptedClient(fb, { protocolVersion: 5 });
    const subscribing = client.subscribe('x/#', { qos: 1 });
    const s = await conn.expect('subscribe');
    conn.send({
      type: 'suback',
      packetId: s.packetId,
      reasonCodes: [1],
      properties: { reasonString: 'granted at 1', userProperties: [['k', 'v']] },
    });
    const handle = await within(subscribing, 'SUBACK');
    assert.equal(handle.properties?.reasonString, 'granted at 1', 'SUBACK reason string on the handle');
    const unsubscribing = client.unsubscribe('x/#');
    const u = await conn.expect('unsubscribe');
    conn.send({
      type: 'unsuback',
      packetId: u.packetId,
      reasonCodes: [0x11],
      properties: { reasonString: 'none' },
    });
    const r = await within(unsubscribing, 'UNSUBACK');
    assert.deepEqual(r.reasonCodes, [0x11], 'No subscription existed');
    assert.equal(r.properties?.reasonString, 'none', 'UNSUBACK reason string');
    await client.end();
  });

  it('session – an Assigned Client Identifier becomes clientId and is used on the reconnect', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, {
      protocolVersion: 5,
      clientId: '',
      clean: false,
      sessionExpiryInterval: 60,
      reconnect: { minDelay: 10, maxDelay: 10 },
    });
    const first = await fb.nextConnection();
    const c1 = await first.expect('connect');
    assert.equal(c1.clientId, '', 'the first CONNECT asks the broker to assign one');
    first.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: { assignedClientIdentifier: 'assigned-42' },
    });
    const client = await connecting;
    assert.equal(client.clientId, 'assigned-42', 'client.clientId is the assigned one');
    first.destroy();
    const second = await fb.nextConnection();
    const c2 = await second.expect('connect');
    assert.equal(c2.clientId, 'assigned-42', 'the reconnect resumes the same session');
    second.send({ type: 'connack', sessionPresent: true, reasonCode: 0 });
    await within(new Promise((resolve) => client.once('connect', resolve)), 'reconnected');
    await client.end();
  });

  it('session – end({ flush: true }) also waits for messages taken over from a session store (no promise of their own)', async () => {
    const session = new MemorySessionStore();
    const first = createClient(`mqtt://127.0.0.1:${fb.port}`, { session, clean: false, reconnect: false });
    const abandoned = first.publish('carried/over', 'x', { qos: 1 });
    first.destroy();
    await assert.rejects(abandoned, ClientClosedError);
    assert.equal(session.queueLength, 1, 'the message stays in the store');
    const { client, conn } = await acceptedClient(fb, { session, clean: false, protocolVersion: 4 });
    const p = await conn.expect('publish');
    assert.equal(p.topic, 'carried/over', 'the new client sends what the old one left');
    let ended = false;
    const ending = client.end({ flush: true }).then(() => {
      ended = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, false, 'end({ flush }) waits for the PUBACK');
    conn.send({ type: 'puback', packetId: p.packetId as number, reasonCode: 0 });
    await conn.expect('disconnect');
    await within(ending, 'end() after the PUBACK');
  });

  it('session – end() with a Session Expiry Interval sends it on DISCONNECT; 0 → non-zero is refused', async () => {
    const { client, conn } = await acceptedClient(fb, {
      protocolVersion: 5,
      sessionExpiryInterval: 300,
      clean: false,
    });
    const ending = client.end({ properties: { sessionExpiryInterval: 0 } });
    const d = await conn.expect('disconnect');
    assert.equal(d.properties?.sessionExpiryInterval, 0, 'the new expiry rides on the DISCONNECT');
    await ending;
    const other = await acceptedClient(fb, { protocolVersion: 5 });
    await assert.rejects(
      other.client.end({ properties: { sessionExpiryInterval: 60 } }),
      /MQTT-3\.14\.2-2/,
      'a session that ends with the connection cannot get a lifetime on DISCONNECT',
    );
    assert.equal(other.client.connected, true, 'the refused end() left the client connected');
    await other.client.end();
  });
});
