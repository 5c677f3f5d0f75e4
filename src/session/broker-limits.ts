// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What the broker allows on a connection: its CONNACK properties (MQTT 5), or the protocol's defaults.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { ConnackPacket, QoS } from '../packet/types.js';

/** Limits the broker announced in CONNACK (MQTT 5), with the defaults that apply when it did not. */
export interface BrokerLimits {
  receiveMaximum: number;
  maximumPacketSize: number;
  topicAliasMaximum: number;
  maximumQoS: 0 | 1 | 2;
  retainAvailable: boolean;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifierAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
  /** The keep-alive in force: the Server Keep Alive when given, else what the client asked for. */
  keepAlive: number;
}

/** The limits before a CONNACK says otherwise. */
export function defaultLimits(keepAlive: number): BrokerLimits {
  return {
    receiveMaximum: 65_535,
    maximumPacketSize: 268_435_460,
    topicAliasMaximum: 0,
    maximumQoS: 2,
    retainAvailable: true,
    wildcardSubscriptionAvailable: true,
    subscriptionIdentifierAvailable: true,
    sharedSubscriptionAvailable: true,
    keepAlive,
  };
}

/** The limits a CONNACK sets, for a client that asked for `keepAlive` seconds. */
export function limitsFromConnack(packet: ConnackPacket, keepAlive: number): BrokerLimits {
  const limits = defaultLimits(keepAlive);
  const p = packet.properties;
  if (p === undefined) return limits;
  if (p.receiveMaximum !== undefined) limits.receiveMaximum = p.receiveMaximum;
  if (p.maximumPacketSize !== undefined) limits.maximumPacketSize = p.maximumPacketSize;
  if (p.topicAliasMaximum !== undefined) limits.topicAliasMaximum = p.topicAliasMaximum;
  if (p.maximumQoS !== undefined) limits.maximumQoS = p.maximumQoS;
  if (p.retainAvailable !== undefined) limits.retainAvailable = p.retainAvailable;
  if (p.wildcardSubscriptionAvailable !== undefined)
    limits.wildcardSubscriptionAvailable = p.wildcardSubscriptionAvailable;
  if (p.subscriptionIdentifierAvailable !== undefined)
    limits.subscriptionIdentifierAvailable = p.subscriptionIdentifierAvailable;
  if (p.sharedSubscriptionAvailable !== undefined)
    limits.sharedSubscriptionAvailable = p.sharedSubscriptionAvailable;
  if (p.serverKeepAlive !== undefined) limits.keepAlive = p.serverKeepAlive; // [MQTT-3.2.2-21]
  return limits;
}

/**
 * Why a publication at `qos` (retained or not) must not go to a broker with these limits ([MQTT-3.2.2-11],
 * [MQTT-3.2.2-14]), or undefined when it may. Checked when the application publishes and again when a queued
 * message is sent, since the broker of that connection may be stricter.
 */
export function publishRefusal(qos: QoS, retain: boolean, limits: Readonly<BrokerLimits>): Error | undefined {
  if (qos > limits.maximumQoS)
    return new InvalidArgumentError(
      `the broker supports QoS up to ${limits.maximumQoS}; cannot publish at QoS ${qos}`,
    );
  if (retain && !limits.retainAvailable)
    return new InvalidArgumentError('the broker does not support retained messages');
  return undefined;
}

/**
 * Why a subscription to `topicFilter` must not go to a broker with these limits (MQTT 5 §3.2.2.3.11, §3.2.2.3.13:
 * a broker without wildcard or shared subscriptions disconnects a client that asks for one), or undefined.
 */
export function subscriptionRefusal(topicFilter: string, limits: Readonly<BrokerLimits>): Error | undefined {
  if (topicFilter.startsWith('$share/') && !limits.sharedSubscriptionAvailable)
    return new InvalidArgumentError(`the broker does not support shared subscriptions (${topicFilter})`);
  if (!limits.wildcardSubscriptionAvailable && (topicFilter.includes('+') || topicFilter.includes('#')))
    return new InvalidArgumentError(`the broker does not support wildcard subscriptions (${topicFilter})`);
  return undefined;
}
