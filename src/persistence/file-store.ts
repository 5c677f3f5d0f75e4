// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A session store on disk, so that a session survives the process: queued and in-flight messages, inbound QoS 2
 * identifiers and subscriptions. Every change is appended to a log as a checksummed record before the method
 * returns (so before the engine puts the packet it implies on the wire), and the state is also kept in memory
 * for reads. The log is rewritten compactly, through a temporary file and a rename, once it has grown well past
 * what it describes. A torn last record (the process died while writing it) is cut off when the log is opened.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, SessionStoreError } from '../errors.js';
import {
  MemorySessionStore,
  type SessionStore,
  type StoredPublish,
  type StoredSubscription,
} from '../session/store.js';
import { acquireLock, type HeldLock, LOCK_REFRESH_MS, LockHeldError } from './lock.js';
import { readLog } from './read-log.js';
import { enqueueRecord, entryRecords, type LogRecord } from './records.js';
import { type FsyncPolicy, SessionLog } from './session-log.js';
import { storeError } from './store-error.js';

export type { FsyncPolicy } from './session-log.js';

/** Options of {@link FileSessionStore}. */
export interface FileSessionStoreOptions {
  /** The directory holding sessions; this client's is a subdirectory named after its client id. */
  directory: string;
  /** The client id whose session this is; the client using the store must have the same one. */
  clientId: string;
  /**
   * `'batched'` (default): every record is written at once (a killed process loses nothing) and flushed to the
   * disk once per event-loop turn, before any publish resolves; a power failure can lose that last turn.
   * `'always'`: flushed after every record (safe against power failure, much slower). `'none'`: left to the
   * operating system (safe against a killed process, not against a power failure).
   */
  fsync?: FsyncPolicy;
  /** Rewrite the log once it is larger than this many bytes and twice what it describes (default 4 MiB). */
  compactAfterBytes?: number;
  /**
   * Called when recording a change fails after the fact (the disk filled up while a message was in flight): the
   * session is still complete in memory, and new messages are refused with the error until the log could be
   * rewritten. Default: nothing (the client's publishes report the error).
   */
  onError?: (error: SessionStoreError) => void;
}

/** What the client tells a store it takes: see {@link FileSessionStore.attach}. */
export interface SessionAttachment {
  clientId: string;
  /** Seconds the broker keeps the session after a disconnect; undefined: for ever (MQTT 3). */
  sessionExpiryInterval: number | undefined;
}

/**
 * A {@link SessionStore} in a directory, for sessions that survive a restart of the process. One process at a time
 * may open a session (a lock file; a lock left by a killed process is taken over).
 *
 * ```ts
 * const session = new FileSessionStore({ directory: './sessions', clientId: 'plant-7' });
 * const client = await connect(url, { clientId: 'plant-7', clean: false, session, sessionExpiryInterval: 86_400 });
 * ```
 */
export class FileSessionStore implements SessionStore {
  /** The session's own directory. */
  readonly path: string;
  /** The client id the session belongs to. */
  readonly clientId: string;
  /**
   * The messages found in the log when it was opened (queued or in flight), oldest first: the application can
   * tell from them where it left off. They are sent once a client takes the store.
   */
  readonly recovered: readonly StoredPublish[];
  /**
   * Set by {@link FileSessionStore.attach} when the stored session had outlived its expiry interval: its inbound
   * QoS 2 identifiers and subscriptions were dropped (the broker has dropped them too). Its messages were kept.
   */
  expired = false;
  private readonly mem = new MemorySessionStore();
  private readonly onError: ((error: SessionStoreError) => void) | undefined;
  private readonly lock: HeldLock;
  private readonly log: SessionLog;
  private liveEstimate = 0;
  private seq: number;
  private expiry: number | undefined;
  private closed = false;
  // QoS 1/2 messages taken off the queue whose `inflight` record has not followed yet.
  private dequeued: StoredPublish[] = [];
  private readonly heartbeat: ReturnType<typeof setInterval>;

  /**
   * Opens (or creates) the session of `options.clientId` under `options.directory`.
   *
   * @throws {SessionStoreError} `MQTT_ERR_STORE` when the directory cannot be created or written, another process
   *   holds the session, or the log is corrupt before its last record (a torn last record is cut off instead).
   * @throws {InvalidArgumentError} for a missing directory or client id, or an unknown fsync policy.
   */
  constructor(options: FileSessionStoreOptions) {
    if (typeof options?.directory !== 'string' || options.directory === '')
      throw new InvalidArgumentError('directory must be a non-empty string');
    if (typeof options.clientId !== 'string' || options.clientId === '')
      throw new InvalidArgumentError('a file session store needs the (non-empty) client id of its session');
    const policy = options.fsync ?? 'batched';
    if (policy !== 'always' && policy !== 'batched' && policy !== 'none')
      throw new InvalidArgumentError(`fsync must be 'always', 'batched' or 'none', got ${String(policy)}`);
    this.onError = options.onError;
    this.clientId = options.clientId;
    this.path = join(options.directory, directoryName(options.clientId));
    try {
      fs.mkdirSync(this.path, { recursive: true });
    } catch (e) {
      throw storeError(`cannot create the session directory ${this.path}`, e, this.path);
    }
    try {
      this.lock = acquireLock(this.path);
    } catch (e) {
      if (e instanceof LockHeldError) throw new SessionStoreError(e.message, { path: this.path });
      throw storeError(`cannot lock the session in ${this.path}`, e, this.path);
    }
    this.log = new SessionLog(this.path, {
      fsync: policy,
      compactAfterBytes: options.compactAfterBytes ?? 4 * 1024 * 1024,
      snapshot: () => this.snapshot(),
      liveBytes: () => this.liveEstimate,
      onError: (e) => this.onError?.(e),
    });
    try {
      const log = readLog(this.log.file);
      if (log.session.clientId !== undefined && log.session.clientId !== this.clientId) {
        throw new SessionStoreError(
          `the session in ${this.path} belongs to client id ${JSON.stringify(log.session.clientId)}`,
          { path: this.path },
        );
      }
      this.seq = log.session.seq;
      this.expiry = log.session.sessionExpiryInterval;
      for (const e of log.session.inflight) this.mem.putInflight(e);
      for (const e of log.session.queue) this.mem.enqueue(e);
      for (const e of [...log.session.inflight, ...log.session.queue]) this.liveEstimate += weight(e);
      for (const id of log.session.incoming) this.mem.addIncoming(id);
      for (const s of log.session.subscriptions) this.mem.putSubscription(s);
      // Copies: the engine changes the live entries as their flows go on.
      this.recovered = [...log.session.inflight, ...log.session.queue]
        .sort((a, b) => a.seq - b.seq)
        .map((e) => ({ ...e }));
      // A fresh or torn log is rewritten whole at once.
      if (log.validBytes === 0 || log.tornBytes > 0) this.log.rewrite();
      else this.log.openForAppend(log.validBytes);
    } catch (e) {
      this.lock.release();
      if (e instanceof SessionStoreError) throw e;
      throw storeError(`cannot open the session log in ${this.path}`, e, this.path);
    }
    this.heartbeat = setInterval(() => this.touch(), LOCK_REFRESH_MS);
    this.heartbeat.unref?.();
  }

  /**
   * Called by the client that takes the store. Checks that the session is this client's, and expires a session
   * not in use for longer than its expiry interval (see {@link FileSessionStore.expired}).
   *
   * @throws {InvalidArgumentError} when the client's id is not the session's.
   */
  attach(client: SessionAttachment): void {
    if (client.clientId !== this.clientId) {
      throw new InvalidArgumentError(
        `the session store holds client id ${JSON.stringify(this.clientId)}'s session, not ${JSON.stringify(client.clientId)}'s`,
      );
    }
    const expiry = this.expiry;
    if (expiry !== undefined && expiry !== 0xffffffff && this.incomingCount > 0) {
      // The log's time is refreshed while the store is open; the margin covers the refresh period, so that the
      // session is taken for expired only once the broker has surely dropped it (too early would forget inbound
      // identifiers the broker still holds, and deliver a resent message twice).
      const idle = Date.now() - this.lastActive();
      if (idle > expiry * 1000 + 2 * LOCK_REFRESH_MS) this.expire();
    }
    if (client.sessionExpiryInterval !== this.expiry) {
      this.expiry = client.sessionExpiryInterval;
      this.write({ kind: 'meta', clientId: this.clientId, sessionExpiryInterval: this.expiry }, false);
    }
  }

  // The broker has dropped the session by now, and with it the inbound QoS 2 identifiers it could resend. The
  // application's messages stay: once the broker confirms it has no session, the engine sends them again as new
  // publications (reported) or fails them, as `resendOnSessionLost` says; the subscriptions stay for `resubscribe`.
  private expire(): void {
    this.expired = true;
    this.clearIncoming();
  }

  /** Resolves once every change recorded so far is on the disk (per the fsync policy); undefined if it is. */
  whenDurable(): Promise<void> | undefined {
    return this.log.whenDurable();
  }

  /**
   * Rewrites the log now, as small as the session allows (the store also does so by itself once the log has
   * grown past `compactAfterBytes` and twice what it describes).
   *
   * @throws {SessionStoreError} when the log cannot be rewritten (the old log is then kept, whole).
   */
  compact(): void {
    if (this.closed) throw new SessionStoreError('the session store is closed', { path: this.path });
    try {
      this.log.rewrite();
    } catch (e) {
      throw storeError(`cannot rewrite the session log in ${this.path}`, e, this.path);
    }
  }

  /** Flushes and closes the log and releases the lock. The store cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.flushDequeued();
    this.closed = true;
    this.log.close();
    clearInterval(this.heartbeat);
    this.lock.release();
  }

  inflight(): IterableIterator<StoredPublish> {
    return this.mem.inflight();
  }
  get inflightCount(): number {
    return this.mem.inflightCount;
  }
  getInflight(packetId: number): StoredPublish | undefined {
    return this.mem.getInflight(packetId);
  }
  putInflight(entry: StoredPublish): void {
    const i = this.dequeued.indexOf(entry);
    if (i >= 0) this.dequeued.splice(i, 1);
    this.write(
      {
        kind: 'inflight',
        seq: entry.seq,
        packetId: entry.packetId,
        stage: entry.stage === 'pubrel' ? 'pubrel' : 'publish',
        sentBefore: entry.sentBefore,
      },
      false,
    );
    this.mem.putInflight(entry);
  }
  deleteInflight(packetId: number): void {
    const entry = this.mem.getInflight(packetId);
    if (entry === undefined) return;
    this.write({ kind: 'deleteInflight', packetId }, false);
    this.mem.deleteInflight(packetId);
    this.liveEstimate = Math.max(0, this.liveEstimate - weight(entry));
  }

  queued(): IterableIterator<StoredPublish> {
    return this.mem.queued();
  }
  get queueLength(): number {
    return this.mem.queueLength;
  }
  get queueBytes(): number {
    return this.mem.queueBytes;
  }
  /**
   * Records a new message (or, with `front`, one of the session's own put back at the head).
   *
   * @throws {SessionStoreError} when a new message cannot be recorded (closed store, full disk): it is then not
   *   queued. A message put back is never refused: it is in the log already, in its old place.
   */
  enqueue(entry: StoredPublish, front?: boolean): void {
    const isNew = front !== true;
    if (isNew && this.closed) throw new SessionStoreError('the session store is closed', { path: this.path });
    this.write(enqueueRecord(entry, !isNew), isNew);
    this.liveEstimate += weight(entry);
    this.mem.enqueue(entry, front);
  }
  peek(): StoredPublish | undefined {
    return this.mem.peek();
  }
  dequeue(): StoredPublish | undefined {
    const entry = this.mem.dequeue();
    if (entry === undefined) return undefined;
    if (entry.message.qos === 0) {
      this.write({ kind: 'dequeue', seq: entry.seq }, false);
      this.liveEstimate = Math.max(0, this.liveEstimate - weight(entry));
    } else {
      // Its `inflight` record normally follows at once and says the same; recording nothing in between means a
      // process killed right here finds the message still queued rather than lost.
      if (this.dequeued.length === 0) queueMicrotask(() => this.flushDequeued());
      this.dequeued.push(entry);
    }
    return entry;
  }

  /** Removes a queued message, recording that at once (it will never be in flight). */
  remove(entry: StoredPublish): boolean {
    if (!this.mem.remove(entry)) return false;
    this.write({ kind: 'dequeue', seq: entry.seq }, false);
    this.liveEstimate = Math.max(0, this.liveEstimate - weight(entry));
    return true;
  }

  hasIncoming(packetId: number): boolean {
    return this.mem.hasIncoming(packetId);
  }
  addIncoming(packetId: number): void {
    this.write({ kind: 'addIncoming', packetId }, false);
    this.mem.addIncoming(packetId);
  }
  deleteIncoming(packetId: number): void {
    if (!this.mem.hasIncoming(packetId)) return;
    this.write({ kind: 'deleteIncoming', packetId }, false);
    this.mem.deleteIncoming(packetId);
  }
  get incomingCount(): number {
    return this.mem.incomingCount;
  }
  clearIncoming(): void {
    if (this.mem.incomingCount === 0) return;
    this.write({ kind: 'clearIncoming' }, false);
    this.mem.clearIncoming();
  }

  subscriptions(): IterableIterator<StoredSubscription> {
    return this.mem.subscriptions();
  }
  putSubscription(entry: StoredSubscription): void {
    this.write({ kind: 'putSubscription', entry }, false);
    this.mem.putSubscription(entry);
  }
  deleteSubscription(topicFilter: string): void {
    this.write({ kind: 'deleteSubscription', topicFilter }, false);
    this.mem.deleteSubscription(topicFilter);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  clear(): void {
    this.dequeued = [];
    this.write({ kind: 'clear' }, false);
    this.mem.clear();
    this.liveEstimate = 0;
  }

  // Appends one record. With `strict`, a failure throws (and nothing changes); otherwise the change stands in
  // memory, the failure is reported, and new messages are refused until the log has caught up (SessionLog.append).
  private write(record: LogRecord, strict: boolean): void {
    // Closed under a running client (close() before end()): the change stands in memory, and is not written.
    if (!this.closed) this.log.append(record, strict);
  }

  private flushDequeued(): void {
    if (this.closed) return;
    const pending = this.dequeued;
    this.dequeued = [];
    for (const e of pending) {
      if (e.packetId !== 0) continue;
      this.write({ kind: 'dequeue', seq: e.seq }, false);
      this.liveEstimate = Math.max(0, this.liveEstimate - weight(e));
    }
  }

  // The records of the whole session as it is in memory, for a rewrite of the log.
  private snapshot(): LogRecord[] {
    this.flushDequeuedInMemory();
    const records: LogRecord[] = [
      { kind: 'meta', clientId: this.clientId, sessionExpiryInterval: this.expiry },
      { kind: 'seq', seq: this.seq },
    ];
    for (const s of this.mem.subscriptions()) records.push({ kind: 'putSubscription', entry: s });
    this.liveEstimate = 0;
    for (const e of [...this.mem.inflight(), ...this.mem.queued()]) {
      records.push(...entryRecords(e));
      this.liveEstimate += weight(e);
    }
    for (const id of this.mem.incomingIds()) records.push({ kind: 'addIncoming', packetId: id });
    return records;
  }

  // A rewrite describes the memory state, where dequeued messages are gone: their `dequeue` records are moot.
  private flushDequeuedInMemory(): void {
    const pending = this.dequeued;
    this.dequeued = [];
    // A QoS 1/2 message dequeued but not yet in flight is still the session's: the rewrite keeps it queued.
    for (const e of pending) if (e.packetId === 0) this.mem.enqueue(e, true);
  }

  private lastActive(): number {
    return this.log.lastModified();
  }

  // While open, the lock and the log's modification time say the session is in use (the log's for the local
  // expiry check).
  private touch(): void {
    if (this.closed) return;
    this.lock.refresh();
    this.log.touch();
  }
}

// Roughly what a message costs in the log (its record and frame).
function weight(e: StoredPublish): number {
  return e.message.payload.length + 3 * e.message.topic.length + 64;
}

// A client id as one directory name, distinct per id on any file system (case-insensitive ones included): kept
// when plainly safe (lower case, digits, `_`, `-`), otherwise a SHA-256 of it — a name no kept id can have.
function directoryName(clientId: string): string {
  if (/^[a-z0-9_-]{1,64}$/.test(clientId) && !clientId.startsWith('h-')) return clientId;
  return `h-${createHash('sha256').update(clientId, 'utf8').digest('hex')}`;
}
