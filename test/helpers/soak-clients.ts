// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The clients of the fault-injection rig (test/helpers/soak-run.ts) and what they count: {@link Watch} follows a
 * client's connection from its events, {@link Publisher} publishes sequence numbers without pause, {@link
 * Subscriber} records how often each (publisher, sequence number) arrived, {@link Group} adds up the totals of one
 * QoS level, and {@link Journal} keeps the recent events that explain a first duplicate.
 *
 * @module
 */
import type { Message, MqttClient } from '../../src/node.js';

/** How many lost or duplicated messages, errors and journal lines a report lists at most. */
export const SAMPLE = 10;

/** The totals of one group of clients. */
export interface GroupTotals {
  /** `live`: publishers in the rig's own process; `killed`: publisher processes killed and started again. */
  label: 'live' | 'killed';
  qos: 1 | 2;
  publishers: number;
  subscribers: number;
  /** Publications completed (PUBACK / PUBCOMP), the last one of each publisher included. */
  sent: number;
  /** Publications rejected. */
  failed: number;
  /** Publications whose promise had not settled by the deadline. */
  unsettled: number;
  /** Deliveries due: each completed publication to each subscriber. */
  expected: number;
  /** Deliveries, duplicates included. */
  received: number;
  /** Deliveries due that never came. */
  lost: number;
  /** Deliveries beyond the first of the same message to the same subscriber. */
  duplicated: number;
  /** The first few lost and duplicated messages, as `sub<i> ← pub<j> #<seq>`. */
  lostSample: string[];
  duplicateSample: string[];
}

/**
 * A client's connection state, from its events: whether it is connected, how often it connected, and promises of
 * its next lost connection and of its being connected. Tells `host` of every lost connection or failed attempt,
 * `journal` of every connection and loss, and `errors` of a client that ended by itself.
 */
export class Watch {
  /** Connected now (between a `connect` and the next `disconnect` event). */
  up = false;
  /** `connect` events so far. */
  connects = 0;
  private lossWaiters: ((e: Error | undefined) => void)[] = [];
  private upWaiters: (() => void)[] = [];

  constructor(
    readonly client: MqttClient,
    host: { lost(): void },
    errors: string[],
    journal: Journal,
  ) {
    client.on('connect', ({ sessionPresent }) => {
      this.up = true;
      this.connects++;
      journal.note(`${client.clientId} connected, session present: ${sessionPresent}`);
      for (const w of this.upWaiters.splice(0)) w();
    });
    client.on('disconnect', ({ error }) => {
      this.up = false;
      journal.note(`${client.clientId} lost its connection: ${error?.message}`);
      for (const w of this.lossWaiters.splice(0)) w(error);
      host.lost();
    });
    client.on('connectFailure', () => host.lost());
    client.on('close', (error) => {
      if (error !== undefined) errors.push(`client ${client.clientId} ended: ${error.message}`);
    });
  }

  /** Resolves at the next `disconnect` event, with its error. */
  nextLoss(): Promise<Error | undefined> {
    return new Promise((resolve) => this.lossWaiters.push(resolve));
  }

  /** Resolves once the client is connected (at once when it is). */
  whenUp(): Promise<void> {
    return this.up ? Promise.resolve() : new Promise((resolve) => this.upWaiters.push(resolve));
  }
}

/**
 * Publishes `0`, `1`, `2` … to its topic without pause, with at most `window` publications unsettled and, when
 * `rate` is above 0, at most `rate` a second (paced every 10 ms).
 */
export class Publisher {
  /** The next sequence number. */
  next = 0;
  /** Completed publications. */
  sent = 0;
  /** Sequence numbers whose publication was rejected. */
  readonly failed = new Set<number>();
  private outstanding = 0;
  private running = true;
  private drained: (() => void) | undefined;
  // Publications allowed now by the rate, and the timer that adds to them.
  private credit = Number.POSITIVE_INFINITY;
  private pacer: ReturnType<typeof setInterval> | undefined;
  private readonly settle = () => {
    this.outstanding--;
    if (this.running) this.fill();
    else if (this.outstanding === 0) this.drained?.();
  };

  constructor(
    readonly client: MqttClient,
    readonly topic: string,
    readonly qos: 1 | 2,
    private readonly window: number,
    private readonly errors: string[],
    rate = 0,
  ) {
    if (rate > 0) {
      const perTick = rate / 100;
      this.credit = 0;
      this.pacer = setInterval(() => {
        // A short outage does not turn into a burst: the credit never exceeds one tick's worth or the window.
        this.credit = Math.min(this.credit + perTick, Math.max(perTick, window));
        this.fill();
      }, 10);
      // Never what keeps the process alive, should a run end without stopping its publishers.
      this.pacer.unref();
    }
  }

  /** Starts publishing. */
  start(): void {
    this.fill();
  }

  /** Stops publishing; resolves once every publication has settled. */
  stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pacer);
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** Publishes one more message, after everything else has settled. */
  async publishLast(): Promise<void> {
    this.outstanding++;
    await this.send(this.next++);
  }

  private fill(): void {
    while (this.running && this.outstanding < this.window && this.credit >= 1) {
      this.credit--;
      this.outstanding++;
      void this.send(this.next++);
    }
  }

  private send(seq: number): Promise<void> {
    return this.client.publish(this.topic, String(seq), { qos: this.qos }).then(
      () => {
        this.sent++;
        this.settle();
      },
      (e: Error) => {
        this.failed.add(seq);
        if (this.failed.size <= SAMPLE) this.errors.push(`${this.topic} #${seq} rejected: ${e.message}`);
        this.settle();
      },
    );
  }
}

/**
 * Records how often each (publisher, sequence number) arrived, and tells `journal` (and `trace`, when given) of
 * every duplicate.
 */
export class Subscriber {
  /** Deliveries, duplicates included. */
  received = 0;
  /** Messages received at least once. */
  distinct = 0;
  // Per publisher, per sequence number: how many times it arrived (saturating at 255).
  private counts: Uint8Array[];
  private readonly topics: Map<string, number>;
  private missing = Number.POSITIVE_INFINITY;
  // Per publisher: the sequence numbers to wait for (below `due`, not in `failed`).
  private due: number[] = [];
  private failed: ReadonlySet<number>[] = [];
  private done: (() => void) | undefined;
  // {@link Subscriber.reached}: the count awaited, and who awaits it.
  private awaited = Number.POSITIVE_INFINITY;
  private reach: (() => void) | undefined;

  constructor(
    readonly client: MqttClient,
    readonly index: number,
    topics: string[],
    private readonly errors: string[],
    private readonly journal: Journal,
    private readonly trace?: (line: string) => void,
  ) {
    this.topics = new Map(topics.map((t, i) => [t, i]));
    this.counts = topics.map(() => new Uint8Array(1024));
  }

  /** Records every message of `messages` (a subscription) as it arrives. */
  read(messages: AsyncIterable<Message>): void {
    (async () => {
      for await (const m of messages) this.record(m);
    })().catch((e: Error) => {
      if (e.name !== 'ClientClosedError') this.errors.push(`subscriber ${this.index}: ${e.message}`);
    });
  }

  /** Resolves once every completed publication of `publishers` has arrived. */
  complete(publishers: readonly Publisher[]): Promise<void> {
    this.due = publishers.map((p) => p.next);
    this.failed = publishers.map((p) => p.failed);
    this.missing = 0;
    for (const [p, pub] of publishers.entries()) {
      for (let seq = 0; seq < pub.next; seq++)
        if (!pub.failed.has(seq) && this.count(p, seq) === 0) this.missing++;
    }
    if (this.missing === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  /** Resolves once {@link Subscriber.distinct} is at least `count`. */
  reached(count: number): Promise<void> {
    if (this.distinct >= count) return Promise.resolve();
    this.awaited = count;
    return new Promise((resolve) => {
      this.reach = resolve;
    });
  }

  /** How many times message `seq` of publisher `p` arrived. */
  count(p: number, seq: number): number {
    return this.counts[p]?.[seq] ?? 0;
  }

  private record(m: Message): void {
    const p = this.topics.get(m.topic);
    const seq = Number(m.text());
    if (p === undefined || !Number.isInteger(seq) || seq < 0) {
      this.errors.push(`subscriber ${this.index}: unexpected message ${m.topic} ${m.text().slice(0, 40)}`);
      return;
    }
    this.received++;
    let counts = this.counts[p] as Uint8Array;
    if (seq >= counts.length) {
      const grown = new Uint8Array(Math.max(counts.length * 2, seq + 1));
      grown.set(counts);
      this.counts[p] = counts = grown;
    }
    const before = counts[seq] ?? 0;
    if (before < 255) counts[seq] = before + 1;
    if (before === 0 && ++this.distinct >= this.awaited) {
      this.awaited = Number.POSITIVE_INFINITY;
      this.reach?.();
    }
    if (before > 0) {
      const what = `duplicate: sub${this.index} ← pub${p} #${seq} (packet ${m.packetId}, dup ${m.dup}, QoS ${m.qos})`;
      if (m.qos === 2) this.journal.problem(what);
      this.trace?.(what);
    }
    if (before > 0 || seq >= (this.due[p] ?? 0) || this.failed[p]?.has(seq)) return;
    if (--this.missing === 0) this.done?.();
  }
}

/** The publishers and subscribers of one QoS level. */
export class Group {
  constructor(
    /** The topics of this group begin with it. */
    readonly prefix: string,
    readonly qos: 1 | 2,
    readonly publishers: Publisher[],
    readonly subscribers: Subscriber[],
  ) {}

  /** Publications completed so far. */
  sent(): number {
    return this.publishers.reduce((sum, p) => sum + p.sent, 0);
  }

  /** The largest number of completed publications a subscriber has not received yet. */
  backlog(): number {
    const sent = this.sent();
    return Math.max(0, ...this.subscribers.map((s) => sent - s.distinct));
  }

  /**
   * Resolves once every subscriber has received as many messages as were completed at the call, and the broker
   * has then answered an UNSUBSCRIBE of `barrier` from each: since the broker handles a connection's packets in
   * order, it has by then handled every acknowledgement the subscriber sent before, and finished what it does
   * when a client connects (resending every message in flight).
   */
  async caughtUp(barrier: string): Promise<void> {
    const sent = this.sent();
    await Promise.all(this.subscribers.map((s) => s.reached(sent)));
    await Promise.all(this.subscribers.map((s) => s.client.unsubscribe(barrier)));
  }

  /** A short line of totals so far. */
  progress(): string {
    const sent = this.publishers.reduce((sum, p) => sum + p.sent, 0);
    const received = this.subscribers.reduce((sum, s) => sum + s.received, 0);
    return `QoS ${this.qos}: sent ${sent}, received ${received}`;
  }

  /** The totals, once the run is over: every completed sequence number checked at every subscriber. */
  totals(): GroupTotals {
    const t: GroupTotals = {
      label: 'live',
      qos: this.qos,
      publishers: this.publishers.length,
      subscribers: this.subscribers.length,
      sent: 0,
      failed: 0,
      unsettled: 0,
      expected: 0,
      received: 0,
      lost: 0,
      duplicated: 0,
      lostSample: [],
      duplicateSample: [],
    };
    for (const pub of this.publishers) {
      t.sent += pub.sent;
      t.failed += pub.failed.size;
      t.unsettled += pub.next - pub.sent - pub.failed.size;
    }
    t.expected = t.sent * this.subscribers.length;
    for (const sub of this.subscribers) {
      t.received += sub.received;
      for (const [p, pub] of this.publishers.entries()) {
        for (let seq = 0; seq < pub.next; seq++) {
          const n = sub.count(p, seq);
          const name = `sub${sub.index} ← pub${p} #${seq}`;
          if (n === 0 && !pub.failed.has(seq)) {
            if (t.lost++ < SAMPLE) t.lostSample.push(name);
          } else if (n > 1) {
            t.duplicated += n - 1;
            if (t.duplicateSample.length < SAMPLE) t.duplicateSample.push(`${name} ×${n}`);
          }
        }
      }
    }
    return t;
  }
}

/**
 * The recent events of a run (faults, connections, losses of connection), frozen at the first problem (a
 * duplicate at QoS 2) and followed by the first problems: what a report shows to explain it.
 */
export class Journal {
  private readonly start = performance.now();
  private recent: string[] = [];
  private frozen: string[] | undefined;
  private readonly problems: string[] = [];

  constructor(private readonly keep = 40) {}

  /** Something that happened. */
  note(line: string): void {
    this.recent.push(`${this.now()} ${line}`);
    if (this.recent.length > 2 * this.keep) this.recent = this.recent.slice(-this.keep);
  }

  /** Something that went wrong; the first freezes the events before it. */
  problem(line: string): void {
    this.frozen ??= this.recent.slice(-this.keep);
    if (this.problems.length < SAMPLE) this.problems.push(`${this.now()} ${line}`);
  }

  /** The events before the first problem and the first problems; nothing when there was none. */
  lines(): string[] {
    return this.frozen === undefined ? [] : [...this.frozen, '--- first problems:', ...this.problems];
  }

  private now(): string {
    return `${((performance.now() - this.start) / 1000).toFixed(3)}s`;
  }
}
