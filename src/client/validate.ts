// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Checks of what the application hands over, before anything is queued: bad input fails at once with a clear
 * error and leaves the session untouched.
 *
 * @module
 */

import { encodeClientPacket } from '../packet/encode.js';
import { InvalidArgumentError } from '../packet/errors.js';
import type { ProtocolVersion, QoS, Subscription, UnsubscribeProperties } from '../packet/types.js';
import { type BrokerLimits, publishRefusal, subscriptionRefusal } from '../session/broker-limits.js';
import { mqtt5PropertiesRefusal } from '../session/send-checks.js';
import type { OutgoingMessage } from '../session/store.js';
import { validateTopicFilter, validateTopicName } from '../topic.js';
import type { PublishOptions, SubscribeOptions, SubscriptionRequest } from './events.js';

function checkQos(qos: unknown, what: string): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2)
    throw new InvalidArgumentError(`${what} must be 0, 1 or 2, got ${String(qos)}`);
  return qos;
}

/**
 * The message to hand to the engine. Properties and a size near the broker's limit are checked by encoding the
 * packet once; the common case (no properties, far below the limit) costs no encoding.
 *
 * @throws {InvalidArgumentError} or {@link PacketTooLargeError}
 */
export function checkPublish(
  topic: string,
  payload: Uint8Array,
  options: PublishOptions | undefined,
  version: ProtocolVersion,
  limits: Readonly<BrokerLimits>,
): OutgoingMessage {
  validateTopicName(topic);
  const qos = checkQos(options?.qos ?? 0, 'qos');
  // What an MQTT 5 broker said it does not support is refused here, clearly (and again when a queued message is
  // sent, should that connection's broker be stricter).
  const refusal = publishRefusal(qos, options?.retain === true, limits);
  if (refusal !== undefined) throw refusal;
  const message: OutgoingMessage = { topic, payload, qos, retain: options?.retain === true };
  const properties = options?.properties;
  onlyWithMqtt5(properties, version, 'publish');
  if (properties !== undefined) message.properties = properties;
  const roughSize = 7 + 3 * topic.length + payload.length;
  if (properties !== undefined || roughSize + 1024 > limits.maximumPacketSize) {
    const trial = { type: 'publish', ...message, dup: false } as const;
    encodeClientPacket(
      qos > 0 ? { ...trial, packetId: 1 } : trial,
      version === 5 || properties !== undefined ? 5 : version,
      {
        maxPacketSize: limits.maximumPacketSize,
      },
    );
  }
  return message;
}

/** Refuses MQTT 5 properties on an MQTT 3 client (see {@link mqtt5PropertiesRefusal}). @throws {InvalidArgumentError} */
function onlyWithMqtt5(properties: object | undefined, version: ProtocolVersion, call: string): void {
  const refusal = mqtt5PropertiesRefusal(properties, version, call);
  if (refusal !== undefined) throw refusal;
}

/** What {@link aliasTarget} reads of the session engine. */
export interface AliasState {
  readonly protocolVersion: ProtocolVersion;
  readonly brokerLimits: Readonly<BrokerLimits>;
  /** The topic an outgoing Topic Alias stands for on the current connection, if it is set up. */
  aliasedTopic(alias: number): string | undefined;
}

/**
 * The topic to publish on, given a manual MQTT 5 Topic Alias in `options`: in range for this broker (checked once
 * `connected`, when the broker's range is known), and an empty topic only for an alias set up on this connection
 * (the message is kept with its full topic, so that it can be resent on another connection).
 *
 * @throws {InvalidArgumentError}
 */
export function aliasTarget(
  topic: string,
  options: PublishOptions | undefined,
  engine: AliasState,
  connected: boolean,
): string {
  const alias = options?.properties?.topicAlias;
  if (alias === undefined) return topic;
  if (engine.protocolVersion !== 5) throw new InvalidArgumentError('topic aliases need MQTT 5');
  const max = engine.brokerLimits.topicAliasMaximum;
  if (connected && (alias < 1 || alias > max)) {
    throw new InvalidArgumentError(
      max === 0
        ? 'the broker accepts no topic aliases'
        : `topic alias ${alias} is outside the broker's range 1..${max}`,
    );
  }
  if (topic !== '') return topic;
  const known = engine.aliasedTopic(alias);
  if (known === undefined) {
    throw new InvalidArgumentError(
      `topic alias ${alias} is not set up on this connection: publish with the topic name and the alias first`,
    );
  }
  return known;
}

/** The subscriptions of a SUBSCRIBE request. @throws {InvalidArgumentError} */
export function subscriptionList(
  filters: string | ReadonlyArray<string | SubscriptionRequest>,
  options: SubscribeOptions | undefined,
  version: ProtocolVersion,
  limits: Readonly<BrokerLimits>,
): Subscription[] {
  const list = typeof filters === 'string' ? [filters] : filters;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidArgumentError('subscribe needs at least one topic filter');
  // What the broker's CONNACK said it does not support is refused here, before a disconnect.
  if (options?.properties?.subscriptionIdentifier !== undefined && !limits.subscriptionIdentifierAvailable)
    throw new InvalidArgumentError('the broker does not support subscription identifiers');
  const subscriptions = list.map((item: string | SubscriptionRequest) => {
    // A filter alone takes the call's options; an object may set its own (paho's list of (topic, qos) pairs).
    const o = typeof item === 'string' ? options : { ...options, ...item };
    const topicFilter = typeof item === 'string' ? item : item?.topicFilter;
    if (typeof topicFilter !== 'string')
      throw new InvalidArgumentError('each subscription needs a topicFilter string');
    const qos = checkQos(o?.qos ?? 0, 'qos');
    const retainHandling = o?.retainHandling ?? 0;
    if (retainHandling !== 0 && retainHandling !== 1 && retainHandling !== 2)
      throw new InvalidArgumentError(`retainHandling must be 0, 1 or 2, got ${String(retainHandling)}`);
    const v5only = o?.noLocal === true || o?.retainAsPublished === true || retainHandling !== 0;
    if (v5only && version !== 5)
      throw new InvalidArgumentError('noLocal, retainAsPublished and retainHandling need MQTT 5');
    validateTopicFilter(topicFilter);
    const refusal = subscriptionRefusal(topicFilter, limits);
    if (refusal !== undefined) throw refusal;
    if (topicFilter.startsWith('$share/') && o?.noLocal === true)
      throw new InvalidArgumentError(`noLocal cannot be set on a shared subscription (${topicFilter})`); // [MQTT-3.8.3-4]
    return {
      topicFilter,
      qos,
      noLocal: o?.noLocal === true,
      retainAsPublished: o?.retainAsPublished === true,
      retainHandling,
    };
  });
  onlyWithMqtt5(options?.properties, version, 'subscribe');
  // Properties (and anything else only the encoder checks) are checked now, not when the packet is sent.
  if (options?.properties !== undefined) {
    encodeClientPacket({ type: 'subscribe', packetId: 1, subscriptions, properties: options.properties }, 5);
  }
  return subscriptions;
}

/** The filters of an UNSUBSCRIBE request, checked with its properties. @throws {InvalidArgumentError} */
export function unsubscribeList(
  filters: string | string[],
  properties: UnsubscribeProperties | undefined,
  version: ProtocolVersion,
): string[] {
  const list = typeof filters === 'string' ? [filters] : filters;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidArgumentError('unsubscribe needs at least one topic filter');
  for (const f of list) validateTopicFilter(f);
  onlyWithMqtt5(properties, version, 'unsubscribe');
  if (properties !== undefined)
    encodeClientPacket({ type: 'unsubscribe', packetId: 1, topicFilters: list, properties }, 5);
  return list;
}
