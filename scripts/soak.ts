// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `npm run soak`: publishers and subscribers through the fault-injection rig (test/helpers/soak-run.ts) for a
 * number of minutes, with seeded random faults — connections dropped, cut in the middle of a packet, black-holed
 * until the keep-alive notices, slowed down, and Mosquitto restarted with its persistence on — while publisher
 * processes with a durable session store are killed with SIGKILL at random moments and started again, and every
 * message checked by its sequence number. Prints the totals (sent, received, lost, duplicated, reconnects, faults) and the
 * JS heap in use at the start and at the end.
 *
 *   npm run soak -- [--minutes N] [--seed S] [--qos 1|2|both] [--publishers N] [--subscribers N] [--rate N]
 *                   [--killed N] [--packet-log DIR]
 *
 * `--minutes` defaults to 1, `--qos` to both (a group of clients per QoS level, at the same time, under the same
 * faults), `--publishers` and `--subscribers` to 2 per group, `--rate` to 1,000 messages a second per publisher
 * (0: as fast as the broker takes them; Mosquitto then builds backlogs that only grow under faults, and the
 * run measures that more than the client). `--killed` is the number of killed publisher processes (default 1, 0 for
 * none): each publishes QoS 1 and QoS 2 alternately with a FileSessionStore through the same proxy, lives 0.5 to
 * 3 s before its SIGKILL, and has a subscriber of its own. `--packet-log DIR` writes every client's packets, the faults and the
 * broker's full log into DIR (large, and slower: a few hundred MB a minute). Ctrl-C stops the faults early; the run
 * still drains and counts.
 *
 * Exits with status 1 when a message was lost, a QoS 2 message arrived twice, a publication failed, or the rig
 * could not recover from a fault; 2 on a bad argument.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { randomSeed } from '../test/helpers/fault-schedule.js';
import { formatReport, runSoak, type SoakReport } from '../test/helpers/soak-run.js';

const USAGE =
  'usage: npm run soak -- [--minutes N] [--seed S] [--qos 1|2|both] [--publishers N] [--subscribers N] [--rate N] [--killed N] [--packet-log DIR]';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seed: { type: 'string' },
    qos: { type: 'string' },
    publishers: { type: 'string' },
    subscribers: { type: 'string' },
    rate: { type: 'string' },
    killed: { type: 'string' },
    'packet-log': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function bad(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function num(name: string, s: string | undefined, fallback: number, integer = true): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    bad(`--${name}: expected a positive number, got ${s}`);
  return n;
}

const minutes = num('minutes', values.minutes, 1, false);
const seed = values.seed === undefined ? randomSeed() : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
  bad(`--seed: expected a 32-bit whole number, got ${values.seed}`);
const qosArg = values.qos ?? 'both';
if (qosArg !== '1' && qosArg !== '2' && qosArg !== 'both') bad(`--qos: expected 1, 2 or both, got ${qosArg}`);
const qos: (1 | 2)[] = qosArg === 'both' ? [1, 2] : [Number(qosArg) as 1 | 2];
const publishers = num('publishers', values.publishers, 2);
const subscribers = num('subscribers', values.subscribers, 2);
const rate = values.rate === '0' ? 0 : num('rate', values.rate, 1_000);
const killed = values.killed === '0' ? 0 : num('killed', values.killed, 1);

/** The JS heap in use after a full garbage collection (when `--expose-gc` allows one), in MB. */
function heapMB(): string {
  globalThis.gc?.();
  return (process.memoryUsage().heapUsed / 1_048_576).toFixed(1);
}

/** Whether the run kept every promise: nothing lost, no QoS 2 duplicate, nothing failed, no error. */
function passed(r: SoakReport): boolean {
  const groupsOk = r.groups.every(
    (g) => g.lost === 0 && g.failed === 0 && g.unsettled === 0 && (g.qos === 1 || g.duplicated === 0),
  );
  return groupsOk && r.errors.length === 0;
}

const heapStart = heapMB();
const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('stopping the faults; draining and counting (Ctrl-C again to quit at once)');
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});
console.error(
  `soak: ${minutes} min, seed ${seed}, QoS ${qos.join(' and ')}, ${publishers} publishers and ${subscribers} ` +
    `subscribers per QoS level, ${rate || 'unlimited'} messages/s per publisher, ${killed} killed publisher ` +
    `processes; heap ${heapStart} MB`,
);

const report = await runSoak({
  seed,
  qos,
  publishers,
  subscribers,
  rate,
  killed,
  durationMs: minutes * 60_000,
  signal: stop.signal,
  progress: (line) => console.error(`  ${line}`),
  ...(values['packet-log'] === undefined ? {} : { packetLogDir: values['packet-log'] }),
});
const heapEnd = heapMB();

console.log(formatReport(report));
console.log(`heap used: ${heapStart} MB at the start, ${heapEnd} MB at the end`);
const ok = passed(report);
console.log(ok ? 'OK' : `FAILED (replay the schedule with --seed ${seed})`);
process.exitCode = ok ? 0 : 1;
