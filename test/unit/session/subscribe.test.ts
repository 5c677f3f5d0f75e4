// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: SUBSCRIBE / SUBACK and UNSUBSCRIBE / UNSUBACK (MQTT 3.1.1 §3.8–3.11, MQTT 5.0 §3.8–3.11), and
// the subscriptions kept for resubscription.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SubscribePacket } from '../../../src/packet/types.js';
import type { StoredSubscription } from '../../../src/session/store.js';
import { Harness, idOf, message, sub } from './harness.js';

function stored(h: Harness): StoredSubscription[] {
  return [...h.store.subscriptions()];
}

/** Subscribes to `filters` (QoS 1 each) and answers with a SUBACK of `codes`. */
function subscribeAndAck(h: Harness, token: string, filters: string[], codes: number[]): void {
  h.subscribe(token, ...filters.map((f) => sub(f, 1)));
  const [packet] = h.sink.takeSent();
  h.receive({ type: 'suback', packetId: idOf(packet), reasonCodes: codes });
}

describe('session engine: subscribe and unsubscribe', () => {
  test('subscribe – SUBSCRIBE carries every filter with its options and a packet id', () => {
    const h = new Harness();
    h.connect();
    const s1 = { ...sub('a/#', 2), noLocal: true, retainHandling: 2 as const };
    const s2 = sub('b/+', 0);
    h.engine.subscribe([s1, s2], { subscriptionIdentifier: 9 }, 's', h.now);
    const sent = h.sink.takeSent();
    assert.equal(sent.length, 1);
    const p = sent[0] as SubscribePacket;
    assert.equal(p.type, 'subscribe');
    assert.ok(p.packetId >= 1 && p.packetId <= 65_535, 'a non-zero packet id [MQTT-2.3.1-1]');
    assert.deepEqual(p.subscriptions, [s1, s2]);
    assert.deepEqual(p.properties, { subscriptionIdentifier: 9 });
    assert.equal(h.sink.isSettled('s'), false, 'not settled before the SUBACK');
  });

  test('subscribe – SUBACK settles with the reason code of each filter, in order', () => {
    const h = new Harness();
    h.connect();
    subscribeAndAck(h, 's', ['a', 'b', 'c'], [0, 1, 2]);
    assert.deepEqual(h.sink.settlement('s'), {
      token: 's',
      error: undefined,
      result: { reasonCodes: [0, 1, 2], properties: undefined },
    });
  });

  test('subscribe – refused filters (0x80, 0x87) are reported in the result, not as an error', () => {
    const h = new Harness();
    h.connect();
    h.subscribe('s', sub('ok'), sub('bad'), sub('denied'));
    const [p] = h.sink.takeSent();
    h.receive({
      type: 'suback',
      packetId: idOf(p),
      reasonCodes: [1, 0x80, 0x87],
      properties: { reasonString: 'partly refused' },
    });
    const s = h.sink.settlement('s');
    assert.equal(s.error, undefined);
    assert.deepEqual(s.result, {
      reasonCodes: [1, 0x80, 0x87],
      properties: { reasonString: 'partly refused' },
    });
    assert.deepEqual(h.sink.closes, []);
  });

  test('subscribe – granted filters are kept for resubscription, refused ones are not', () => {
    const h = new Harness();
    h.connect();
    subscribeAndAck(h, 's', ['ok/1', 'bad', 'ok/2', 'denied'], [1, 0x80, 0, 0x87]);
    assert.deepEqual(
      stored(h).map((e) => e.subscription.topicFilter),
      ['ok/1', 'ok/2'],
    );
  });

  test('subscribe – MQTT 3.1.1 failure code 0x80 is reported and not kept', () => {
    const h = new Harness({ protocolVersion: 4 });
    h.connect();
    subscribeAndAck(h, 's', ['ok', 'bad'], [1, 0x80]);
    assert.deepEqual((h.sink.settlement('s').result as { reasonCodes: number[] }).reasonCodes, [1, 0x80]);
    assert.deepEqual(
      stored(h).map((e) => e.subscription.topicFilter),
      ['ok'],
    );
  });

  test('subscribe – a kept subscription remembers its SUBSCRIBE properties (MQTT 5)', () => {
    const h = new Harness();
    h.connect();
    h.engine.subscribe([sub('a')], { subscriptionIdentifier: 4 }, 's', h.now);
    h.receive({ type: 'suback', packetId: idOf(h.sink.takeSent()[0]), reasonCodes: [1] });
    assert.deepEqual(stored(h), [{ subscription: sub('a'), properties: { subscriptionIdentifier: 4 } }]);
  });

  test('subscribe – subscribing again to a filter replaces its stored options', () => {
    const h = new Harness();
    h.connect();
    subscribeAndAck(h, 's1', ['a'], [1]);
    h.subscribe('s2', sub('a', 2));
    h.receive({ type: 'suback', packetId: idOf(h.sink.takeSent()[0]), reasonCodes: [2] });
    assert.deepEqual(
      stored(h).map((e) => [e.subscription.topicFilter, e.subscription.qos]),
      [['a', 2]],
    );
  });

  test('subscribe – UNSUBACK settles with its reason codes and forgets the filters', () => {
    const h = new Harness();
    h.connect();
    subscribeAndAck(h, 's', ['a', 'b', 'c'], [1, 1, 1]);
    h.unsubscribe('u', 'a', 'c');
    const [p] = h.sink.takeSent();
    assert.equal(p?.type, 'unsubscribe');
    assert.deepEqual(p?.type === 'unsubscribe' && p.topicFilters, ['a', 'c']);
    h.receive({ type: 'unsuback', packetId: idOf(p), reasonCodes: [0, 0x11] });
    assert.deepEqual(h.sink.settlement('u'), {
      token: 'u',
      error: undefined,
      result: { reasonCodes: [0, 0x11], properties: undefined },
    });
    assert.deepEqual(
      stored(h).map((e) => e.subscription.topicFilter),
      ['b'],
    );
  });

  test('subscribe – MQTT 3.1.1 UNSUBACK (no reason codes) settles with an empty list and forgets the filters', () => {
    const h = new Harness({ protocolVersion: 4 });
    h.connect();
    subscribeAndAck(h, 's', ['a'], [0]);
    h.unsubscribe('u', 'a');
    h.receive({ type: 'unsuback', packetId: idOf(h.sink.takeSent()[0]), reasonCodes: [] });
    assert.deepEqual(h.sink.settlement('u').result, { reasonCodes: [], properties: undefined });
    assert.deepEqual(stored(h), []);
  });

  test('subscribe – a SUBACK with an unknown id, or an UNSUBACK for a SUBSCRIBE id, settles nothing', () => {
    const h = new Harness();
    h.connect();
    h.subscribe('s', sub('a'));
    const id = idOf(h.sink.takeSent()[0]);
    h.receive({ type: 'suback', packetId: id + 100, reasonCodes: [1] });
    h.receive({ type: 'unsuback', packetId: id, reasonCodes: [0] });
    assert.deepEqual(h.sink.settled, []);
    assert.deepEqual(stored(h), []);
    h.receive({ type: 'suback', packetId: id, reasonCodes: [1] });
    assert.equal(h.sink.settlement('s').error, undefined);
  });

  test('subscribe – requests and publications never share a packet id while both are pending', () => {
    const h = new Harness();
    h.connect();
    h.subscribe('s', sub('a'));
    h.publish('p', message('t', 1));
    h.unsubscribe('u', 'b');
    h.publish('q', message('t', 2));
    const ids = h.sink.takeSent().map(idOf);
    assert.equal(new Set(ids).size, 4, `ids ${ids.join(',')}`);
  });
});
