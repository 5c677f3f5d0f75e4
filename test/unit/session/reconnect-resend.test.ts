// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: what happens across a reconnect — resending in-flight messages with a session present
// (MQTT 3.1.1 §4.4 [MQTT-4.4.0-1], MQTT 5.0 §4.4 [MQTT-4.4.0-1/2]), resending as new publications or failing
// them when the broker lost the session, resubscribing, and pending SUBSCRIBE / UNSUBSCRIBE requests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionError, PublishError, QueueFullError } from '../../../src/errors.js';
import type { PublishPacket } from '../../../src/packet/types.js';
import { MemorySessionStore } from '../../../src/session/store.js';
import type { EngineOptions } from '../../../src/session/types.js';
import { ack, connackWith, Harness, idOf, inbound, message, sub } from './harness.js';

/**
 * Connects, then leaves two messages in flight when the connection drops: `a` (QoS 1, id 1) at the 'publish'
 * stage and `b` (QoS 2, id 2) at the 'pubrel' stage (PUBREC received, PUBREL sent, no PUBCOMP).
 */
function dropWithTwoInFlight(overrides: Partial<EngineOptions> = {}): Harness {
  const h = new Harness({ clean: false, ...overrides });
  h.connect();
  h.publish('a', message('t/a', 1));
  h.publish('b', message('t/b', 2));
  h.receive(ack('pubrec', 2));
  assert.deepEqual(h.sink.takeSummaries(), ['publish t/a q1 #1', 'publish t/b q2 #2', 'pubrel #2 0x00']);
  h.drop();
  return h;
}

describe('session engine: reconnect and resend', () => {
  test('reconnect – with session present, in-flight messages are resent in original order: PUBLISH with DUP and its id, then PUBREL', () => {
    const h = dropWithTwoInFlight();
    h.connect({ sessionPresent: true });
    const sent = h.sink.takeSent();
    assert.deepEqual(
      sent.map((p) => p.type),
      ['publish', 'pubrel'],
    );
    const republished = sent[0] as PublishPacket;
    assert.equal(republished.topic, 't/a');
    assert.equal(republished.packetId, 1, 'the same packet identifier');
    assert.equal(republished.dup, true, 'DUP is set on a resent PUBLISH [MQTT-3.3.1-1]');
    assert.deepEqual(sent[1], { type: 'pubrel', packetId: 2, reasonCode: 0 });
    assert.deepEqual(h.sink.settled, [], 'nothing settles on the reconnect itself');
    // The flows complete on the new connection.
    h.receive(ack('puback', 1));
    h.receive(ack('pubcomp', 2));
    assert.equal(h.sink.settlement('a').error, undefined);
    assert.equal(h.sink.settlement('b').error, undefined);
    assert.equal(h.engine.pendingCount, 0);
  });

  test('reconnect – with session present, a QoS 2 message still awaiting PUBREC is resent as PUBLISH with DUP and its id', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.publish('q2', message('t/q2', 2));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/q2 q2 #1']);
    h.drop();
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/q2 q2 #1 dup']);
    h.receive(ack('pubrec', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrel #1 0x00']);
    h.receive(ack('pubcomp', 1));
    assert.equal(h.sink.settlement('q2').error, undefined);
  });

  test('reconnect – the resend respects the window: with Receive Maximum 1 only the first resend goes until it is acknowledged', () => {
    const h = dropWithTwoInFlight();
    h.open();
    h.sink.takeSent();
    h.receive(connackWith({ receiveMaximum: 1 }, true));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/a q1 #1 dup']);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrel #2 0x00']);
    h.receive(ack('pubcomp', 2));
    assert.deepEqual(
      h.sink.settled.map((s) => [s.token, s.error]),
      [
        ['a', undefined],
        ['b', undefined],
      ],
    );
  });

  test('reconnect – the resend respects the window: an engine with maxInflight 1 over the same store resends one at a time', () => {
    const first = dropWithTwoInFlight();
    // A new engine (say, after a restart) takes over the durable session state.
    const h = new Harness({ clean: false, maxInflight: 1 }, first.store);
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/a q1 #1 dup']);
    h.receive(ack('puback', 1));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrel #2 0x00']);
  });

  test('reconnect – with session present, resends go before messages queued while offline, which follow in order', () => {
    const h = dropWithTwoInFlight();
    h.publish('c', message('t/c', 1));
    h.publish('d', message('t/d', 0));
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSummaries(), [
      'publish t/a q1 #1 dup',
      'pubrel #2 0x00',
      'publish t/c q1 #3',
      'publish t/d q0',
    ]);
  });

  test('reconnect – without session present, unacknowledged messages go again as new publications (new ids, no DUP) in order', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.publish('a', message('t/a', 1));
    h.publish('b', message('t/b', 2));
    const before = h.sink.takeSent().map(idOf);
    h.drop();
    h.publish('c', message('t/c', 1));
    h.connect({ sessionPresent: false });
    const sent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(
      sent.map((p) => [p.type, p.topic, p.dup]),
      [
        ['publish', 't/a', false],
        ['publish', 't/b', false],
        ['publish', 't/c', false],
      ],
    );
    const after = sent.map(idOf);
    assert.equal(new Set(after).size, 3);
    for (const id of before) assert.ok(!after.includes(id), `old id ${id} is not carried over`);
    // The tokens follow the messages to their new flows.
    h.receive(ack('puback', after[0] as number));
    h.receive(ack('pubrec', after[1] as number));
    h.receive(ack('pubcomp', after[1] as number));
    h.receive(ack('puback', after[2] as number));
    assert.deepEqual(
      h.sink.settled.map((s) => [s.token, s.error, (s.result as { packetId: number }).packetId]),
      [
        ['a', undefined, after[0]],
        ['b', undefined, after[1]],
        ['c', undefined, after[2]],
      ],
    );
  });

  test('reconnect – without session present, a QoS 2 message whose PUBREC arrived is not published again', () => {
    // PUBREC acknowledges the PUBLISH: the sender treats it as unacknowledged only until PUBREC (5.0 §4.3.3
    // [MQTT-4.3.3-3], 3.1.1 §4.3.3), must not re-send the PUBLISH once it has sent PUBREL (5.0 [MQTT-4.3.3-6]),
    // and resendOnSessionLost resends *unacknowledged* messages (src/session/types.ts). The broker owns `b`
    // already; publishing it again would deliver it twice to subscribers.
    const h = dropWithTwoInFlight();
    h.connect({ sessionPresent: false });
    const sent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(
      sent.filter((p) => p.type === 'publish').map((p) => p.topic),
      ['t/a'],
      'only the unacknowledged QoS 1 message is published again',
    );
    assert.ok(h.sink.isSettled('b'), 'its token does not wait for a PUBCOMP that cannot come');
  });

  test('reconnect – with resendOnSessionLost false, in-flight messages fail with ConnectionError; queued ones still go', () => {
    const h = new Harness({ clean: false, maxInflight: 1, resendOnSessionLost: false });
    h.connect();
    h.publish('a', message('t/a', 1)); // in flight
    h.publish('b', message('t/b', 1)); // waiting for the window, never sent
    h.sink.takeSent();
    h.drop();
    h.connect({ sessionPresent: false });
    const a = h.sink.settlement('a');
    assert.ok(a.error instanceof ConnectionError, `got ${String(a.error)}`);
    assert.equal(h.sink.isSettled('b'), false);
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/b q1 #2']);
  });

  test('reconnect – with resendOnSessionLost false, every in-flight stage fails, none is resent', () => {
    const h = dropWithTwoInFlight({ resendOnSessionLost: false });
    h.connect({ sessionPresent: false });
    assert.ok(h.sink.settlement('a').error instanceof ConnectionError);
    assert.ok(h.sink.isSettled('b'));
    assert.deepEqual(h.sink.takeSent(), []);
    assert.equal(h.engine.pendingCount, 0);
  });

  test('reconnect – messages published before the first connection go out after CONNACK, in order', () => {
    const h = new Harness();
    h.publish('a', message('a', 1));
    h.publish('b', message('b', 0));
    h.publish('c', message('c', 2));
    h.open();
    assert.deepEqual(h.sink.takeSummaries(), ['connect']);
    h.publish('d', message('d', 1)); // while waiting for CONNACK
    assert.deepEqual(h.sink.takeSent(), [], 'nothing but CONNECT before CONNACK');
    h.receive(connackWith({}));
    assert.deepEqual(h.sink.takeSummaries(), [
      'publish a q1 #1',
      'publish b q0',
      'publish c q2 #2',
      'publish d q1 #3',
    ]);
  });

  test('reconnect – without session present, stored subscriptions are subscribed again, one SUBSCRIBE each, without a token', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.subscribe('s', sub('a/#', 1), sub('b', 0));
    const first = h.sink.takeSent();
    h.receive({ type: 'suback', packetId: idOf(first[0]), reasonCodes: [1, 0] });
    h.drop();
    h.sink.settled.length = 0;
    h.connect({ sessionPresent: false });
    const sent = h.sink.takeSent();
    const subscribes = sent.flatMap((p) => (p.type === 'subscribe' ? [p] : []));
    assert.deepEqual(
      subscribes.map((p) => p.subscriptions),
      [[sub('a/#', 1)], [sub('b', 0)]],
      `one SUBSCRIBE per stored subscription, got ${sent.length} packets`,
    );
    for (const p of subscribes) h.receive({ type: 'suback', packetId: p.packetId, reasonCodes: [0] });
    assert.deepEqual(h.sink.settled, [], 'resubscriptions have no token to settle');
    assert.deepEqual(h.sink.closes, []);
  });

  test('reconnect – with session present, nothing is subscribed again', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.subscribe('s', sub('a/#'));
    h.receive({ type: 'suback', packetId: idOf(h.sink.takeSent()[0]), reasonCodes: [1] });
    h.drop();
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('reconnect – with resubscribe false, subscriptions are not restored', () => {
    const h = new Harness({ clean: false, resubscribe: false });
    h.connect();
    h.subscribe('s', sub('a/#'));
    h.receive({ type: 'suback', packetId: idOf(h.sink.takeSent()[0]), reasonCodes: [1] });
    h.drop();
    h.connect({ sessionPresent: false });
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('reconnect – without session present, the incoming QoS 2 record is cleared: the id is a new message', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.receive(inbound('old', 2, 7));
    h.drop();
    h.connect({ sessionPresent: false });
    h.receive(inbound('new', 2, 7));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['old', 'new'],
    );
    assert.equal(h.store.incomingCount, 1);
  });

  test('reconnect – with session present, the incoming QoS 2 record survives: the broker resend is not delivered again', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.receive(inbound('once', 2, 7));
    h.drop();
    h.connect({ sessionPresent: true });
    h.sink.takeSent();
    h.receive(inbound('once', 2, 7, true));
    assert.equal(h.sink.delivered.length, 1);
    assert.deepEqual(h.sink.takeSent(), [{ type: 'pubrec', packetId: 7, reasonCode: 0 }]);
    h.receive(ack('pubrel', 7));
    assert.deepEqual(h.sink.takeSent(), [{ type: 'pubcomp', packetId: 7, reasonCode: 0 }]);
  });

  for (const sessionPresent of [true, false]) {
    test(`reconnect – a SUBSCRIBE awaiting SUBACK when the connection dropped is sent again with its id and settles on the SUBACK (session present: ${sessionPresent})`, () => {
      const h = new Harness({ clean: false });
      h.connect();
      h.subscribe('s', sub('x/+', 2));
      const [original] = h.sink.takeSent();
      h.drop();
      h.connect({ sessionPresent });
      const again = h.sink.takeSent();
      assert.deepEqual(again, [original], 'the same SUBSCRIBE, once');
      h.receive({ type: 'suback', packetId: idOf(original), reasonCodes: [2] });
      assert.deepEqual(h.sink.settlement('s'), {
        token: 's',
        error: undefined,
        result: { reasonCodes: [2], properties: undefined },
      });
    });
  }

  test('reconnect – an UNSUBSCRIBE awaiting UNSUBACK is sent again after reconnect and settles on the UNSUBACK', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.unsubscribe('u', 'x/+');
    const [original] = h.sink.takeSent();
    h.drop();
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSent(), [original]);
    h.receive({ type: 'unsuback', packetId: idOf(original), reasonCodes: [0] });
    assert.equal(h.sink.settlement('u').error, undefined);
  });

  test('reconnect – subscribe and unsubscribe made offline are sent after CONNACK', () => {
    const h = new Harness();
    h.subscribe('s', sub('a'));
    h.unsubscribe('u', 'b');
    h.open();
    assert.deepEqual(h.sink.takeSummaries(), ['connect']);
    h.receive(connackWith({}));
    assert.deepEqual(
      h.sink.takeSent().map((p) => p.type),
      ['subscribe', 'unsubscribe'],
    );
  });

  test('reconnect – abort(err) settles every pending token with err, once', () => {
    const h = new Harness({ clean: false, maxInflight: 1 });
    h.connect();
    h.publish('inflight', message('a', 1));
    h.publish('queued', message('b', 2));
    h.subscribe('sub', sub('s'));
    h.unsubscribe('unsub', 'u');
    h.drop();
    h.publish('offline0', message('c', 0));
    const err = new Error('client ended');
    h.engine.abort(err);
    const tokens = ['inflight', 'queued', 'sub', 'unsub', 'offline0'];
    for (const t of tokens) assert.equal(h.sink.settlement(t).error, err, t);
    assert.equal(h.sink.settled.length, tokens.length);
    // Late acknowledgements settle nothing twice.
    h.connect({ sessionPresent: true });
    for (const p of h.sink.takeSent()) {
      if (p.type === 'publish' && p.packetId !== undefined) h.receive(ack('puback', p.packetId));
    }
    assert.equal(h.sink.settled.length, tokens.length);
  });

  test('reconnect – messages without a promise (taken over from a store) report completion and failure; so do refused ones', () => {
    // What a durable store hands over after a restart: two messages in flight, no token for either.
    const store = new MemorySessionStore();
    for (const [id, topic] of [
      [1, 't/ok'],
      [2, 't/refused'],
    ] as const) {
      store.putInflight({
        seq: id,
        message: message(topic, 1),
        packetId: id,
        stage: 'publish',
        sentBefore: true,
      });
    }
    const h = new Harness({ clean: false, maxQueued: 1 }, store);
    h.connect({ sessionPresent: true });
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/ok q1 #1 dup', 'publish t/refused q1 #2 dup']);
    h.receive(ack('puback', 1));
    h.receive(ack('puback', 2, 0x87));
    assert.deepEqual(
      h.sink.completedWithoutToken.map((c) => [c.message.topic, c.result.packetId]),
      [['t/ok', 1]],
      'the completed one is reported, with its result',
    );
    assert.equal(h.sink.failures.length, 1, 'the refused one is reported');
    const refused = h.sink.failures[0];
    assert.equal(refused?.message.topic, 't/refused', 'naming the message');
    assert.ok(
      refused?.error instanceof PublishError && refused.error.reasonCode === 0x87,
      'with the broker’s reason code',
    );
    assert.deepEqual(h.sink.settled, [], 'no token to settle');

    // A message with a promise that fails is reported both ways.
    h.drop();
    h.publish('queued', message('t/queued', 1));
    h.publish('full', message('t/full', 1));
    assert.ok(h.sink.settlement('full').error instanceof QueueFullError, 'the promise is rejected');
    assert.deepEqual(
      h.sink.failures.slice(1).map((f) => [f.message.topic, f.error.name]),
      [['t/full', 'QueueFullError']],
      'and the failure reported with the message',
    );
    assert.deepEqual(
      h.sink.completedWithoutToken.map((c) => c.message.topic),
      ['t/ok'],
      'a publication with a promise is not reported as one without',
    );
  });
});
