// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Decoding of one packet body once its fixed header is known: the fixed-header flag rules, then the decoder of
 * the packet type.
 *
 * @module
 */
import { decodePubAck } from './ack.js';
import { decodeConnack } from './connack.js';
import { decodeConnect } from './connect.js';
import { decodeReasonOnly } from './disconnect.js';
import { decodePublish } from './publish.js';
import { MALFORMED, type Reader } from './reader.js';
import { decodeSubAck } from './suback.js';
import { decodeSubscribe } from './subscribe.js';
import { PACKET_TYPE_NAMES, type Packet, type ProtocolVersion } from './types.js';
import { decodeUnsubscribe } from './unsubscribe.js';

// Required low nibble of the first byte per packet type; -1 for PUBLISH, whose flags carry DUP, QoS and RETAIN.
// 3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2], 5.0 [MQTT-2.1.3-1]
const REQUIRED_FLAGS = [0, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

/**
 * Fails on a first byte that no packet of `version` can start with. Called as soon as the byte arrives, so that
 * garbage is rejected before its length is even read.
 */
export function checkFirstByte(r: Reader, first: number, version: ProtocolVersion): void {
  const type = first >> 4;
  if (type === 0) r.fail(MALFORMED, 'packet type 0 is reserved', r.origin);
  if (type === 15 && version !== 5)
    r.fail(MALFORMED, 'packet type 15 (AUTH) does not exist before MQTT 5', r.origin);
  const required = REQUIRED_FLAGS[type] as number;
  // MQTT 3.1 (section 2.1) only says the flags of other packets are unused, and sets DUP on a resent PUBREL,
  // SUBSCRIBE or UNSUBSCRIBE (Mosquitto 1.x does), so the rule binds MQTT 3.1.1 and 5.0 alone.
  if (version === 3) return;
  const flags = first & 0x0f;
  if (required >= 0 && flags !== required) {
    const name = (PACKET_TYPE_NAMES[type] as string).toUpperCase();
    r.fail(MALFORMED, `reserved flags of ${name} are ${bits(flags)}, must be ${bits(required)}`, r.origin);
  }
}

function bits(n: number): string {
  return `0b${n.toString(2).padStart(4, '0')}`;
}

/** A function decoding one packet body; see {@link decodeBody} and {@link decodeServerBody}. */
export type BodyDecoder = (r: Reader, first: number, version: ProtocolVersion) => Packet;

/** Decodes the body the reader points at, for a packet of any type whose first byte (already checked) is `first`. */
export function decodeBody(r: Reader, first: number, version: ProtocolVersion): Packet {
  switch (first >> 4) {
    case 1:
      return decodeConnect(r);
    case 8:
      return decodeSubscribe(r, version);
    case 10:
      return decodeUnsubscribe(r, version);
    case 12:
      r.expectEnd('PINGREQ');
      return { type: 'pingreq' };
    default:
      return decodeServerBody(r, first, version);
  }
}

/**
 * Decodes the body of a packet a server may send; CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ fail as
 * malformed. The
 * client's decoder uses it, so that an application bundle carries no decoders for packets only a server reads.
 */
export function decodeServerBody(r: Reader, first: number, version: ProtocolVersion): Packet {
  switch (first >> 4) {
    case 3:
      return decodePublish(r, first & 0x0f, version);
    case 4:
      return decodePubAck(r, 'puback', version);
    case 5:
      return decodePubAck(r, 'pubrec', version);
    case 6:
      return decodePubAck(r, 'pubrel', version);
    case 7:
      return decodePubAck(r, 'pubcomp', version);
    case 2:
      return decodeConnack(r, version);
    case 9:
      return decodeSubAck(r, 'suback', version);
    case 11:
      return decodeSubAck(r, 'unsuback', version);
    case 13:
      r.expectEnd('PINGRESP');
      return { type: 'pingresp' };
    case 14:
      return decodeReasonOnly(r, 'disconnect', version);
    case 15:
      return decodeReasonOnly(r, 'auth', version);
    default: {
      const name = (PACKET_TYPE_NAMES[first >> 4] as string).toUpperCase();
      return r.fail(MALFORMED, `${name} is sent by clients only, never by a server`, r.origin);
    }
  }
}
