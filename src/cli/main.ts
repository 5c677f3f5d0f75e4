#!/usr/bin/env node
// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The `mqttkit` binary: runs the command line with the process's streams, ends the command gracefully on the
 * first SIGINT / SIGTERM (at once on the second), and exits with the command's exit code.
 *
 * @module
 */
import { run } from './run.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (): void => {
  signals++;
  if (signals > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A reader that went away (`mqttkit sub … | head -1`) ends the command, as SIGPIPE ends mosquitto_sub.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  controller.abort();
});

const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  // process.stdin opens a handle when first touched: only for the commands that read it.
  get stdin(): NodeJS.ReadableStream {
    return process.stdin;
  },
};

let code: number;
try {
  code = await run(process.argv.slice(2), io, controller.signal);
} catch (e) {
  process.stderr.write(`Error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  code = 1;
}
process.exitCode = code;
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// The client has ended and nothing should keep the process alive; should anything still do so, exit anyway.
setTimeout(() => process.exit(code), 1_000).unref();
