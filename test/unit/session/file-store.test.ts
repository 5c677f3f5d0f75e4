// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * FileSessionStore: the session survives closing and reopening (and a process dying at any byte of a write);
 * a torn last record is cut off, a corrupt middle is an error; an unwritable directory and a full disk are typed
 * errors that lose nothing already stored; one process per session; compaction keeps the log bounded under load
 * without changing what it describes. A random sequence of operations is checked against the in-memory store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError, SessionStoreError } from '../../../src/errors.js';
import { FileSessionStore, type FileSessionStoreOptions } from '../../../src/persistence/file-store.js';
import { MemorySessionStore, type SessionStore, type StoredPublish } from '../../../src/session/store.js';
import { message, sub } from './harness.js';

const root = fs.mkdtempSync(join(tmpdir(), 'mqttkit-store-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function options(extra: Partial<FileSessionStoreOptions> = {}): FileSessionStoreOptions {
  return { directory: join(root, `s${++dirs}`), clientId: 'client-1', fsync: 'none', ...extra };
}

function logFile(store: FileSessionStore): string {
  return join(store.path, 'session.log');
}

/** Everything a store describes, in comparable form. */
function snapshot(s: SessionStore) {
  const entry = (e: StoredPublish) => ({
    seq: e.seq,
    topic: e.message.topic,
    payload: [...e.message.payload],
    qos: e.message.qos,
    retain: e.message.retain,
    properties: e.message.properties,
    packetId: e.packetId,
    stage: e.stage,
    sentBefore: e.sentBefore,
  });
  const incoming: number[] = [];
  for (let id = 1; id <= 20; id++) if (s.hasIncoming(id)) incoming.push(id);
  return {
    queue: [...s.queued()].map(entry),
    queueBytes: s.queueBytes,
    inflight: [...s.inflight()].map(entry),
    incoming,
    subscriptions: [...s.subscriptions()].sort((a, b) =>
      a.subscription.topicFilter < b.subscription.topicFilter ? -1 : 1,
    ),
  };
}

/** The engine's moves, done on any store: queue a message, send the head, complete a flow. */
function enqueue(s: SessionStore, topic: string, qos: 0 | 1 | 2 = 1, front = false): StoredPublish {
  const e: StoredPublish = {
    seq: s.nextSeq(),
    message: message(topic, qos),
    packetId: 0,
    stage: 'queued',
    sentBefore: false,
  };
  s.enqueue(e, front);
  return e;
}
function sendHead(s: SessionStore, packetId: number): StoredPublish | undefined {
  const head = s.dequeue();
  if (head === undefined || head.message.qos === 0) return head;
  head.packetId = packetId;
  head.stage = 'publish';
  head.sentBefore = true;
  s.putInflight(head);
  return head;
}

describe('file session store', () => {
  test('file store – the whole session comes back after close and reopen, in order, with every field', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'a');
    enqueue(s, 'b', 2);
    const c: StoredPublish = {
      seq: s.nextSeq(),
      message: {
        topic: 'c',
        payload: Uint8Array.of(0, 255, 7),
        qos: 2,
        retain: true,
        properties: {
          contentType: 'x/y',
          correlationData: Uint8Array.of(1, 2),
          userProperties: [['k', 'v']],
          messageExpiryInterval: 60,
        },
      },
      packetId: 0,
      stage: 'queued',
      sentBefore: false,
    };
    s.enqueue(c);
    enqueue(s, 'front', 1, true);
    sendHead(s, 7); // 'front' goes in flight as 7
    const b = sendHead(s, 3); // 'a' as 3
    assert.ok(b !== undefined, 'a head was expected');
    const second = sendHead(s, 9) as StoredPublish; // 'b' (QoS 2) as 9
    second.stage = 'pubrel';
    s.putInflight(second);
    s.deleteInflight(3);
    s.addIncoming(4);
    s.addIncoming(11);
    s.deleteIncoming(4);
    s.putSubscription({
      subscription: sub('x/#', 2),
      properties: { subscriptionIdentifier: 5, userProperties: [['a', 'b']] },
    });
    s.putSubscription({ subscription: { ...sub('y', 1), noLocal: true, retainHandling: 2 } });
    s.putSubscription({ subscription: sub('gone') });
    s.deleteSubscription('gone');
    const before = snapshot(s);
    const lastSeq = Math.max(...[...s.queued(), ...s.inflight()].map((e) => e.seq));
    s.close();

    const again = new FileSessionStore(o);
    assert.deepEqual(snapshot(again), before, 'the reopened session differs');
    assert.ok(
      again.nextSeq() > lastSeq,
      'sequence numbers must continue past every stored message after a reopen',
    );
    assert.deepEqual(
      again.recovered.map((e) => e.message.topic),
      ['b', 'c', 'front'],
      'recovered lists the queued and in-flight messages by sequence',
    );
    again.close();
  });

  test('file store – a process killed at any byte of its last write loses only that record', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'kept-1');
    enqueue(s, 'kept-2');
    const sizeBefore = fs.statSync(logFile(s)).size;
    enqueue(s, 'torn', 1);
    const full = fs.readFileSync(logFile(s));
    s.close();
    const expected = ['kept-1', 'kept-2'];
    for (let cut = sizeBefore + 1; cut < full.length; cut++) {
      fs.writeFileSync(join(o.directory, 'client-1', 'session.log'), full.subarray(0, cut));
      const r = new FileSessionStore(o);
      assert.deepEqual(
        [...r.queued()].map((e) => e.message.topic),
        expected,
        `cut at byte ${cut} of ${full.length}: the torn record must be dropped and the rest kept`,
      );
      // The torn bytes are cut off, so records appended now follow whole ones.
      enqueue(r, 'after');
      r.close();
      const r2 = new FileSessionStore(o);
      assert.deepEqual(
        [...r2.queued()].map((e) => e.message.topic),
        [...expected, 'after'],
        `cut at byte ${cut}: a record written after the repair must read back`,
      );
      r2.close();
    }
  });

  test('file store – garbage after the last record (a torn tail) is ignored, not a crash', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'a');
    s.close();
    fs.appendFileSync(join(o.directory, 'client-1', 'session.log'), Uint8Array.of(0, 0, 0, 40, 1, 2, 3));
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((e) => e.message.topic),
      ['a'],
      'the whole record must survive',
    );
    r.close();
  });

  test('file store – a corrupted record with records after it is an error naming the byte, not silent loss', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'first');
    const middle = fs.statSync(logFile(s)).size;
    enqueue(s, 'second');
    enqueue(s, 'third');
    s.close();
    const file = join(o.directory, 'client-1', 'session.log');
    const bytes = fs.readFileSync(file);
    bytes[middle + 12] = (bytes[middle + 12] as number) ^ 0xff; // inside the body of 'second'
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => new FileSessionStore(o),
      (e: unknown) =>
        e instanceof SessionStoreError &&
        e.code === 'MQTT_ERR_STORE' &&
        e.message.includes(`corrupt at byte ${middle}`) &&
        e.message.includes('checksum'),
      'a corrupt middle record must be reported',
    );
    // The failed open released its lock: after repairing (here: restoring the byte) the session opens.
    bytes[middle + 12] = (bytes[middle + 12] as number) ^ 0xff;
    fs.writeFileSync(file, bytes);
    const r = new FileSessionStore(o);
    assert.equal(r.queueLength, 3, 'the repaired log must open whole');
    r.close();
  });

  test('file store – a directory that cannot be created or written is a typed error naming it', () => {
    const file = join(root, `plain-file-${++dirs}`);
    fs.writeFileSync(file, 'not a directory');
    assert.throws(
      () => new FileSessionStore({ directory: file, clientId: 'c' }),
      (e: unknown) =>
        e instanceof SessionStoreError &&
        e.message.includes('cannot create the session directory') &&
        e.path !== undefined,
      'a directory below a plain file must be refused',
    );
    // Permissions do not stop root (which CI may be), so "permission denied" is simulated at the system call.
    const o = options();
    const open = fs.openSync;
    fs.openSync = ((path: fs.PathLike, ...rest: never[]) => {
      if (String(path).endsWith('session.log.new') || String(path).endsWith('session.log')) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), {
          code: 'EACCES',
        });
      }
      return (open as (...a: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync;
    try {
      assert.throws(
        () => new FileSessionStore(o),
        (e: unknown) => e instanceof SessionStoreError && /permission denied/.test(e.message),
        'an unwritable session directory must be refused with a clear error',
      );
    } finally {
      fs.openSync = open;
    }
    // And the lock was released: once writable, the session opens.
    new FileSessionStore(o).close();
  });

  test('file store – a full disk refuses the new message with a typed error and loses nothing stored', () => {
    const errors: SessionStoreError[] = [];
    const o = options({ onError: (e) => errors.push(e) });
    const s = new FileSessionStore(o);
    enqueue(s, 'a');
    enqueue(s, 'b');
    sendHead(s, 1);
    const write = fs.writeSync;
    let full = true;
    // The disk fills up in the middle of a record: part of it is written, then ENOSPC.
    fs.writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
      if (!full) return (write as (...a: unknown[]) => number)(fd, buffer, offset, length);
      const n = Math.max(1, Math.floor((length ?? buffer.length) / 2));
      (write as (...a: unknown[]) => number)(fd, buffer, offset, n);
      full = n === 0;
      fs.writeSync = (() => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as typeof fs.writeSync;
      return n;
    }) as typeof fs.writeSync;
    try {
      assert.throws(
        () => enqueue(s, 'refused'),
        (e: unknown) => e instanceof SessionStoreError && e.message.includes('the disk is full'),
        'a message that cannot be recorded must be refused with a clear error',
      );
      assert.deepEqual(
        [...s.queued()].map((e) => e.message.topic),
        ['b'],
        'the refused message must not be queued',
      );
      // A change the engine cannot be refused (an acknowledgement) stands in memory and is reported once.
      s.deleteInflight(1);
      assert.equal(errors.length, 1, 'the failed write after the fact must be reported to onError');
      assert.ok(/disk is full/.test(errors[0]?.message ?? ''), 'onError must say why');
      assert.throws(
        () => enqueue(s, 'still-full'),
        SessionStoreError,
        'new messages are refused while the log is behind',
      );
    } finally {
      fs.writeSync = write;
    }
    // Space again: the next message is accepted, and the log is rewritten to include what failed before.
    enqueue(s, 'c');
    s.close();
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((e) => e.message.topic),
      ['b', 'c'],
      'nothing stored may be lost',
    );
    assert.equal(r.inflightCount, 0, 'the acknowledgement recorded late must be in the log');
    r.close();
  });

  test('file store – two processes cannot use one session; a killed owner’s lock is taken over', async () => {
    const o = options();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('${new URL('../../../src/persistence/file-store.ts', import.meta.url).pathname}').then(({ FileSessionStore }) => {
          new FileSessionStore(${JSON.stringify(o)});
          process.stdout.write('open\\n');
          setInterval(() => {}, 1000);
        });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      assert.equal(chunk.toString().trim(), 'open', 'the child must have opened the session');
      assert.throws(
        () => new FileSessionStore(o),
        (e: unknown) => e instanceof SessionStoreError && e.message.includes(`in use by ${child.pid}@`),
        'a second process must be refused, naming the owner',
      );
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const s = new FileSessionStore(o);
    enqueue(s, 'after-kill');
    s.close();
  });

  test('file store – one process cannot open a session twice either', () => {
    const o = options();
    const s = new FileSessionStore(o);
    assert.throws(() => new FileSessionStore(o), SessionStoreError, 'a second open must be refused');
    s.close();
    new FileSessionStore(o).close();
  });

  test('file store – compaction under load keeps the log bounded and the session exact', () => {
    const o = options({ compactAfterBytes: 32 * 1024 });
    const s = new FileSessionStore(o);
    const model = new MemorySessionStore();
    let id = 0;
    let largest = 0;
    for (let round = 0; round < 3_000; round++) {
      for (const store of [s, model]) {
        enqueue(store, `t/${round}`, (round % 3) as 0 | 1 | 2);
      }
      if (round % 2 === 1) {
        id = (id % 60) + 1;
        for (const store of [s, model]) {
          if (store.getInflight(id) !== undefined) store.deleteInflight(id);
          sendHead(store, id);
        }
      }
      // Compaction runs between event-loop turns; run it here as the loop would.
      if (round % 100 === 99) s.compact();
      largest = Math.max(largest, fs.statSync(logFile(s)).size);
    }
    assert.ok(largest < 400 * 1024, `the log must stay bounded by compaction (largest ${largest} bytes)`);
    const before = snapshot(model);
    assert.deepEqual(snapshot(s), before, 'the store must describe the same session as the model');
    s.close();
    const r = new FileSessionStore(o);
    assert.deepEqual(snapshot(r), before, 'the compacted log must reopen to the same session');
    r.close();
  });

  test('file store – random operations, reopened at random points, match the in-memory store', () => {
    type Op =
      | { op: 'enqueue'; qos: 0 | 1 | 2; front: boolean }
      | { op: 'send'; id: number }
      | { op: 'pubrec'; id: number }
      | { op: 'complete'; id: number }
      | { op: 'incoming'; id: number; add: boolean }
      | { op: 'subscribe'; filter: string; add: boolean }
      | { op: 'requeue'; id: number }
      | { op: 'compact' }
      | { op: 'clear' }
      | { op: 'reopen' };
    const op = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          op: fc.constant('enqueue' as const),
          qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
          front: fc.boolean(),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({ op: fc.constant('send' as const), id: fc.integer({ min: 1, max: 8 }) }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant('pubrec' as const), id: fc.integer({ min: 1, max: 8 }) }),
      },
      {
        weight: 3,
        arbitrary: fc.record({ op: fc.constant('complete' as const), id: fc.integer({ min: 1, max: 8 }) }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('incoming' as const),
          id: fc.integer({ min: 1, max: 20 }),
          add: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('subscribe' as const),
          filter: fc.constantFrom('a', 'b/+', '#'),
          add: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('requeue' as const), id: fc.integer({ min: 1, max: 8 }) }),
      },
      { weight: 1, arbitrary: fc.constant({ op: 'compact' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
      { weight: 2, arbitrary: fc.constant({ op: 'reopen' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops: Op[]) => {
        const o = options({ compactAfterBytes: 512 });
        let s = new FileSessionStore(o);
        const model = new MemorySessionStore();
        let names = 0;
        try {
          for (const x of ops) {
            if (x.op === 'reopen') {
              s.close();
              s = new FileSessionStore(o);
              continue;
            }
            if (x.op === 'compact') {
              s.compact();
              continue;
            }
            const name = `m${++names}`;
            for (const store of [s, model] as SessionStore[]) {
              switch (x.op) {
                case 'enqueue':
                  enqueue(store, name, x.qos, x.front);
                  break;
                case 'requeue': {
                  // The session-lost move: back to the head of the queue first, out of flight after.
                  const e = store.getInflight(x.id);
                  if (e === undefined || e.stage !== 'publish') break;
                  e.packetId = 0;
                  e.stage = 'queued';
                  e.sentBefore = false;
                  store.enqueue(e, true);
                  store.deleteInflight(x.id);
                  break;
                }
                case 'send':
                  if (store.getInflight(x.id) === undefined) sendHead(store, x.id);
                  break;
                case 'pubrec': {
                  const e = store.getInflight(x.id);
                  if (e !== undefined && e.message.qos === 2) {
                    e.stage = 'pubrel';
                    store.putInflight(e);
                  }
                  break;
                }
                case 'complete':
                  store.deleteInflight(x.id);
                  break;
                case 'incoming':
                  if (x.add) store.addIncoming(x.id);
                  else store.deleteIncoming(x.id);
                  break;
                case 'subscribe':
                  if (x.add) store.putSubscription({ subscription: sub(x.filter) });
                  else store.deleteSubscription(x.filter);
                  break;
                case 'clear':
                  store.clear();
                  break;
              }
            }
          }
          const want = snapshot(model);
          // Sequence numbers differ between the two (each store numbers its own); compare the rest.
          const strip = (x: ReturnType<typeof snapshot>) => ({
            ...x,
            queue: x.queue.map(({ seq: _, ...r }) => r),
            inflight: x.inflight.map(({ seq: _, ...r }) => r),
          });
          assert.deepEqual(strip(snapshot(s)), strip(want), 'the store differs from the model');
          s.close();
          const r = new FileSessionStore(o);
          assert.deepEqual(strip(snapshot(r)), strip(want), 'the reopened store differs from the model');
          r.close();
        } finally {
          s.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  test('file store – a message dequeued but not yet recorded in flight is still queued after a kill', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'a', 1);
    enqueue(s, 'b', 0);
    s.dequeue(); // 'a': the process dies before its in-flight record
    const file = logFile(s);
    const bytes = fs.readFileSync(file); // what a killed process leaves: no `dequeue` record for a QoS 1 message
    s.close();
    fs.writeFileSync(file, bytes);
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((e) => e.message.topic),
      ['a', 'b'],
      'the QoS 1 message must not be lost',
    );
    r.dequeue();
    r.dequeue(); // QoS 0 'b' is recorded as gone at once: at most once, never sent twice
    r.close();
    const r2 = new FileSessionStore(o);
    assert.deepEqual(
      [...r2.queued()].map((e) => e.message.topic),
      [],
      'dequeued messages must stay dequeued after a clean close',
    );
    r2.close();
  });

  test('file store – a message put back in the queue is in exactly one place whichever record was last', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'a', 2);
    const e = sendHead(s, 5) as StoredPublish;
    // The broker lost the session: back to the queue first, out of flight after (the engine's order).
    e.packetId = 0;
    e.stage = 'queued';
    e.sentBefore = false;
    s.enqueue(e, true);
    const file = logFile(s);
    const killedHere = fs.readFileSync(file);
    s.deleteInflight(5);
    s.close();
    fs.writeFileSync(file, killedHere);
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((x) => x.message.topic),
      ['a'],
      'the message must be queued',
    );
    assert.equal(r.inflightCount, 0, 'and not also in flight');
    r.close();
  });

  test('file store – the client must be the session’s; an expired session keeps only the messages', () => {
    const o = options();
    const s = new FileSessionStore(o);
    assert.throws(
      () => s.attach({ clientId: 'someone-else', sessionExpiryInterval: undefined }),
      InvalidArgumentError,
      'a client with another id must be refused',
    );
    s.attach({ clientId: 'client-1', sessionExpiryInterval: 60 });
    enqueue(s, 'a');
    enqueue(s, 'b', 2);
    sendHead(s, 1);
    s.addIncoming(9);
    s.putSubscription({ subscription: sub('x') });
    s.close();
    // Ten minutes without the session in use, against an expiry of one minute.
    const past = new Date(Date.now() - 600_000);
    fs.utimesSync(join(o.directory, 'client-1', 'session.log'), past, past);
    const r = new FileSessionStore(o);
    assert.equal(r.incomingCount, 1, 'opening alone must not drop anything');
    r.attach({ clientId: 'client-1', sessionExpiryInterval: 60 });
    assert.equal(r.expired, true, 'the application can tell the session expired');
    assert.equal(r.incomingCount, 0, 'inbound QoS 2 identifiers expire with the session');
    assert.equal([...r.subscriptions()].length, 1, 'subscriptions are kept, for resubscribing');
    assert.equal(r.inflightCount + r.queueLength, 2, 'the application’s messages are never dropped');
    r.close();
    const again = new FileSessionStore(o);
    assert.equal(again.incomingCount, 0, 'the expiry is recorded');
    again.attach({ clientId: 'client-1', sessionExpiryInterval: 60 });
    assert.equal(again.expired, false, 'a session just in use has not expired');
    again.close();

    // Erring late, never early: 15 s unused against 10 s of expiry is within the margin of the log's refresh.
    const o2 = options();
    const young = new FileSessionStore(o2);
    young.attach({ clientId: 'client-1', sessionExpiryInterval: 10 });
    young.addIncoming(3);
    young.close();
    const recent = new Date(Date.now() - 15_000);
    fs.utimesSync(join(o2.directory, 'client-1', 'session.log'), recent, recent);
    const kept = new FileSessionStore(o2);
    kept.attach({ clientId: 'client-1', sessionExpiryInterval: 10 });
    assert.equal(kept.expired, false, 'a session maybe still at the broker is not taken for expired');
    assert.equal(kept.incomingCount, 1, 'its inbound identifiers are kept');
    kept.close();
  });

  test('file store – a lock without a live owner is taken over: empty, an earlier process with our id, unrefreshed', () => {
    const lockOf = (o: FileSessionStoreOptions) => join(o.directory, 'client-1', 'lock');
    const cases: [string, (o: FileSessionStoreOptions) => void][] = [
      [
        'an empty lock file (a system crash before it reached the disk)',
        (o) => fs.writeFileSync(lockOf(o), ''),
      ],
      [
        'a lock naming this process id, not held here (a container restart: pid 1 again)',
        (o) => fs.writeFileSync(lockOf(o), `${process.pid}@${hostname()} 0123\n`),
      ],
      [
        'a lock of a running process (pid 1) not refreshed for minutes: its id was reused',
        (o) => {
          fs.writeFileSync(lockOf(o), `1@${hostname()} 0123\n`);
          const old = new Date(Date.now() - 10 * 60_000);
          fs.utimesSync(lockOf(o), old, old);
        },
      ],
    ];
    for (const [what, make] of cases) {
      const o = options();
      new FileSessionStore(o).close();
      make(o);
      const s = new FileSessionStore(o);
      assert.ok(s.queueLength === 0, `opened despite ${what}`);
      s.close();
      assert.ok(!fs.existsSync(lockOf(o)), `the lock is released after ${what}`);
    }
    const o = options();
    new FileSessionStore(o).close();
    fs.writeFileSync(lockOf(o), `1@${hostname()} 0123\n`); // pid 1 runs, and the lock is fresh
    assert.throws(
      () => new FileSessionStore(o),
      (e: unknown) => e instanceof SessionStoreError && e.message.includes('in use by 1@'),
      'a fresh lock of a running process must be respected',
    );
  });

  test('file store – a large record torn by a kill is found and cut off without reading it over and over', () => {
    const o = options();
    const s = new FileSessionStore(o);
    enqueue(s, 'small');
    const before = fs.statSync(logFile(s)).size;
    const big: StoredPublish = {
      seq: s.nextSeq(),
      message: { topic: 'big', payload: randomBytes(8 * 1024 * 1024), qos: 1, retain: false },
      packetId: 0,
      stage: 'queued',
      sentBefore: false,
    };
    s.enqueue(big);
    const full = fs.readFileSync(logFile(s));
    s.close();
    const torn = before + Math.floor((full.length - before) * 0.9);
    fs.writeFileSync(join(o.directory, 'client-1', 'session.log'), full.subarray(0, torn));
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((e) => e.message.topic),
      ['small'],
      'the torn record is dropped',
    );
    r.close();
  });

  test('file store – a message put back in the queue while the disk is full is kept, and written once it can be', () => {
    const o = options();
    const s = new FileSessionStore(o);
    const e = enqueue(s, 'held', 2);
    sendHead(s, 4);
    const write = fs.writeSync;
    fs.writeSync = (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync;
    try {
      // The broker lost the session: back to the queue (never refused), then out of flight.
      e.packetId = 0;
      e.stage = 'queued';
      e.sentBefore = false;
      s.enqueue(e, true);
      s.deleteInflight(4);
      assert.deepEqual(
        [...s.queued()].map((x) => x.message.topic),
        ['held'],
        'the message is still the session’s',
      );
    } finally {
      fs.writeSync = write;
    }
    enqueue(s, 'next'); // space again: the log is rewritten whole, then this one appended
    s.close();
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((x) => x.message.topic),
      ['held', 'next'],
      'nothing stored is lost',
    );
    assert.equal(r.inflightCount, 0, 'and nothing is left in flight');
    r.close();
  });

  test('file store – closed under a running client: the engine’s changes do not throw, new messages are refused', () => {
    const s = new FileSessionStore(options());
    enqueue(s, 'a');
    const e = sendHead(s, 1) as StoredPublish;
    s.close();
    s.deleteInflight(e.packetId); // a PUBACK after close()
    s.addIncoming(2);
    assert.throws(
      () => enqueue(s, 'b'),
      SessionStoreError,
      'a new message must be refused by a closed store',
    );
  });

  test('file store – compact() shrinks the log to the session; on a full disk it throws and keeps the old log', () => {
    const o = options();
    const s = new FileSessionStore(o);
    for (let i = 0; i < 50; i++) {
      enqueue(s, `m${i}`);
      const e = sendHead(s, 1) as StoredPublish;
      s.deleteInflight(e.packetId);
    }
    enqueue(s, 'kept');
    const before = fs.statSync(logFile(s)).size;
    s.compact();
    const after = fs.statSync(logFile(s)).size;
    assert.ok(after < before / 5, `the log must shrink to what it describes: ${before} → ${after} bytes`);
    const openSync = fs.openSync;
    fs.openSync = (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
    }) as typeof fs.openSync;
    try {
      assert.throws(
        () => s.compact(),
        (e: unknown) => e instanceof SessionStoreError && /disk is full/.test(e.message) && e.path === s.path,
        'a compaction that cannot write must say so, naming the session',
      );
    } finally {
      fs.openSync = openSync;
    }
    enqueue(s, 'after');
    s.close();
    assert.throws(() => s.compact(), SessionStoreError, 'a closed store cannot compact');
    const r = new FileSessionStore(o);
    assert.deepEqual(
      [...r.queued()].map((e) => e.message.topic),
      ['kept', 'after'],
      'the failed compaction must lose nothing, and the log stays appendable',
    );
    r.close();
  });

  test('file store – the time a message was handed over (for its expiry) survives a reopen and a compaction', () => {
    const o = options();
    const s = new FileSessionStore(o);
    const timed: StoredPublish = {
      seq: s.nextSeq(),
      message: { ...message('timed', 1), properties: { messageExpiryInterval: 30 } },
      packetId: 0,
      stage: 'queued',
      sentBefore: false,
      queuedAt: 1_700_000_123_456,
    };
    s.enqueue(timed);
    enqueue(s, 'untimed');
    s.close();
    const r = new FileSessionStore(o);
    const times = () => [...r.queued()].map((e) => [e.message.topic, e.queuedAt]);
    assert.deepEqual(
      times(),
      [
        ['timed', 1_700_000_123_456],
        ['untimed', undefined],
      ],
      'after a reopen',
    );
    r.compact();
    r.close();
    const c = new FileSessionStore(o);
    assert.deepEqual(
      [...c.queued()].map((e) => [e.message.topic, e.queuedAt]),
      [
        ['timed', 1_700_000_123_456],
        ['untimed', undefined],
      ],
      'after a compaction',
    );
    c.close();
  });

  test('file store – batched fsync: whenDurable resolves after the flush, and not before', async () => {
    const s = new FileSessionStore(options({ fsync: 'batched' }));
    assert.equal(s.whenDurable(), undefined, 'nothing recorded yet: nothing to wait for');
    enqueue(s, 'a');
    const pending = s.whenDurable();
    assert.ok(pending !== undefined, 'a record not yet flushed must be waited for');
    await pending;
    assert.equal(s.whenDurable(), undefined, 'after the flush nothing is pending');
    s.close();
  });

  test('file store – wrong options are refused with the option named', () => {
    assert.throws(() => new FileSessionStore({ directory: '', clientId: 'c' }), /directory/);
    assert.throws(() => new FileSessionStore({ directory: root, clientId: '' }), /client id/);
    assert.throws(
      () => new FileSessionStore({ directory: root, clientId: 'c', fsync: 'sometimes' as 'none' }),
      /fsync must be/,
    );
    const odd = new FileSessionStore({ directory: root, clientId: '../../etc/passwd' });
    assert.ok(
      odd.path.startsWith(root) && !odd.path.includes('..'),
      `the client id must not escape: ${odd.path}`,
    );
    odd.close();
  });
});
