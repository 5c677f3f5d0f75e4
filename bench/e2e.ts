// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * End-to-end benchmark: mqttkit and MQTT.js side by side, in one run, through a Mosquitto started for the run.
 *
 *   npm run bench                       full run (about 2.5 minutes on 2 vCPUs)
 *   npm run bench -- --quick            short run, for smoke tests; its figures are rough
 *   npm run bench -- --json             the last line of stdout is one JSON object with every figure
 *   npm run bench -- --rounds=N         rounds of the throughput and latency cases (default 5; medians reported)
 *   npm run bench -- --mqtt5            both libraries speak MQTT 5 instead of 3.1.1 (the floor client stays 3.1.1)
 *   npm run bench -- --cpu-prof=DIR     a V8 CPU profile of every publisher and subscriber process, in
 *                                       DIR/<lib>-<role>-qos<n>-r<round>/ (open it in Chrome DevTools)
 *
 * Figures (MQTT 3.1.1, 64-byte payloads, clean sessions, Mosquitto on loopback with its queue and in-flight
 * limits lifted, so that it drops nothing, and with quiet logging):
 *
 * - msgs/s end to end at QoS 0, 1 and 2: one publisher process and one subscriber process per run
 *   (bench/e2e-publisher.ts, bench/e2e-subscriber.ts). Messages carry a sequence number; the subscriber counts
 *   them, and the run fails on any loss at QoS 1/2, any duplicate at QoS 2, any failed publication, lost
 *   connection or hang (loss at QoS 0 and duplicates at QoS 1 are reported as warnings). The rate is the distinct
 *   messages received over the time from the first publish call to the last message received. QoS 1/2
 *   publishers keep at most 300 messages unacknowledged (MQTT.js has no bound of its own, so the driver keeps the
 *   window for both libraries); QoS 0 publishers publish batches of 300, one per turn of the event loop.
 * - client CPU per message: user + system CPU time of each process divided by the number of messages, taken
 *   inside the process: the subscriber's from before connecting to its last message, the publisher's from before
 *   connecting to the end of its disconnect (so that writes still buffered when the last QoS 0 publication was
 *   reported complete are counted). Process start-up and module loading are not counted; connecting and JIT
 *   warm-up are.
 * - QoS 1 round trip p50 / p99, one message in flight, from a publishing client to a subscribed client in the same
 *   process (bench/e2e-latency.ts), after a warm-up that is discarded.
 * - memory per idle connection: RSS and JS heap growth over N connections (keep-alive 60 s) from one process,
 *   after forced garbage collections (bench/e2e-idle.ts).
 *
 * The libraries take turns going first from one case to the next, so that machine noise hits both alike; with
 * several rounds the median of each is reported. Other work on the machine skews every figure: the load average
 * is printed at the start and the end. The progress lines (on stderr) also show the broker's CPU per message,
 * since on a small machine the broker is what limits msgs/s, and each process's peak RSS.
 *
 * The driver processes run JavaScript compiled from src/ and bench/ with the package's compiler options (into
 * node_modules/.cache/mqttkit-bench), with plain `node`, as an application runs dist/: see compileForBench().
 * They can also be run by hand with `node --import tsx bench/e2e-publisher.ts …`.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Broker, startBroker } from '../test/helpers/mosquitto.js';
import { freePorts, waitForPorts } from '../test/helpers/ports.js';
import { LIBS, type Lib, PROTOCOL_ENV, type QoS } from './e2e-clients.js';
import type { IdleReport } from './e2e-idle.js';
import type { LatencyReport } from './e2e-latency.js';
import type { PublisherReport } from './e2e-publisher.js';
import type { SubscriberReport } from './e2e-subscriber.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------------------------------
// Options

const USAGE =
  'usage: node --import tsx bench/e2e.ts [--quick] [--json] [--mqtt5] [--rounds=N] [--cpu-prof=DIR]';
let QUICK = false;
let JSON_OUT = false;
let roundsArg: number | undefined;
let cpuProfDir: string | undefined;
for (const a of process.argv.slice(2)) {
  if (a === '--quick') QUICK = true;
  else if (a === '--json') JSON_OUT = true;
  // The driver processes inherit the environment: bench/e2e-clients.ts reads the version from it.
  else if (a === '--mqtt5') process.env[PROTOCOL_ENV] = '5';
  else if (a.startsWith('--rounds=') && /^[1-9]\d*$/.test(a.slice(9))) roundsArg = Number(a.slice(9));
  else if (a.startsWith('--cpu-prof=') && a.length > 11) cpuProfDir = resolve(a.slice(11));
  else {
    process.stderr.write(`${USAGE}\nunknown option ${a}\n`);
    process.exit(2);
  }
}

/** Messages per throughput run, by QoS. */
const COUNT: Record<QoS, number> = QUICK
  ? { 0: 3_000, 1: 2_000, 2: 1_000 }
  : { 0: 200_000, 1: 100_000, 2: 50_000 };
/** Throughput and latency rounds; the median is reported. */
const ROUNDS = roundsArg ?? (QUICK ? 1 : 5);
/** Round trips discarded, then measured. */
const LATENCY_WARMUP = QUICK ? 200 : 3_000;
const LATENCY_COUNT = QUICK ? 200 : 2_000;
/** Idle connections wanted. */
const IDLE_WANTED = QUICK ? 50 : 1_000;
/** File descriptors left aside for everything but the idle connections, in the broker and in the child. */
const FD_MARGIN = 100;

// ---------------------------------------------------------------------------------------------------------------
// What the children run: mqttkit as it ships

/** Where the driver processes and mqttkit are compiled to (inside node_modules, so that `mqtt` resolves). */
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'mqttkit-bench');
const DRIVERS = [
  'e2e-clients.ts',
  'e2e-floor.ts',
  'e2e-publisher.ts',
  'e2e-subscriber.ts',
  'e2e-latency.ts',
  'e2e-idle.ts',
];

/**
 * Compiles src/ and the drivers to JavaScript with the compiler options of the package build (tsconfig.build.json),
 * file by file (no type check: `npm run typecheck` does that). The children run that JavaScript with plain
 * `node`, as an application runs dist/. Running them through tsx instead would measure tsx's output, whose
 * keep-names wrapper (`__name(fn, 'name')`, an `Object.defineProperty` on every closure it names) makes every
 * such closure bigger and slower to create, which inflates mqttkit's memory per connection by several KiB.
 */
function compileForBench(): void {
  const configPath = join(ROOT, 'tsconfig.build.json');
  const config = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    inlineSourceMap: false,
    noEmit: false,
    // The package is "type": "module"; compiled file by file, NodeNext cannot see that and would emit CommonJS.
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const sources = [
    ...walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    ...DRIVERS.map((f) => join(BENCH_DIR, f)),
  ];
  rmSync(BUILD_DIR, { recursive: true, force: true });
  for (const file of sources) {
    const out = join(BUILD_DIR, relative(ROOT, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions,
      fileName: file,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

class HangError extends Error {}

/** A driver process: one JSON line per report on its stdout, commands on its stdin. */
class Child {
  private readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private stderr = '';
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    nodeArgs: string[] = [],
  ) {
    const compiled = join(BUILD_DIR, 'bench', script.replace(/\.ts$/, '.js'));
    this.proc = spawn(process.execPath, [...nodeArgs, compiled, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (this.waiter !== undefined) {
        const w = this.waiter;
        this.waiter = undefined;
        w(line);
      } else this.lines.push(line);
    });
    this.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8_000);
    });
    // A child that exits leaves stdin closed: writes to it must not crash the parent.
    this.proc.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code) => {
        this.exitCode = code;
        // Let the last stdout lines through first.
        setImmediate(() => {
          const w = this.waiter;
          this.waiter = undefined;
          w?.(undefined);
          resolve();
        });
      });
    });
  }

  /** The next JSON line, parsed. @throws {HangError} after `timeoutMs`; {Error} when the child exits first. */
  async next<T>(timeoutMs: number): Promise<T> {
    const line = this.lines.shift() ?? (await this.nextLine(timeoutMs));
    if (line === undefined) {
      throw new Error(
        `${this.name} exited (code ${this.exitCode}) without a report:\n${this.stderr.trimEnd()}`,
      );
    }
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`${this.name} printed a line that is not JSON: ${line}\n${this.stderr.trimEnd()}`);
    }
  }

  private nextLine(timeoutMs: number): Promise<string | undefined> {
    if (this.exitCode !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new HangError(`${this.name} reported nothing within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  send(command: string): void {
    if (this.exitCode === undefined) this.proc.stdin?.write(`${command}\n`);
  }

  /** What the child wrote on stderr (warnings are worth seeing even when it succeeded). */
  get errorOutput(): string {
    return this.stderr.trim();
  }

  kill(): void {
    if (this.exitCode === undefined) this.proc.kill('SIGKILL');
  }
}

// Whatever happens, no driver process outlives the bench.
const children = new Set<Child>();
process.on('exit', () => {
  for (const c of children) c.kill();
});

function child(name: string, script: string, args: string[], nodeArgs: string[] = []): Child {
  const c = new Child(name, script, args, nodeArgs);
  children.add(c);
  void c.exited.then(() => {
    children.delete(c);
    if (c.errorOutput !== '') process.stderr.write(`--- stderr of ${name} ---\n${c.errorOutput}\n`);
  });
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Broker CPU, from /proc (Linux only; informative)

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The broker's user + system CPU time so far, µs, or NaN where /proc is not there. */
function brokerCpu(broker: Broker): number {
  try {
    const stat = readFileSync(`/proc/${broker.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The soft limit on open files of this shell (children and the broker inherit it). */
function fileLimit(): number {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The runs

const failures: string[] = [];
const warnings: string[] = [];

function fail(message: string): void {
  failures.push(message);
  process.stderr.write(`\n!!! FAILURE: ${message}\n\n`);
}

function warn(message: string): void {
  warnings.push(message);
  process.stderr.write(`warning: ${message}\n`);
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface ThroughputResult {
  rate: number;
  pubCpu: number;
  subCpu: number;
  brokerCpu: number;
}

function profileArgs(lib: Lib, role: string, qos: QoS, round: number): string[] {
  if (cpuProfDir === undefined) return [];
  // A directory per process, named after the run, so that the profiles of the runs are told apart.
  return ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, `${lib}-${role}-qos${qos}-r${round}`)}`];
}

/**
 * One throughput run: `pubLib` publishes `COUNT[qos]` messages to `subLib`. Each library is measured in one role
 * against the floor client in the other (see main()), so that both libraries meet the same peer: a subscriber's
 * CPU per message depends on how the publisher paces the stream (a slower publisher hands it bigger batches per
 * read), and a publisher competes for the CPUs with its subscriber.
 */
async function throughput(
  broker: Broker,
  url: string,
  pubLib: Lib,
  subLib: Lib,
  qos: QoS,
  round: number,
): Promise<ThroughputResult> {
  const count = COUNT[qos];
  const pair = `${pubLib}→${subLib}`;
  const label = `[qos${qos} round ${round + 1}/${ROUNDS}] ${pair.padEnd(15)}`;
  const topic = `bench/e2e/${pubLib}-${subLib}/qos${qos}/r${round}`;
  const args = (lib: Lib): string[] => [lib, String(qos), String(count), url, topic];
  const cpu0 = brokerCpu(broker);
  const sub = child(
    `subscriber ${subLib} qos${qos}`,
    'e2e-subscriber.ts',
    args(subLib),
    profileArgs(subLib, 'sub', qos, round),
  );
  const ready = await sub.next<{ ready?: boolean }>(30_000);
  if (ready.ready !== true) throw new Error(`${label}: unexpected first line from the subscriber`);
  const pub = child(
    `publisher ${pubLib} qos${qos}`,
    'e2e-publisher.ts',
    args(pubLib),
    profileArgs(pubLib, 'pub', qos, round),
  );
  // At least 2,000 msgs/s, and time to start the process.
  const timeoutMs = 20_000 + count / 2;
  let p: PublisherReport;
  try {
    p = await pub.next<PublisherReport>(timeoutMs);
  } catch (e) {
    if (!(e instanceof HangError)) throw e;
    pub.send('stop');
    p = await pub.next<PublisherReport>(10_000);
  }
  sub.send('done');
  const s = await sub.next<SubscriberReport>(30_000);
  await Promise.all([pub.exited, sub.exited]);
  const brokerUs = brokerCpu(broker) - cpu0;

  // The checks.
  const what = `${pair} QoS ${qos} (round ${round + 1})`;
  if (p.stopped)
    fail(
      `${what}: HANG: only ${p.completed + p.failed} of ${count} publications completed in ${timeoutMs} ms`,
    );
  if (p.failed > 0) fail(`${what}: ${p.failed} publications failed, the first with: ${p.firstError}`);
  if (p.connectionLost !== undefined) fail(`${what}: the publisher lost its connection: ${p.connectionLost}`);
  if (s.connectionLost !== undefined)
    fail(`${what}: the subscriber lost its connection: ${s.connectionLost}`);
  if (s.foreign > 0) fail(`${what}: ${s.foreign} messages that were not sent by this run`);
  const lost = count - s.distinct;
  if (lost > 0) {
    const m = `${what}: LOSS: ${lost} of ${count} messages never arrived (first missing: ${s.missingSample.join(', ')})`;
    if (qos === 0) warn(m);
    else fail(m);
  }
  if (s.duplicates > 0) {
    const m = `${what}: ${s.duplicates} DUPLICATES`;
    if (qos === 2) fail(m);
    else warn(m);
  }

  const seconds = (s.lastAt - p.startAt) / 1000;
  const r: ThroughputResult = {
    rate: s.distinct / seconds,
    pubCpu: (p.cpuUser + p.cpuSystem) / count,
    subCpu: (s.cpuUser + s.cpuSystem) / count,
    brokerCpu: brokerUs / count,
  };
  progress(
    `${label} ${fmt(r.rate, 0).padStart(8)} msgs/s   CPU µs/msg: publisher ${fmt(r.pubCpu, 2)}` +
      ` (user ${fmt(p.cpuUser / count, 2)}), subscriber ${fmt(r.subCpu, 2)} (user ${fmt(s.cpuUser / count, 2)}),` +
      ` broker ${fmt(r.brokerCpu, 2)}; publisher CPU to its last completion ${fmt(p.cpuAtLastCompletion / count, 2)};` +
      ` peak RSS MiB: publisher ${fmt(p.maxRssKiB / 1024, 0)}, subscriber ${fmt(s.maxRssKiB / 1024, 0)};` +
      ` received ${s.distinct}/${count}, dups ${s.duplicates}, out of order ${s.outOfOrder}`,
  );
  return r;
}

async function latency(url: string, lib: Lib, round: number): Promise<LatencyReport> {
  const c = child(`latency ${lib}`, 'e2e-latency.ts', [
    lib,
    url,
    `bench/e2e/${lib}/latency/r${round}`,
    String(LATENCY_WARMUP),
    String(LATENCY_COUNT),
  ]);
  const r = await c.next<LatencyReport>(120_000);
  await c.exited;
  progress(
    `[latency round ${round + 1}/${ROUNDS}] ${lib.padEnd(7)} QoS 1 round trip µs: p50 ${fmt(r.p50, 1)}, p90 ${fmt(r.p90, 1)},` +
      ` p99 ${fmt(r.p99, 1)}, max ${fmt(r.max, 1)} (${r.count} after ${LATENCY_WARMUP} discarded)`,
  );
  return r;
}

async function idle(url: string, lib: Lib, count: number): Promise<IdleReport> {
  const c = child(`idle ${lib}`, 'e2e-idle.ts', [lib, url, String(count)], ['--expose-gc']);
  const r = await c.next<IdleReport>(180_000);
  await c.exited;
  progress(
    `[idle] ${lib.padEnd(7)} ${count} connections: RSS ${fmt(r.rssKiB, 1)} KiB, heap ${fmt(r.heapKiB, 1)} KiB,` +
      ` external ${fmt(r.externalKiB, 1)} KiB per connection`,
  );
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Results

const KEYS = [
  'qos0_msgs_per_s',
  'qos1_msgs_per_s',
  'qos2_msgs_per_s',
  'qos0_pub_cpu_us_per_msg',
  'qos0_sub_cpu_us_per_msg',
  'qos1_pub_cpu_us_per_msg',
  'qos1_sub_cpu_us_per_msg',
  'qos2_pub_cpu_us_per_msg',
  'qos2_sub_cpu_us_per_msg',
  'latency_p50_us',
  'latency_p99_us',
  'idle_conn_rss_kib',
  'idle_conn_heap_kib',
] as const;
type Key = (typeof KEYS)[number];

const LABELS: Record<Key, [string, number]> = {
  qos0_msgs_per_s: ['QoS 0 msgs/s end to end', 0],
  qos1_msgs_per_s: ['QoS 1 msgs/s end to end', 0],
  qos2_msgs_per_s: ['QoS 2 msgs/s end to end', 0],
  qos0_pub_cpu_us_per_msg: ['QoS 0 publisher CPU µs/msg', 2],
  qos0_sub_cpu_us_per_msg: ['QoS 0 subscriber CPU µs/msg', 2],
  qos1_pub_cpu_us_per_msg: ['QoS 1 publisher CPU µs/msg', 2],
  qos1_sub_cpu_us_per_msg: ['QoS 1 subscriber CPU µs/msg', 2],
  qos2_pub_cpu_us_per_msg: ['QoS 2 publisher CPU µs/msg', 2],
  qos2_sub_cpu_us_per_msg: ['QoS 2 subscriber CPU µs/msg', 2],
  latency_p50_us: ['QoS 1 round trip p50 µs', 1],
  latency_p99_us: ['QoS 1 round trip p99 µs', 1],
  idle_conn_rss_kib: ['idle connection RSS KiB', 1],
  idle_conn_heap_kib: ['idle connection heap KiB', 1],
};

type Samples = Record<Key, Record<Lib, number[]>>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function round4(x: number): number {
  return Number(x.toPrecision(4));
}

function table(samples: Samples, idleCount: number): string {
  const rows: string[][] = [['figure', 'mqttkit', 'MQTT.js', 'floor', 'mqttkit/MQTT.js', 'floor/MQTT.js']];
  for (const key of KEYS) {
    const [label, digits] = LABELS[key];
    const kit = median(samples[key].mqttkit);
    const js = median(samples[key].mqttjs);
    const floor = median(samples[key].floor);
    rows.push([
      label,
      fmt(kit, digits),
      fmt(js, digits),
      fmt(floor, digits),
      fmt(kit / js, 2),
      fmt(floor / js, 2),
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  const out = [line(rows[0] as string[]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  const runs = ROUNDS > 1 ? `medians of ${ROUNDS} rounds; ` : '';
  out.push(
    '',
    `${process.env[PROTOCOL_ENV] === '5' ? 'MQTT 5' : 'MQTT 3.1.1'}, 64-byte payloads; ${runs}${COUNT[0]} / ${COUNT[1]} / ${COUNT[2]} messages at QoS 0 / 1 / 2;` +
      ` at most 300 unacknowledged; each library publishes to and receives from the floor client;` +
      ` floor: a raw-socket client doing the least MQTT work (bench/e2e-floor.ts); latency over ${LATENCY_COUNT} round trips after ${LATENCY_WARMUP};` +
      ` memory over ${idleCount} idle connections.`,
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const started = Date.now();
  const limit = fileLimit();
  let idleCount = IDLE_WANTED;
  if (!(limit >= IDLE_WANTED + FD_MARGIN)) {
    idleCount = Number.isFinite(limit) ? Math.max(10, limit - FD_MARGIN) : 100;
    warn(
      `the open-file limit (ulimit -n) is ${limit}: too low for ${IDLE_WANTED} idle connections (the broker and the` +
        ` client process each need one descriptor per connection, plus about ${FD_MARGIN}); measuring` +
        ` ${idleCount} instead. Raise it with \`ulimit -n ${IDLE_WANTED + 2 * FD_MARGIN}\` for the full count.`,
    );
  }

  compileForBench();

  // A listener of our own, explicitly without a connection limit; quiet logging (the harness logs everything,
  // which at these rates would cost the broker more than the messages do).
  const [port] = await freePorts(1);
  const broker = await startBroker({
    extraConfig: [
      'log_type none',
      'log_type error',
      'log_type warning',
      '',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_connections -1',
    ].join('\n'),
  });
  try {
    await waitForPorts([port as number]);
    const url = `mqtt://127.0.0.1:${port}`;
    progress(
      `Mosquitto pid ${broker.pid} on ${url}; ${ROUNDS} round(s)${QUICK ? ' (quick)' : ''}; ${cpus().length} CPUs,` +
        ` load average ${loadavg()[0]?.toFixed(2)} (other work on the machine skews every figure)`,
    );

    const samples = Object.fromEntries(
      KEYS.map((k) => [k, { mqttkit: [], mqttjs: [], floor: [] }]),
    ) as unknown as Samples;
    let turn = 0;
    // The libraries take turns going first, so that a slow spell of the machine does not hit one library only.
    const order = (): readonly Lib[] => {
      const k = turn++ % LIBS.length;
      return [...LIBS.slice(k), ...LIBS.slice(0, k)];
    };

    for (let round = 0; round < ROUNDS; round++) {
      for (const qos of [0, 1, 2] as const) {
        for (const lib of order()) {
          // Each library publishes to the floor client, then receives from it; the floor meets itself.
          const r = await throughput(broker, url, lib, 'floor', qos, round);
          samples[`qos${qos}_msgs_per_s`][lib].push(r.rate);
          samples[`qos${qos}_pub_cpu_us_per_msg`][lib].push(r.pubCpu);
          if (lib === 'floor') samples[`qos${qos}_sub_cpu_us_per_msg`][lib].push(r.subCpu);
          else
            samples[`qos${qos}_sub_cpu_us_per_msg`][lib].push(
              (await throughput(broker, url, 'floor', lib, qos, round)).subCpu,
            );
        }
      }
      for (const lib of order()) {
        const r = await latency(url, lib, round);
        samples.latency_p50_us[lib].push(r.p50);
        samples.latency_p99_us[lib].push(r.p99);
      }
    }
    for (const lib of order()) {
      const r = await idle(url, lib, idleCount);
      samples.idle_conn_rss_kib[lib].push(r.rssKiB);
      samples.idle_conn_heap_kib[lib].push(r.heapKiB);
    }

    process.stdout.write(`\n${table(samples, idleCount)}\n`);
    progress(
      `(${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg()[0]?.toFixed(2)})`,
    );
    if (warnings.length > 0)
      process.stdout.write(`\nwarnings:\n${warnings.map((w) => `  ${w}`).join('\n')}\n`);
    if (failures.length > 0) {
      process.stdout.write(`\nFAILED:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    }
    if (JSON_OUT) {
      const out: Record<
        string,
        { mqttkit: number; mqttjs: number; floor: number; ratio: number; floorRatio: number }
      > = {};
      for (const key of KEYS) {
        const kit = median(samples[key].mqttkit);
        const js = median(samples[key].mqttjs);
        const floor = median(samples[key].floor);
        out[key] = {
          mqttkit: round4(kit),
          mqttjs: round4(js),
          floor: round4(floor),
          ratio: round4(kit / js),
          floorRatio: round4(floor / js),
        };
      }
      process.stdout.write(`${JSON.stringify(out)}\n`);
    }
    return failures.length > 0 ? 1 : 0;
  } finally {
    await broker.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
