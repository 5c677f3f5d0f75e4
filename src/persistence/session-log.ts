// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The log file of a FileSessionStore: appends records, flushes them to the disk as the fsync policy says,
 * and replaces itself whole by a snapshot of the session (through a temporary file and a rename) — to compact
 * once it has grown well past what it describes, and to catch up after a failed write. What the records mean is
 * the store's business, not this file's.
 *
 * @module
 */
import fs from 'node:fs';
import { join } from 'node:path';
import type { SessionStoreError } from '../errors.js';
import { encodeRecord, LOG_HEADER, type LogRecord } from './records.js';
import { storeError } from './store-error.js';

/** When the log is flushed to the disk itself (`fsync`), beyond the operating system's buffers. */
export type FsyncPolicy = 'always' | 'batched' | 'none';

/** The name of the log in a session's directory. */
export const LOG_FILE = 'session.log';

// After a failed write, how often the log may try to rewrite itself whole (a rewrite is O(session)).
const RETRY_REWRITE_MS = 1_000;

/** What a {@link SessionLog} needs from its store. */
export interface SessionLogOptions {
  fsync: FsyncPolicy;
  /** Rewrite the log once it is larger than this many bytes and twice {@link SessionLogOptions.liveBytes}. */
  compactAfterBytes: number;
  /** The records describing the whole session as it is now, for a rewrite. */
  snapshot(): LogRecord[];
  /** Roughly how many bytes of log the session needs now. */
  liveBytes(): number;
  /** Told once of a failure that a method could not throw (see {@link SessionLog.append}). */
  onError(error: SessionStoreError): void;
}

/** An open session log, appended to. */
export class SessionLog {
  /** Bytes in the log, up to the last whole record. */
  size = 0;
  private fd = -1;
  private syncPending = false;
  private syncWaiters: (() => void)[] = [];
  private closed = false;
  private compactPending = false;
  // Set after a write failed: the log is behind the session until a rewrite succeeds.
  private failure: SessionStoreError | undefined;
  private lastRewriteAttempt = 0;
  private readonly fsync: FsyncPolicy;

  /** @param directory - the session's directory, holding {@link LOG_FILE}. */
  constructor(
    readonly directory: string,
    private readonly o: SessionLogOptions,
  ) {
    this.fsync = o.fsync;
  }

  /** The log's path. */
  get file(): string {
    return join(this.directory, LOG_FILE);
  }

  /** Opens the existing log for appending after its first `validBytes` (the whole records). */
  openForAppend(validBytes: number): void {
    this.fd = fs.openSync(this.file, 'a');
    this.size = validBytes;
  }

  /**
   * Appends one record, and schedules its flush and, when the log has grown enough, a compaction. Nothing is
   * written once the log is closed.
   *
   * A write that fails is cut back to the last whole record. With `strict`, the failure is thrown, and the change
   * must not be made. Otherwise it is reported to `onError` (once), the change stands in the session, and the log
   * is behind it: records are no longer appended, the log tries to rewrite itself whole from a snapshot (at most
   * once a second), and every strict append first tries that rewrite and throws while it fails.
   *
   * @throws {SessionStoreError} with `strict`, when the record cannot be written.
   */
  append(record: LogRecord, strict: boolean): void {
    if (this.closed) return;
    if (this.failure !== undefined) {
      // The caller makes the change right after: rewrite once it has, so that the snapshot has it.
      if (!strict) {
        queueMicrotask(() => this.catchUp(false));
        return;
      }
      this.catchUp(true);
    }
    const bytes = encodeRecord(record);
    try {
      writeAll(this.fd, bytes);
    } catch (e) {
      this.cutBack();
      const error = this.writeError(e);
      if (strict) throw error;
      this.fail(error);
      return;
    }
    this.size += bytes.length;
    if (this.fsync === 'always') this.sync();
    else if (this.fsync === 'batched' && !this.syncPending) {
      this.syncPending = true;
      setImmediate(() => this.sync());
    }
    if (this.size > this.o.compactAfterBytes && this.size > 2 * this.o.liveBytes() && !this.compactPending) {
      this.compactPending = true;
      setImmediate(() => this.compact());
    }
  }

  /** Resolves once every record appended so far is on the disk (per the fsync policy); undefined if it is. */
  whenDurable(): Promise<void> | undefined {
    if (!this.syncPending) return undefined;
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Replaces the log by the session's snapshot: writes it to a new file beside the log, flushes that, and renames
   * it over the log, so that one of the two is whole at every moment. Catches a log that was behind up.
   *
   * @throws the file system's error; the old log is then untouched and still appended to.
   */
  rewrite(): void {
    const chunks = [LOG_HEADER, ...this.o.snapshot().map(encodeRecord)];
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const file = this.file;
    const temp = `${file}.new`;
    const fd = fs.openSync(temp, 'w');
    try {
      for (const c of chunks) writeAll(fd, c);
      if (this.fsync !== 'none') fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    fs.renameSync(temp, file);
    if (this.fsync !== 'none') syncDirectory(this.directory);
    // The new descriptor first: a failure here leaves the old one, still valid (on the replaced file).
    const appendFd = fs.openSync(file, 'a');
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = appendFd;
    this.size = total;
    this.failure = undefined;
  }

  /** When the log was last changed or {@link SessionLog.touch}ed (ms since the epoch; now if unknown). */
  lastModified(): number {
    try {
      return fs.fstatSync(this.fd).mtimeMs;
    } catch {
      return Date.now();
    }
  }

  /** Sets the log's modification time to now: the session is in use. */
  touch(): void {
    if (this.closed) return;
    try {
      const now = new Date();
      fs.futimesSync(this.fd, now, now);
    } catch {
      // Only the local expiry check reads this; a failure here is not worth reporting.
    }
  }

  /** Flushes what is pending and closes the file. */
  close(): void {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Closing is best effort: the records are written already.
    }
  }

  private sync(): void {
    this.syncPending = false;
    if (this.fsync !== 'none' && !this.closed) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        this.fail(storeError(`cannot flush the session log in ${this.directory}`, e, this.directory));
      }
    }
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  // A compaction that fails (a full disk) leaves the log as it was, whole: nothing is lost, and it is tried again
  // later, at most once a second.
  private compact(): void {
    this.compactPending = false;
    const now = Date.now();
    if (this.closed || now - this.lastRewriteAttempt < RETRY_REWRITE_MS) return;
    this.lastRewriteAttempt = now;
    try {
      this.rewrite();
    } catch {
      // Still consistent; the next write past the threshold tries again.
    }
  }

  // Tries to rewrite the whole log, which also records whatever failed to be written. In the background at most
  // once a second while the disk stays full; for a strict append every time, so that the first one after space is
  // freed goes through, and still failing throws.
  private catchUp(strict: boolean): void {
    if (this.failure === undefined || this.closed) return;
    const now = Date.now();
    if (strict || now - this.lastRewriteAttempt >= RETRY_REWRITE_MS) {
      this.lastRewriteAttempt = now;
      try {
        this.rewrite();
        return;
      } catch (e) {
        this.failure = this.writeError(e);
      }
    }
    if (strict) throw this.failure;
  }

  private fail(error: SessionStoreError): void {
    const first = this.failure === undefined;
    this.failure = error;
    if (first) this.o.onError(error);
  }

  private writeError(cause: unknown): SessionStoreError {
    return storeError(`cannot write to the session log in ${this.directory}`, cause, this.directory);
  }

  // A failed write may have left part of a record: cut the log back to its last whole record.
  private cutBack(): void {
    try {
      fs.ftruncateSync(this.fd, this.size);
    } catch {
      // If even that fails, the torn record is cut off when the log is next opened.
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some systems cannot fsync a directory; the rename is then as durable as they make it.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
