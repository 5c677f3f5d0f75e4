// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * SUBSCRIBE (section 3.8): topic filters with QoS, and in MQTT 5 the subscription options No Local, Retain As
 * Published and Retain Handling.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { isEmpty } from './publish.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import { isSharedFilter, topicFilterProblem } from './topic-rules.js';
import type { ProtocolVersion, QoS, SubscribePacket, Subscription } from './types.js';
import { checkInt, measureString, WRITER } from './writer.js';

/** Encodes a SUBSCRIBE. */
export function encodeSubscribe(p: SubscribePacket, v: ProtocolVersion, maxPacketSize: number): Uint8Array {
  checkInt(p.packetId, 1, 65_535, 'packetId');
  if (!Array.isArray(p.subscriptions) || p.subscriptions.length === 0) {
    throw new InvalidArgumentError('SUBSCRIBE needs at least one subscription'); // [MQTT-3.8.3-3]
  }
  let size = 2;
  let propSize = 0;
  if (v === 5) {
    propSize = measureProperties(p.properties, 'subscribe');
    size += sectionSize(propSize);
  } else if (!isEmpty(p.properties)) throw new InvalidArgumentError('SUBSCRIBE properties need MQTT 5');
  for (const s of p.subscriptions) size += measureSubscription(s, v) + 1;
  const w = WRITER.begin(size);
  w.u16(p.packetId);
  if (v === 5) writeProperties(w, p.properties, propSize);
  for (const s of p.subscriptions) {
    w.string(s.topicFilter, 'topic filter');
    w.u8(s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | ((s.retainHandling ?? 0) << 4));
  }
  return w.finish(0x82, maxPacketSize, 'SUBSCRIBE');
}

function measureSubscription(s: Subscription, v: ProtocolVersion): number {
  const size = measureString(s.topicFilter, 'topic filter');
  const problem = topicFilterProblem(s.topicFilter, v === 5);
  if (problem !== undefined) throw new InvalidArgumentError(`${problem}: "${s.topicFilter}"`);
  checkInt(s.qos, 0, 2, 'subscription qos');
  checkInt(s.retainHandling ?? 0, 0, 2, 'retainHandling');
  if (v !== 5 && (s.noLocal || s.retainAsPublished || (s.retainHandling ?? 0) !== 0)) {
    throw new InvalidArgumentError('noLocal, retainAsPublished and retainHandling need MQTT 5');
  }
  if (s.noLocal && isSharedFilter(s.topicFilter)) {
    throw new InvalidArgumentError('noLocal is not allowed on a shared subscription'); // [MQTT-3.8.3-4]
  }
  return size;
}

/** Decodes a SUBSCRIBE body. */
export function decodeSubscribe(r: Reader, v: ProtocolVersion): SubscribePacket {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) r.fail(PROTOCOL_ERROR, 'packet identifier is 0', r.pos - 2); // [MQTT-2.3.1-1]
  const properties = v === 5 ? decodeProperties(r, 'subscribe') : undefined;
  if (r.remaining() === 0) r.fail(PROTOCOL_ERROR, 'SUBSCRIBE has no topic filters'); // [MQTT-3.8.3-3]
  const subscriptions: Subscription[] = [];
  while (r.remaining() > 0) {
    const filterAt = r.pos;
    const topicFilter = r.utf8('topic filter');
    if (topicFilter === '') r.fail(MALFORMED, 'topic filter is empty', filterAt); // [MQTT-4.7.3-1]
    const problem = topicFilterProblem(topicFilter, v === 5); // [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.8.2-1]
    if (problem !== undefined) r.fail(MALFORMED, `${problem}: "${topicFilter}"`, filterAt);
    const optionsAt = r.pos;
    const o = r.u8('subscription options');
    const qos = o & 0x03;
    if (v !== 5) {
      if (o & 0xfc) r.fail(MALFORMED, 'reserved bits 7-2 of the requested QoS byte are set', optionsAt); // [MQTT-3.8.3-4]
      if (qos === 3) r.fail(MALFORMED, 'requested QoS is 3', optionsAt);
    } else {
      if (o & 0xc0) r.fail(MALFORMED, 'reserved bits 7-6 of the subscription options are set', optionsAt); // [MQTT-3.8.3-5]
      if (qos === 3) r.fail(PROTOCOL_ERROR, 'maximum QoS of a subscription is 3', optionsAt);
      if ((o & 0x30) === 0x30) r.fail(PROTOCOL_ERROR, 'retain handling is 3', optionsAt);
      if (o & 0x04 && isSharedFilter(topicFilter)) {
        r.fail(PROTOCOL_ERROR, 'no local set on a shared subscription', optionsAt); // [MQTT-3.8.3-4]
      }
    }
    subscriptions.push({
      topicFilter,
      qos: qos as QoS,
      noLocal: (o & 0x04) !== 0,
      retainAsPublished: (o & 0x08) !== 0,
      retainHandling: ((o >> 4) & 0x03) as 0 | 1 | 2,
    });
  }
  const packet: SubscribePacket = { type: 'subscribe', packetId, subscriptions };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
