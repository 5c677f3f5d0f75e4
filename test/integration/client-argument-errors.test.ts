// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Bad arguments to subscribe(), unsubscribe() and publish() are refused at the call with InvalidArgumentError, before anything
// is queued: nothing is left pending, and the connection (made afterwards, or already up) is not disturbed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, InvalidArgumentError } from '../../src/node.js';
import { within } from '../helpers/clients.js';
import { acceptedClient, type FakeBroker, startFakeBroker } from '../helpers/fake-broker.js';

describe('argument errors of subscribe / unsubscribe', () => {
  let fb: FakeBroker;
  before(async () => {
    fb = await startFakeBroker();
  });
  after(async () => {
    await fb.close();
  });

  it('arguments – before connecting: bad retainHandling, subscription identifier 0 and an empty filter are refused; connect() still works', async () => {
    const client = createClient(`mqtt://127.0.0.1:${fb.port}`, { protocolVersion: 5, reconnect: false });
    await assert.rejects(client.subscribe('a', { retainHandling: 3 as 0 }), InvalidArgumentError);
    await assert.rejects(
      client.subscribe('a', { properties: { subscriptionIdentifier: 0 } }),
      InvalidArgumentError,
    );
    await assert.rejects(client.unsubscribe(''), InvalidArgumentError);
    await assert.rejects(client.unsubscribe('a/#/b'), InvalidArgumentError);
    const connecting = client.connect();
    const conn = await fb.nextConnection();
    await conn.expect('connect');
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    await within(connecting, 'connect after the refused calls');
    const subscribing = client.subscribe('ok/topic');
    const s = await conn.expect('subscribe');
    assert.deepEqual(
      s.subscriptions.map((x) => x.topicFilter),
      ['ok/topic'],
      'only the valid SUBSCRIBE reached the broker',
    );
    conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [0] });
    await within(subscribing, 'SUBACK');
    await client.end();
  });

  it('arguments – while connected: a refused subscribe leaves nothing pending, and end() settles cleanly', async () => {
    const { client, conn } = await acceptedClient(fb, { protocolVersion: 5 });
    await assert.rejects(client.subscribe('a', { retainHandling: 7 as 0 }), InvalidArgumentError);
    const ending = client.end();
    await conn.expect('disconnect');
    await within(ending, 'end()');
  });

  it('arguments – MQTT 5 properties on an MQTT 3.1.1 client are refused, not dropped unseen; an empty object passes', async () => {
    const { client, conn } = await acceptedClient(fb, { protocolVersion: 4 });
    const v5 = /properties need MQTT 5; this client speaks MQTT 3\.1\.1/;
    await assert.rejects(client.publish('t', 'x', { properties: { messageExpiryInterval: 60 } }), v5);
    await assert.rejects(client.subscribe('t', { properties: { userProperties: [['k', 'v']] } }), v5);
    await assert.rejects(client.unsubscribe('t', { properties: { userProperties: [['k', 'v']] } }), v5);
    const sent = client.publish('t', 'plain', { qos: 1, properties: {} });
    const p = await conn.expect('publish');
    assert.equal(
      new TextDecoder().decode(p.payload),
      'plain',
      'only the publish without properties went out',
    );
    conn.send({ type: 'puback', packetId: p.packetId ?? 0, reasonCode: 0 });
    await within(sent, 'PUBACK');
    const ending = client.end();
    await conn.expect('disconnect');
    await within(ending, 'end()');
  });
});
