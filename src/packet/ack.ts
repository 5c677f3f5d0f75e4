// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7): packet identifier, then in MQTT 5 an optional reason
 * code and properties. The shortest form the specification allows is written: no reason code when it is 0 and
 * there are no properties, no property length when there are no properties.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { isEmpty } from './publish.js';
import { PROTOCOL_ERROR, type Reader } from './reader.js';
import { isValidReasonCode } from './reason-codes.js';
import type { ProtocolVersion, PubackPacket, PubcompPacket, PubrecPacket, PubrelPacket } from './types.js';
import { checkInt, WRITER } from './writer.js';

/** One of the four publish acknowledgements. */
export type PubAckPacket = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket;

const FIRST_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/** Encodes a PUBACK, PUBREC, PUBREL or PUBCOMP. */
export function encodePubAck(p: PubAckPacket, v: ProtocolVersion, maxPacketSize: number): Uint8Array {
  checkInt(p.packetId, 1, 65_535, 'packetId');
  const name = p.type.toUpperCase();
  const code = p.reasonCode ?? 0;
  let size = 2;
  let propSize = 0;
  if (v === 5) {
    if (!isValidReasonCode(p.type, code))
      throw new InvalidArgumentError(`invalid ${name} reason code ${code}`);
    propSize = measureProperties(p.properties, p.type);
    if (propSize > 0) size += 1 + sectionSize(propSize);
    else if (code !== 0) size += 1;
  } else {
    if (code !== 0) throw new InvalidArgumentError(`${name} reason codes need MQTT 5`);
    if (!isEmpty(p.properties)) throw new InvalidArgumentError(`${name} properties need MQTT 5`);
  }
  const w = WRITER.begin(size);
  w.u16(p.packetId);
  if (size > 2) w.u8(code);
  if (propSize > 0) writeProperties(w, p.properties, propSize);
  return w.finish(FIRST_BYTE[p.type], maxPacketSize, name);
}

/** Decodes the body of a PUBACK, PUBREC, PUBREL or PUBCOMP. */
export function decodePubAck<T extends PubAckPacket['type']>(
  r: Reader,
  type: T,
  v: ProtocolVersion,
): Extract<PubAckPacket, { type: T }> {
  const packetId = r.u16('packet identifier');
  if (packetId === 0) r.fail(PROTOCOL_ERROR, 'packet identifier is 0', r.pos - 2); // [MQTT-2.3.1-1]
  const packet = { type, packetId, reasonCode: 0 } as PubAckPacket;
  if (v === 5 && r.remaining() > 0) {
    const codeAt = r.pos;
    const code = r.u8('reason code');
    if (!isValidReasonCode(type, code))
      r.fail(PROTOCOL_ERROR, `invalid ${type.toUpperCase()} reason code ${code}`, codeAt);
    packet.reasonCode = code;
    if (r.remaining() > 0) {
      const properties = decodeProperties(r, type);
      if (properties !== undefined) packet.properties = properties;
    }
  }
  r.expectEnd(type.toUpperCase());
  return packet as Extract<PubAckPacket, { type: T }>;
}
