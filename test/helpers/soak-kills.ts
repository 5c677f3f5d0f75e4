// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The killed publishers of the fault-injection rig (test/helpers/soak-run.ts): child processes that publish with a
 * FileSessionStore (test/integration/fixtures/durable-publisher.ts) through the rig's proxy, killed with
 * SIGKILL at seeded random moments and started again, for as long as the faults go on — so that process kills
 * land among dropped, cut and black-holed connections and broker restarts. {@link KilledPublisher} runs the
 * lives of one such process and follows its connection from the lines it prints; {@link KillSubscriber} counts
 * what arrives of its messages, by sequence number.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Message, MqttClient } from '../../src/node.js';
import { type GroupTotals, type Journal, SAMPLE } from './soak-clients.js';

const FIXTURE = fileURLToPath(new URL('../integration/fixtures/durable-publisher.ts', import.meta.url));

/** Options of a {@link KilledPublisher}. */
export interface KilledPublisherOptions {
  /** The broker (through the rig's proxy). */
  url: string;
  /** The store directory of this publisher (one of its own). */
  directory: string;
  clientId: string;
  /** Messages go to `<topic>/1` (odd sequence numbers, QoS 1) and `<topic>/2` (even, QoS 2). */
  topic: string;
  /** Draws the moment of each kill. */
  random: () => number;
  /** Each life is killed this long after it was started, drawn between the two (ms). */
  lifeMs: readonly [number, number];
  errors: string[];
  journal: Journal;
  /** Told of every lost connection, as the rig's watches tell it. */
  host: { lost(): void };
}

/**
 * One publisher process, started again each time it is killed, until {@link KilledPublisher.finish}. Looks like a
 * connection to the rig: `up`, {@link KilledPublisher.nextLoss} and {@link KilledPublisher.whenUp}, from the
 * "connected" and "lost" lines the process prints; a kill counts as a lost connection.
 */
export class KilledPublisher {
  /** Connected now, as far as the lines printed so far tell. */
  up = false;
  /** Connections made, over all lives. */
  connects = 0;
  /** Processes started. */
  lives = 0;
  /** Processes killed. */
  kills = 0;
  private child: ChildProcess | undefined;
  private killTimer: ReturnType<typeof setTimeout> | undefined;
  private stopping = false;
  private destroyed = false;
  private finished: ((last: number | undefined) => void) | undefined;
  private lossWaiters: ((e: Error | undefined) => void)[] = [];
  private upWaiters: (() => void)[] = [];

  constructor(private readonly o: KilledPublisherOptions) {}

  /** Starts the first life. */
  start(): void {
    this.live();
  }

  /** Resolves at the next lost connection or kill. */
  nextLoss(): Promise<Error | undefined> {
    return new Promise((resolve) => this.lossWaiters.push(resolve));
  }

  /** Resolves once the process is connected (at once when it is). */
  whenUp(): Promise<void> {
    return this.up ? Promise.resolve() : new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /**
   * Stops the kills and tells the process to stop handing over messages; resolves, once it has sent and settled
   * everything, with the last sequence number it handed over — or `undefined` when it failed (see `errors`).
   */
  finish(): Promise<number | undefined> {
    this.stopping = true;
    clearTimeout(this.killTimer);
    writeFileSync(join(this.o.directory, 'stop'), '');
    return new Promise((resolve) => {
      this.finished = resolve;
      if (this.child === undefined) this.live();
    });
  }

  /** Kills the process for good (the end of a run cut short). */
  destroy(): void {
    this.stopping = true;
    this.destroyed = true;
    clearTimeout(this.killTimer);
    this.child?.kill('SIGKILL');
    this.finished?.(undefined);
  }

  private live(): void {
    const { o } = this;
    this.lives++;
    const args = [o.url, o.directory, o.clientId, 'until-stop', o.topic, 'paced', 'events'];
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let done: number | undefined;
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 4_000) stderr += c.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'connected') this.connected();
      else if (line === 'lost') this.lost();
      else if (line.startsWith('done ')) done = Number(line.slice(5));
    });
    if (!this.stopping) {
      const [min, max] = o.lifeMs;
      this.killTimer = setTimeout(() => child.kill('SIGKILL'), min + Math.floor(o.random() * (max - min)));
    }
    child.once('exit', (code, signal) => {
      clearTimeout(this.killTimer);
      this.child = undefined;
      if (this.up) this.lost();
      if (signal === 'SIGKILL') {
        this.kills++;
        o.journal.note(`${o.clientId} killed (life ${this.lives})`);
        if (!this.destroyed) this.live();
        return;
      }
      // Exits by itself only once told to stop, after "done".
      if (code !== 0 || done === undefined || !this.stopping) {
        o.errors.push(
          `${o.clientId} (life ${this.lives}) exited with ${signal ?? code}: ${stderr.slice(0, 2_000)}`,
        );
        this.finished?.(undefined);
        return;
      }
      this.finished?.(done);
    });
  }

  private connected(): void {
    this.up = true;
    this.connects++;
    for (const w of this.upWaiters.splice(0)) w();
  }

  private lost(): void {
    this.up = false;
    for (const w of this.lossWaiters.splice(0)) w(undefined);
    this.o.host.lost();
  }
}

/**
 * Counts how often each sequence number of one {@link KilledPublisher} arrived (odd ones on `<topic>/1`, even on
 * `<topic>/2`).
 */
export class KillSubscriber {
  /** Deliveries, duplicates included, per QoS. */
  readonly received = { 1: 0, 2: 0 };
  private counts = new Uint8Array(4_096);
  private missing = Number.POSITIVE_INFINITY;
  private last = 0;
  private done: (() => void) | undefined;

  constructor(
    readonly client: MqttClient,
    readonly topic: string,
    private readonly errors: string[],
    private readonly journal: Journal,
  ) {}

  /** Records every message of `messages` (a subscription to `<topic>/+`) as it arrives. */
  read(messages: AsyncIterable<Message>): void {
    (async () => {
      for await (const m of messages) this.record(m);
    })().catch((e: Error) => {
      if (e.name !== 'ClientClosedError') this.errors.push(`${this.client.clientId}: ${e.message}`);
    });
  }

  /** Resolves once every sequence number from 1 to `last` has arrived. */
  complete(last: number): Promise<void> {
    this.last = last;
    this.missing = 0;
    for (let seq = 1; seq <= last; seq++) if (this.count(seq) === 0) this.missing++;
    if (this.missing === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  /** The totals of messages 1 to `last`, one row per QoS, for the report's table. */
  totals(last: number, processes: number): GroupTotals[] {
    return ([1, 2] as const).map((qos) => {
      const t: GroupTotals = {
        label: 'killed',
        qos,
        publishers: processes,
        subscribers: 1,
        sent: 0,
        failed: 0,
        unsettled: 0,
        expected: 0,
        received: this.received[qos],
        lost: 0,
        duplicated: 0,
        lostSample: [],
        duplicateSample: [],
      };
      for (let seq = qos; seq <= last; seq += 2) {
        t.sent++;
        const n = this.count(seq);
        if (n === 0 && t.lost++ < SAMPLE) t.lostSample.push(`#${seq}`);
        if (n > 1) {
          t.duplicated += n - 1;
          if (t.duplicateSample.length < SAMPLE) t.duplicateSample.push(`#${seq} ×${n}`);
        }
      }
      t.expected = t.sent;
      return t;
    });
  }

  private count(seq: number): number {
    return this.counts[seq] ?? 0;
  }

  private record(m: Message): void {
    const seq = Number(m.text());
    const qos = m.topic === `${this.topic}/1` ? 1 : m.topic === `${this.topic}/2` ? 2 : 0;
    if (qos === 0 || !Number.isInteger(seq) || seq < 1 || seq % 2 !== qos % 2) {
      this.errors.push(`${this.client.clientId}: unexpected message ${m.topic} ${m.text().slice(0, 40)}`);
      return;
    }
    this.received[qos]++;
    if (seq >= this.counts.length) {
      const grown = new Uint8Array(Math.max(this.counts.length * 2, seq + 1));
      grown.set(this.counts);
      this.counts = grown;
    }
    const before = this.counts[seq] ?? 0;
    if (before < 255) this.counts[seq] = before + 1;
    if (before > 0 && qos === 2) this.journal.problem(`duplicate: killed publisher #${seq} (dup ${m.dup})`);
    if (before === 0 && seq <= this.last && --this.missing === 0) this.done?.();
  }
}
