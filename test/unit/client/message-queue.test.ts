// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageQueue, QueueOverflowError } from '../../../src/client/message-queue.js';
import { InvalidArgumentError } from '../../../src/index.js';

describe('message iterators', () => {
  it('iterator – delivers in order, waiting for messages that come later', async () => {
    const q = new MessageQueue<number>(undefined, () => {});
    q.push(1);
    const later = q.next();
    assert.deepEqual(await later, { value: 1, done: false });
    const waiting = q.next();
    q.push(2);
    assert.deepEqual(await waiting, { value: 2, done: false });
    q.end();
    assert.deepEqual(await q.next(), { value: undefined, done: true });
  });

  it('iterator – drop-oldest keeps the newest bufferSize messages and counts the rest', async () => {
    const q = new MessageQueue<number>({ bufferSize: 3 }, () => {});
    for (let i = 1; i <= 5; i++) q.push(i);
    q.end();
    const got: number[] = [];
    for await (const v of q) got.push(v);
    assert.deepEqual(got, [3, 4, 5]);
    assert.equal(q.dropped, 2);
  });

  it('iterator – the error policy ends the iteration with QueueOverflowError after the buffered messages', async () => {
    const q = new MessageQueue<number>({ bufferSize: 2, overflow: 'error' }, () => {});
    q.push(1);
    q.push(2);
    assert.equal(q.push(3), false);
    assert.deepEqual(await q.next(), { value: 1, done: false });
    assert.deepEqual(await q.next(), { value: 2, done: false });
    await assert.rejects(q.next(), QueueOverflowError);
    assert.deepEqual(await q.next(), { value: undefined, done: true });
  });

  it('iterator – breaking out of for-await unregisters it', async () => {
    let returned = 0;
    const q = new MessageQueue<number>(undefined, () => returned++);
    q.push(1);
    q.push(2);
    for await (const v of q) {
      assert.equal(v, 1);
      break;
    }
    assert.equal(returned, 1);
    assert.equal(q.push(3), false, 'a returned iterator takes nothing more');
  });

  it('iterator – a buffer size that is not a positive integer is refused', () => {
    for (const bufferSize of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => new MessageQueue<number>({ bufferSize }, () => {}),
        InvalidArgumentError,
        String(bufferSize),
      );
    }
  });
});
