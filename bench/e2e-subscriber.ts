// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Subscriber process of the end-to-end benchmark (bench/e2e.ts):
 *
 *   node --import tsx bench/e2e-subscriber.ts <mqttkit|mqttjs> <qos> <count> <url> <topic>
 *
 * Connects, subscribes to `topic` at `qos`, prints `{"ready":true}` once the SUBACK is in, then counts the
 * sequence numbers of the messages that arrive: distinct ones, duplicates, ones out of order, foreign ones. Its
 * CPU time (user + system) is taken from before connecting to the arrival of the last distinct message. After the
 * line `done` on stdin (the publisher finished) it waits a little for late duplicates, or, when messages are
 * missing, until none has come for a while, and prints one JSON line with the counts.
 *
 * @module
 */
import {
  cpuSince,
  load,
  now,
  onCommand,
  parseCount,
  parseLib,
  parseQoS,
  type QoS,
  report,
  runMain,
  seqOf,
} from './e2e-clients.js';

/** Wait for late duplicates after the last distinct message, ms. */
const GRACE_MS = 300;
/** With messages missing: give up after this long without any message, ms. */
const SILENCE_MS = 2_000;

/** What the subscriber reports. */
export interface SubscriberReport {
  lib: string;
  qos: QoS;
  count: number;
  /** Distinct sequence numbers received. */
  distinct: number;
  duplicates: number;
  /** Messages that arrived with a smaller sequence number than the one before. */
  outOfOrder: number;
  /** Messages whose payload is not one of ours. */
  foreign: number;
  /** Up to 10 missing sequence numbers, for the failure message. */
  missingSample: number[];
  /** Wall-clock ms of the first and the last distinct message. */
  firstAt: number;
  lastAt: number;
  /** CPU µs from before connecting to the last distinct message. */
  cpuUser: number;
  cpuSystem: number;
  /** Peak resident set size of the process, KiB. */
  maxRssKiB: number;
  connectionLost: string | undefined;
}

runMain(async () => {
  const [libArg, qosArg, countArg, url, topic] = process.argv.slice(2);
  const lib = parseLib(libArg);
  const qos = parseQoS(qosArg);
  const count = parseCount(countArg, 'count');
  if (url === undefined || topic === undefined) {
    throw new Error('usage: e2e-subscriber.ts <mqttkit|mqttjs> <qos> <count> <url> <topic>');
  }

  const seen = new Uint8Array(count);
  let distinct = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let foreign = 0;
  let previous = -1;
  let firstAt = 0;
  let lastAt = 0;
  let lastMessageAt = 0;
  let cpu: { user: number; system: number } | undefined;

  const connect = await load(lib);
  const cpu0 = process.cpuUsage();
  const client = await connect(url);
  let ending = false;
  let connectionLost: string | undefined;
  client.onClose((e) => {
    if (!ending) connectionLost ??= e?.message ?? 'the connection closed';
  });
  client.onMessage((_topic, payload) => {
    lastMessageAt = now();
    const s = seqOf(payload);
    if (s < 0 || s >= count) {
      foreign++;
      return;
    }
    if (seen[s] === 1) {
      duplicates++;
      return;
    }
    seen[s] = 1;
    if (s < previous) outOfOrder++;
    previous = s;
    if (++distinct === 1) firstAt = lastMessageAt;
    if (distinct === count) {
      cpu = cpuSince(cpu0);
      lastAt = lastMessageAt;
    }
  });
  await client.subscribe(topic, qos);
  report({ ready: true });

  await new Promise<void>((resolve) => {
    onCommand((c) => {
      if (c !== 'done') return;
      const since = now();
      const check = setInterval(() => {
        const t = now();
        const complete = distinct === count && t - Math.max(since, lastAt) >= GRACE_MS;
        const silent = t - Math.max(since, lastMessageAt) >= SILENCE_MS;
        if (complete || silent || connectionLost !== undefined) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
  });

  if (cpu === undefined) {
    cpu = cpuSince(cpu0);
    lastAt = lastMessageAt;
  }
  const missingSample: number[] = [];
  for (let i = 0; i < count && missingSample.length < 10; i++) if (seen[i] === 0) missingSample.push(i);
  const r: SubscriberReport = {
    lib,
    qos,
    count,
    distinct,
    duplicates,
    outOfOrder,
    foreign,
    missingSample,
    firstAt,
    lastAt,
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
    maxRssKiB: process.resourceUsage().maxRSS,
    connectionLost,
  };
  ending = true;
  if (connectionLost === undefined) await client.end();
  report(r);
});
