// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The lock that keeps two processes off one stored session: a `lock` file created exclusively, holding the
 * owner's process id and host name. A lock left by a process that died (a SIGKILL, a crash) on this host is
 * taken over, so a restart after a kill just works; a live owner's lock is an error, never waited for.
 *
 * @module
 */
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Why {@link acquireLock} failed: another live process holds the session. */
export class LockHeldError extends Error {
  constructor(
    readonly owner: string,
    readonly lockPath: string,
  ) {
    super(`the session is in use by ${owner} (lock file ${lockPath})`);
  }
}

/** Takes the lock of `dir`; returns the function that releases it. @throws {LockHeldError} */
export function acquireLock(dir: string): () => void {
  const path = join(dir, 'lock');
  const me = `${process.pid}@${hostname()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(path, `${me}\n`, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(path, 'utf8').trim() === me) fs.unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const owner = readOwner(path);
    if (owner !== undefined && isAlive(owner)) throw new LockHeldError(owner, path);
    // Stale: its owner is gone. Remove it and try once more (another process may win that race; then it holds).
    fs.rmSync(path, { force: true });
  }
}

function readOwner(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

// Whether the lock's owner still runs. Only a process on this host can be checked; one elsewhere (a shared
// directory) is assumed alive, as is an unreadable owner.
function isAlive(owner: string): boolean {
  const [pid, host] = owner.split('@');
  if (host !== hostname()) return true;
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  try {
    process.kill(n, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
