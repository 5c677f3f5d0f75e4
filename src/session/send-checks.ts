// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What decides, when a publication leaves the queue, whether it may go to the broker of this connection and with
 * what: the broker's limits, the protocol version spoken, the packet's size, and the time left of its Message
 * Expiry Interval. Pure functions for the outgoing side of the session engine.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { PacketTooLargeError } from '../packet/errors.js';
import { publishPacketSize } from '../packet/publish.js';
import type { ProtocolVersion, PublishPacket } from '../packet/types.js';
import { type BrokerLimits, publishRefusal } from './broker-limits.js';
import type { OutgoingMessage, StoredPublish } from './store.js';

/**
 * The error for a message whose PUBLISH would be larger than the broker's Maximum Packet Size: such a packet must
 * never be sent ([MQTT-3.1.2-24]); the publication fails and the connection stays up. Measured with the full topic
 * (and, with `aliasRoom`, room for an automatic alias), which is never smaller than what is sent.
 */
export function tooLarge(
  m: OutgoingMessage,
  version: ProtocolVersion,
  maximumPacketSize: number,
  aliasRoom: boolean,
): PacketTooLargeError | undefined {
  if (m.properties === undefined && m.payload.length + 3 * m.topic.length + 16 <= maximumPacketSize)
    return undefined;
  const packet: PublishPacket = {
    type: 'publish',
    topic: m.topic,
    payload: m.payload,
    qos: m.qos,
    retain: false,
    dup: false,
  };
  if (m.properties !== undefined && version === 5) packet.properties = m.properties;
  const size = publishPacketSize(packet, version) + (aliasRoom ? 3 : 0);
  return size > maximumPacketSize ? new PacketTooLargeError(size, maximumPacketSize, 'PUBLISH') : undefined;
}

/**
 * Why a queued message must not go on this connection, or undefined: checked when it leaves the queue, since a
 * message queued offline, kept in a durable store, or sent after a failover was checked against another broker,
 * or none — or for MQTT 5 before the connection fell back to MQTT 3.1.1 (whose PUBLISH has no place for its
 * properties: dropping them unseen would lose what they say).
 */
export function sendRefusal(
  m: OutgoingMessage,
  version: ProtocolVersion,
  limits: Readonly<BrokerLimits>,
  aliasRoom: boolean,
): Error | undefined {
  return (
    mqtt5PropertiesRefusal(m.properties, version, 'publish') ??
    publishRefusal(m.qos, m.retain, limits) ??
    tooLarge(m, version, limits.maximumPacketSize, aliasRoom)
  );
}

/**
 * Why MQTT 5 properties cannot go with a `call` on a client that speaks MQTT 3.1 or 3.1.1 (fixed, or after
 * `'auto'` fell back), whose packets have no place for them — dropping them unseen would lose what the application
 * meant (an expiry, a response topic) — or undefined. An empty object passes.
 */
export function mqtt5PropertiesRefusal(
  properties: object | undefined,
  version: ProtocolVersion,
  call: string,
): InvalidArgumentError | undefined {
  if (version === 5 || properties === undefined || Object.keys(properties).length === 0) return undefined;
  return new InvalidArgumentError(
    `${call} properties need MQTT 5; this client speaks MQTT ${version === 4 ? '3.1.1' : '3.1'}`,
  );
}

/**
 * The whole seconds left of a message's Message Expiry Interval at `now` (0: expired), counted from when it was
 * handed over; undefined when it has none.
 */
export function remainingExpiry(entry: StoredPublish, now: number): number | undefined {
  const interval = entry.message.properties?.messageExpiryInterval;
  if (interval === undefined || entry.queuedAt === undefined) return interval;
  const waited = Math.floor(Math.max(0, now - entry.queuedAt) / 1000);
  return Math.max(0, interval - waited);
}
