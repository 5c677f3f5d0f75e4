// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Helpers for the client integration tests: a pool of clients that is emptied after each test, awaiting the next
 * event of a client, reading a number of messages from an async iterator, and asserting that an event does not
 * happen within a short bound. Every wait is bounded so that a failure names what was awaited instead of ending
 * in the runner's timeout.
 *
 * @module
 */
import {
  type ClientEvents,
  connect,
  type MqttClient,
  type NodeClientOptions,
  type ProtocolVersion,
} from '../../src/node.js';

/** What `connect()` resolves with. */
export type Connected = Awaited<ReturnType<typeof connect>>;

/** A unique topic prefix per test process, so that parallel test files never see each other's messages. */
export function topicPrefix(area: string): string {
  return `mqttkit-it/${area}/${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Clients created by a test, destroyed together in `afterEach`. */
export class ClientPool {
  private readonly clients = new Set<MqttClient>();

  /** `connect(url, options)` or `connect(options)`, remembering the client (also when connecting fails). */
  connect(url: string | NodeClientOptions, options: NodeClientOptions = {}): Promise<Connected> {
    const o = typeof url === 'string' ? options : url;
    const onClient = o.onClient;
    const tracked: NodeClientOptions = {
      ...o,
      onClient: (c) => {
        this.clients.add(c);
        onClient?.(c);
      },
    };
    return typeof url === 'string' ? connect(url, tracked) : connect(tracked);
  }

  /** Remembers a client made some other way. */
  add<C extends MqttClient>(client: C): C {
    this.clients.add(client);
    return client;
  }

  /** Destroys every client still open and waits until each has ended. */
  async cleanup(): Promise<void> {
    const all = [...this.clients];
    this.clients.clear();
    for (const c of all) c.destroy();
    await Promise.all(all.map((c) => c.closed()));
  }
}

/** Resolves with the arguments of the next `event` of `client`; rejects after `timeoutMs`. */
export function nextEvent<K extends keyof ClientEvents & string>(
  client: MqttClient,
  event: K,
  timeoutMs = 5_000,
): Promise<Parameters<ClientEvents[K]>> {
  return new Promise((resolve, reject) => {
    const listener = ((...args: Parameters<ClientEvents[K]>) => {
      clearTimeout(timer);
      client.off(event, listener);
      resolve(args);
    }) as ClientEvents[K];
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on(event, listener);
  });
}

/** Counts the events of `client` by name, from now on. */
export function countEvents<K extends keyof ClientEvents & string>(
  client: MqttClient,
  events: readonly K[],
): Record<K, number> {
  const counts = Object.fromEntries(events.map((e) => [e, 0])) as Record<K, number>;
  for (const e of events) {
    client.on(e, (() => {
      counts[e]++;
    }) as ClientEvents[K]);
  }
  return counts;
}

/** Reads exactly `count` values from `source` (which must not end first); rejects after `timeoutMs`. */
export async function take<T>(source: AsyncIterable<T> | AsyncIterator<T>, count: number, timeoutMs = 5_000) {
  const it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
  const out: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`only ${out.length} of ${count} values within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (out.length < count) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done === true) throw new Error(`the iterator ended after ${out.length} of ${count} values`);
      out.push(r.value);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/** Bounds `promise` by `timeoutMs`, rejecting with a message naming `what`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after `ms` unless `client` emits `event` first, in which case it rejects. Only for something that must
 * NOT happen; keep `ms` short.
 */
export function noEvent<K extends keyof ClientEvents & string>(
  client: MqttClient,
  event: K,
  ms: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = ((...args: unknown[]) => {
      clearTimeout(timer);
      client.off(event, listener);
      reject(new Error(`unexpected '${event}' event: ${args.map((a) => String(a)).join(', ')}`));
    }) as ClientEvents[K];
    const timer = setTimeout(() => {
      client.off(event, listener);
      resolve();
    }, ms);
    client.on(event, listener);
  });
}

let ids = 0;

/** A client identifier of at most 23 characters (the MQTT 3.1 limit), unique per process. */
export function clientId(tag: string): string {
  return `${tag}-${process.pid % 100_000}-${++ids}`.slice(0, 23);
}

/** Options of a session that outlives the connection, for each protocol version. */
export function persistent(version: ProtocolVersion): NodeClientOptions {
  return version === 5
    ? { protocolVersion: 5, clean: false, sessionExpiryInterval: 60 }
    : { protocolVersion: version, clean: false };
}
