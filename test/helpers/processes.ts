// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The programs the test harness starts (Mosquitto, the proxy servers, setpriv): finding them, stopping them.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The full path of executable `name` in PATH or the sbin directories (Debian puts daemons in /usr/sbin). */
export function which(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** How long a program gets to exit after SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 3_000;

/** Stops `child`: SIGTERM, then SIGKILL if it has not exited after {@link KILL_AFTER_MS}. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  await exited;
  clearTimeout(timer);
}
