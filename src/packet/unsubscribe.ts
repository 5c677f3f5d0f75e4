// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * UNSUBSCRIBE (section 3.10): the topic filters to remove.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { isEmpty } from './publish.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import { topicFilterProblem } from './topic-rules.js';
import type { ProtocolVersion, UnsubscribePacket } from './types.js';
import { checkInt, measureString, WRITER } from './writer.js';

/** Encodes an UNSUBSCRIBE. */
export function encodeUnsubscribe(
  p: UnsubscribePacket,
  v: ProtocolVersion,
  maxPacketSize: number,
): Uint8Array {
  checkInt(p.packetId, 1, 65_535, 'packetId');
  if (!Array.isArray(p.topicFilters) || p.topicFilters.length === 0) {
    throw new InvalidArgumentError('UNSUBSCRIBE needs at least one topic filter'); // [MQTT-3.10.3-2]
  }
  let size = 2;
  let propSize = 0;
  if (v === 5) {
    propSize = measureProperties(p.properties, 'unsubscribe');
    size += sectionSize(propSize);
  } else if (!isEmpty(p.properties)) throw new InvalidArgumentError('UNSUBSCRIBE properties need MQTT 5');
  for (const f of p.topicFilters) {
    size += measureString(f, 'topic filter');
    const problem = topicFilterProblem(f, v === 5);
    if (problem !== undefined) throw new InvalidArgumentError(`${problem}: "${f}"`);
  }
  const w = WRITER.begin(size);
  w.u16(p.packetId);
  if (v === 5) writeProperties(w, p.properties, propSize);
  for (const f of p.topicFilters) w.string(f, 'topic filter');
  return w.finish(0xa2, maxPacketSize, 'UNSUBSCRIBE');
}

/** Decodes an UNSUBSCRIBE body. */
export function decodeUnsubscribe(r: Reader, v: ProtocolVersion): UnsubscribePacket {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) r.fail(PROTOCOL_ERROR, 'packet identifier is 0', r.pos - 2); // [MQTT-2.3.1-1]
  const properties = v === 5 ? decodeProperties(r, 'unsubscribe') : undefined;
  if (r.remaining() === 0) r.fail(PROTOCOL_ERROR, 'UNSUBSCRIBE has no topic filters'); // [MQTT-3.10.3-2]
  const topicFilters: string[] = [];
  while (r.remaining() > 0) {
    const at = r.pos;
    const f = r.utf8('topic filter');
    if (f === '') r.fail(MALFORMED, 'topic filter is empty', at); // [MQTT-4.7.3-1]
    const problem = topicFilterProblem(f, v === 5); // [MQTT-4.7.1-2] [MQTT-4.7.1-3]
    if (problem !== undefined) r.fail(MALFORMED, `${problem}: "${f}"`, at);
    topicFilters.push(f);
  }
  const packet: UnsubscribePacket = { type: 'unsubscribe', packetId, topicFilters };
  if (properties !== undefined) packet.properties = properties;
  return packet;
}
