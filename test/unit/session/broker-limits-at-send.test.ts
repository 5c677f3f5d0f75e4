// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: what the broker of a connection announced in CONNACK (MQTT 5 §3.2.2.3: Maximum QoS, Retain
// Available, Wildcard / Shared Subscription Available, Subscription Identifiers Available, Maximum Packet Size) is
// checked again when queued work is sent — work made offline, before a failover, or by the engine itself — and
// what that broker cannot take fails with a typed error instead of being sent (the broker would end the connection,
// and the work would go again on every reconnect).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { PacketTooLargeError } from '../../../src/packet/errors.js';
import type { SubscribePacket } from '../../../src/packet/types.js';
import { connackWith, Harness, message, sub } from './harness.js';

/** Opens a connection answered by a CONNACK with `properties`; takes the CONNECT off the sent packets. */
function connectWith(h: Harness, properties: Parameters<typeof connackWith>[0]): void {
  h.open();
  h.sink.takeSent();
  h.receive(connackWith(properties));
}

describe('session engine: broker limits checked when queued work is sent', () => {
  test('limits at send – a queued QoS 2 message fails on a broker with Maximum QoS 1; the rest goes out', () => {
    const h = new Harness();
    h.publish('q2', message('t/q2', 2));
    h.publish('q1', message('t/q1', 1));
    connectWith(h, { maximumQoS: 1 });
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/q1 q1 #1'], 'only what the broker takes is sent');
    const error = h.sink.settlement('q2').error;
    assert.ok(error instanceof InvalidArgumentError, `a typed error, got ${error?.name}`);
    assert.match(error.message, /QoS up to 1/, 'saying what the broker allows');
    assert.equal(h.sink.closes.length, 0, 'the connection stays up');
    assert.equal(h.sink.failures[0]?.message.topic, 't/q2', 'and the failure is reported with the message');
  });

  test('limits at send – a queued retained message fails on a broker without Retain Available', () => {
    const h = new Harness();
    h.publish('r', { ...message('t/r', 1), retain: true });
    h.publish('q0', { ...message('t/q0', 0), retain: true });
    connectWith(h, { retainAvailable: false });
    assert.deepEqual(h.sink.takeSummaries(), [], 'no retained PUBLISH may go [MQTT-3.2.2-14]');
    for (const token of ['r', 'q0'])
      assert.match(h.sink.settlement(token).error?.message ?? '', /retained/, `${token} fails, saying why`);
  });

  test('limits at send – subscriptions queued offline: wildcard and shared ones fail on a broker without them', () => {
    const h = new Harness();
    h.subscribe('wild', sub('a/#'));
    h.subscribe('shared', sub('$share/g/b'));
    h.subscribe('plain', sub('c/d'));
    connectWith(h, { wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false });
    const sent = h.sink.takeSent() as SubscribePacket[];
    assert.deepEqual(
      sent.map((p) => p.subscriptions.map((s) => s.topicFilter)),
      [['c/d']],
      'only the plain subscription is sent',
    );
    assert.match(h.sink.settlement('wild').error?.message ?? '', /wildcard/);
    assert.match(h.sink.settlement('shared').error?.message ?? '', /shared/);
    assert.equal(
      h.engine.idInUse(1) || h.engine.idInUse(2),
      false,
      'the failed requests free their identifiers',
    );
  });

  test('limits at send – an automatic Subscription Identifier is left out where unsupported; an explicit one fails', () => {
    const h = new Harness();
    h.engine.subscribe([sub('auto/t')], { subscriptionIdentifier: 5 }, 'auto', h.now, true);
    h.engine.subscribe([sub('explicit/t')], { subscriptionIdentifier: 6 }, 'explicit', h.now, false);
    connectWith(h, { subscriptionIdentifierAvailable: false });
    const sent = h.sink.takeSent() as SubscribePacket[];
    assert.equal(sent.length, 1, 'one SUBSCRIBE goes');
    assert.equal(sent[0]?.subscriptions[0]?.topicFilter, 'auto/t');
    assert.equal(sent[0]?.properties?.subscriptionIdentifier, undefined, 'without the automatic identifier');
    assert.match(h.sink.settlement('explicit').error?.message ?? '', /subscription identifiers/);
  });

  test('limits at send – a SUBSCRIBE or UNSUBSCRIBE over the Maximum Packet Size fails, at once when connected', () => {
    const h = new Harness();
    connectWith(h, { maximumPacketSize: 200 });
    h.subscribe('big', sub('a'.repeat(500)));
    h.unsubscribe('bigger', 'b'.repeat(500));
    assert.deepEqual(h.sink.takeSent(), [], 'nothing over the limit is sent [MQTT-3.1.2-24]');
    for (const token of ['big', 'bigger']) {
      const error = h.sink.settlement(token).error;
      assert.ok(error instanceof PacketTooLargeError, `${token}: PacketTooLargeError, got ${error?.name}`);
    }
    // Nothing is left to send again: a reconnect to the same broker sends nothing.
    h.drop();
    connectWith(h, { maximumPacketSize: 200 });
    assert.deepEqual(h.sink.takeSent(), [], 'the failed requests are not sent on the next connection');
    assert.equal(h.sink.closes.length, 0, 'and no connection was ended for them');
  });
});
