// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: packets a client must not accept once connected, and the broker's DISCONNECT
// (MQTT 3.1.1 §4.8, MQTT 5.0 §4.13 and §3.14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionError, ProtocolError } from '../../../src/errors.js';
import type { Packet, ProtocolVersion } from '../../../src/packet/types.js';
import { connack, Harness, inbound, sub } from './harness.js';

const SERVER_ONLY_TO_SERVER: Array<[string, Packet]> = [
  ['a second CONNACK', connack()],
  ['SUBSCRIBE', { type: 'subscribe', packetId: 1, subscriptions: [sub('a')] }],
  ['UNSUBSCRIBE', { type: 'unsubscribe', packetId: 1, topicFilters: ['a'] }],
  ['CONNECT', { type: 'connect', protocolVersion: 5, clientId: 'x', clean: true, keepAlive: 0 }],
  ['PINGREQ', { type: 'pingreq' }],
];

describe('session engine: protocol errors', () => {
  for (const [name, packet] of SERVER_ONLY_TO_SERVER) {
    test(`protocol errors – ${name} received when connected: MQTT 5 sends DISCONNECT 0x82 and closes with ProtocolError`, () => {
      const h = new Harness({ protocolVersion: 5 });
      h.connect();
      h.receive(packet);
      assert.deepEqual(h.sink.takeSent(), [{ type: 'disconnect', reasonCode: 0x82 }]);
      const err = h.sink.closeError();
      assert.ok(err instanceof ProtocolError, `got ${String(err)}`);
      assert.equal(err.reasonCode, 0x82);
      assert.equal(h.sink.calls.at(-1)?.kind, 'close', 'DISCONNECT goes before close');
      assert.equal(h.sink.connacks.length, 1, 'a second CONNACK is not reported as a new connection');
    });

    test(`protocol errors – ${name} received when connected: MQTT 3.1.1 closes with ProtocolError, sends nothing`, () => {
      const h = new Harness({ protocolVersion: 4 });
      h.connect();
      h.receive(packet);
      assert.deepEqual(h.sink.takeSent(), []);
      assert.ok(h.sink.closeError() instanceof ProtocolError);
    });
  }

  for (const version of [4, 5] as ProtocolVersion[]) {
    test(`protocol errors – packets arriving after a protocol error are ignored (MQTT ${version})`, () => {
      const h = new Harness({ protocolVersion: version });
      h.connect();
      h.receive({ type: 'pingreq' });
      h.sink.takeSent();
      h.receive(inbound('late', 1, 4));
      h.receive({ type: 'pingreq' });
      assert.deepEqual(h.sink.delivered, []);
      assert.deepEqual(h.sink.takeSent(), []);
      assert.equal(h.sink.closes.length, 1, 'close is called once');
    });
  }

  test('protocol errors – a server DISCONNECT closes with ConnectionError carrying its reason code and properties', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.receive({
      type: 'disconnect',
      reasonCode: 0x8b,
      properties: { reasonString: 'maintenance', serverReference: 'other:1883' },
    });
    const err = h.sink.closeError();
    assert.ok(err instanceof ConnectionError, `got ${String(err)}`);
    assert.equal(err.reasonCode, 0x8b);
    assert.deepEqual(err.properties, { reasonString: 'maintenance', serverReference: 'other:1883' });
    assert.match(err.message, /maintenance/);
    assert.deepEqual(h.sink.takeSent(), [], 'a client does not answer a DISCONNECT');
  });

  test('protocol errors – a server DISCONNECT with Normal disconnection (0x00) still closes with ConnectionError', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.receive({ type: 'disconnect', reasonCode: 0 });
    const err = h.sink.closeError();
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.reasonCode, 0);
  });
});
