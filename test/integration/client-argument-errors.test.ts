// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Bad arguments to subscribe() and unsubscribe() are refused at the call with InvalidArgumentError, before anything
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
});
