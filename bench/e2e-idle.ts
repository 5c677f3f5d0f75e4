// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Idle-connection memory process of the end-to-end benchmark (bench/e2e.ts); needs `--expose-gc`:
 *
 *   node --expose-gc --import tsx bench/e2e-idle.ts <mqttkit|mqttjs> <url> <count>
 *
 * Loads the library and opens and closes one connection (so that what is set up once per process is in the
 * baseline), collects garbage and takes the baseline; then opens `count` connections (MQTT 3.1.1, keep-alive 60 s,
 * 50 at a time), lets them sit idle, collects garbage again and prints, as one JSON line, the growth of RSS and of
 * the JS heap divided by `count`, in KiB per connection.
 *
 * @module
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type BenchClient, load, parseCount, parseLib, report, runMain } from './e2e-clients.js';

/** Connections opened at once. */
const CONCURRENCY = 50;

/** What the idle-memory process reports; KiB per connection. */
export interface IdleReport {
  lib: string;
  count: number;
  rssKiB: number;
  heapKiB: number;
  externalKiB: number;
}

async function collect(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  await delay(300);
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage();
}

runMain(async () => {
  const [libArg, url, countArg] = process.argv.slice(2);
  const lib = parseLib(libArg);
  if (url === undefined) throw new Error('usage: e2e-idle.ts <mqttkit|mqttjs> <url> <count>');
  const count = parseCount(countArg, 'count');

  const connect = await load(lib);
  const first = await connect(url, { keepAlive: 60 });
  await first.end();
  const before = await collect();

  const clients: BenchClient[] = [];
  let lost = 0;
  for (let i = 0; i < count; i += CONCURRENCY) {
    const batch = Math.min(CONCURRENCY, count - i);
    const opened = await Promise.all(Array.from({ length: batch }, () => connect(url, { keepAlive: 60 })));
    for (const c of opened) {
      c.onClose(() => {
        lost++;
      });
      clients.push(c);
    }
  }
  const after = await collect();
  if (lost > 0) throw new Error(`${lost} of ${count} idle connections closed`);

  const kib = (a: number, b: number): number => (b - a) / 1024 / count;
  const r: IdleReport = {
    lib,
    count,
    rssKiB: kib(before.rss, after.rss),
    heapKiB: kib(before.heapUsed, after.heapUsed),
    externalKiB: kib(before.external, after.external),
  };
  // Report before closing: the closing is not measured, and a slow close must not lose the figures.
  report(r);
  await Promise.all(clients.map((c) => c.end()));
});
