// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Packet identifiers: 1..65,535, never 0, never one still in use ([MQTT-2.2.1-3] in 3.1.1, [MQTT-2.2.1-3] in 5.0).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublishPacket } from '../../../src/packet/types.js';
import { PacketIdAllocator } from '../../../src/session/packet-ids.js';
import { ack, Harness, idOf, message, sub } from './harness.js';

const none = { idInUse: (): boolean => false };

describe('packet identifiers', () => {
  test('packet ids – the allocator starts at 1 and counts up', () => {
    const a = new PacketIdAllocator();
    assert.deepEqual([a.allocate(none), a.allocate(none), a.allocate(none)], [1, 2, 3]);
  });

  test('packet ids – after 65535 the allocator wraps around to 1, never giving 0', () => {
    const a = new PacketIdAllocator();
    let last = 0;
    for (let i = 1; i <= 65_535; i++) {
      last = a.allocate(none);
      assert.equal(last, i);
    }
    assert.equal(last, 65_535);
    assert.equal(a.allocate(none), 1);
    assert.equal(a.allocate(none), 2);
  });

  test('packet ids – ids in use are skipped, also across the wrap-around', () => {
    const a = new PacketIdAllocator();
    const used = new Set([1, 2, 65_535]);
    const inUse = { idInUse: (id: number): boolean => used.has(id) };
    assert.equal(a.allocate(inUse), 3);
    for (let i = 4; i <= 65_534; i++) a.allocate(inUse);
    // 65,535, 1 and 2 are taken: the next free one is 3 again.
    assert.equal(a.allocate(inUse), 3);
  });

  test('packet ids – 0 when every id is in use', () => {
    const a = new PacketIdAllocator();
    assert.equal(a.allocate({ idInUse: () => true }), 0);
    // and it recovers once one is free
    assert.equal(a.allocate({ idInUse: (id) => id !== 500 }), 500);
  });

  test('packet ids – the engine skips the id of a message still unacknowledged after wrapping around', () => {
    const h = new Harness({ maxInflight: 65_535 });
    h.connect();
    h.publish('held', message('held', 1)); // id 1, never acknowledged
    assert.equal(idOf(h.sink.takeSent()[0]), 1);
    for (let i = 2; i <= 65_535; i++) {
      h.publish(undefined, message('t', 1));
      const p = h.sink.sent[h.sink.sent.length - 1] as PublishPacket;
      assert.equal(p.packetId, i);
      h.receive(ack('puback', i));
    }
    h.sink.takeSent();
    h.publish('next', message('next', 1));
    assert.equal(idOf(h.sink.takeSent()[0]), 2, 'id 1 is still in use');
  });

  test('packet ids – with every id in use, a publication waits in the queue and goes when one is freed', () => {
    const h = new Harness({ maxInflight: 70_000 });
    h.connect();
    for (let i = 1; i <= 65_535; i++) h.publish(undefined, message('t', 1));
    h.sink.takeSent();
    h.publish('waiting', message('waiting', 1));
    assert.deepEqual(h.sink.takeSent(), [], 'no PUBLISH without a free id');
    assert.equal(h.sink.isSettled('waiting'), false, 'not dropped');
    h.receive(ack('puback', 300));
    assert.deepEqual(h.sink.takeSummaries(), ['publish waiting q1 #300']);
  });

  test('packet ids – with every id in use, a subscribe fails instead of reusing one', () => {
    const h = new Harness({ maxInflight: 70_000 });
    h.connect();
    for (let i = 1; i <= 65_535; i++) h.publish(undefined, message('t', 1));
    h.sink.takeSent();
    h.subscribe('s', sub('a'));
    assert.deepEqual(h.sink.takeSent(), []);
    assert.ok(h.sink.settlement('s').error instanceof Error);
  });
});
