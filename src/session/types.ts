// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What goes into and out of the session engine.
 *
 * @module
 */
import type {
  AckProperties,
  ConnackPacket,
  ConnectProperties,
  Packet,
  ProtocolVersion,
  PublishPacket,
  Will,
} from '../packet/types.js';
import type { OutgoingMessage } from './store.js';

/**
 * Where the connection stands. `offline`: no transport; `connecting`: CONNECT sent; `verifying`: the broker
 * accepted the connection (CONNACK) after an enhanced authentication exchange, and the authenticator is checking
 * the broker's final data (packets that arrive meanwhile wait); `connected`: CONNACK accepted; `closing`: the
 * connection is ending.
 */
export type Phase = 'offline' | 'connecting' | 'verifying' | 'connected' | 'closing';

/** Settings of the session engine; the client fills them in from its own options. */
export interface EngineOptions {
  protocolVersion: ProtocolVersion;
  clientId: string;
  /** Clean Session (3.1, 3.1.1) / Clean Start (5). */
  clean: boolean;
  /** With `clean`: only the first connection starts clean; reconnects resume the session. */
  cleanFirstOnly?: boolean;
  /** MQTT 3.1 / 3.1.1 bridge mode (see ConnectPacket's `bridge`). */
  bridge?: boolean;
  /** Requested keep-alive, seconds; 0 turns it off. */
  keepAlive: number;
  username?: string;
  password?: Uint8Array;
  will?: Will;
  /** MQTT 5 CONNECT properties. */
  properties?: ConnectProperties;
  /** Most QoS 1/2 messages in flight at once; the broker's Receive Maximum may lower it. */
  maxInflight: number;
  /** Most messages waiting in the queue (offline, or beyond the in-flight window). */
  maxQueued: number;
  /** Most bytes of payload and topic waiting in the queue (a store without `queueBytes` is bounded by count only). */
  maxQueuedBytes: number;
  /** Queue QoS 0 messages published while offline (otherwise they fail at once). */
  queueQoS0: boolean;
  /** Subscribe again to the client's subscriptions when the broker has lost the session. */
  resubscribe: boolean;
  /**
   * When the broker has lost the session, send the unacknowledged QoS 1/2 messages again as new publications
   * (they may then arrive twice); otherwise fail them.
   */
  resendOnSessionLost: boolean;
  /**
   * MQTT 5: give outgoing topics Topic Aliases automatically, within the broker's Topic Alias Maximum (least
   * recently used replaced). Off: only aliases the application sets itself are used.
   */
  autoTopicAlias: boolean;
  /**
   * QoS 1/2 messages are acknowledged only when the application says so (`Incoming.acknowledge`), in arrival
   * order; otherwise as soon as they are delivered.
   */
  manualAck: boolean;
  /** MQTT 5: refuse (0x99) messages whose Payload Format Indicator says UTF-8 when the payload is not. */
  validatePayloadFormat: boolean;
  /** How long to wait for CONNACK, ms. */
  connectTimeout: number;
  /** How long to wait for any packet after a PINGREQ before calling the connection dead, ms. */
  pingTimeout: number;
}

/** How a publication ended. */
export interface PublishResult {
  /** The packet identifier it had (undefined for QoS 0). */
  packetId: number | undefined;
  /** Reason code of the PUBACK / PUBREC / PUBCOMP; 0 for QoS 0 and MQTT 3. */
  reasonCode: number;
  /** Properties of the acknowledgement, MQTT 5. */
  properties: AckProperties | undefined;
}

/** How a subscription or unsubscription request ended. */
export interface AckResult {
  /** One per topic filter, in order: granted QoS or failure code (SUBACK), or UNSUBACK reason codes (MQTT 5). */
  reasonCodes: number[];
  properties: AckProperties | undefined;
}

/**
 * Where the engine's decisions go. The engine does no I/O itself: the client implements this interface with a
 * transport and promises, the unit tests with a recorder.
 */
export interface EngineSink<T> {
  /** Write a packet to the connection. */
  send(packet: Packet): void;
  /** An application message arrived (delivered once, even for a QoS 2 message the broker sends again). */
  deliver(message: PublishPacket): void;
  /** An operation handed over with `token` is done: resolved with `result`, or failed with `error`. */
  settle(token: T, error: Error | undefined, result: PublishResult | AckResult | undefined): void;
  /** The broker accepted the connection. */
  connected(connack: ConnackPacket): void;
  /** The connection must end (any DISCONNECT has been sent already); `error` says why, undefined if asked to. */
  close(error: Error | undefined): void;
  /**
   * MQTT 5 enhanced authentication: the broker sent a challenge; answer with `authRespond()` (or `authFailed()`).
   */
  authChallenge(data: Uint8Array | undefined, reauthenticate: boolean): void;
  /**
   * The broker ended an authentication exchange in success (CONNACK, or AUTH 0x00 after a re-authentication)
   * with this data; for the connect exchange, answer with `authVerified()` or `authFailed()`.
   */
  authSucceeded(data: Uint8Array | undefined, reauthenticate: boolean): void;
  /** The broker asked for a re-authentication (AUTH 0x19). */
  reauthRequested(): void;
  /** A message was refused rather than delivered (e.g. a payload that is not the UTF-8 it claims to be). */
  rejected(message: PublishPacket, why: string): void;
  /** No message is queued or in flight any more (one just completed or failed). */
  idle(): void;
  /**
   * The broker lost the session while these messages were in flight: they are sent again as new publications
   * (`resendOnSessionLost`), so a subscriber may receive them twice.
   */
  republished(messages: OutgoingMessage[]): void;
  /**
   * A publication failed: refused by the broker, by the session's limits or store, or dropped after the broker
   * lost the session. Also reported to its token, when it has one.
   */
  publishFailed(message: OutgoingMessage, error: Error): void;
  /** A publication without a token — one taken over from a session store — completed. */
  publishedWithoutToken(message: OutgoingMessage, result: PublishResult): void;
}
