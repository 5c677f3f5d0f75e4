// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The client's events and the option types of its methods.
 *
 * @module
 */

import { ConnectionError } from '../errors.js';
import type {
  ConnackProperties,
  DisconnectProperties,
  PublishProperties,
  QoS,
  SubscribeProperties,
} from '../packet/types.js';
import type { OutgoingMessage } from '../session/store.js';
import type { AckResult, PublishResult } from '../session/types.js';
import type { Message } from './message.js';
import type { IteratorOptions } from './message-queue.js';

/** What the broker said when it accepted the connection. */
export interface ConnectInfo {
  sessionPresent: boolean;
  reasonCode: number;
  /** MQTT 5 CONNACK properties. */
  properties: ConnackProperties | undefined;
  /** The protocol version in use. */
  protocolVersion: number;
}

/** Why a connection ended, and whether the client will reconnect. */
export interface DisconnectInfo {
  error: Error | undefined;
  /** Reason code of the broker's DISCONNECT (MQTT 5), when it sent one. */
  reasonCode?: number;
  properties?: DisconnectProperties;
  willReconnect: boolean;
}

/** The client's events. */
export interface ClientEvents {
  [event: string]: (...args: never[]) => void;
  /** The broker accepted a connection (the first one or a reconnection). */
  connect: (info: ConnectInfo) => void;
  /** A connection attempt failed (refused, timed out, or the network failed). */
  connectFailure: (error: Error) => void;
  /** An established connection ended. */
  disconnect: (info: DisconnectInfo) => void;
  /** The client waits `delay` ms before reconnect attempt `attempt`. */
  reconnecting: (info: { attempt: number; delay: number }) => void;
  /** A message arrived. */
  message: (message: Message) => void;
  /**
   * A publication completed (PUBACK / PUBCOMP, or written for QoS 0) — also one taken over from a durable session
   * store, which has no promise.
   */
  publish: (result: PublishResult) => void;
  /**
   * A publication failed: the broker refused it (a PUBACK or PUBREC reason code of 0x80 or more), it was larger
   * than the broker takes, the queue or the session store could not take it, or the broker lost the session and
   * `resendOnSessionLost` is off. Its promise is rejected with the same error; for a message taken over from a
   * durable session store (which has no promise) this event is the only report.
   */
  publishFailed: (error: Error, message: OutgoingMessage) => void;
  /** A SUBACK arrived. */
  subscribe: (result: AckResult) => void;
  /** An UNSUBACK arrived. */
  unsubscribe: (result: AckResult) => void;
  /**
   * A connection ended or failed with an error (also reported by `connectFailure` or `disconnect`). Unlike Node's
   * EventEmitter, an `error` event without a listener is not thrown.
   */
  error: (error: Error) => void;
  /** The client ended for good; `error` when it was not asked to. */
  close: (error: Error | undefined) => void;
  /**
   * The broker had lost the session (CONNACK without Session Present) while these messages were in flight, so
   * they are sent again as new publications (`resendOnSessionLost`): the broker may have passed them on already,
   * and a subscriber may receive them twice, even at QoS 2.
   */
  republished: (messages: OutgoingMessage[]) => void;
  /** Diagnostics. Credentials are never part of a log message. */
  log: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

/** Options of `publish`. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 properties. */
  properties?: PublishProperties;
  signal?: AbortSignal;
}

/**
 * One filter of a `subscribe()` with options of its own (paho's list of `(topic, qos)` pairs); what it leaves out
 * comes from the call's options.
 */
export interface SubscriptionRequest {
  topicFilter: string;
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

/** Options of `subscribe`. */
export interface SubscribeOptions extends IteratorOptions {
  /** Maximum QoS requested (default 0). */
  qos?: QoS;
  /** MQTT 5: do not receive my own publications. */
  noLocal?: boolean;
  /** MQTT 5: keep the retain flag as published. */
  retainAsPublished?: boolean;
  /** MQTT 5: 0 send retained messages, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
  /** MQTT 5 SUBSCRIBE properties. */
  properties?: SubscribeProperties;
  signal?: AbortSignal;
}

/** Options of `end`. */
export interface EndOptions {
  /** MQTT 5 DISCONNECT reason code (default 0; 0x04 asks the broker to publish the will). */
  reasonCode?: number;
  /** MQTT 5 DISCONNECT properties (e.g. a new session expiry interval). */
  properties?: DisconnectProperties;
  /** Wait until queued and in-flight messages are done first. */
  flush?: boolean;
  signal?: AbortSignal;
}

/** The broker's DISCONNECT details carried by `error`, if it is a ConnectionError from one. */
export function disconnectInfo(error: Error): { reasonCode?: number; properties?: DisconnectProperties } {
  if (error instanceof ConnectionError && error.reasonCode !== undefined) {
    const info: { reasonCode?: number; properties?: DisconnectProperties } = { reasonCode: error.reasonCode };
    if (error.properties !== undefined) info.properties = error.properties;
    return info;
  }
  return {};
}
