// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * CONNACK (MQTT 3.1 section 3.2, 3.1.1 section 3.2, 5.0 section 3.2). MQTT 3 return codes are carried as the
 * equivalent MQTT 5 reason codes.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import { isValidReasonCode, reasonToV3ConnackCode, V3_CONNACK_TO_REASON } from './reason-codes.js';
import type { ConnackPacket, ProtocolVersion } from './types.js';
import { WRITER } from './writer.js';

/** Encodes a CONNACK. */
export function encodeConnack(p: ConnackPacket, v: ProtocolVersion, maxPacketSize: number): Uint8Array {
  let code = p.reasonCode;
  let propSize = 0;
  if (v === 5) {
    if (!isValidReasonCode('connack', code))
      throw new InvalidArgumentError(`invalid CONNACK reason code ${code}`);
    propSize = measureProperties(p.properties, 'connack');
  } else {
    const v3 = reasonToV3ConnackCode(code);
    if (v3 === undefined)
      throw new InvalidArgumentError(`CONNACK reason code ${code} has no MQTT 3 return code`);
    if (p.properties !== undefined && Object.keys(p.properties).length > 0) {
      throw new InvalidArgumentError('CONNACK properties need MQTT 5');
    }
    code = v3;
  }
  if (v === 3 && p.sessionPresent) throw new InvalidArgumentError('MQTT 3.1 has no session present flag');
  if (p.sessionPresent && code !== 0) {
    throw new InvalidArgumentError('session present must be 0 on a refused connection'); // [MQTT-3.2.2-4]
  }
  const w = WRITER.begin(2 + (v === 5 ? sectionSize(propSize) : 0));
  w.u8(p.sessionPresent ? 1 : 0);
  w.u8(code);
  if (v === 5) writeProperties(w, p.properties, propSize);
  return w.finish(0x20, maxPacketSize, 'CONNACK');
}

/** Decodes a CONNACK body. */
export function decodeConnack(r: Reader, v: ProtocolVersion): ConnackPacket {
  const flagsAt = r.pos;
  const flags = r.u8('connect acknowledge flags');
  // MQTT 3.1 leaves this byte unused; 3.1.1 and 5 reserve bits 7-1. [MQTT-3.2.2-1]
  if (v !== 3 && flags & 0xfe)
    r.fail(MALFORMED, 'reserved bits of the connect acknowledge flags are set', flagsAt);
  let sessionPresent = v !== 3 && (flags & 1) === 1;
  const codeAt = r.pos;
  let reasonCode = r.u8('reason code');
  // A broker that does not speak MQTT 5 answers a version 5 CONNECT with its own CONNACK: return code 1
  // (unacceptable protocol version) and no property length ([MQTT-3.1.2-2] of 3.1.1). Read it as such, so that
  // the client can tell and fall back, instead of calling it malformed.
  const v3Answer = v === 5 && r.remaining() === 0 && reasonCode >= 1 && reasonCode <= 5;
  if (v === 5 && !v3Answer) {
    if (!isValidReasonCode('connack', reasonCode))
      r.fail(PROTOCOL_ERROR, `invalid CONNACK reason code ${reasonCode}`, codeAt);
  } else {
    const mapped = V3_CONNACK_TO_REASON[reasonCode];
    if (mapped === undefined) r.fail(PROTOCOL_ERROR, `invalid CONNACK return code ${reasonCode}`, codeAt);
    reasonCode = mapped;
  }
  // [MQTT-3.2.2-4] [MQTT-3.2.2-6]: a refusal must not claim a session. A broker that does so anyway has still
  // refused, and the refusal is what matters to the client, so report it and drop the flag.
  if (reasonCode !== 0) sessionPresent = false;
  const packet: ConnackPacket = { type: 'connack', sessionPresent, reasonCode };
  if (v === 5 && !v3Answer) {
    const properties = decodeProperties(r, 'connack');
    if (properties !== undefined) packet.properties = properties;
  }
  r.expectEnd('CONNACK');
  return packet;
}
