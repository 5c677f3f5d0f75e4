// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One-shot subscribing, the counterparts of paho's `subscribe.simple` and `subscribe.callback`: connect,
 * subscribe, take messages, disconnect, in one awaited call.
 *
 * @module
 */
import type { MqttClient } from '../client/client.js';
import type { SubscribeOptions } from '../client/events.js';
import type { Message } from '../client/message.js';
import type { SubscriptionHandle } from '../client/subscription-handle.js';
import { ClientClosedError, InvalidArgumentError } from '../errors.js';
import type { SubscribeProperties } from '../packet/types.js';
import { validateTopicFilter } from '../topic.js';
import { SubscribeRefusedError } from './errors.js';
import {
  checkQos,
  checkTimeout,
  defined,
  type HelperConnectionOptions,
  type HelperTimeoutOptions,
} from './options.js';
import { Deadline, runWithClient } from './run.js';

/**
 * The subscription options of the subscribing helpers: those of `client.subscribe()` (`qos` for every filter,
 * MQTT 5 `noLocal`, `retainAsPublished`, `retainHandling`, and the buffer of the message iterator), with the
 * SUBSCRIBE properties as `subscribeProperties`, since `properties` is the CONNECT properties as in `connect()`.
 *
 * ```ts
 * const options: HelperSubscriptionOptions = { qos: 1, subscribeProperties: { subscriptionIdentifier: 7 } };
 * ```
 */
export interface HelperSubscriptionOptions extends Omit<SubscribeOptions, 'properties' | 'signal'> {
  /** MQTT 5 SUBSCRIBE properties. */
  subscribeProperties?: SubscribeProperties;
}

/**
 * Options of {@link subscribeCallback}: connection options as in `connect()`, and subscription options. `signal`
 * is how the call is stopped: aborting it ends the client and the call resolves.
 *
 * ```ts
 * const options: SubscribeCallbackOptions = { qos: 1, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface SubscribeCallbackOptions extends HelperConnectionOptions, HelperSubscriptionOptions {}

/**
 * Options of {@link subscribeSimple}: those of {@link subscribeCallback}, how many messages to wait for, whether
 * retained messages count, and a deadline for the whole call.
 *
 * ```ts
 * const options: SubscribeSimpleOptions<3> = { count: 3, retained: false, timeout: 10_000 };
 * ```
 */
export interface SubscribeSimpleOptions<N extends number = number>
  extends SubscribeCallbackOptions,
    HelperTimeoutOptions {
  /** How many messages to wait for (default 1). With 1 the call resolves with the message, else with an array. */
  count?: N;
  /**
   * Whether messages with the retain flag count (default true). With false they are skipped, so the call waits
   * for live messages.
   */
  retained?: boolean;
}

/**
 * What {@link subscribeSimple} resolves with for a `count` of type `N`: one message for 1 (or no count), an array
 * for any other literal, either when the count is only known as a `number`.
 *
 * ```ts
 * const three: SubscribeSimpleResult<3> = await subscribeSimple(url, 'a/#', { count: 3 }); // Message[]
 * ```
 */
export type SubscribeSimpleResult<N extends number> = number extends N
  ? Message | Message[]
  : N extends 1
    ? Message
    : Message[];

/**
 * Connects, subscribes to `filters`, waits for `count` messages (default 1), disconnects cleanly and resolves
 * with the message (count 1) or the messages in arrival order. Retained messages count unless `retained` is false.
 * The client is always ended before the promise settles, also when something fails.
 *
 * ```ts
 * const message = await subscribeSimple('mqtt://localhost', 'sensors/+/temperature', { qos: 1, timeout: 5_000 });
 * console.log(message.topic, message.text());
 * const last3 = await subscribeSimple('mqtt://localhost', ['a/#', 'b/#'], { count: 3, retained: false });
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong filter or option (checked before connecting).
 * @throws {ConnackError} when the broker refuses the connection.
 * @throws {ConnectionError} when the network connection fails.
 * @throws {SubscribeRefusedError} when the broker grants none of the filters.
 * @throws {TimeoutError} when `timeout` passes before `count` messages arrived.
 * @throws {ClientClosedError} when the client ended before `count` messages arrived; or the error that ended it.
 * @throws the signal's reason when `signal` aborts.
 */
export async function subscribeSimple<N extends number = 1>(
  url: string,
  filters: string | string[],
  options: SubscribeSimpleOptions<N> = {},
): Promise<SubscribeSimpleResult<N>> {
  const { count = 1, retained = true, timeout, signal, ...rest } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidArgumentError(`count must be a positive integer, got ${String(count)}`);
  }
  checkTimeout(timeout);
  const { subscription, connection } = splitOptions(filters, rest);
  const out: Message[] = [];
  const deadline = new Deadline(
    signal,
    timeout,
    () => `subscribeSimple: ${out.length} of ${count} messages within ${timeout} ms`,
  );
  await runWithClient(url, connection, deadline, async (client, aborted) => {
    const handle = await subscribeGranted(client, filters, subscription, aborted);
    await readMessages(handle, aborted, (m) => {
      if (retained || !m.retain) out.push(m);
      return out.length < count;
    });
    if (out.length < count) {
      aborted.throwIfAborted();
      throw (await client.closed()) ?? new ClientClosedError('the client ended before the messages arrived');
    }
  });
  return (count === 1 ? out[0] : out) as SubscribeSimpleResult<N>;
}

/**
 * Connects, subscribes to `filters` and calls `callback` with each message, one at a time (an async callback is
 * awaited before the next message), until `signal` aborts or the callback ends the client (`client.end()`). The
 * client reconnects and subscribes again by itself meanwhile, as any client does. Resolves once the client has
 * ended; rejects with the error that ended it, if it ended on an error, or with what the callback threw (the client
 * is then ended first).
 *
 * ```ts
 * const stop = new AbortController();
 * await subscribeCallback('mqtt://localhost', 'alerts/#', (message, client) => {
 *   console.log(message.topic, message.text());
 *   if (message.topic === 'alerts/stop') void client.end();
 * }, { qos: 1, signal: stop.signal });
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong filter, option or callback (checked before connecting).
 * @throws {ConnackError} when the broker refuses the connection.
 * @throws {ConnectionError} when the network connection fails.
 * @throws {SubscribeRefusedError} when the broker grants none of the filters.
 */
export async function subscribeCallback(
  url: string,
  filters: string | string[],
  callback: (message: Message, client: MqttClient) => void | Promise<void>,
  options: SubscribeCallbackOptions = {},
): Promise<void> {
  if (typeof callback !== 'function') {
    throw new InvalidArgumentError(`callback must be a function, got ${typeof callback}`);
  }
  const { signal, ...rest } = options;
  const { subscription, connection } = splitOptions(filters, rest);
  const deadline = new Deadline(signal, undefined, () => 'subscribeCallback aborted');
  try {
    await runWithClient(url, connection, deadline, async (client, aborted) => {
      const handle = await subscribeGranted(client, filters, subscription, aborted);
      await readMessages(handle, aborted, async (m) => {
        await callback(m, client);
        return true;
      });
      if (aborted.aborted) return;
      // The subscription ended because the client did: by the callback's end(), or on an error.
      const error = await client.closed();
      if (error !== undefined) throw error;
    });
  } catch (e) {
    // Aborting is how the call is stopped: not a failure.
    if (signal?.aborted === true && e === signal.reason) return;
    throw e;
  }
}

/** Checks the filters and the subscription options, and parts the subscription options from the connection's. */
function splitOptions<T extends HelperSubscriptionOptions>(filters: string | string[], options: T) {
  const list = typeof filters === 'string' ? [filters] : filters;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidArgumentError('at least one topic filter is needed');
  }
  for (const f of list) validateTopicFilter(f);
  const {
    qos,
    noLocal,
    retainAsPublished,
    retainHandling,
    bufferSize,
    overflow,
    subscribeProperties,
    ...connection
  } = options;
  checkQos(qos, 'qos');
  const subscription: SubscribeOptions = defined({
    qos,
    noLocal,
    retainAsPublished,
    retainHandling,
    bufferSize,
    overflow,
    properties: subscribeProperties,
  });
  return { subscription, connection };
}

/** Subscribes; rejects with {@link SubscribeRefusedError} when the broker granted none of the filters. */
async function subscribeGranted(
  client: MqttClient,
  filters: string | string[],
  options: SubscribeOptions,
  signal: AbortSignal,
): Promise<SubscriptionHandle> {
  const handle = await client.subscribe(filters, { ...options, signal });
  if (!handle.reasonCodes.some((code) => code < 0x80)) {
    throw new SubscribeRefusedError(handle.topicFilters, handle.reasonCodes, handle.properties);
  }
  return handle;
}

/**
 * Reads the subscription's messages, handing each to `each`, until `each` returns false, `signal` aborts (messages
 * still buffered are then dropped) or the subscription ends.
 */
async function readMessages(
  handle: SubscriptionHandle,
  signal: AbortSignal,
  each: (message: Message) => boolean | Promise<boolean>,
): Promise<void> {
  const it = handle[Symbol.asyncIterator]();
  // return() ends the iteration at once, also while next() is waiting.
  const stop = () => void it.return?.();
  signal.addEventListener('abort', stop, { once: true });
  try {
    if (signal.aborted) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true || !(await each(r.value))) return;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await it.return?.();
  }
}
