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
  switch (packet.type) {
    case 'connack':
      return encodeConnack(packet, checkVersion(version), maxSize(options));
    case 'suback':
    case 'unsuback':
      return encodeSubAck(packet, checkVersion(version), maxSize(options));
    case 'pingresp':
      checkVersion(version);
      return WRITER.begin(0).finish(0xd0, maxSize(options), 'PINGRESP');
    default:
      if (!CLIENT_TYPES.has(packet.type)) {
        throw new InvalidArgumentError(`unknown packet type ${String(packet.type as unknown)}`);
      }
      return encodeClientPacket(packet, version, options);
  }
}

/**
 * {@link encode} for the packets a client sends; a packet only servers send fails with `InvalidArgumentError`.
 * The client uses it, so that an application bundle carries no encoders for packets only a server writes.
 */
export function encodeClientPacket(
  packet: Packet,
  version: ProtocolVersion,
  options?: EncodeOptions,
): Uint8Array {
  const max = maxSize(options);
  checkVersion(version);
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
    case 'subscribe':
      return encodeSubscribe(packet, version, max);
    case 'unsubscribe':
      return encodeUnsubscribe(packet, version, max);
    case 'pingreq':
      return WRITER.begin(0).finish(0xc0, max, 'PINGREQ');
    case 'disconnect':
    case 'auth':
      return encodeReasonOnly(packet, version, max);
    default:
      throw new InvalidArgumentError(
        `${String((packet as { type: unknown }).type).toUpperCase()} is sent by servers only, never by a client`,
      );
  }
}

const CLIENT_TYPES = new Set<unknown>([
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'connect',
  'subscribe',
  'unsubscribe',
  'pingreq',
  'disconnect',
  'auth',
]);

function maxSize(options: EncodeOptions | undefined): number {
  return options?.maxPacketSize ?? MAX_PACKET_SIZE;
}

// Checks the version and starts a new measurement; every encoding passes here first.
function checkVersion(version: ProtocolVersion): ProtocolVersion {
  if (version !== 3 && version !== 4 && version !== 5) {
    throw new InvalidArgumentError(`protocol version must be 3, 4 or 5, got ${String(version)}`);
  }
  resetMeasure();
  return version;
}
