// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: messages taken out of the queue without being sent — withdrawn by the application (its publish
// aborted), expired, or refused by the connection's broker — leave the queue for good: their slots are free at
// once, and a FileSessionStore records their removal at once, so that neither a restart nor a rewrite of the log
// (compaction) brings them back. Also: work queued for MQTT 5 that meets a connection that fell back to MQTT 3.1.1
// fails with a typed error instead of being thrown or silently stripped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { FileSessionStore } from '../../../src/persistence/file-store.js';
import type { StoredPublish } from '../../../src/session/store.js';
import { connackWith, Harness, message, sub } from './harness.js';

const root = fs.mkdtempSync(join(tmpdir(), 'mqttkit-removal-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function fileStore(): { store: FileSessionStore; reopen: () => FileSessionStore } {
  const options = { directory: join(root, `s${++dirs}`), clientId: 'c', fsync: 'none' as const };
  return { store: new FileSessionStore(options), reopen: () => new FileSessionStore(options) };
}

describe('session engine: messages removed from the queue', () => {
  test('removal – a withdrawn message frees its queue slot at once', () => {
    const h = new Harness({ maxQueued: 2 });
    const a = h.engine.publish(message('t/a', 1), 'a', h.now) as StoredPublish;
    h.engine.publish(message('t/b', 1), 'b', h.now);
    h.engine.withdraw(a);
    h.publish('c', message('t/c', 1));
    assert.equal(h.sink.isSettled('c'), false, 'the third message fits where the withdrawn one was');
    h.connect();
    assert.deepEqual(
      h.sink.takeSummaries(),
      ['publish t/b q1 #1', 'publish t/c q1 #2'],
      'only the others go',
    );
  });

  test('removal – a FileSessionStore records a withdrawal at once: the next process does not send it', () => {
    const { store, reopen } = fileStore();
    const h = new Harness({}, store);
    const gone = h.engine.publish(message('t/withdrawn', 1), 'w', h.now) as StoredPublish;
    h.engine.publish(message('t/kept', 1), 'k', h.now);
    h.engine.withdraw(gone);
    store.close();
    const next = reopen();
    assert.deepEqual(
      next.recovered.map((e) => e.message.topic),
      ['t/kept'],
      'the withdrawn message is not in the session any more',
    );
    next.close();
  });

  test('removal – a message refused at send is gone from a FileSessionStore even if the log is rewritten at once', () => {
    const { store, reopen } = fileStore();
    const h = new Harness({}, store);
    h.publish('q2', message('t/q2', 2));
    h.publish('q1', message('t/q1', 1));
    // A compaction in the same turn as the refusal (from a publishFailed listener, say) must not bring it back.
    h.sink.publishFailed = () => store.compact();
    h.open();
    h.sink.takeSent();
    h.receive(connackWith({ maximumQoS: 1 }));
    assert.deepEqual(h.sink.takeSummaries(), ['publish t/q1 q1 #1'], 'the refused message is not sent, once');
    store.close();
    const next = reopen();
    assert.deepEqual(
      next.recovered.map((e) => e.message.topic),
      ['t/q1'],
      'and the session holds only the message in flight',
    );
    next.close();
  });

  test('removal – work queued with MQTT 5 options fails with a typed error on a connection that fell back to 3.1.1', () => {
    const h = new Harness();
    h.engine.subscribe([{ ...sub('a/b'), noLocal: true }], undefined, 's', h.now);
    h.engine.subscribe([sub('c/d')], { userProperties: [['k', 'v']] }, 'p', h.now);
    h.publish('m', { ...message('t/m', 1), properties: { messageExpiryInterval: 60 } });
    h.publish('plain', message('t/plain', 1));
    h.engine.protocolVersion = 4; // what the client does when the broker refuses MQTT 5 (0x84)
    h.connect();
    assert.deepEqual(
      h.sink.takeSummaries(),
      ['publish t/plain q1 #3'],
      'only what MQTT 3.1.1 can carry is sent (the requests held ids 1 and 2)',
    );
    for (const token of ['s', 'p', 'm']) {
      const error = h.sink.settlement(token).error;
      assert.ok(error instanceof InvalidArgumentError, `${token}: InvalidArgumentError, got ${error?.name}`);
    }
    assert.equal(h.sink.closes.length, 0, 'and the connection stays up');
  });
});
