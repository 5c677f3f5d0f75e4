// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: outgoing publications — QoS 0/1/2 flows (MQTT 3.1.1 §4.3, MQTT 5.0 §4.3), the in-flight
// window (MQTT 5.0 §4.9 flow control) and the offline queue.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConnectionError,
  InvalidArgumentError,
  MessageExpiredError,
  PublishError,
  QueueFullError,
} from '../../../src/errors.js';
import type { ProtocolVersion, PublishPacket } from '../../../src/packet/types.js';
import type { StoredPublish } from '../../../src/session/store.js';
import type { PublishResult } from '../../../src/session/types.js';
import { ack, connackWith, Harness, message } from './harness.js';

describe('session engine: outgoing QoS', () => {
  test('outgoing – QoS 0 is sent and settled at once when online', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/0', 0));
    const sent = h.sink.takeSent();
    assert.equal(sent.length, 1);
    const p = sent[0] as PublishPacket;
    assert.equal(p.type, 'publish');
    assert.equal(p.topic, 't/0');
    assert.equal(p.qos, 0);
    assert.equal(p.dup, false);
    assert.equal(p.packetId, undefined, 'a QoS 0 PUBLISH has no packet identifier');
    assert.deepEqual(h.sink.settlement('m'), {
      token: 'm',
      error: undefined,
      result: { packetId: undefined, reasonCode: 0, properties: undefined },
    });
  });

  test('outgoing – QoS 0 published offline is queued (queueQoS0) and goes out after CONNACK', () => {
    const h = new Harness({ queueQoS0: true });
    h.publish('m', message('t/0', 0));
    assert.equal(h.sink.isSettled('m'), false, 'not settled while offline');
    assert.equal(h.engine.pendingCount, 1);
    h.open();
    assert.deepEqual(h.sink.takeSummaries(), ['connect'], 'nothing but CONNECT before the CONNACK');
    h.receive(connackWith({}));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/0 q0']);
    assert.equal(h.sink.settlement('m').error, undefined);
    assert.equal(h.engine.pendingCount, 0);
  });

  test('outgoing – QoS 0 published offline with queueQoS0 false fails at once with ConnectionError', () => {
    const h = new Harness({ queueQoS0: false });
    h.publish('m', message('t/0', 0));
    assert.ok(h.sink.settlement('m').error instanceof ConnectionError);
    h.connect();
    assert.deepEqual(h.sink.takeSent(), [], 'the refused message is not sent later');
  });

  test('outgoing – QoS 1: PUBLISH with a packet id, PUBACK settles with the id and reason code', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/1', 1));
    const sent = h.sink.takeSent();
    assert.equal(sent.length, 1);
    const p = sent[0] as PublishPacket;
    assert.equal(p.qos, 1);
    assert.equal(p.dup, false);
    assert.ok(p.packetId !== undefined && p.packetId >= 1 && p.packetId <= 65_535);
    assert.equal(h.sink.isSettled('m'), false, 'not settled before the PUBACK');
    h.receive(ack('puback', p.packetId, 0x10, { reasonString: 'no subscribers' }));
    const s = h.sink.settlement('m');
    assert.equal(s.error, undefined, 'a reason code below 0x80 is success');
    assert.deepEqual(s.result, {
      packetId: p.packetId,
      reasonCode: 0x10,
      properties: { reasonString: 'no subscribers' },
    } satisfies PublishResult);
    assert.deepEqual(h.sink.takeSent(), [], 'a QoS 1 flow ends with the PUBACK');
    assert.equal(h.engine.pendingCount, 0);
  });

  test('outgoing – a PUBACK with a failure code (MQTT 5 0x87) settles with PublishError', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/1', 1));
    h.sink.takeSent();
    h.receive(ack('puback', 1, 0x87, { reasonString: 'denied' }));
    const s = h.sink.settlement('m');
    assert.ok(s.error instanceof PublishError, `got ${String(s.error)}`);
    assert.equal(s.error.reasonCode, 0x87);
    assert.equal(s.error.reasonString, 'denied');
    assert.equal(s.result, undefined);
    assert.equal(h.engine.pendingCount, 0, 'the refused message is not kept for resending');
  });

  test('outgoing – QoS 2: PUBREC is answered with PUBREL, PUBCOMP settles', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/2', 2));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/2 q2 #1']);
    h.receive(ack('pubrec', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrel #1 0x00']);
    assert.equal(h.sink.isSettled('m'), false, 'not settled on PUBREC');
    h.receive(ack('pubcomp', 1));
    assert.deepEqual(h.sink.takeSent(), []);
    assert.deepEqual(h.sink.settlement('m'), {
      token: 'm',
      error: undefined,
      result: { packetId: 1, reasonCode: 0, properties: undefined },
    });
    assert.equal(h.engine.pendingCount, 0);
  });

  test('outgoing – QoS 2: a repeated PUBREC is answered with PUBREL again and settles nothing', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/2', 2));
    h.receive(ack('pubrec', 1));
    h.receive(ack('pubrec', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/2 q2 #1', 'pubrel #1 0x00', 'pubrel #1 0x00']);
    assert.equal(h.sink.isSettled('m'), false);
  });

  test('outgoing – a PUBREC with failure code 0x80 settles with PublishError and sends no PUBREL', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/2', 2));
    h.sink.takeSent();
    h.receive(ack('pubrec', 1, 0x80));
    assert.deepEqual(h.sink.takeSent(), []);
    const s = h.sink.settlement('m');
    assert.ok(s.error instanceof PublishError);
    assert.equal(s.error.reasonCode, 0x80);
    assert.equal(h.engine.pendingCount, 0);
  });

  test('outgoing – a PUBACK or PUBCOMP for an unknown packet id settles nothing and sends nothing', () => {
    const h = new Harness();
    h.connect();
    h.publish('m', message('t/1', 1));
    h.sink.takeSent();
    h.receive(ack('puback', 42));
    h.receive(ack('pubcomp', 43));
    assert.deepEqual(h.sink.settled, []);
    assert.deepEqual(h.sink.takeSent(), []);
  });

  const unknownPubrec: Array<[ProtocolVersion, number]> = [
    [5, 0x92],
    [4, 0x00],
  ];
  for (const [version, code] of unknownPubrec) {
    test(`outgoing – a PUBREC for an unknown id is answered with PUBREL reason 0x${code.toString(16)} (MQTT ${version})`, () => {
      const h = new Harness({ protocolVersion: version });
      h.connect();
      h.receive(ack('pubrec', 9));
      assert.deepEqual(h.sink.takeSent(), [{ type: 'pubrel', packetId: 9, reasonCode: code }]);
      assert.deepEqual(h.sink.settled, []);
    });
  }

  test('outgoing – publication properties are sent in MQTT 5, and refused (not dropped unseen) in MQTT 3.1.1', () => {
    for (const version of [5, 4] as ProtocolVersion[]) {
      const h = new Harness({ protocolVersion: version });
      h.connect();
      h.publish('m', { ...message('t', 1), properties: { contentType: 'text/plain' } });
      const p = h.sink.takeSent()[0] as PublishPacket | undefined;
      if (version === 5) assert.deepEqual(p?.properties, { contentType: 'text/plain' });
      else {
        assert.equal(p, undefined, 'nothing is sent');
        assert.ok(
          h.sink.settlement('m').error instanceof InvalidArgumentError,
          'the publication fails, typed',
        );
      }
    }
  });

  test('outgoing – with broker Receive Maximum 1 only one is in flight; the next goes on its ack, in order', () => {
    const h = new Harness({ maxInflight: 10 });
    h.open();
    h.receive(connackWith({ receiveMaximum: 1 }));
    h.sink.takeSent();
    h.publish('a', message('a', 1));
    h.publish('b', message('b', 2));
    h.publish('c', message('c', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q1 #1']);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish b q2 #2']);
    // A QoS 2 flow holds its slot until PUBCOMP, not PUBREC (MQTT 5.0 §4.9).
    h.receive(ack('pubrec', 2));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrel #2 0x00']);
    h.receive(ack('pubcomp', 2));
    assert.deepEqual(h.sink.takeSummaries(), ['publish c q1 #3']);
    h.receive(ack('puback', 3));
    assert.deepEqual(
      h.sink.settled.map((s) => [s.token, s.error]),
      [
        ['a', undefined],
        ['b', undefined],
        ['c', undefined],
      ],
    );
  });

  test('outgoing – a failed PUBREC frees the window slot for the next message', () => {
    const h = new Harness({ maxInflight: 1 });
    h.connect();
    h.publish('a', message('a', 2));
    h.publish('b', message('b', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q2 #1']);
    h.receive(ack('pubrec', 1, 0x97));
    assert.deepEqual(h.sink.takeSummaries(), ['publish b q1 #2']);
  });

  test('outgoing – maxInflight caps the window when the broker allows more', () => {
    const h = new Harness({ maxInflight: 2 });
    h.connect();
    for (const t of ['a', 'b', 'c']) h.publish(t, message(t, 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q1 #1', 'publish b q1 #2']);
    h.receive(ack('puback', 2));
    assert.deepEqual(h.sink.takeSummaries(), ['publish c q1 #3']);
  });

  test('outgoing – a QoS 0 message does not overtake QoS 1 messages waiting for the window', () => {
    const h = new Harness({ maxInflight: 1 });
    h.connect();
    h.publish('a', message('a', 1));
    h.publish('b', message('b', 1));
    h.publish('c', message('c', 0));
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q1 #1']);
    assert.equal(h.sink.isSettled('c'), false);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish b q1 #2', 'publish c q0']);
    assert.equal(h.sink.settlement('c').error, undefined);
  });

  test('outgoing – a full offline queue refuses the message with QueueFullError and keeps the queued ones', () => {
    const h = new Harness({ maxQueued: 2 });
    h.publish('a', message('a', 1));
    h.publish('b', message('b', 0));
    h.publish('c', message('c', 2));
    const s = h.sink.settlement('c');
    assert.ok(s.error instanceof QueueFullError, `got ${String(s.error)}`);
    assert.deepEqual(
      h.sink.settled.map((x) => x.token),
      ['c'],
    );
    h.connect();
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q1 #1', 'publish b q0']);
  });

  test('outgoing – the queue bound also holds online when the window is full', () => {
    const h = new Harness({ maxInflight: 1, maxQueued: 1 });
    h.connect();
    h.publish('a', message('a', 1)); // in flight
    h.publish('b', message('b', 1)); // queued
    h.publish('c', message('c', 1)); // refused
    assert.ok(h.sink.settlement('c').error instanceof QueueFullError);
    assert.deepEqual(h.sink.takeSummaries(), ['publish a q1 #1']);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish b q1 #2']);
    h.receive(ack('puback', 2));
    assert.deepEqual(h.sink.takeSent(), [], 'the refused message never goes out');
    assert.equal(h.sink.settlement('a').error, undefined);
    assert.equal(h.sink.settlement('b').error, undefined);
  });

  test('outgoing – packet ids are not reused while a message holding them is unacknowledged', () => {
    const h = new Harness({ maxInflight: 3 });
    h.connect();
    h.publish('a', message('a', 1));
    h.publish('b', message('b', 1));
    h.receive(ack('puback', 2));
    h.publish('c', message('c', 1));
    h.publish('d', message('d', 1));
    const ids = h.sink.takeSent().map((p) => (p as PublishPacket).packetId);
    assert.equal(new Set(ids).size, ids.length, `ids ${ids.join(',')} must be distinct while in flight`);
  });
});

describe('session engine: transport backpressure', () => {
  test('backpressure – while the transport is congested nothing new is sent; QoS 0 waits in the bounded queue', () => {
    const h = new Harness({ maxQueued: 2 });
    h.connect();
    h.engine.transportCongested();
    h.publish('a', message('t/a', 0));
    h.publish('b', message('t/b', 1));
    h.publish('c', message('t/c', 0));
    assert.deepEqual(h.sink.takeSummaries(), [], 'nothing goes into a full transport buffer');
    assert.equal(h.sink.isSettled('a'), false, 'a QoS 0 message is not written yet, so not settled');
    assert.ok(h.sink.settlement('c').error instanceof QueueFullError, 'past maxQueued it is refused');
    h.engine.transportDrained(h.now);
    assert.deepEqual(
      h.sink.takeSummaries(),
      ['publish t/a q0', 'publish t/b q1 #1'],
      'once drained, what waited goes in order',
    );
    assert.equal(h.sink.settlement('a').error, undefined, 'and the QoS 0 message is settled as written');
  });

  test('backpressure – a new connection starts uncongested; a drain without congestion changes nothing', () => {
    const h = new Harness();
    h.connect();
    h.engine.transportCongested();
    h.drop();
    h.connect();
    h.publish('a', message('t/a', 0));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/a q0'], 'the new connection takes messages at once');
    h.engine.transportDrained(h.now);
    assert.deepEqual(h.sink.takeSummaries(), [], 'a drain sends nothing by itself');
  });
});

describe('session engine: queued messages that expire or are withdrawn', () => {
  const expiring = (topic: string, qos: 0 | 1 | 2, seconds: number) => ({
    ...message(topic, qos),
    properties: { messageExpiryInterval: seconds },
  });

  test('expiry – a queued message goes out with its Message Expiry Interval less the time it waited', () => {
    const h = new Harness();
    h.publish('m', expiring('t/m', 1, 60));
    h.advance(25_400);
    h.connect();
    const [p] = h.sink.takeSent() as PublishPacket[];
    assert.equal(p?.properties?.messageExpiryInterval, 35, '60 s less 25 whole seconds waited');
  });

  test('expiry – a message whose interval passed while queued is dropped with MessageExpiredError, not sent', () => {
    const h = new Harness();
    h.publish('old', expiring('t/old', 1, 10));
    h.publish('q0', expiring('t/q0', 0, 10));
    h.publish('fresh', message('t/fresh', 1));
    h.advance(10_000);
    h.connect();
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/fresh q1 #1'], 'only the unexpired message is sent');
    for (const token of ['old', 'q0']) {
      const error = h.sink.settlement(token).error;
      assert.ok(error instanceof MessageExpiredError, `${token}: MessageExpiredError, got ${error?.name}`);
      assert.equal(error.expiryInterval, 10);
    }
    assert.deepEqual(
      h.sink.failures.map((f) => f.message.topic),
      ['t/old', 't/q0'],
      'publishFailed names the expired messages',
    );
  });

  test('withdraw – a queued message withdrawn by its publisher is never sent; one in flight is not taken back', () => {
    const h = new Harness({ maxInflight: 1 });
    h.connect();
    const first = h.engine.publish(message('t/first', 1), 'first', h.now);
    const second = h.engine.publish(message('t/second', 1), 'second', h.now);
    const third = h.engine.publish(message('t/third', 1), 'third', h.now);
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/first q1 #1'], 'the window holds one');
    h.engine.withdraw(first as StoredPublish); // already sent: stays
    h.engine.withdraw(second as StoredPublish);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/third q1 #2'], 'the withdrawn message is skipped');
    assert.equal(h.sink.settlement('first').error, undefined, 'the one in flight completes');
    assert.equal(
      h.sink.isSettled('second'),
      false,
      'the withdrawn one is settled by its abort, not by the engine',
    );
    assert.equal(h.sink.failures.length, 0, 'a withdrawal is not a failure');
    assert.ok(third !== undefined);
    h.receive(ack('puback', 2));
    assert.equal(h.engine.pendingCount, 0, 'nothing is left');
    assert.ok(h.sink.idles > 0, 'and the engine says so');
  });
});

describe('session engine: the queue is bounded in bytes too', () => {
  const big = (topic: string, size: number) => ({ ...message(topic, 1), payload: new Uint8Array(size) });

  test('queue bytes – past maxQueuedBytes a message is refused with QueueFullError; an empty queue takes any size', () => {
    const h = new Harness({ maxQueuedBytes: 1_000 });
    h.publish('huge', big('t/huge', 5_000)); // offline: queued, alone
    h.publish('next', big('t/next', 10));
    assert.ok(h.sink.settlement('next').error instanceof QueueFullError, 'nothing more fits behind it');
    assert.match(h.sink.settlement('next').error?.message ?? '', /1000 bytes/, 'naming the bound reached');
    h.connect();
    h.receive(ack('puback', 1));
    assert.equal(h.sink.settlement('huge').error, undefined, 'the large one went out');
    h.drop();
    h.publish('a', big('t/a', 400));
    h.publish('b', big('t/b', 400));
    h.publish('c', big('t/c', 400));
    assert.equal(
      h.store.queueLength,
      2,
      'two of 400 bytes (and their topics) fit in 1,000; the third does not',
    );
    assert.ok(h.sink.settlement('c').error instanceof QueueFullError);
    assert.equal(h.store.queueBytes, 2 * (400 + 3), 'the store counts payload and topic bytes');
    h.connect();
    assert.equal(h.store.queueBytes, 0, 'and forgets them as they leave the queue');
  });
});
