// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * SUBACK (section 3.9) and UNSUBACK (section 3.11): a packet identifier and one reason code per topic filter of
 * the request. An MQTT 3 UNSUBACK has no reason codes; it decodes with an empty list.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { isEmpty } from './publish.js';
import { PROTOCOL_ERROR, type Reader } from './reader.js';
import { isValidReasonCode } from './reason-codes.js';
import type { ProtocolVersion, SubackPacket, UnsubackPacket } from './types.js';
import { checkInt, WRITER } from './writer.js';

const V3_SUBACK_CODES = new Set([0x00, 0x01, 0x02, 0x80]);

function validCode(type: 'suback' | 'unsuback', code: number, v: ProtocolVersion): boolean {
  return v === 5 ? isValidReasonCode(type, code) : type === 'suback' && V3_SUBACK_CODES.has(code);
}

/** Encodes a SUBACK or UNSUBACK. */
export function encodeSubAck(
  p: SubackPacket | UnsubackPacket,
  v: ProtocolVersion,
  maxPacketSize: number,
): Uint8Array {
  const name = p.type.toUpperCase();
  checkInt(p.packetId, 1, 65_535, 'packetId');
  const codes = p.reasonCodes;
  const v3Unsuback = v !== 5 && p.type === 'unsuback';
  if (v3Unsuback) {
    if (codes.some((c) => c !== 0)) throw new InvalidArgumentError('UNSUBACK reason codes need MQTT 5');
  } else {
    if (codes.length === 0) throw new InvalidArgumentError(`${name} needs at least one reason code`);
    for (const c of codes)
      if (!validCode(p.type, c, v)) throw new InvalidArgumentError(`invalid ${name} reason code ${c}`);
  }
  let size = 2 + (v3Unsuback ? 0 : codes.length);
  let propSize = 0;
  if (v === 5) {
    propSize = measureProperties(p.properties, p.type);
    size += sectionSize(propSize);
  } else if (!isEmpty(p.properties)) throw new InvalidArgumentError(`${name} properties need MQTT 5`);
  const w = WRITER.begin(size);
  w.u16(p.packetId);
  if (v === 5) writeProperties(w, p.properties, propSize);
  if (!v3Unsuback) for (const c of codes) w.u8(c);
  return w.finish(p.type === 'suback' ? 0x90 : 0xb0, maxPacketSize, name);
}

/** Decodes a SUBACK or UNSUBACK body. */
export function decodeSubAck<T extends 'suback' | 'unsuback'>(
  r: Reader,
  type: T,
  v: ProtocolVersion,
): T extends 'suback' ? SubackPacket : UnsubackPacket {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) r.fail(PROTOCOL_ERROR, 'packet identifier is 0', r.pos - 2); // [MQTT-2.3.1-1]
  const properties = v === 5 ? decodeProperties(r, type) : undefined;
  const reasonCodes: number[] = [];
  const name = type.toUpperCase();
  if (v !== 5 && type === 'unsuback') r.expectEnd('UNSUBACK');
  else if (r.remaining() === 0) r.fail(PROTOCOL_ERROR, `${name} has no reason codes`);
  while (r.remaining() > 0) {
    const at = r.pos;
    const c = r.u8('reason code');
    if (!validCode(type, c, v)) r.fail(PROTOCOL_ERROR, `invalid ${name} reason code 0x${c.toString(16)}`, at);
    reasonCodes.push(c);
  }
  const packet = { type, packetId, reasonCodes } as SubackPacket | UnsubackPacket;
  if (properties !== undefined) packet.properties = properties;
  return packet as T extends 'suback' ? SubackPacket : UnsubackPacket;
}
