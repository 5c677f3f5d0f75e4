// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * PUBLISH (section 3.3 of every version): the hot path, kept free of per-packet allocations beyond the packet.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import type { ProtocolVersion, PublishPacket, QoS } from './types.js';
import { checkInt, measureString, varintSize, WRITER } from './writer.js';

/** Whether `s` contains an MQTT wildcard character. */
export function hasWildcard(s: string): boolean {
  return s.includes('+') || s.includes('#');
}

/** Whether `o` is undefined or has no own enumerable keys, without allocating a key array. */
export function isEmpty(o: object | undefined): boolean {
  if (o === undefined) return true;
  for (const _ in o) return false;
  return true;
}

/**
 * The size in bytes a PUBLISH would have on the wire (fixed header included), without encoding it: how the
 * session checks a queued message against a broker's Maximum Packet Size before sending it.
 *
 * @throws {InvalidArgumentError} for what encoding would refuse (a bad property, a topic over 65,535 bytes).
 */
export function publishPacketSize(p: PublishPacket, v: ProtocolVersion): number {
  let size = measureString(p.topic, 'topic') + p.payload.length + (p.qos > 0 ? 2 : 0);
  if (v === 5) size += sectionSize(measureProperties(p.properties, 'publish'));
  return 1 + varintSize(size) + size;
}

/** Encodes a PUBLISH. */
export function encodePublish(p: PublishPacket, v: ProtocolVersion, maxPacketSize: number): Uint8Array {
  const { qos, topic, payload } = p;
  if (qos !== 0 && qos !== 1 && qos !== 2)
    throw new InvalidArgumentError(`qos must be 0, 1 or 2, got ${String(qos)}`);
  let size = measureString(topic, 'topic');
  if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('payload must be a Uint8Array');
  size += payload.length;
  if (qos > 0) {
    checkInt(p.packetId as number, 1, 65_535, 'packetId'); // [MQTT-2.3.1-1]
    size += 2;
  } else {
    if (p.packetId !== undefined) throw new InvalidArgumentError('a QoS 0 PUBLISH has no packetId'); // [MQTT-2.2.1-2]
    if (p.dup) throw new InvalidArgumentError('dup must be false for QoS 0'); // [MQTT-3.3.1-2]
  }
  let propSize = 0;
  if (v === 5) {
    propSize = measureProperties(p.properties, 'publish');
    size += sectionSize(propSize);
    if (topic === '' && p.properties?.topicAlias === undefined) {
      throw new InvalidArgumentError('an empty topic needs a topicAlias property');
    }
  } else {
    if (!isEmpty(p.properties)) throw new InvalidArgumentError('PUBLISH properties need MQTT 5');
    if (topic === '') throw new InvalidArgumentError('topic must not be empty'); // [MQTT-4.7.3-1]
  }
  const w = WRITER.begin(size);
  w.topic(topic); // [MQTT-3.3.2-2] no wildcards
  if (qos > 0) w.u16(p.packetId as number);
  if (v === 5) writeProperties(w, p.properties, propSize);
  w.bytes(payload);
  return w.finish(0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 0x01 : 0), maxPacketSize, 'PUBLISH');
}

/** Decodes a PUBLISH body; `flags` are the low four bits of the fixed header. */
export function decodePublish(r: Reader, flags: number, v: ProtocolVersion): PublishPacket {
  const qos = (flags >> 1) & 3;
  if (qos === 3) r.fail(MALFORMED, 'PUBLISH QoS is 3', r.origin); // [MQTT-3.3.1-4]
  const dup = (flags & 0x08) !== 0;
  if (dup && qos === 0) r.fail(MALFORMED, 'DUP flag set on a QoS 0 PUBLISH', r.origin); // [MQTT-3.3.1-2]
  const topicAt = r.pos;
  const topic = r.utf8('topic name', true);
  if (!r.plain && hasWildcard(topic)) r.fail(MALFORMED, `topic name "${topic}" contains a wildcard`, topicAt); // [MQTT-3.3.2-2]
  let packetId = 0;
  if (qos > 0) {
    packetId = r.u16('packet identifier');
    if (packetId === 0) r.fail(PROTOCOL_ERROR, 'packet identifier is 0', r.pos - 2); // [MQTT-2.3.1-1]
  }
  const properties = v === 5 ? decodeProperties(r, 'publish') : undefined;
  if (topic === '' && properties?.topicAlias === undefined) {
    r.fail(PROTOCOL_ERROR, 'topic name is empty and there is no topic alias', topicAt); // [MQTT-4.7.3-1]
  }
  const payload = r.bytes(r.remaining(), 'payload');
  const packet: PublishPacket = {
    type: 'publish',
    topic,
    payload,
    qos: qos as QoS,
    retain: (flags & 1) === 1,
    dup,
  };
  if (qos > 0) packet.packetId = packetId;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
