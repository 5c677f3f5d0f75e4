// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The error classes the codec throws. They live here, not in `src/errors.ts`, because `packet/` imports nothing
 * from the layers above it; `src/errors.ts` re-exports them beside the client's own errors.
 *
 * @module
 */

const MQTT_ERROR = Symbol.for('mqttkit.error');

/** Stable codes of the codec's errors. Every code is listed in docs/errors.md. */
export type CodecErrorCode = 'MQTT_ERR_PROTOCOL' | 'MQTT_ERR_INVALID_ARGUMENT' | 'MQTT_ERR_PACKET_TOO_LARGE';

/**
 * Base class of every error mqttkit throws. Test with {@link isMqttError} rather than `instanceof` when code may be
 * loaded twice (a browser bundle beside a Node build), since the classes are then distinct.
 */
export class MqttError extends Error {
  /** A stable, machine-readable code such as `MQTT_ERR_PROTOCOL`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, MQTT_ERROR, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** Whether `e` is an error thrown by mqttkit, whichever copy of the library created it. */
export function isMqttError(e: unknown): e is MqttError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[MQTT_ERROR] === true;
}

/**
 * Bytes from the peer broke a rule of the specification. `reasonCode` is the MQTT 5 reason code to close the
 * connection with: 0x81 Malformed Packet, 0x82 Protocol Error, 0x84 Unsupported Protocol Version (CONNECT only),
 * 0x94 Topic Alias invalid or 0x95 Packet too large. The message says what was wrong and at which byte offset of
 * the packet (0 is the first byte of the fixed header).
 */
export class ProtocolError extends MqttError {
  /** MQTT 5 reason code for the DISCONNECT (or CONNACK) that answers this error. */
  readonly reasonCode: number;
  /** Byte offset within the packet where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(reasonCode: number, message: string, offset?: number, options?: { cause?: unknown }) {
    super('MQTT_ERR_PROTOCOL', offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.reasonCode = reasonCode;
    this.offset = offset;
  }
}

/** The caller asked for something the specification forbids (a wildcard in a topic name, a string too long …). */
export class InvalidArgumentError extends MqttError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MQTT_ERR_INVALID_ARGUMENT', message, options);
  }
}

/** A packet to encode would exceed the maximum packet size in force. Nothing was written. */
export class PacketTooLargeError extends MqttError {
  /** Size the packet would have, in bytes. */
  readonly size: number;
  /** The limit that it exceeds. */
  readonly maximum: number;

  constructor(size: number, maximum: number, what: string) {
    super(
      'MQTT_ERR_PACKET_TOO_LARGE',
      `${what} would be ${size} bytes, over the maximum packet size of ${maximum}`,
    );
    this.size = size;
    this.maximum = maximum;
  }
}
