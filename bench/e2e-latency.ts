// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Round-trip latency process of the end-to-end benchmark (bench/e2e.ts):
 *
 *   node --import tsx bench/e2e-latency.ts <mqttkit|mqttjs> <url> <topic> <warmup> <count>
 *
 * Two clients in this process: one subscribes to `topic` at QoS 1, the other publishes QoS 1 messages to it one
 * at a time. Each round trip runs from the publish call to the arrival of the same message at the subscriber; the
 * next message goes once that message is in and the publication has completed (PUBACK), so exactly one is ever in
 * flight. The first `warmup` round trips are discarded (JIT warm-up); of the next `count` it prints the
 * percentiles, in µs, as one JSON line.
 *
 * Two clients rather than one subscribed to its own messages: MQTT.js leaves Nagle's algorithm on, and a single
 * client that writes a PUBACK and then, at once, its next PUBLISH has that PUBLISH held back until the broker's
 * delayed ACK (about 40 ms on Linux), which would measure TCP settings rather than the library.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { load, parseCount, parseLib, payloadFor, report, runMain, seqOf } from './e2e-clients.js';

/** What the latency process reports; times in µs. */
export interface LatencyReport {
  lib: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

runMain(async () => {
  const [libArg, url, topic, warmupArg, countArg] = process.argv.slice(2);
  const lib = parseLib(libArg);
  if (url === undefined || topic === undefined) {
    throw new Error('usage: e2e-latency.ts <mqttkit|mqttjs> <url> <topic> <warmup> <count>');
  }
  const warmup = parseCount(warmupArg, 'warmup');
  const count = parseCount(countArg, 'count');
  const total = warmup + count;
  const samples = new Float64Array(count);

  const connect = await load(lib);
  const client = await connect(url);
  const subscriber = await connect(url);
  let lost: string | undefined;
  let ending = false;
  for (const c of [client, subscriber]) {
    c.onClose((e) => {
      if (!ending) lost ??= e?.message ?? 'the connection closed';
    });
  }
  await subscriber.subscribe(topic, 1);

  await new Promise<void>((resolve, reject) => {
    let seq = -1;
    let sentAt = 0;
    let acked = false;
    let arrived = false;
    const next = (): void => {
      if (!acked || !arrived) return;
      if (seq >= 0 && seq >= warmup) samples[seq - warmup] = arrivedAt - sentAt;
      if (++seq === total) {
        resolve();
        return;
      }
      acked = false;
      arrived = false;
      const payload = payloadFor(seq);
      sentAt = performance.now();
      client.publish(topic, payload, 1, (e) => {
        if (e !== undefined) reject(e);
        acked = true;
        next();
      });
    };
    let arrivedAt = 0;
    subscriber.onMessage((_t, payload) => {
      if (seqOf(payload) !== seq) {
        reject(new Error(`expected message ${seq}, got ${seqOf(payload)}`));
        return;
      }
      arrivedAt = performance.now();
      arrived = true;
      next();
    });
    const watchdog = setInterval(() => {
      if (lost !== undefined) reject(new Error(`connection lost: ${lost}`));
    }, 100);
    watchdog.unref();
    acked = true;
    arrived = true;
    next();
  });
  ending = true;
  await Promise.all([client.end(), subscriber.end()]);

  const sorted = Array.from(samples, (ms) => ms * 1000).sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const r: LatencyReport = {
    lib,
    count,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
  report(r);
});
