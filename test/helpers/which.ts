// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Finding the programs the test harness starts (Mosquitto, the proxy servers, setpriv).
 *
 * @module
 */
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
