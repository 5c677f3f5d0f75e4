// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: incoming publications — QoS 0/1/2 receiver flows (MQTT 3.1.1 §4.3, MQTT 5.0 §4.3) and the
// client's own Receive Maximum (MQTT 5.0 §3.1.2.11.3, §4.9).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../../src/errors.js';
import type { ProtocolVersion, PublishPacket } from '../../../src/packet/types.js';
import { ack, Harness, inbound } from './harness.js';

describe('session engine: incoming QoS', () => {
  test('incoming – QoS 0 is delivered as received and nothing is sent back', () => {
    const h = new Harness();
    h.connect();
    const p: PublishPacket = {
      ...inbound('t/0', 0),
      retain: true,
      properties: { contentType: 'text/plain' },
    };
    h.receive(p);
    assert.deepEqual(h.sink.delivered, [p]);
    assert.deepEqual(h.sink.takeSent(), []);
  });

  for (const version of [4, 5] as ProtocolVersion[]) {
    test(`incoming – QoS 1 is delivered and acknowledged with PUBACK of its id (MQTT ${version})`, () => {
      const h = new Harness({ protocolVersion: version });
      h.connect();
      h.receive(inbound('t/1', 1, 17));
      assert.equal(h.sink.delivered.length, 1);
      assert.equal(h.sink.delivered[0]?.topic, 't/1');
      assert.deepEqual(h.sink.takeSent(), [{ type: 'puback', packetId: 17, reasonCode: 0 }]);
    });
  }

  test('incoming – QoS 1 is delivered before it is acknowledged', () => {
    const h = new Harness();
    h.connect();
    const from = h.sink.calls.length;
    h.receive(inbound('t/1', 1, 3));
    const kinds = h.sink.calls.slice(from).map((c) => c.kind);
    assert.deepEqual(kinds, ['deliver', 'send']);
  });

  test('incoming – QoS 2 is delivered once with PUBREC; a DUP resend before PUBREL gets PUBREC again, no delivery', () => {
    const h = new Harness();
    h.connect();
    h.receive(inbound('t/2', 2, 5));
    assert.equal(h.sink.delivered.length, 1);
    assert.deepEqual(h.sink.takeSent(), [{ type: 'pubrec', packetId: 5, reasonCode: 0 }]);
    h.receive(inbound('t/2', 2, 5, true));
    assert.equal(h.sink.delivered.length, 1, 'the resend is not delivered again');
    assert.deepEqual(h.sink.takeSent(), [{ type: 'pubrec', packetId: 5, reasonCode: 0 }]);
  });

  test('incoming – PUBREL is answered with PUBCOMP and frees the id: a new message with that id is delivered', () => {
    const h = new Harness();
    h.connect();
    h.receive(inbound('first', 2, 5));
    h.sink.takeSent();
    h.receive(ack('pubrel', 5));
    assert.deepEqual(h.sink.takeSent(), [{ type: 'pubcomp', packetId: 5, reasonCode: 0 }]);
    h.receive(inbound('second', 2, 5));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['first', 'second'],
    );
  });

  const unknownPubrel: Array<[ProtocolVersion, number]> = [
    [5, 0x92],
    [4, 0x00],
  ];
  for (const [version, code] of unknownPubrel) {
    test(`incoming – an unknown PUBREL is still answered with PUBCOMP reason 0x${code.toString(16)} (MQTT ${version})`, () => {
      const h = new Harness({ protocolVersion: version });
      h.connect();
      h.receive(ack('pubrel', 77));
      assert.deepEqual(h.sink.takeSent(), [{ type: 'pubcomp', packetId: 77, reasonCode: code }]);
      assert.deepEqual(h.sink.closes, []);
    });
  }

  test('incoming – QoS 2 messages with different ids are each delivered once', () => {
    const h = new Harness();
    h.connect();
    h.receive(inbound('a', 2, 1));
    h.receive(inbound('b', 2, 2));
    h.receive(inbound('a', 2, 1, true));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a', 'b'],
    );
  });

  test('incoming – MQTT 5 Receive Maximum 2: a third unreleased QoS 2 message → DISCONNECT 0x93 and close(ProtocolError)', () => {
    const h = new Harness({ protocolVersion: 5, properties: { receiveMaximum: 2 } });
    h.connect();
    h.receive(inbound('a', 2, 1));
    h.receive(inbound('b', 2, 2));
    h.sink.takeSent();
    h.receive(inbound('c', 2, 3));
    assert.deepEqual(h.sink.takeSent(), [{ type: 'disconnect', reasonCode: 0x93 }]);
    const err = h.sink.closeError();
    assert.ok(err instanceof ProtocolError, `got ${String(err)}`);
    assert.equal(err.reasonCode, 0x93);
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a', 'b'],
      'the message over the limit is not delivered',
    );
  });

  test('incoming – MQTT 5 Receive Maximum counts only unreleased messages: after PUBREL a third is accepted', () => {
    const h = new Harness({ protocolVersion: 5, properties: { receiveMaximum: 2 } });
    h.connect();
    h.receive(inbound('a', 2, 1));
    h.receive(inbound('b', 2, 2));
    h.receive(ack('pubrel', 1));
    h.receive(inbound('c', 2, 3));
    // A resend of an unreleased one does not count as another message either.
    h.receive(inbound('b', 2, 2, true));
    assert.deepEqual(h.sink.closes, []);
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a', 'b', 'c'],
    );
  });

  test('incoming – QoS 1 messages do not count against the Receive Maximum (they are acknowledged at once)', () => {
    const h = new Harness({ protocolVersion: 5, properties: { receiveMaximum: 1 } });
    h.connect();
    for (let id = 1; id <= 5; id++) h.receive(inbound(`m${id}`, 1, id));
    assert.deepEqual(h.sink.closes, []);
    assert.equal(h.sink.delivered.length, 5);
  });
});
