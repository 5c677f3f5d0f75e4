// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What a leak test measures, from inside the test process: the heap in use after a full garbage collection
 * (forced without `--expose-gc` on the command line), whether sampled objects were collected, and the process's
 * active resources (sockets, timers …) counted by type.
 *
 * ```ts
 * const before = await settledHeapUsed();
 * // … many cycles …
 * const grown = (await settledHeapUsed()) - before;
 * ```
 *
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full, blocking garbage collection. V8 only exposes `gc()` under `--expose-gc`; set at run time, the flag
 * applies to contexts created afterwards, so a fresh `vm` context has the function (and it collects the whole
 * heap, not only that context's).
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    const global = (globalThis as { gc?: () => void }).gc;
    if (global !== undefined) gc = global;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc();
}

/**
 * A full turn of the event loop, so that pending close callbacks, promise jobs and finalisers have run. Two check
 * phases: a handle closed before the first (a server's `close()` callback comes before its handle is released)
 * is released in the close phase that follows it.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * `heapUsed` after letting the event loop turn and collecting garbage a few times, so that what is only waiting
 * for a callback (a closing handle, a settled promise's reactions, a WeakRef's target) is gone too.
 */
export async function settledHeapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await nextTurn();
    collectGarbage();
  }
  return process.memoryUsage().heapUsed;
}

/** `process.getActiveResourcesInfo()` counted by type (`TCPSocketWrap`, `Timeout`, …). */
export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The types of which `now` has more than `before`, as `type: before → now`; empty when none grew. */
export function resourcesGrown(before: Record<string, number>, now: Record<string, number>): string[] {
  return Object.entries(now)
    .filter(([type, n]) => n > (before[type] ?? 0))
    .map(([type, n]) => `${type}: ${before[type] ?? 0} → ${n}`);
}

/**
 * Weak references to every `every`-th object offered, to check later that they were all collected: exact where
 * a heap figure is only a bound, and holding nothing alive itself.
 */
export class CollectionSample<T extends object> {
  private readonly refs: WeakRef<T>[] = [];
  private offered = 0;

  constructor(private readonly every: number) {}

  /** Offers one object; every `every`-th (the first included) is sampled. */
  offer(value: T): void {
    if (this.offered++ % this.every === 0) this.refs.push(new WeakRef(value));
  }

  /** How many objects were sampled. */
  get size(): number {
    return this.refs.length;
  }

  /** How many sampled objects are still alive. Collect garbage first, in a later turn than the last `offer`. */
  alive(): number {
    return this.refs.filter((r) => r.deref() !== undefined).length;
  }
}

/**
 * Offers every client TCP socket Node opens from now on (`net.connect`, through the `net.client.socket`
 * diagnostics channel) to `sample`, until the returned function is called.
 */
export function sampleClientSockets(sample: CollectionSample<object>): () => void {
  const onSocket = (message: unknown): void => {
    sample.offer((message as { socket: object }).socket);
  };
  subscribe('net.client.socket', onSocket);
  return () => {
    unsubscribe('net.client.socket', onSocket);
  };
}
