// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The logs of the fault-injection rig (test/helpers/soak-run.ts): the packet logs it writes on request, one file per
 * client ({@link LogFiles}), and what it reads back from the broker's log for its report ({@link scanBrokerLog}).
 *
 * @module
 */
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../src/node.js';
import { SAMPLE } from './soak-clients.js';

/** The packet logs of `packetLogDir`: one file per client, and one of the faults. */
export class LogFiles {
  private readonly streams = new Map<string, WriteStream>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Appends a line, stamped with the time of day, to `<dir>/<name>.log`. */
  line(name: string, text: string): void {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = createWriteStream(join(this.dir, `${name}.log`));
      this.streams.set(name, s);
    }
    s.write(`${new Date().toISOString().slice(11)} ${text}\n`);
  }

  /** A client logger writing to `<dir>/<name>.log`. */
  logger(name: string): Logger {
    const at =
      (level: string) =>
      (msg: string, fields?: Record<string, unknown>): void =>
        this.line(name, `${level} ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
  }

  /** Ends every file, once written. */
  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise((resolve) => s.end(resolve))));
  }
}

/**
 * The end of the broker's log and its first warnings and errors. Only the last 16 MiB are read: with packet logs
 * on, the log grows by hundreds of MB a minute.
 */
export function scanBrokerLog(path: string): { brokerLogTail: string; brokerWarnings: string[] } {
  const size = statSync(path).size;
  const start = Math.max(0, size - 16 * 1_048_576);
  const text = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, text, 0, text.length, start);
  } finally {
    closeSync(fd);
  }
  const lines = text.toString('utf8').trimEnd().split('\n');
  const brokerWarnings: string[] = [];
  for (const line of lines) {
    // TLS listeners complain about the readiness probes of the harness, which open and close plain connections.
    if (/warning|error/i.test(line) && !line.includes('SSL routines') && brokerWarnings.length < SAMPLE)
      brokerWarnings.push(line);
  }
  return { brokerLogTail: lines.slice(-40).join('\n'), brokerWarnings };
}
