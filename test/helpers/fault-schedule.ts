// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Seeded fault schedules for the fault-injection rig (test/helpers/soak-run.ts): which network or broker fault
 * comes next and how long the clients publish in between, drawn from a small PRNG so that a seed names a schedule;
 * and the {@link FaultInjector} that applies each fault to a {@link FaultProxy} (and to the {@link Broker} for
 * restarts) and waits, by awaiting the clients' events, until the clients have noticed it, are connected again and
 * (when the subject can tell) have caught up.
 *
 * The faults are those a TCP connection can suffer — it never duplicates, reorders or loses bytes in the middle of
 * a stream, so neither does the rig:
 *
 * - `drop`: every connection destroyed at once (both sides);
 * - `cut`: the next chunk from the broker forwarded only halfway, then that connection destroyed (a packet cut in
 *   the middle);
 * - `blackhole`: every connection kept open but silent (a path that died without FIN or RST); the clients must
 *   find out with their keep-alive. When they all have, the stale connections are reset and the path restored;
 * - `delay`: latency on every chunk, both ways, for the following faults, until the next `drop`, `blackhole` or
 *   `restart`. Latency is only ever raised while connections live and cleared only once they are all gone (the
 *   proxy keeps the order of chunks when it is lowered, but this keeps the schedules of earlier seeds as they
 *   were). No `cut` is drawn while latency is on: the cut half-chunk goes out at once and would overtake the chunks
 *   held back (a reordered TCP stream);
 * - `restart`: Mosquitto stopped (SIGTERM: with persistence on it saves its sessions and queued messages) and
 *   started again on the same ports.
 *
 * The schedule itself is a pure function of the seed ({@link faultPlan}); what the clients do in between depends
 * on timing, so a seed reproduces the faults, not every packet.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './clients.js';
import type { FaultProxy } from './fault-proxy.js';
import type { Broker } from './mosquitto.js';
import { seededRandom } from './seeded-random.js';

/** The kinds of fault, in the order they are reported. */
export const FAULT_KINDS = ['drop', 'cut', 'blackhole', 'delay', 'restart'] as const;

/** A kind of fault; see the module comment. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A count per kind of fault. */
export type FaultCounts = Record<FaultKind, number>;

/** One fault of a schedule. */
export interface Fault {
  /** Position in the schedule, from 0. */
  readonly index: number;
  readonly kind: FaultKind;
  /** How long the clients publish, connected, before this fault is injected (ms). */
  readonly gapMs: number;
  /** For `delay`: the latency each chunk gets from now on, each way (ms); 0 for the other kinds. */
  readonly latencyMs: number;
}

/** Options of {@link faultPlan}. */
export interface PlanOptions {
  /** Relative weight of each kind (default {@link DEFAULT_WEIGHTS}); 0 never draws it. */
  weights?: Partial<FaultCounts>;
  /** Range of {@link Fault.gapMs}, inclusive (default 20–100 ms). */
  gapMs?: readonly [number, number];
  /** Range of the gap after a `delay`, during which the latency is felt (default 150–400 ms). */
  delayGapMs?: readonly [number, number];
  /** Range of the latency of a `delay` (default 10–100 ms each way). */
  latencyMs?: readonly [number, number];
}

/**
 * Default weights: mostly drops and cuts (cheap, and the harshest on flows in flight), some latency, a few
 * half-open connections (each costs a keep-alive period to detect) and rare broker restarts.
 */
export const DEFAULT_WEIGHTS: Readonly<FaultCounts> = {
  drop: 40,
  cut: 30,
  blackhole: 5,
  delay: 15,
  restart: 3,
};

/** A fresh random seed (32 bits), for runs that were given none. */
export function randomSeed(): number {
  return (Math.random() * 4_294_967_296) >>> 0;
}

/**
 * The endless schedule of faults for `seed`: kinds drawn by weight (no `cut` while latency is on, see the module
 * comment), gaps and latencies drawn from their ranges. Pure: the same seed and options give the same faults.
 *
 * @throws {Error} when every weight is 0.
 */
export function* faultPlan(seed: number, options: PlanOptions = {}): Generator<Fault, never> {
  const random = seededRandom(seed);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const [gapMin, gapMax] = options.gapMs ?? [20, 100];
  const [delayGapMin, delayGapMax] = options.delayGapMs ?? [150, 400];
  const [latencyMin, latencyMax] = options.latencyMs ?? [10, 100];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  let latency = 0;
  for (let index = 0; ; index++) {
    const allowed = FAULT_KINDS.filter((k) => weights[k] > 0 && !(k === 'cut' && latency > 0));
    const total = allowed.reduce((sum, k) => sum + weights[k], 0);
    if (total === 0) throw new Error('faultPlan: every fault kind has weight 0');
    const kind = pick(allowed, weights, random() * total);
    const afterDelay = index > 0 && latency > 0;
    let latencyMs = 0;
    if (kind === 'delay') {
      // Only ever raised while it lasts (see the module comment).
      latency = Math.max(latency, between(latencyMin, latencyMax));
      latencyMs = latency;
    } else if (kind !== 'cut') {
      latency = 0;
    }
    // The gap before this fault follows the previous one: longer after a delay, so that the latency is felt.
    const gapMs = afterDelay ? between(delayGapMin, delayGapMax) : between(gapMin, gapMax);
    yield { index, kind, gapMs, latencyMs };
  }
}

// The kind whose share of the cumulated weights holds `draw` (0 ≤ draw < the sum of the weights of `kinds`).
function pick(kinds: readonly FaultKind[], weights: FaultCounts, draw: number): FaultKind {
  let left = draw;
  for (const k of kinds) {
    left -= weights[k];
    if (left < 0) return k;
  }
  return kinds[kinds.length - 1] as FaultKind;
}

/** The first `count` faults of {@link faultPlan}. */
export function planFaults(seed: number, count: number, options?: PlanOptions): Fault[] {
  const out: Fault[] = [];
  for (const fault of faultPlan(seed, options)) {
    if (out.length === count) break;
    out.push(fault);
  }
  return out;
}

/** Zero of each kind. */
export function noFaults(): FaultCounts {
  return { drop: 0, cut: 0, blackhole: 0, delay: 0, restart: 0 };
}

/**
 * What a {@link FaultInjector} acts on and watches: the proxy every client connects through, the broker behind it,
 * and the clients' connection events.
 */
export interface FaultSubject {
  readonly proxy: FaultProxy;
  /** Needed for `restart`. */
  readonly broker?: Broker | undefined;
  /**
   * Resolves, with the error each reported, once every client connected at the time of the call has lost that
   * connection (its `disconnect` event).
   */
  connectionsLost(): Promise<(Error | undefined)[]>;
  /** Resolves at the next lost connection or failed connection attempt of any client. */
  anyConnectionLost(): Promise<void>;
  /** Resolves once every client is connected (at once when they are). */
  allConnected(): Promise<void>;
  /**
   * Optional: resolves once the clients, connected again, have caught up with the fault (for the rig: every
   * subscriber has received what the publishers completed until now), so that the next fault strikes a system
   * that recovered from this one rather than one still replaying it.
   */
  settled?(): Promise<void>;
}

/** Options of {@link FaultInjector}. */
export interface InjectorOptions {
  /** Named in every error, so that a failure can be replayed. */
  seed: number;
  /** How long the clients get to notice a drop, cut or restart, and then to connect again (default 10,000 ms). */
  recoverTimeoutMs?: number;
  /** How long the clients get to find a half-open connection by their keep-alive (default 10,000 ms). */
  detectTimeoutMs?: number;
  /** Told each fault as it is injected. */
  onFault?: (fault: Fault) => void;
}

/** Time spent on faults of one kind, from injection to every client connected again (and settled). */
export interface FaultTiming {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Applies faults to a {@link FaultSubject} one at a time, each followed by the wait until the clients have
 * recovered, and counts them.
 */
export class FaultInjector {
  /** Faults injected so far, per kind. */
  readonly counts = noFaults();
  /** Time from each fault to full recovery, per kind. */
  readonly timings = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, { count: 0, totalMs: 0, maxMs: 0 }]),
  ) as Record<FaultKind, FaultTiming>;
  /** Half-open connections closed by the client's own keep-alive (a TimeoutError), and those closed otherwise. */
  readonly halfOpen = { byKeepAlive: 0, otherwise: 0 };
  private latency = 0;
  private readonly recoverMs: number;
  private readonly detectMs: number;

  constructor(
    private readonly subject: FaultSubject,
    private readonly options: InjectorOptions,
  ) {
    this.recoverMs = options.recoverTimeoutMs ?? 10_000;
    this.detectMs = options.detectTimeoutMs ?? 10_000;
  }

  /** Total faults injected. */
  get total(): number {
    return FAULT_KINDS.reduce((sum, k) => sum + this.counts[k], 0);
  }

  /**
   * Waits the fault's gap, injects it, and resolves once the clients have recovered.
   *
   * @throws {Error} naming the seed, the fault and what did not happen in time; or when a `restart` has no broker.
   */
  async run(fault: Fault, signal?: AbortSignal): Promise<void> {
    await sleep(fault.gapMs, undefined, signal ? { signal } : undefined);
    const started = performance.now();
    this.options.onFault?.(fault);
    this.counts[fault.kind]++;
    await this.inject(fault);
    await this.bounded(this.subject.allConnected(), fault, 'every client connected again', this.recoverMs);
    if (this.subject.settled !== undefined) {
      await this.bounded(this.subject.settled(), fault, 'the clients caught up', this.recoverMs);
    }
    const ms = performance.now() - started;
    const timing = this.timings[fault.kind];
    timing.count++;
    timing.totalMs += ms;
    timing.maxMs = Math.max(timing.maxMs, ms);
  }

  /** Ends any latency and lets every connection through again, then waits until every client is connected. */
  async heal(): Promise<void> {
    const { proxy } = this.subject;
    if (this.latency > 0) {
      this.resetLinks();
    }
    proxy.restore();
    await within(
      this.subject.allConnected(),
      `seed ${this.options.seed}: after the last fault, every client connected again`,
      this.recoverMs,
    );
  }

  private async inject(fault: Fault): Promise<void> {
    const { proxy, broker } = this.subject;
    switch (fault.kind) {
      case 'drop': {
        const lost = this.subject.connectionsLost();
        this.resetLinks();
        await this.bounded(lost, fault, 'every client noticed the drop', this.recoverMs);
        return;
      }
      case 'cut': {
        const lost = this.subject.anyConnectionLost();
        await this.bounded(proxy.cutMidPacket(), fault, 'a chunk from the broker to cut', this.recoverMs);
        await this.bounded(lost, fault, 'the client noticed the cut', this.recoverMs);
        return;
      }
      case 'blackhole': {
        const lost = this.subject.connectionsLost();
        proxy.blackhole();
        const errors = await this.bounded(lost, fault, 'every half-open connection detected', this.detectMs);
        for (const e of errors) {
          if (e?.name === 'TimeoutError') this.halfOpen.byKeepAlive++;
          else this.halfOpen.otherwise++;
        }
        // The stale connections lost bytes: they must not carry on when the path comes back.
        this.resetLinks();
        proxy.restore();
        return;
      }
      case 'delay':
        this.latency = fault.latencyMs;
        proxy.delay(fault.latencyMs);
        return;
      case 'restart': {
        if (broker === undefined)
          throw new Error(`seed ${this.options.seed}: a restart fault without a broker`);
        if (this.latency > 0) this.resetLinks();
        const lost = this.subject.connectionsLost();
        await broker.restart();
        await this.bounded(lost, fault, 'every client noticed the restart', this.recoverMs);
        return;
      }
    }
  }

  // Destroys every connection (and with it every chunk the latency holds back), then clears the latency.
  private resetLinks(): void {
    this.subject.proxy.drop();
    this.subject.proxy.delay(0);
    this.latency = 0;
  }

  private bounded<T>(promise: Promise<T>, fault: Fault, what: string, ms: number): Promise<T> {
    return within(promise, `seed ${this.options.seed}, fault #${fault.index} (${fault.kind}): ${what}`, ms);
  }
}
