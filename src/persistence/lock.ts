// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The lock that keeps two processes off one stored session: a `lock` file naming its owner (`pid@host`, a random
 * nonce), which appears whole or not at all (written to a temporary file, then hard-linked into place), and whose
 * modification time the owner refreshes while it holds the session. A lock whose owner is gone — a process that
 * no longer runs, or whose lock went unrefreshed for {@link STALE_AFTER_MS} (its process id taken by another
 * process since, as after a container restart where every start is pid 1) — is taken over, so a restart after a
 * kill needs no one's help. A live owner's lock is an error, never waited for.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** How often a holder refreshes its lock. */
export const LOCK_REFRESH_MS = 10_000;
/** A lock not refreshed for this long is stale even if a process with its id runs. */
export const STALE_AFTER_MS = 6 * LOCK_REFRESH_MS;

/** Why {@link acquireLock} failed: another live process (or this one) holds the session. */
export class LockHeldError extends Error {
  constructor(
    readonly owner: string,
    readonly lockPath: string,
  ) {
    super(`the session is in use by ${owner} (lock file ${lockPath})`);
  }
}

/** A held lock. */
export interface HeldLock {
  /** Marks the lock as still held (call at least every {@link LOCK_REFRESH_MS}). */
  refresh(): void;
  /** Gives the lock up. */
  release(): void;
}

// Sessions this process holds: its own process id says nothing about them (a lock from an earlier process that
// had the same id must be taken over; one held here must not).
const heldHere = new Set<string>();

/** Takes the lock of `dir`. @throws {LockHeldError} when held; the file system's error when it cannot be written. */
export function acquireLock(dir: string): HeldLock {
  const path = join(dir, 'lock');
  if (heldHere.has(path)) throw new LockHeldError(`this process (${process.pid}@${hostname()})`, path);
  const me = `${process.pid}@${hostname()} ${randomBytes(8).toString('hex')}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path, me)) {
      heldHere.add(path);
      return held(path, me);
    }
    const owner = read(path);
    if (owner !== undefined && isAlive(owner.text, owner.mtimeMs)) throw new LockHeldError(owner.text, path);
    takeOver(path, owner?.text);
  }
  const owner = read(path);
  throw new LockHeldError(owner?.text ?? 'another process', path);
}

function held(path: string, me: string): HeldLock {
  return {
    refresh() {
      try {
        const now = new Date();
        fs.utimesSync(path, now, now);
      } catch {
        // Lost (removed by hand): nothing to refresh; the session stays open.
      }
    },
    release() {
      heldHere.delete(path);
      if (read(path)?.text === me) fs.rmSync(path, { force: true });
    },
  };
}

// Creates the lock with its content in one step: false if a lock exists.
function create(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, `${content}\n`);
  try {
    fs.linkSync(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

// Removes a stale lock — only the one judged stale: it is first renamed aside (atomic), then checked; a fresh lock
// taken by a process that got there first goes back.
function takeOver(path: string, staleText: string | undefined): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
    throw e;
  }
  const taken = read(aside)?.text;
  if (taken !== staleText && taken !== undefined) {
    // Not the lock judged stale: put it back unless yet another lock exists (then both owners raced us).
    try {
      fs.linkSync(aside, path);
    } catch {
      // A lock exists again; the next attempt reads it.
    }
  }
  fs.rmSync(aside, { force: true });
}

function read(path: string): { text: string; mtimeMs: number } | undefined {
  try {
    const text = fs.readFileSync(path, 'utf8').trim();
    return { text, mtimeMs: fs.statSync(path).mtimeMs };
  } catch {
    return undefined;
  }
}

// Whether the owner named in a lock may still hold it. An unreadable or empty lock (left by a system crash before
// it reached the disk) has no owner. A lock from another host is assumed held, unless it went unrefreshed.
function isAlive(text: string, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > STALE_AFTER_MS) return false;
  const match = /^(\d+)@(\S+)/.exec(text);
  if (match === null) return false;
  const [, pid, host] = match;
  if (host !== hostname()) return true;
  if (Number(pid) === process.pid) return false; // an earlier process with our id: ours are in `heldHere`
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
