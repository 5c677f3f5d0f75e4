// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Encoding of any packet, dispatched on its type.
 *
 * @module
 */
import { encodePubAck } from './ack.js';
import { encodeConnack } from './connack.js';
import { encodeConnect } from './connect.js';
import { encodeReasonOnly } from './disconnect.js';
import { InvalidArgumentError } from './errors.js';
import { encodePublish } from './publish.js';
import { encodeSubAck } from './suback.js';
import { encodeSubscribe } from './subscribe.js';
import type { Packet, ProtocolVersion } from './types.js';
import { encodeUnsubscribe } from './unsubscribe.js';
import { MAX_PACKET_SIZE, resetMeasure, WRITER } from './writer.js';

/** Options of {@link encode}. */
export interface EncodeOptions {
  /** Refuse packets larger than this many bytes (the peer's Maximum Packet Size). Default: MQTT's own limit. */
  maxPacketSize?: number;
}

/**
 * Encodes `packet` for protocol `version` (3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0) into a new byte array. A CONNECT is
 * encoded in the version it names itself.
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT` when the packet breaks a rule of the specification
 *   (a wildcard in a topic name, a string over 65,535 bytes, a property not allowed in that packet or version …).
 * @throws {PacketTooLargeError} `MQTT_ERR_PACKET_TOO_LARGE` when the packet would exceed `maxPacketSize`.
 */
export function encode(packet: Packet, version: ProtocolVersion, options?: EncodeOptions): Uint8Array {
  const max = options?.maxPacketSize ?? MAX_PACKET_SIZE;
  if (version !== 3 && version !== 4 && version !== 5) {
    throw new InvalidArgumentError(`protocol version must be 3, 4 or 5, got ${String(version)}`);
  }
  resetMeasure();
  switch (packet.type) {
    case 'publish':
      return encodePublish(packet, version, max);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return encodePubAck(packet, version, max);
    case 'connect':
      return encodeConnect(packet, max);
    case 'connack':
      return encodeConnack(packet, version, max);
    case 'subscribe':
      return encodeSubscribe(packet, version, max);
    case 'suback':
    case 'unsuback':
      return encodeSubAck(packet, version, max);
    case 'unsubscribe':
      return encodeUnsubscribe(packet, version, max);
    case 'pingreq':
      return WRITER.begin(0).finish(0xc0, max, 'PINGREQ');
    case 'pingresp':
      return WRITER.begin(0).finish(0xd0, max, 'PINGRESP');
    case 'disconnect':
    case 'auth':
      return encodeReasonOnly(packet, version, max);
    default:
      throw new InvalidArgumentError(`unknown packet type ${String((packet as { type: unknown }).type)}`);
  }
}
