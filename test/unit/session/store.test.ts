// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MemorySessionStore: the default, in-process session state behind the SessionStore interface.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySessionStore, type StoredPublish } from '../../../src/session/store.js';
import { message, sub } from './harness.js';

function entry(store: MemorySessionStore, topic: string, packetId = 0): StoredPublish {
  return {
    seq: store.nextSeq(),
    message: message(topic, 1),
    packetId,
    stage: packetId === 0 ? 'queued' : 'publish',
    sentBefore: false,
  };
}

function topics(it: Iterable<StoredPublish>): string[] {
  return [...it].map((e) => e.message.topic);
}

describe('memory session store', () => {
  test('store – the queue is first in, first out; peek leaves the head in place', () => {
    const s = new MemorySessionStore();
    for (const t of ['a', 'b', 'c']) s.enqueue(entry(s, t));
    assert.equal(s.queueLength, 3);
    assert.equal(s.peek()?.message.topic, 'a');
    assert.equal(s.queueLength, 3);
    assert.deepEqual(topics(s.queued()), ['a', 'b', 'c']);
    assert.equal(s.dequeue()?.message.topic, 'a');
    assert.equal(s.dequeue()?.message.topic, 'b');
    assert.equal(s.queueLength, 1);
    assert.equal(s.dequeue()?.message.topic, 'c');
    assert.equal(s.dequeue(), undefined);
    assert.equal(s.peek(), undefined);
    assert.equal(s.queueLength, 0);
  });

  test('store – enqueue at the front puts a message before the others, also after dequeues', () => {
    const s = new MemorySessionStore();
    for (const t of ['a', 'b', 'c']) s.enqueue(entry(s, t));
    s.enqueue(entry(s, 'x'), true);
    assert.deepEqual(topics(s.queued()), ['x', 'a', 'b', 'c']);
    s.dequeue();
    s.dequeue();
    s.enqueue(entry(s, 'y'), true);
    s.enqueue(entry(s, 'z'), true);
    assert.deepEqual(topics(s.queued()), ['z', 'y', 'b', 'c']);
    assert.equal(s.queueLength, 4);
  });

  test('store – a long queue keeps its order and length through many dequeues', () => {
    const s = new MemorySessionStore();
    for (let i = 0; i < 5_000; i++) s.enqueue(entry(s, `m${i}`));
    for (let i = 0; i < 3_000; i++) assert.equal(s.dequeue()?.message.topic, `m${i}`);
    assert.equal(s.queueLength, 2_000);
    s.enqueue(entry(s, 'front'), true);
    s.enqueue(entry(s, 'back'));
    const all = topics(s.queued());
    assert.equal(all.length, 2_002);
    assert.equal(all[0], 'front');
    assert.equal(all[1], 'm3000');
    assert.equal(all[all.length - 2], 'm4999');
    assert.equal(all[all.length - 1], 'back');
  });

  test('store – in-flight messages are kept in first-sent order; updating one keeps its place', () => {
    const s = new MemorySessionStore();
    const a = entry(s, 'a', 5);
    const b = entry(s, 'b', 2);
    const c = entry(s, 'c', 9);
    for (const e of [a, b, c]) s.putInflight(e);
    s.putInflight({ ...a, stage: 'pubrel' });
    assert.deepEqual(topics(s.inflight()), ['a', 'b', 'c']);
    assert.equal(s.getInflight(5)?.stage, 'pubrel');
    assert.equal(s.inflightCount, 3);
    s.deleteInflight(2);
    assert.equal(s.getInflight(2), undefined);
    assert.deepEqual(topics(s.inflight()), ['a', 'c']);
    assert.equal(s.inflightCount, 2);
  });

  test('store – incoming QoS 2 ids are recorded, counted, forgotten and cleared', () => {
    const s = new MemorySessionStore();
    s.addIncoming(1);
    s.addIncoming(2);
    s.addIncoming(2);
    assert.equal(s.incomingCount, 2);
    assert.ok(s.hasIncoming(1));
    s.deleteIncoming(1);
    assert.equal(s.hasIncoming(1), false);
    assert.equal(s.incomingCount, 1);
    s.clearIncoming();
    assert.equal(s.incomingCount, 0);
    assert.equal(s.hasIncoming(2), false);
  });

  test('store – subscriptions are kept by topic filter; a new one for the same filter replaces it', () => {
    const s = new MemorySessionStore();
    s.putSubscription({ subscription: sub('a', 0) });
    s.putSubscription({ subscription: sub('b', 1), properties: { subscriptionIdentifier: 3 } });
    s.putSubscription({ subscription: sub('a', 2) });
    assert.deepEqual(
      [...s.subscriptions()].map((e) => [e.subscription.topicFilter, e.subscription.qos]),
      [
        ['a', 2],
        ['b', 1],
      ],
    );
    s.deleteSubscription('a');
    s.deleteSubscription('not-there');
    assert.deepEqual(
      [...s.subscriptions()],
      [{ subscription: sub('b', 1), properties: { subscriptionIdentifier: 3 } }],
    );
  });

  test('store – nextSeq increases strictly and continues after clear', () => {
    const s = new MemorySessionStore();
    const first = [s.nextSeq(), s.nextSeq(), s.nextSeq()];
    assert.deepEqual(first, [1, 2, 3]);
    s.clear();
    assert.equal(s.nextSeq(), 4);
  });

  test('store – clear forgets queue, in-flight messages, incoming ids and subscriptions', () => {
    const s = new MemorySessionStore();
    s.enqueue(entry(s, 'q'));
    s.putInflight(entry(s, 'f', 1));
    s.addIncoming(3);
    s.putSubscription({ subscription: sub('a') });
    s.clear();
    assert.equal(s.queueLength, 0);
    assert.equal(s.peek(), undefined);
    assert.equal(s.inflightCount, 0);
    assert.deepEqual([...s.inflight()], []);
    assert.equal(s.incomingCount, 0);
    assert.deepEqual([...s.subscriptions()], []);
    s.enqueue(entry(s, 'after'));
    assert.deepEqual(topics(s.queued()), ['after']);
  });
});
