// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Publisher process of the end-to-end benchmark (bench/e2e.ts):
 *
 *   node --import tsx bench/e2e-publisher.ts <mqttkit|mqttjs> <qos> <count> <url> <topic>
 *
 * Publishes `count` 64-byte messages numbered 0 … count-1 at the given QoS, keeping at most WINDOW (300)
 * unacknowledged at QoS 1/2 (a new one goes out as each completes); at QoS 0 it publishes batches of WINDOW and
 * lets the event loop turn between batches once the library has reported the batch written (MQTT.js reports a
 * write only after `drain` when the socket buffer is full). Then it disconnects and prints one JSON line: its
 * CPU time (user + system, µs) from before connecting to the end of the disconnect, when it started and finished
 * publishing, and how many publications completed or failed. The line `stop` on stdin makes it report at once (the parent's hang
 * timeout).
 *
 * @module
 */
import {
  type BenchClient,
  cpuSince,
  load,
  now,
  onCommand,
  parseCount,
  parseLib,
  parseQoS,
  payloadFor,
  type QoS,
  report,
  runMain,
  WINDOW,
} from './e2e-clients.js';

/** What the publisher reports. */
export interface PublisherReport {
  lib: string;
  qos: QoS;
  count: number;
  /** Publications the library reported complete without error. */
  completed: number;
  failed: number;
  firstError: string | undefined;
  /** Wall-clock ms (performance.timeOrigin based) of the first publish call and of the last completion. */
  startAt: number;
  endAt: number;
  /** CPU µs from before connecting to the end of the disconnect that follows the last completion. */
  cpuUser: number;
  cpuSystem: number;
  /** CPU µs (user + system) from before connecting to the last completion. */
  cpuAtLastCompletion: number;
  /** Peak resident set size of the process, KiB. */
  maxRssKiB: number;
  /** Set when the parent stopped it before every publication completed. */
  stopped: boolean;
  connectionLost: string | undefined;
}

runMain(async () => {
  const [libArg, qosArg, countArg, url, topic] = process.argv.slice(2);
  const lib = parseLib(libArg);
  const qos = parseQoS(qosArg);
  const count = parseCount(countArg, 'count');
  if (url === undefined || topic === undefined) {
    throw new Error('usage: e2e-publisher.ts <mqttkit|mqttjs> <qos> <count> <url> <topic>');
  }

  const connect = await load(lib);
  const cpu0 = process.cpuUsage();
  const client = await connect(url);
  let ending = false;
  let connectionLost: string | undefined;
  client.onClose((e) => {
    if (!ending) connectionLost ??= e?.message ?? 'the connection closed';
  });

  const startAt = now();
  const outcome = await drive(client, topic, qos, count);
  const endAt = now();
  const cpuAtLast = cpuSince(cpu0);
  ending = true;
  // The CPU time counts up to the end of a graceful disconnect: a QoS 0 publication is complete once the library
  // has taken it, possibly before the bytes reach the socket, and the writes still buffered must be counted too.
  if (!outcome.stopped && connectionLost === undefined) await client.end();
  const cpu = cpuSince(cpu0);
  const r: PublisherReport = {
    lib,
    qos,
    count,
    completed: outcome.done - outcome.failed,
    failed: outcome.failed,
    firstError: outcome.firstError,
    startAt,
    endAt,
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
    cpuAtLastCompletion: cpuAtLast.user + cpuAtLast.system,
    maxRssKiB: process.resourceUsage().maxRSS,
    stopped: outcome.stopped,
    connectionLost,
  };
  report(r);
});

interface Outcome {
  done: number;
  failed: number;
  firstError: string | undefined;
  stopped: boolean;
}

function drive(client: BenchClient, topic: string, qos: QoS, count: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const o: Outcome = { done: 0, failed: 0, firstError: undefined, stopped: false };
    let sent = 0;
    let batchEnd = 0;
    onCommand((c) => {
      if (c === 'stop') {
        o.stopped = true;
        resolve(o);
      }
    });
    const complete = (error?: Error): void => {
      if (error !== undefined) {
        o.failed++;
        o.firstError ??= error.message;
      }
      o.done++;
      if (o.stopped) return;
      if (o.done === count) resolve(o);
      else if (qos > 0) pump();
      // QoS 0: the whole batch is written; let the event loop turn (I/O, timers) before the next.
      else if (o.done === batchEnd && sent === batchEnd) setImmediate(pump);
    };
    const pump = (): void => {
      const limit = Math.min(count, qos === 0 ? sent + WINDOW : o.done + WINDOW);
      batchEnd = limit;
      while (sent < limit) {
        const seq = sent++;
        client.publish(topic, payloadFor(seq), qos, complete);
      }
    };
    pump();
  });
}
