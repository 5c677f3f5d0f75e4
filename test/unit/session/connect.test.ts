// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: CONNECT contents and the CONNACK handshake (MQTT 3.1.1 §3.1–3.2, MQTT 5.0 §3.1–3.2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnackError, ProtocolError, TimeoutError } from '../../../src/errors.js';
import type { ConnectPacket, ProtocolVersion, Will } from '../../../src/packet/types.js';
import { connack, connackWith, Harness, inbound, summary } from './harness.js';

const encoder = new TextEncoder();

const WILL: Will = {
  topic: 'clients/c1/status',
  payload: encoder.encode('gone'),
  qos: 1,
  retain: true,
  properties: { willDelayInterval: 5, contentType: 'text/plain' },
};

function sentConnect(h: Harness): ConnectPacket {
  const sent = h.sink.takeSent();
  assert.equal(sent.length, 1, 'exactly one packet (CONNECT) is sent on connectionOpened');
  const p = sent[0];
  assert.equal(p?.type, 'connect');
  return p as ConnectPacket;
}

describe('session engine: connect', () => {
  test('connect – CONNECT carries client id, clean flag, keep-alive, credentials and protocol version', () => {
    const password = encoder.encode('secret');
    const h = new Harness({ protocolVersion: 4, username: 'user', password, clean: false, keepAlive: 30 });
    h.open();
    assert.deepEqual(sentConnect(h), {
      type: 'connect',
      protocolVersion: 4,
      clientId: 'c1',
      clean: false,
      keepAlive: 30,
      username: 'user',
      password,
    });
    assert.equal(h.engine.state, 'connecting');
  });

  for (const version of [3, 4] as ProtocolVersion[]) {
    test(`connect – MQTT ${version === 3 ? '3.1' : '3.1.1'} CONNECT has the will without properties and no CONNECT properties`, () => {
      const h = new Harness({ protocolVersion: version, will: WILL, properties: { receiveMaximum: 5 } });
      h.open();
      const c = sentConnect(h);
      assert.equal(c.protocolVersion, version);
      assert.deepEqual(c.will, { topic: WILL.topic, payload: WILL.payload, qos: 1, retain: true });
      assert.equal('properties' in (c.will as Will), false, 'the will has no properties key');
      assert.equal(c.properties, undefined);
    });
  }

  test('connect – MQTT 5 CONNECT carries the will with its properties and the CONNECT properties', () => {
    const h = new Harness({
      protocolVersion: 5,
      will: WILL,
      properties: { receiveMaximum: 5, sessionExpiryInterval: 300 },
    });
    h.open();
    const c = sentConnect(h);
    assert.equal(c.protocolVersion, 5);
    assert.deepEqual(c.will, WILL);
    assert.deepEqual(c.properties, { receiveMaximum: 5, sessionExpiryInterval: 300 });
  });

  test('connect – an accepting CONNACK reports connected and nothing else is sent', () => {
    const h = new Harness();
    h.open();
    h.sink.takeSent();
    const ack = connack();
    h.receive(ack);
    assert.deepEqual(h.sink.connacks, [ack]);
    assert.equal(h.engine.state, 'connected');
    assert.deepEqual(h.sink.closes, []);
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('connect – nothing is reported connected before the CONNACK', () => {
    const h = new Harness();
    h.open();
    assert.deepEqual(h.sink.connacks, []);
    assert.equal(h.engine.state, 'connecting');
  });

  const refusals: Array<[string, ProtocolVersion, number]> = [
    ['MQTT 5 Not authorized', 5, 0x87],
    ['MQTT 5 Server busy', 5, 0x89],
    ['MQTT 3.1.1 return code 4 (mapped to 0x86 Bad user name or password)', 4, 0x86],
    ['MQTT 3.1.1 return code 1 (mapped to 0x84 Unsupported protocol version)', 4, 0x84],
  ];
  for (const [name, version, code] of refusals) {
    test(`connect – a refusing CONNACK closes with ConnackError carrying the reason code: ${name}`, () => {
      const h = new Harness({ protocolVersion: version });
      h.open();
      h.sink.takeSent();
      h.receive(connack({ reasonCode: code }));
      const err = h.sink.closeError();
      assert.ok(err instanceof ConnackError, `got ${String(err)}`);
      assert.equal(err.reasonCode, code);
      assert.deepEqual(h.sink.connacks, []);
      assert.notEqual(h.engine.state, 'connected');
      assert.deepEqual(h.sink.takeSent(), [], 'nothing is sent to a broker that refused the connection');
    });
  }

  test('connect – session present on a clean start: MQTT 5 sends DISCONNECT 0x82, then closes with ProtocolError', () => {
    const h = new Harness({ protocolVersion: 5, clean: true });
    h.open();
    h.sink.takeSent();
    h.receive(connack({ sessionPresent: true }));
    const tail = h.sink.calls.slice(-2);
    assert.equal(tail[0]?.kind, 'send');
    assert.equal(tail[0]?.kind === 'send' && summary(tail[0].packet), 'disconnect 0x82');
    assert.equal(tail[1]?.kind, 'close');
    const err = h.sink.closeError();
    assert.ok(err instanceof ProtocolError, `got ${String(err)}`);
    assert.equal(err.reasonCode, 0x82);
    assert.deepEqual(h.sink.connacks, []);
  });

  test('connect – session present on a clean start: MQTT 3.1.1 closes with ProtocolError and sends no DISCONNECT', () => {
    const h = new Harness({ protocolVersion: 4, clean: true });
    h.open();
    h.sink.takeSent();
    h.receive(connack({ sessionPresent: true }));
    assert.ok(h.sink.closeError() instanceof ProtocolError);
    assert.deepEqual(h.sink.takeSent(), []);
    assert.deepEqual(h.sink.connacks, []);
  });

  for (const version of [4, 5] as ProtocolVersion[]) {
    test(`connect – a packet other than CONNACK first is a protocol error (MQTT ${version})`, () => {
      const h = new Harness({ protocolVersion: version });
      h.open();
      h.sink.takeSent();
      h.receive(inbound('t', 0));
      const err = h.sink.closeError();
      assert.ok(err instanceof ProtocolError, `got ${String(err)}`);
      assert.deepEqual(h.sink.connacks, []);
      assert.deepEqual(h.sink.delivered, [], 'the stray PUBLISH is not delivered');
      if (version === 4) assert.deepEqual(h.sink.takeSent(), []);
    });
  }

  test('connect – no CONNACK within connectTimeout closes with TimeoutError at the deadline', () => {
    const h = new Harness({ connectTimeout: 30_000 });
    h.at(1_000).open();
    assert.equal(h.engine.nextDeadline(), 31_000);
    h.at(30_999).tick();
    assert.deepEqual(h.sink.closes, []);
    h.at(31_000).tick();
    assert.ok(h.sink.closeError() instanceof TimeoutError);
    assert.deepEqual(h.sink.connacks, []);
  });

  test('connect – a CONNACK in time cancels the connect timeout', () => {
    const h = new Harness({ connectTimeout: 30_000, keepAlive: 0 });
    h.open();
    h.at(29_000).receive(connack());
    h.at(31_000).tick();
    assert.deepEqual(h.sink.closes, []);
    assert.equal(h.engine.state, 'connected');
  });

  test('connect – MQTT 5 CONNACK Receive Maximum, Server Keep Alive and Assigned Client Identifier are applied', () => {
    const h = new Harness({ protocolVersion: 5, clientId: '' });
    h.open();
    h.receive(connackWith({ receiveMaximum: 3, serverKeepAlive: 15, assignedClientIdentifier: 'auto-7' }));
    assert.equal(h.engine.brokerLimits.receiveMaximum, 3);
    assert.equal(h.engine.brokerLimits.keepAlive, 15);
    assert.equal(h.engine.clientId, 'auto-7');
    // The next connection uses the assigned identifier.
    h.drop();
    h.sink.takeSent();
    h.open();
    assert.equal(sentConnect(h).clientId, 'auto-7');
  });

  test('connect – without CONNACK properties the defaults apply: Receive Maximum 65535 and the requested keep-alive', () => {
    const h = new Harness({ keepAlive: 45 });
    h.connect();
    assert.equal(h.engine.brokerLimits.receiveMaximum, 65_535);
    assert.equal(h.engine.brokerLimits.keepAlive, 45);
    assert.equal(h.engine.clientId, 'c1');
  });

  test('connect – limits announced on one connection do not carry over to the next', () => {
    const h = new Harness();
    h.open();
    h.receive(connackWith({ receiveMaximum: 2, serverKeepAlive: 5 }));
    h.drop();
    h.connect();
    assert.equal(h.engine.brokerLimits.receiveMaximum, 65_535);
    assert.equal(h.engine.brokerLimits.keepAlive, 60);
  });

  test('connect – disconnect sends DISCONNECT with the reason code (MQTT 5) and closes without an error', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.engine.disconnect(0x04, { reasonString: 'bye' }, h.now);
    assert.deepEqual(h.sink.takeSent(), [
      { type: 'disconnect', reasonCode: 0x04, properties: { reasonString: 'bye' } },
    ]);
    assert.deepEqual(h.sink.closes, [undefined]);
  });

  test('connect – disconnect in MQTT 3.1.1 sends a DISCONNECT with no reason code or properties', () => {
    const h = new Harness({ protocolVersion: 4 });
    h.connect();
    h.engine.disconnect(0x04, { reasonString: 'bye' }, h.now);
    assert.deepEqual(h.sink.takeSent(), [{ type: 'disconnect', reasonCode: 0 }]);
    assert.deepEqual(h.sink.closes, [undefined]);
  });
});
