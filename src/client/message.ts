// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * An application message as the client delivers it.
 *
 * @module
 */
import { InvalidArgumentError } from '../packet/errors.js';
import type { PublishPacket, PublishProperties, QoS } from '../packet/types.js';
import type { PublishResult } from '../session/types.js';
import type { PublishOptions } from './events.js';
import type { Payload } from './payload.js';

const utf8 = new TextDecoder();

/** How a message publishes its response: the client's `publish`. */
export type Responder = (topic: string, payload: Payload, options: PublishOptions) => Promise<PublishResult>;

/** A message received from the broker. */
export class Message {
  /** The topic it was published to (the full name, also when it arrived through a topic alias). */
  readonly topic: string;
  /** The payload bytes. */
  readonly payload: Uint8Array;
  readonly qos: QoS;
  /** Set on a retained message sent because of a new subscription (or, in MQTT 5, as published). */
  readonly retain: boolean;
  /** Set when the broker says it may have sent this message before. */
  readonly dup: boolean;
  /** The packet identifier it came with (QoS 1 and 2). */
  readonly packetId: number | undefined;
  /** MQTT 5 properties. */
  readonly properties: PublishProperties | undefined;

  readonly #responder: Responder | undefined;

  constructor(packet: PublishPacket, responder?: Responder) {
    this.#responder = responder;
    this.topic = packet.topic;
    this.payload = packet.payload;
    this.qos = packet.qos;
    this.retain = packet.retain;
    this.dup = packet.dup;
    this.packetId = packet.packetId;
    this.properties = packet.properties;
  }

  /**
   * MQTT 5 request / response, the responder's side: publishes `payload` to this message's Response Topic with
   * its Correlation Data (QoS 1 unless `options.qos` says otherwise).
   *
   * @throws {InvalidArgumentError} (as a rejection) when the message has no Response Topic.
   */
  respond(payload: Payload, options: PublishOptions = {}): Promise<PublishResult> {
    const topic = this.properties?.responseTopic;
    if (topic === undefined)
      return Promise.reject(new InvalidArgumentError(`the message on ${this.topic} has no response topic`));
    if (this.#responder === undefined)
      return Promise.reject(new InvalidArgumentError('this message was not received by a client'));
    const properties: PublishProperties = { ...options.properties };
    const correlationData = this.properties?.correlationData;
    if (correlationData !== undefined) properties.correlationData = correlationData;
    return this.#responder(topic, payload, { qos: 1, ...options, properties });
  }

  /** The payload decoded as UTF-8. */
  text(): string {
    return utf8.decode(this.payload);
  }

  /** The payload parsed as JSON. @throws SyntaxError when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}
