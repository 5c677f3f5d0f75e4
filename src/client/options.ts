// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The client's options, their defaults, and their checks.
 *
 * @module
 */
import type { Authenticator } from '../auth/authenticator.js';
import type { Logger } from '../log.js';
import { InvalidArgumentError } from '../packet/errors.js';
import type { ConnectProperties, ProtocolVersion, QoS, Will, WillProperties } from '../packet/types.js';
import type { BackoffOptions } from '../session/backoff.js';
import type { SessionStore } from '../session/store.js';
import type { EngineOptions } from '../session/types.js';
import { validateTopicName } from '../topic.js';
import type { TransportFactory } from '../transport/transport.js';
import { toBytes } from './payload.js';

/** A will message: published by the broker when the client disappears without a clean DISCONNECT. */
export interface WillOptions {
  topic: string;
  payload: string | Uint8Array;
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 will properties (will delay, message expiry, content type …). */
  properties?: WillProperties;
}

/** Reconnect settings: backoff delays, and whether refusals that cannot succeed on retry are retried anyway. */
export interface ReconnectOptions extends BackoffOptions {
  /** Retry after bad credentials, not authorised, banned and the like. Default false. */
  retryOnRefusal?: boolean;
}

/** Options of {@link MqttClient}. */
export interface ClientOptions {
  /** How to reach the broker. The Node entry's `connect()` builds it from a URL. */
  transport?: TransportFactory;
  /** Client identifier; generated when absent. An empty one asks an MQTT 5 broker to assign one. */
  clientId?: string;
  /** 3 (MQTT 3.1), 4 (3.1.1), 5, or `auto` (default): try 5, then 3.1.1, then 3.1 when refused as unsupported. */
  protocolVersion?: ProtocolVersion | 'auto';
  /** Keep-alive in seconds (default 60; 0 turns it off). */
  keepAlive?: number;
  /**
   * Start without a stored session (default true). `'first'`: start clean on the first connection only, and
   * resume that session on every reconnect (paho's `MQTT_CLEAN_START_FIRST_ONLY`).
   */
  clean?: boolean | 'first';
  /**
   * Bridge mode (paho's `MQTT_BRIDGE`), with `protocolVersion` 3 or 4: the CONNECT marks the client as a bridge,
   * and brokers that know the extension (Mosquitto, RSMB) send it none of its own publications and keep the retain
   * flag as published, so that a bridge can subscribe to `#` without loops. MQTT 5 has `noLocal` and
   * `retainAsPublished` for this.
   */
  bridge?: boolean;
  /** MQTT 5 Session Expiry Interval, seconds. */
  sessionExpiryInterval?: number;
  username?: string;
  password?: string | Uint8Array;
  will?: WillOptions;
  /** MQTT 5 CONNECT properties. */
  properties?: ConnectProperties;
  /** Milliseconds to wait for CONNACK (default 30,000). */
  connectTimeout?: number;
  /** Milliseconds to wait for an answer to PINGREQ (default: half the keep-alive, 1 to 30 s). */
  pingTimeout?: number;
  /** Automatic reconnect (default on), or false. */
  reconnect?: ReconnectOptions | false;
  /** Most QoS 1/2 messages in flight (default 100; the broker's Receive Maximum may lower it). */
  maxInflight?: number;
  /** Most messages waiting to be sent (default 10,000). */
  maxQueued?: number;
  /**
   * Most bytes of payload and topic waiting to be sent (default 128 MiB): with large messages, the count alone
   * would let the queue grow without bound. A message is always taken into an empty queue, whatever its size.
   */
  maxQueuedBytes?: number;
  /** Queue QoS 0 messages while offline (default true). */
  queueQoS0?: boolean;
  /** Subscribe again after the broker lost the session (default true). */
  resubscribe?: boolean;
  /** Resend unacknowledged messages as new ones after the broker lost the session (default true). */
  resendOnSessionLost?: boolean;
  /**
   * MQTT 5: give outgoing topics Topic Aliases automatically, within the broker's Topic Alias Maximum, replacing
   * the least recently used one when all are taken (default false). Aliases set with the `topicAlias` publish
   * property are honoured either way. A resent message never uses an alias.
   */
  autoTopicAlias?: boolean;
  /**
   * MQTT 5: how many Topic Aliases the broker may use towards this client (the CONNECT Topic Alias Maximum;
   * default 0, none). Messages always reach the application with their full topic.
   */
  topicAliasMaximum?: number;
  /**
   * MQTT 5: give each `subscribe()` a Subscription Identifier of its own when the broker supports them (default
   * true), so that each message reaches the subscription handle it came for, also with overlapping filters. The
   * identifiers show in `message.properties.subscriptionIdentifiers`. False: none unless set in the properties.
   */
  subscriptionIdentifiers?: boolean;
  /**
   * Acknowledge QoS 1/2 messages only when the application calls `message.ack()` (default false: at once, on
   * delivery). Acknowledgements go out in the order the messages arrived, as MQTT requires, whatever the order
   * of the calls; the broker sends no more than its in-flight limit (MQTT 5: this client's Receive Maximum)
   * unacknowledged.
   */
  manualAck?: boolean;
  /**
   * MQTT 5: refuse (reason 0x99, and a `log` event instead of delivery) a message whose Payload Format Indicator
   * says UTF-8 when its payload is not (default false).
   */
  validatePayloadFormat?: boolean;
  /** Largest packet accepted from the broker, bytes (default 16 MiB); announced to MQTT 5 brokers. */
  maxPacketSize?: number;
  /** Where the session lives (default: in memory). */
  session?: SessionStore;
  /**
   * Where the client logs what it does (connects, refusals, lost connections, reconnects …); any object with
   * `error`/`warn`/`info`/`debug(message, fields?)` methods, `console` included. Default: nothing, unless the
   * `DEBUG` environment variable (in browsers `localStorage.debug`) names `mqttkit:client`; `MQTTKIT_LOG_LEVEL`
   * sets the level. Credentials are never logged. Whatever the logger, every line is also a `log` event.
   */
  logger?: Logger;
  /**
   * Log every packet sent and received (a summary, with passwords, authentication data and payloads left out) to
   * `logger` at debug level. Also on when `DEBUG` names `mqttkit:packet`.
   */
  logPackets?: boolean;
  /**
   * MQTT 5: when a broker refuses the connection with 0x9C (Use another server) or 0x9D (Server moved), or
   * disconnects with them, and gives a Server Reference, make the next attempt there (default false: the
   * reference is only reported, on the error's `properties.serverReference`). Needs a transport that can reach
   * other hosts (the Node `connect()` / `createClient()` build one).
   */
  followServerReference?: boolean;
  /**
   * Keep trying when the first connection attempt fails for a reason a retry can fix (network, timeout, broker
   * unavailable), with the reconnect backoff; `connect()` then resolves once connected (paho's
   * `retry_first_connection`). Default false: the first failure rejects `connect()` and ends the client.
   */
  retryFirstConnect?: boolean;
  /** Kept as `client.userData` for the application (paho's `userdata`); the client never reads it. */
  userData?: unknown;
  /**
   * MQTT 5 enhanced authentication (for example `scramSha256()`): its method goes in CONNECT, and it answers
   * the broker's challenges. Needs MQTT 5 (with `protocolVersion: 'auto'` there is then no fallback).
   */
  authenticator?: Authenticator;
}

/** Default largest inbound packet: bounded, so a broker cannot make the client buffer without limit. */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;

/** A client identifier of 20 characters: short enough for MQTT 3.1's limit of 23. */
export function generateClientId(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `mqttkit_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function positiveInt(
  v: number | undefined,
  fallback: number,
  what: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new InvalidArgumentError(`${what} must be an integer from 0 to ${max}, got ${String(v)}`);
  }
  return v;
}

/** The will of the CONNECT packet, checked. @throws {InvalidArgumentError} */
export function toWill(will: WillOptions): Will {
  validateTopicName(will.topic);
  const qos = will.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2)
    throw new InvalidArgumentError(`will qos must be 0, 1 or 2, got ${String(qos)}`);
  const w: Will = {
    topic: will.topic,
    payload: toBytes(will.payload, 'will payload'),
    qos,
    retain: will.retain ?? false,
  };
  if (will.properties !== undefined) w.properties = will.properties;
  return w;
}

/**
 * Turns client options into engine options (with `protocolVersion` 5 standing for `auto`).
 *
 * @throws {InvalidArgumentError} for a wrong option, naming it.
 */
export function engineOptions(o: ClientOptions): EngineOptions {
  const version = o.protocolVersion ?? 'auto';
  if (version !== 'auto' && version !== 3 && version !== 4 && version !== 5) {
    throw new InvalidArgumentError(`protocolVersion must be 3, 4, 5 or 'auto', got ${String(version)}`);
  }
  const keepAlive = positiveInt(o.keepAlive, 60, 'keepAlive', 65_535);
  const maxPacketSize = positiveInt(o.maxPacketSize, DEFAULT_MAX_PACKET_SIZE, 'maxPacketSize', 268_435_460);
  const properties: ConnectProperties = { ...o.properties };
  if (o.sessionExpiryInterval !== undefined) {
    properties.sessionExpiryInterval = positiveInt(
      o.sessionExpiryInterval,
      0,
      'sessionExpiryInterval',
      0xffff_ffff,
    );
  }
  properties.maximumPacketSize ??= maxPacketSize;
  if (o.authenticator !== undefined) {
    if (version === 3 || version === 4)
      throw new InvalidArgumentError('an authenticator needs MQTT 5 (protocolVersion 5 or auto)');
    if (typeof o.authenticator.method !== 'string' || o.authenticator.method === '')
      throw new InvalidArgumentError('the authenticator has no method name');
    properties.authenticationMethod = o.authenticator.method;
  }
  if (o.topicAliasMaximum !== undefined) {
    properties.topicAliasMaximum = positiveInt(o.topicAliasMaximum, 0, 'topicAliasMaximum', 65_535);
  }
  const e: EngineOptions = {
    protocolVersion: version === 'auto' ? 5 : version,
    clientId: o.clientId ?? generateClientId(),
    clean: o.clean === undefined || o.clean === true || o.clean === 'first',
    keepAlive,
    properties,
    maxInflight: Math.max(1, positiveInt(o.maxInflight, 100, 'maxInflight', 65_535)),
    maxQueued: positiveInt(o.maxQueued, 10_000, 'maxQueued'),
    maxQueuedBytes: positiveInt(o.maxQueuedBytes, 128 * 1024 * 1024, 'maxQueuedBytes'),
    queueQoS0: o.queueQoS0 ?? true,
    resubscribe: o.resubscribe ?? true,
    resendOnSessionLost: o.resendOnSessionLost ?? true,
    autoTopicAlias: o.autoTopicAlias ?? false,
    manualAck: o.manualAck ?? false,
    validatePayloadFormat: o.validatePayloadFormat ?? false,
    connectTimeout: positiveInt(o.connectTimeout, 30_000, 'connectTimeout'),
    pingTimeout: positiveInt(
      o.pingTimeout,
      Math.min(30_000, Math.max(1_000, keepAlive * 500)),
      'pingTimeout',
    ),
  };
  if (o.bridge !== undefined && typeof o.bridge !== 'boolean')
    throw new InvalidArgumentError(`bridge must be true or false, got ${String(o.bridge)}`);
  if (o.bridge === true) {
    if (version !== 3 && version !== 4)
      throw new InvalidArgumentError(
        'bridge mode needs protocolVersion 3 or 4 (MQTT 5 has noLocal and retainAsPublished instead)',
      );
    e.bridge = true;
  }
  if (o.clean === 'first') e.cleanFirstOnly = true;
  else if (o.clean !== undefined && typeof o.clean !== 'boolean')
    throw new InvalidArgumentError(`clean must be true, false or 'first', got ${String(o.clean)}`);
  if (o.username !== undefined) e.username = o.username;
  if (o.password !== undefined) e.password = toBytes(o.password, 'password');
  if (o.will !== undefined) e.will = toWill(o.will);
  return e;
}
