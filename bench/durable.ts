// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The cost of a durable session: QoS 1 and QoS 2 publishing through Mosquitto with the in-memory store and with a
 * FileSessionStore under each fsync policy, in one process run, reported as msgs/s, client CPU per message and
 * the ratio to the in-memory store.
 *
 *   npm run bench:durable               medians of 3 rounds (about a minute)
 *   npm run bench:durable -- --json     the last line of stdout is one JSON object with every figure
 *
 * Each round publishes 100-byte messages with at most 100 unacknowledged (20,000 per case; 1,000
 * with `fsync: 'always'`, which flushes the disk for every change) into the system's temporary directory; the figures
 * depend on its file system and disk as much as on mqttkit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, FileSessionStore, type FsyncPolicy } from '../src/node.js';
import { startBroker } from '../test/helpers/mosquitto.js';

type Mode = 'memory' | FsyncPolicy;
const MODES: Mode[] = ['memory', 'none', 'batched', 'always'];
const ROUNDS = 3;
const WINDOW = 100;
const payload = new Uint8Array(100).fill(0x61);

interface Figure {
  rate: number;
  cpuMicros: number;
}

const broker = await startBroker();
const url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
const root = mkdtempSync(join(tmpdir(), 'mqttkit-bench-durable-'));
let runs = 0;

async function once(mode: Mode, qos: 1 | 2): Promise<Figure> {
  const clientId = `bench-durable-${++runs}`;
  const session =
    mode === 'memory' ? undefined : new FileSessionStore({ directory: root, clientId, fsync: mode });
  const client = await connect(url, {
    clientId,
    maxInflight: WINDOW,
    sessionExpiryInterval: 60,
    ...(session === undefined ? {} : { session }),
  });
  const count = mode === 'always' ? 1_000 : 20_000;
  const pending = new Set<Promise<unknown>>();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const done = client.publish('bench/durable', payload, { qos });
    pending.add(done);
    void done.finally(() => pending.delete(done));
    if (pending.size >= WINDOW) await Promise.race(pending);
  }
  await Promise.all(pending);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  await client.end();
  session?.close();
  return { rate: (count / ms) * 1000, cpuMicros: (used.user + used.system) / count };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const results: Record<string, Figure> = {};
try {
  await once('memory', 1); // warm-up: JIT, connections
  for (const qos of [1, 2] as const) {
    for (const mode of MODES) {
      const rounds: Figure[] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await once(mode, qos));
      results[`qos${qos}-${mode}`] = {
        rate: median(rounds.map((f) => f.rate)),
        cpuMicros: median(rounds.map((f) => f.cpuMicros)),
      };
    }
  }
} finally {
  await broker.stop();
  rmSync(root, { recursive: true, force: true });
}

console.log(`durable sessions, QoS 1/2 publishing through Mosquitto (medians of ${ROUNDS} rounds)`);
console.log('| QoS | store | msgs/s | CPU µs/msg | msgs/s vs memory | CPU vs memory |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const qos of [1, 2]) {
  const base = results[`qos${qos}-memory`] as Figure;
  for (const mode of MODES) {
    const f = results[`qos${qos}-${mode}`] as Figure;
    const store = mode === 'memory' ? 'MemorySessionStore' : `FileSessionStore fsync '${mode}'`;
    console.log(
      `| ${qos} | ${store} | ${Math.round(f.rate).toLocaleString('en')} | ${f.cpuMicros.toFixed(1)} | ` +
        `${(f.rate / base.rate).toFixed(2)} | ${(f.cpuMicros / base.cpuMicros).toFixed(2)} |`,
    );
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
