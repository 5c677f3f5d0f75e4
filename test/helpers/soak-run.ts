// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The fault-injection rig shared by the fault tests (test/integration/fault-rig.test.ts) and `npm run soak`
 * (scripts/soak.ts): a Mosquitto with persistence on, a {@link FaultProxy} in front of it, and per QoS level a group
 * of publishers and subscribers with persistent sessions connecting through the proxy, while a seeded schedule
 * ({@link faultPlan}) injects faults.
 *
 * Each publisher publishes sequence numbers (`0`, `1`, … on a topic of its own) without pause, up to a window of
 * unacknowledged publications and a steady rate, so that faults always hit messages in flight. Each subscriber
 * subscribes to the group's topics and records every (publisher, sequence number) it receives. When the faults are
 * over, the network is healed, the publishers stop and every publication must settle; then each publishes one last
 * message, and the rig waits until every subscriber has every completed sequence number of every publisher. What
 * is missing then is lost; what came more than once is duplicated. The subscribers' sessions are persistent
 * (clean: false, fixed client identifiers, a session expiry for MQTT 5), so that what the broker queued for a
 * subscriber while it was away counts too: the check is end to end. Half the clients of a group speak MQTT 5, half
 * MQTT 3.1.1.
 *
 * After each fault the rig waits until every client is connected again and has caught up (every subscriber has
 * what was published meanwhile, and the broker has answered an UNSUBSCRIBE behind its acknowledgements), then
 * lets the publishers run for the gap the schedule draws, then injects the next fault. That pacing, the rate and
 * the broker's in-flight limit keep the rig clear of Mosquitto 2.0.11 bugs that duplicate QoS 2 messages whatever
 * the client does, each reproduced with a raw client: when a connection fails while Mosquitto, right after a
 * reconnect, resends the PUBRELs of its messages in flight, those not yet written stay marked "resend PUBREL",
 * which the next reconnect turns into "resend PUBLISH" (db__message_reconnect_reset_outgoing maps every QoS 2
 * state but "wait for PUBCOMP" to it) — the subscriber, which answered the PUBREL and forgot the identifier,
 * rightly takes the PUBLISH for a new message; and the two described at INFLIGHT_LIMIT below. A fault never
 * strikes during that resend, because the UNSUBSCRIBE is answered after it.
 *
 * With `packetLogDir`, every client logs every packet into a file of its own there, beside the injected faults
 * and the broker's full log: what is needed to tell a client bug from a broker or rig one.
 *
 * @module
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient, type NodeClientOptions } from '../../src/node.js';
import { persistent, topicPrefix } from './clients.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  type FaultCounts,
  FaultInjector,
  type FaultKind,
  type FaultSubject,
  type FaultTiming,
  faultPlan,
  type PlanOptions,
} from './fault-schedule.js';
import { type Broker, startBroker } from './mosquitto.js';
import { seededRandom } from './seeded-random.js';
import { Group, type GroupTotals, Journal, Publisher, Subscriber, Watch } from './soak-clients.js';
import { KilledPublisher, KillSubscriber } from './soak-kills.js';
import { LogFiles, scanBrokerLog } from './soak-logs.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Seeds the fault schedule. */
  seed: number;
  /** One group of clients per entry, publishing and subscribing at that QoS (default [1]). */
  qos?: readonly (1 | 2)[];
  /** Publishers per group (default 2). */
  publishers?: number;
  /** Subscribers per group (default 2). */
  subscribers?: number;
  /**
   * Publisher processes with a durable session store (besides the groups), each killed with SIGKILL at random
   * moments and started again for as long as the faults go on, each with a subscriber of its own (default 0).
   */
  killed?: number;
  /** How long each life of a killed publisher lasts, drawn between the two (default 500 to 3,000 ms). */
  lifeMs?: readonly [number, number];
  /** Stop after this many faults. At least one of `faults` and `durationMs` must be given. */
  faults?: number;
  /** Stop injecting faults after this long (ms). */
  durationMs?: number;
  /** The schedule's weights and ranges. */
  plan?: PlanOptions;
  /** Unacknowledged publications per publisher (default 20). */
  window?: number;
  /**
   * Publications a second per publisher, at most (default 1,000; 0: as fast as the window allows). A broker pushed
   * past what it can forward builds backlogs that only grow under faults; that is not what this rig measures.
   */
  rate?: number;
  /** Keep-alive of every client, in seconds (default 1): how fast a half-open connection is found. */
  keepAlive?: number;
  /** How long the final deliveries may take (default 60,000 ms). */
  drainTimeoutMs?: number;
  /** Stops injecting faults early (the run then drains and counts as usual). */
  signal?: AbortSignal;
  /** Progress lines (a fault count and totals every so often). */
  progress?: (line: string) => void;
  /** Write each client's packet log, the faults and the broker's full log into this directory. */
  packetLogDir?: string;
}

/** What {@link runSoak} found. */
export interface SoakReport {
  seed: number;
  /** From the first client connected to the last check. */
  durationMs: number;
  faults: FaultCounts;
  faultTotal: number;
  /** Time from each fault to every client connected again and caught up, per kind. */
  timings: Record<FaultKind, FaultTiming>;
  /** Half-open connections found by the client's keep-alive, and closed some other way (by the broker's). */
  halfOpen: { byKeepAlive: number; otherwise: number };
  /** Connections after the first of each client (of the rig's own process). */
  reconnects: number;
  /** The killed publishers: processes started and killed, and connections they made. */
  kills: { processes: number; lives: number; kills: number; connects: number };
  /**
   * The largest backlog of a subscriber seen when a fault struck: messages its group's publishers had completed
   * that it had not yet received. Mosquitto may hold as many in flight to it.
   */
  maxBacklog: number;
  groups: GroupTotals[];
  /** What went wrong besides loss and duplicates: recovery timeouts, clients that ended, overflowing buffers. */
  errors: string[];
  /** The events before the first QoS 2 duplicate, and the first duplicates; empty when there was none. */
  journal: string[];
  /** The end of the broker's log, for failure messages. */
  brokerLogTail: string;
  /** The first warnings and errors in the broker's log. */
  brokerWarnings: string[];
}

const VERSIONS = [5, 4] as const;

/**
 * Runs the rig (see the module comment) and reports what it counted. Loss, duplicates and errors are reported,
 * not thrown: the caller decides what fails.
 *
 * @throws {Error} when neither `faults` nor `durationMs` is given, or when the broker or a client cannot start.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  if (options.faults === undefined && options.durationMs === undefined)
    throw new Error('runSoak: give faults or durationMs');
  const logs = options.packetLogDir === undefined ? undefined : new LogFiles(options.packetLogDir);
  const extraConfig = [INFLIGHT_LIMIT, ...(logs ? [] : QUIET_BROKER)].join('\n');
  const broker = await startBroker({ persistence: true, extraConfig });
  let rig: Rig | undefined;
  try {
    rig = new Rig(options, broker, await startFaultProxy(broker.ports.tcp), logs);
    return await rig.run();
  } finally {
    await rig?.close();
    await broker.stop();
    if (logs) {
      copyFileSync(broker.logPath, join(logs.dir, 'mosquitto.log'));
      await logs.close();
    }
  }
}

// The harness logs every packet by default; at these rates that costs the broker more than the messages.
const QUIET_BROKER = ['log_type none', 'log_type error', 'log_type warning', 'log_type notice'];
// Mosquitto 2.0.11 resends a QoS 2 PUBLISH instead of its PUBREL after a restart (MQTT 4.3.3 forbids it; the
// subscriber, which answered the PUBREL and forgot the identifier, rightly takes it for a new message), for every
// in-flight message of a session beyond max_inflight_messages: restoring its persistence file, it puts a session's
// messages back in flight only up to that limit and queues the rest, their state lost (persist__client_msg_restore);
// and the in-flight list does outgrow the limit whenever a subscriber has a backlog, because each PUBCOMP or PUBACK
// lets it move up to the limit more from the queue, counting the in-flight messages only up to the acknowledged
// one (db__message_delete_outgoing). The harness's 0 ("no limit") is the worst case: nothing is restored in
// flight. The largest real limit (65,535 also means none) keeps every in-flight message of these runs in flight.
const INFLIGHT_LIMIT = 'max_inflight_messages 65534';

class Rig implements FaultSubject {
  readonly errors: string[] = [];
  private readonly watches: Watch[] = [];
  private readonly groups: Group[] = [];
  private readonly killed: { publisher: KilledPublisher; subscriber: KillSubscriber; last: number }[] = [];
  private storeRoot: string | undefined;
  private lossWaiters: (() => void)[] = [];
  private readonly journal = new Journal();
  private maxBacklog = 0;

  constructor(
    private readonly options: SoakOptions,
    readonly broker: Broker,
    readonly proxy: FaultProxy,
    private readonly logs: LogFiles | undefined,
  ) {}

  async run(): Promise<SoakReport> {
    const o = this.options;
    const started = performance.now();
    const prefix = topicPrefix('soak');
    for (const [g, qos] of (o.qos ?? [1]).entries()) {
      this.groups.push(await this.startGroup(`${prefix}/g${g}q${qos}`, g, qos));
    }
    for (let k = 0; k < (o.killed ?? 0); k++) await this.startKilled(`${prefix}/k${k}`, k);
    for (const group of this.groups) for (const p of group.publishers) p.start();
    for (const { publisher } of this.killed) publisher.start();

    const injector = new FaultInjector(this, {
      seed: o.seed,
      onFault: (f) => {
        const backlog = Math.max(0, ...this.groups.map((g) => g.backlog()));
        this.maxBacklog = Math.max(this.maxBacklog, backlog);
        const what = `#${f.index} ${f.kind}${f.latencyMs ? ` ${f.latencyMs} ms` : ''}, backlog ${backlog}`;
        this.journal.note(`fault ${what}`);
        this.logs?.line('faults', what);
      },
    });
    await this.inject(injector, started);
    await this.drain();

    const groups = [
      ...this.groups.map((g) => g.totals()),
      ...this.killed.flatMap(({ subscriber, last }) => subscriber.totals(last, 1)),
    ];
    const publishers = this.killed.map((k) => k.publisher);
    return {
      seed: o.seed,
      durationMs: performance.now() - started,
      faults: { ...injector.counts },
      faultTotal: injector.total,
      timings: injector.timings,
      halfOpen: { ...injector.halfOpen },
      reconnects: this.watches.reduce((sum, w) => sum + Math.max(0, w.connects - 1), 0),
      kills: {
        processes: publishers.length,
        lives: publishers.reduce((sum, p) => sum + p.lives, 0),
        kills: publishers.reduce((sum, p) => sum + p.kills, 0),
        connects: publishers.reduce((sum, p) => sum + p.connects, 0),
      },
      maxBacklog: this.maxBacklog,
      groups,
      errors: this.errors,
      journal: this.journal.lines(),
      ...scanBrokerLog(this.broker.logPath),
    };
  }

  async close(): Promise<void> {
    for (const { publisher } of this.killed) publisher.destroy();
    const clients = this.watches.map((w) => w.client);
    for (const c of clients) c.destroy();
    await Promise.all(clients.map((c) => c.closed()));
    await this.proxy.close();
    if (this.storeRoot !== undefined) rmSync(this.storeRoot, { recursive: true, force: true });
  }

  connectionsLost(): Promise<(Error | undefined)[]> {
    return Promise.all(
      this.connections()
        .filter((w) => w.up)
        .map((w) => w.nextLoss()),
    );
  }

  anyConnectionLost(): Promise<void> {
    return new Promise((resolve) => this.lossWaiters.push(resolve));
  }

  allConnected(): Promise<void> {
    return Promise.all(this.connections().map((w) => w.whenUp())).then(() => undefined);
  }

  // The killed publishers' subscribers only pass the barrier: what their publishers completed is not known here.
  settled(): Promise<void> {
    return Promise.all([
      ...this.groups.map((g) => g.caughtUp(`${g.prefix}/barrier`)),
      ...this.killed.map((k) => k.subscriber.client.unsubscribe(`${k.subscriber.topic}/barrier`)),
    ]).then(() => undefined);
  }

  // What the faults must wait for: every client of this process, and every killed publisher.
  private connections(): (Watch | KilledPublisher)[] {
    return [...this.watches, ...this.killed.map((k) => k.publisher)];
  }

  /** Called by the watches on every lost connection and failed attempt. */
  lost(): void {
    for (const w of this.lossWaiters.splice(0)) w();
  }

  private async inject(injector: FaultInjector, started: number): Promise<void> {
    const o = this.options;
    const stopAt = started + (o.durationMs ?? Number.POSITIVE_INFINITY);
    const maxFaults = o.faults ?? Number.POSITIVE_INFINITY;
    let reported = performance.now();
    try {
      for (const fault of faultPlan(o.seed, o.plan)) {
        if (injector.total >= maxFaults || performance.now() >= stopAt || o.signal?.aborted) break;
        await injector.run(fault, o.signal);
        if (o.progress !== undefined && performance.now() - reported >= 10_000) {
          reported = performance.now();
          o.progress(`${injector.total} faults; ${this.groups.map((g) => g.progress()).join('; ')}`);
        }
      }
      await injector.heal();
    } catch (e) {
      if (!o.signal?.aborted) this.errors.push((e as Error).message);
      // Carry on to the count: what the clients did up to here still tells.
      await injector.heal().catch((h: Error) => this.errors.push(h.message));
    }
  }

  // Stops the publishers, waits for every publication to settle, sends the last message of each, and waits until
  // every subscriber has everything.
  private async drain(): Promise<void> {
    const deadline = performance.now() + (this.options.drainTimeoutMs ?? 60_000);
    const left = () => Math.max(1, deadline - performance.now());
    const publishers = this.groups.flatMap((g) => g.publishers);
    const finished = Promise.all(
      this.killed.map(async (k) => {
        const last = await k.publisher.finish();
        if (last === undefined) return;
        k.last = last;
        await k.subscriber.complete(last);
      }),
    );
    const settled = Promise.all(publishers.map((p) => p.stop()));
    if (!(await before(settled, left()))) {
      this.errors.push(`seed ${this.options.seed}: publications still unsettled after the drain deadline`);
      return;
    }
    if (!(await before(Promise.all(publishers.map((p) => p.publishLast())), left()))) {
      this.errors.push(`seed ${this.options.seed}: the last publications unsettled after the drain deadline`);
      return;
    }
    const complete = this.groups.flatMap((g) => g.subscribers.map((s) => s.complete(g.publishers)));
    if (!(await before(Promise.all(complete), left()))) {
      this.errors.push(`seed ${this.options.seed}: not every message delivered by the drain deadline`);
    }
    if (!(await before(finished, left()))) {
      this.errors.push(
        `seed ${this.options.seed}: the killed publishers' messages not all delivered by the deadline`,
      );
    }
  }

  private async startKilled(topic: string, k: number): Promise<void> {
    const o = this.options;
    this.storeRoot ??= mkdtempSync(join(tmpdir(), 'mqttkit-soak-'));
    const client = await this.connect(`ks${k}`, 5);
    const subscriber = new KillSubscriber(client, topic, this.errors, this.journal);
    subscriber.read(
      await client.subscribe(`${topic}/+`, { qos: 2, bufferSize: 1_000_000, overflow: 'error' }),
    );
    const publisher = new KilledPublisher({
      url: `mqtt://127.0.0.1:${this.proxy.port}`,
      directory: join(this.storeRoot, `k${k}`),
      clientId: `soak-kp${k}-${process.pid % 100_000}`,
      topic,
      // Its own stream of the seed, so that adding kills leaves the fault schedule as it was.
      random: seededRandom((o.seed ^ 0x6b696c6c) + k),
      lifeMs: o.lifeMs ?? [500, 3_000],
      errors: this.errors,
      journal: this.journal,
      host: this,
    });
    this.killed.push({ publisher, subscriber, last: 0 });
  }

  private async startGroup(prefix: string, g: number, qos: 1 | 2): Promise<Group> {
    const o = this.options;
    const topics = Array.from({ length: o.publishers ?? 2 }, (_, i) => `${prefix}/p${i}`);
    const subscribers: Subscriber[] = [];
    for (let i = 0; i < (o.subscribers ?? 2); i++) {
      const client = await this.connect(`s${g}q${qos}-${i}`, VERSIONS[i % 2] ?? 5);
      const trace = this.logs?.logger(client.clientId).warn;
      const sub = new Subscriber(client, i, topics, this.errors, this.journal, trace);
      // A buffer that never drops: a full one ends the iteration with an error, reported.
      const handle = await client.subscribe(`${prefix}/+`, { qos, bufferSize: 1_000_000, overflow: 'error' });
      sub.read(handle);
      subscribers.push(sub);
    }
    const publishers: Publisher[] = [];
    for (const [i, topic] of topics.entries()) {
      const client = await this.connect(`p${g}q${qos}-${i}`, VERSIONS[i % 2] ?? 5);
      publishers.push(new Publisher(client, topic, qos, o.window ?? 20, this.errors, o.rate ?? 1_000));
    }
    return new Group(prefix, qos, publishers, subscribers);
  }

  private async connect(tag: string, version: 4 | 5): Promise<MqttClient> {
    const clientId = `soak-${tag}-${process.pid % 100_000}`.slice(0, 23);
    const keepAlive = this.options.keepAlive ?? 1;
    const options: NodeClientOptions = {
      ...persistent(version),
      clientId,
      keepAlive,
      pingTimeout: keepAlive * 300,
      // A reconnect into a black hole is held unanswered: give up on it soon.
      connectTimeout: 2_000,
      reconnect: { minDelay: 5, maxDelay: 100, jitter: 0.5, stableAfter: 500 },
      onClient: (c) => this.watches.push(new Watch(c, this, this.errors, this.journal)),
      ...(this.logs ? { logPackets: true, logger: this.logs.logger(clientId) } : {}),
    };
    return connect(`mqtt://127.0.0.1:${this.proxy.port}`, options);
  }
}

/** Whether `promise` settled within `ms`. */
async function before(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The columns of the table of totals: title, field. */
const COLUMNS = [
  ['publishers', 'label'],
  ['qos', 'qos'],
  ['pubs', 'publishers'],
  ['subs', 'subscribers'],
  ['sent', 'sent'],
  ['expected', 'expected'],
  ['received', 'received'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['failed', 'failed'],
  ['unsettled', 'unsettled'],
] as const satisfies readonly (readonly [string, keyof GroupTotals])[];

/**
 * The report as a few lines of text: the faults, then a table of totals per QoS level, then any samples of lost or
 * duplicated messages and any errors.
 */
export function formatReport(r: SoakReport): string {
  const kinds = Object.entries(r.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const recovery = Object.entries(r.timings)
    .filter(([, t]) => t.count > 0 && t.totalMs > 0)
    .map(([k, t]) => `${k} ${(t.totalMs / t.count).toFixed(0)}/${t.maxMs.toFixed(0)}`)
    .join(', ');
  const lines = [
    `seed ${r.seed}: ${r.faultTotal} faults in ${(r.durationMs / 1000).toFixed(1)} s (${kinds}); ` +
      `${r.reconnects} reconnects; half-open connections found by keep-alive ${r.halfOpen.byKeepAlive}, ` +
      `otherwise ${r.halfOpen.otherwise}`,
    `recovery ms (mean/max): ${recovery}; largest subscriber backlog at a fault ${r.maxBacklog}`,
  ];
  if (r.kills.processes > 0)
    lines.push(
      `killed publishers: ${r.kills.processes} with a file session store, killed ${r.kills.kills} times in ` +
        `${r.kills.lives} lives, ${r.kills.connects} connections`,
    );
  const head = COLUMNS.map(([title]) => title);
  const rows = r.groups.map((g) => COLUMNS.map(([, key]) => String(g[key])));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [head, ...rows]) lines.push(row.map((c, i) => c.padStart(widths[i] ?? 0)).join('  '));
  for (const g of r.groups) {
    const name = `${g.label} QoS ${g.qos}`;
    if (g.lostSample.length > 0) lines.push(`${name} lost: ${g.lostSample.join(', ')}`);
    if (g.duplicateSample.length > 0) lines.push(`${name} duplicated: ${g.duplicateSample.join(', ')}`);
  }
  for (const e of r.errors) lines.push(`error: ${e}`);
  for (const w of r.brokerWarnings) lines.push(`broker: ${w}`);
  if (r.journal.length > 0)
    lines.push('journal, up to the first duplicate:', ...r.journal.map((l) => `  ${l}`));
  return lines.join('\n');
}
