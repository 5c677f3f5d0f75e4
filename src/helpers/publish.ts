// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One-shot publishing, the counterparts of paho's `publish.single` and `publish.multiple`: connect, publish,
 * disconnect, in one awaited call.
 *
 * @module
 */
import type { PublishOptions } from '../client/events.js';
import type { Payload } from '../client/payload.js';
import { InvalidArgumentError } from '../errors.js';
import type { PublishProperties, QoS } from '../packet/types.js';
import type { PublishResult } from '../session/types.js';
import { validateTopicName } from '../topic.js';
import {
  checkQos,
  checkTimeout,
  defined,
  type HelperConnectionOptions,
  type HelperTimeoutOptions,
} from './options.js';
import { Deadline, runWithClient } from './run.js';

/**
 * One message of {@link publishMultiple}.
 *
 * ```ts
 * const message: PublishMessage = { topic: 'status/door', payload: 'open', qos: 1, retain: true };
 * ```
 */
export interface PublishMessage {
  /** The topic name (empty only with an MQTT 5 `topicAlias` set up by an earlier message of the same call). */
  topic: string;
  /** The payload; a string is sent as UTF-8. Default: empty. */
  payload?: Payload;
  /** Default 0. */
  qos?: QoS;
  /** Default false. */
  retain?: boolean;
  /** MQTT 5 PUBLISH properties (content type, user properties, message expiry interval …). */
  properties?: PublishProperties;
}

/**
 * Options of {@link publishMultiple}: the connection options of `connect()` and a deadline for the whole call.
 *
 * ```ts
 * const options: MultiplePublishOptions = { protocolVersion: 5, timeout: 10_000 };
 * ```
 */
export interface MultiplePublishOptions extends HelperConnectionOptions, HelperTimeoutOptions {}

/**
 * Options of {@link publishSingle}: those of {@link publishMultiple} plus the message's QoS, retain flag and MQTT 5
 * properties. `properties` stays what it is in `connect()`, the CONNECT properties; the message's own properties
 * are `messageProperties`.
 *
 * ```ts
 * const options: SinglePublishOptions = { qos: 1, messageProperties: { contentType: 'application/json' } };
 * ```
 */
export interface SinglePublishOptions extends MultiplePublishOptions {
  /** Default 0. */
  qos?: QoS;
  /** Default false. */
  retain?: boolean;
  /** MQTT 5 PUBLISH properties of the message. */
  messageProperties?: PublishProperties;
}

/**
 * Connects, publishes one message, disconnects cleanly (DISCONNECT) and resolves with the publication's result
 * once its flow is complete: written (QoS 0), PUBACK (1) or PUBCOMP (2). The client is always ended before the
 * promise settles, also when something fails.
 *
 * ```ts
 * await publishSingle('mqtts://broker.example', 'status/door', 'open', {
 *   qos: 1, retain: true, username: 'u', password: 'p',
 * });
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong argument or option (before connecting when it can be seen then).
 * @throws {ConnackError} when the broker refuses the connection.
 * @throws {ConnectionError} when the network connection fails.
 * @throws {PublishError} when an MQTT 5 broker refuses the message (reason code ≥ 0x80).
 * @throws {TimeoutError} when `timeout` passes (or no CONNACK comes within `connectTimeout`).
 * @throws {ClientClosedError} when the client ended before the message was delivered (`cause` says why).
 * @throws the signal's reason when `signal` aborts.
 */
export async function publishSingle(
  url: string,
  topic: string,
  payload: Payload,
  options: SinglePublishOptions = {},
): Promise<PublishResult> {
  const { qos, retain, messageProperties, ...connection } = options;
  const message: PublishMessage = {
    topic,
    payload,
    ...defined({ qos, retain, properties: messageProperties }),
  };
  const [result] = await publishAll(url, [message], connection, 'publishSingle');
  return result as PublishResult;
}

/**
 * Connects, publishes `messages` one after another (each once the previous one's flow is complete, as paho does,
 * so they leave in order), disconnects cleanly and resolves with one result per message, in order. When one fails,
 * the promise rejects with its error and the messages after it are not sent; the client is always ended before the
 * promise settles.
 *
 * ```ts
 * const results = await publishMultiple('mqtt://localhost', [
 *   { topic: 'jobs/1', payload: 'start', qos: 1 },
 *   { topic: 'jobs/2', payload: 'start', qos: 1, properties: { messageExpiryInterval: 60 } },
 * ], { protocolVersion: 5 });
 * ```
 *
 * @throws {InvalidArgumentError} for an empty list or a wrong message or option (checked before connecting).
 * @throws {ConnackError} when the broker refuses the connection.
 * @throws {ConnectionError} when the network connection fails.
 * @throws {PublishError} when an MQTT 5 broker refuses a message (reason code ≥ 0x80).
 * @throws {TimeoutError} when `timeout` passes (or no CONNACK comes within `connectTimeout`).
 * @throws {ClientClosedError} when the client ended before every message was delivered (`cause` says why).
 * @throws the signal's reason when `signal` aborts.
 */
export function publishMultiple(
  url: string,
  messages: PublishMessage[],
  options: MultiplePublishOptions = {},
): Promise<PublishResult[]> {
  return publishAll(url, messages, options, 'publishMultiple');
}

async function publishAll(
  url: string,
  messages: PublishMessage[],
  options: MultiplePublishOptions,
  what: string,
): Promise<PublishResult[]> {
  checkMessages(messages, what === 'publishSingle' ? () => '' : (i) => `messages[${i}].`);
  const { timeout, signal, ...connection } = options;
  checkTimeout(timeout);
  const results: PublishResult[] = [];
  const deadline = new Deadline(
    signal,
    timeout,
    () => `${what}: ${results.length} of ${messages.length} messages published within ${timeout} ms`,
  );
  return runWithClient(url, connection, deadline, async (client, aborted) => {
    for (const m of messages) {
      const publishOptions: PublishOptions = {
        ...defined({ qos: m.qos, retain: m.retain, properties: m.properties }),
        signal: aborted,
      };
      results.push(await client.publish(m.topic, m.payload ?? EMPTY, publishOptions));
    }
    return results;
  });
}

const EMPTY = new Uint8Array(0);

// Checked before connecting, so that a bad message late in the list cannot leave the earlier ones published.
function checkMessages(messages: PublishMessage[], at: (index: number) => string): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidArgumentError('publishMultiple needs a non-empty array of messages');
  }
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null) {
      throw new InvalidArgumentError(`messages[${i}] must be an object with a topic, got ${String(m)}`);
    }
    // An empty topic is valid with a Topic Alias set up earlier on the connection; the client checks that.
    if (!(m.topic === '' && m.properties?.topicAlias !== undefined)) validateTopicName(m.topic);
    const p: unknown = m.payload;
    if (p !== undefined && typeof p !== 'string' && !(p instanceof Uint8Array)) {
      throw new InvalidArgumentError(`${at(i)}payload must be a string or a Uint8Array, got ${typeof p}`);
    }
    checkQos(m.qos, `${at(i)}qos`);
  });
}
