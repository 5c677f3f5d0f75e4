// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * DISCONNECT (section 3.14) and AUTH (section 3.15 of MQTT 5): a reason code and properties, both omitted when
 * the code is 0 and there are no properties. MQTT 3 has DISCONNECT with no content and no AUTH.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { isEmpty } from './publish.js';
import { PROTOCOL_ERROR, type Reader } from './reader.js';
import { isValidReasonCode } from './reason-codes.js';
import type { AuthPacket, DisconnectPacket, ProtocolVersion } from './types.js';
import { WRITER } from './writer.js';

/** Encodes a DISCONNECT or AUTH. */
export function encodeReasonOnly(
  p: DisconnectPacket | AuthPacket,
  v: ProtocolVersion,
  maxPacketSize: number,
): Uint8Array {
  const name = p.type.toUpperCase();
  const code = p.reasonCode ?? 0;
  const first = p.type === 'disconnect' ? 0xe0 : 0xf0;
  if (v !== 5) {
    if (p.type === 'auth') throw new InvalidArgumentError('AUTH needs MQTT 5');
    if (code !== 0) throw new InvalidArgumentError('DISCONNECT reason codes need MQTT 5');
    if (!isEmpty(p.properties)) throw new InvalidArgumentError('DISCONNECT properties need MQTT 5');
    return WRITER.begin(0).finish(first, maxPacketSize, name);
  }
  if (!isValidReasonCode(p.type, code)) throw new InvalidArgumentError(`invalid ${name} reason code ${code}`);
  const propSize = measureProperties(p.properties, p.type);
  if (p.type === 'auth' && (code !== 0 || propSize > 0) && p.properties?.authenticationMethod === undefined) {
    throw new InvalidArgumentError('AUTH needs an authenticationMethod property');
  }
  const size = propSize > 0 ? 1 + sectionSize(propSize) : code !== 0 ? 1 : 0;
  const w = WRITER.begin(size);
  if (size > 0) w.u8(code);
  if (propSize > 0) writeProperties(w, p.properties, propSize);
  return w.finish(first, maxPacketSize, name);
}

/** Decodes a DISCONNECT or AUTH body. */
export function decodeReasonOnly<T extends 'disconnect' | 'auth'>(
  r: Reader,
  type: T,
  v: ProtocolVersion,
): T extends 'disconnect' ? DisconnectPacket : AuthPacket {
  const packet = { type, reasonCode: 0 } as DisconnectPacket | AuthPacket;
  if (v === 5 && r.remaining() > 0) {
    const at = r.pos;
    const code = r.u8('reason code');
    if (!isValidReasonCode(type, code))
      r.fail(PROTOCOL_ERROR, `invalid ${type.toUpperCase()} reason code ${code}`, at);
    packet.reasonCode = code;
    if (r.remaining() > 0) {
      const properties = decodeProperties(r, type);
      if (properties !== undefined) packet.properties = properties;
    }
    // Section 3.15.2.2.2: it is a Protocol Error to omit the Authentication Method from AUTH.
    if (type === 'auth' && (packet as AuthPacket).properties?.authenticationMethod === undefined) {
      r.fail(PROTOCOL_ERROR, 'AUTH without an authentication method', at);
    }
  }
  r.expectEnd(type.toUpperCase());
  return packet as T extends 'disconnect' ? DisconnectPacket : AuthPacket;
}
