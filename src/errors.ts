// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The error classes of mqttkit. Every error the library throws or rejects with is an {@link MqttError} with a
 * stable `code`; docs/errors.md lists them all. The codec's own errors live in `packet/errors.ts` (the codec may
 * import nothing from above it) and are re-exported here.
 *
 * @module
 */
import { MqttError } from './packet/errors.js';
import { reasonCodeName } from './packet/reason-codes.js';
import type {
  AckProperties,
  ConnackPacket,
  ConnackProperties,
  DisconnectPacket,
  DisconnectProperties,
} from './packet/types.js';

export {
  InvalidArgumentError,
  isMqttError,
  MqttError,
  PacketTooLargeError,
  ProtocolError,
} from './packet/errors.js';

/** The broker refused the connection: CONNACK with a failure reason code (MQTT 3 return codes are mapped). */
export class ConnackError extends MqttError {
  /** MQTT 5 reason code (an MQTT 3 return code is mapped to its MQTT 5 equivalent). */
  readonly reasonCode: number;
  /** The broker's reason string, MQTT 5 only. */
  readonly reasonString: string | undefined;
  /** The CONNACK's properties, MQTT 5 only. */
  readonly properties: ConnackProperties | undefined;

  constructor(packet: ConnackPacket) {
    const reason = packet.properties?.reasonString;
    super(
      'MQTT_ERR_CONNACK',
      `connection refused: ${reasonCodeName(packet.reasonCode, 'connack')} (0x${hex(packet.reasonCode)})${reason ? `: ${reason}` : ''}`,
    );
    this.reasonCode = packet.reasonCode;
    this.reasonString = reason;
    this.properties = packet.properties;
  }
}

/** The broker refused a publication: PUBACK or PUBREC with a failure reason code (MQTT 5). */
export class PublishError extends MqttError {
  readonly reasonCode: number;
  readonly reasonString: string | undefined;
  readonly properties: AckProperties | undefined;

  constructor(
    reasonCode: number,
    properties: AckProperties | undefined,
    packet: 'puback' | 'pubrec' | 'pubcomp',
  ) {
    const reason = properties?.reasonString;
    super(
      'MQTT_ERR_PUBLISH',
      `publish refused: ${reasonCodeName(reasonCode, packet)} (0x${hex(reasonCode)})${reason ? `: ${reason}` : ''}`,
    );
    this.reasonCode = reasonCode;
    this.reasonString = reason;
    this.properties = properties;
  }
}

/** The network connection failed, or the broker closed it. `cause` holds the underlying error. */
export class ConnectionError extends MqttError {
  /** MQTT 5 reason code of the broker's DISCONNECT, when it sent one. */
  readonly reasonCode: number | undefined;
  readonly properties: DisconnectProperties | undefined;

  constructor(message: string, options?: { cause?: unknown; disconnect?: DisconnectPacket }) {
    super('MQTT_ERR_CONNECTION', message, options);
    this.reasonCode = options?.disconnect?.reasonCode;
    this.properties = options?.disconnect?.properties;
  }
}

/** An operation or the connection did not complete in time (connect timeout, keep-alive timeout). */
export class TimeoutError extends MqttError {
  constructor(message: string) {
    super('MQTT_ERR_TIMEOUT', message);
  }
}

/** The client was ended or destroyed before the operation completed. */
export class ClientClosedError extends MqttError {
  constructor(message = 'the client is closed', options?: { cause?: unknown }) {
    super('MQTT_ERR_CLIENT_CLOSED', message, options);
  }
}

/** The offline / in-flight queue is full (`maxQueued`); the message was not accepted. */
export class QueueFullError extends MqttError {
  /** @param unit - which bound was reached: `maxQueued` (messages) or `maxQueuedBytes` (bytes). */
  constructor(limit: number, unit: 'messages' | 'bytes' = 'messages') {
    super('MQTT_ERR_QUEUE_FULL', `the outgoing queue is full (${limit} ${unit}); the message was not queued`);
  }
}

/**
 * A queued message's MQTT 5 Message Expiry Interval passed before it could be sent (it counts from the moment the
 * application handed it over): the message was dropped, as a broker drops one it could not deliver in time.
 */
export class MessageExpiredError extends MqttError {
  /** The message's Message Expiry Interval, in seconds. */
  readonly expiryInterval: number;

  constructor(expiryInterval: number) {
    super(
      'MQTT_ERR_EXPIRED',
      `the message expired before it could be sent (Message Expiry Interval ${expiryInterval} s)`,
    );
    this.expiryInterval = expiryInterval;
  }
}

/**
 * A durable session store failed: its directory cannot be created or written, the disk is full, another process
 * holds the session, or its log is corrupt. What was stored before stays stored.
 */
export class SessionStoreError extends MqttError {
  /** The session's directory. */
  readonly path: string | undefined;

  constructor(message: string, details?: { path?: string; cause?: unknown }) {
    super('MQTT_ERR_STORE', message, details?.cause === undefined ? undefined : { cause: details.cause });
    this.path = details?.path;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
