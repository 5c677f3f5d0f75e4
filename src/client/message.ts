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

/** How a message is acknowledged under manual acknowledgement: returns whether there was something to do. */
export type Acknowledger = (reasonCode: number) => boolean;

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
  /** When the client received it, ms since the epoch (paho's `timestamp`, which is monotonic time instead). */
  readonly receivedAt: number;

  readonly #responder: Responder | undefined;
  readonly #acknowledge: Acknowledger | undefined;

  constructor(packet: PublishPacket, responder?: Responder, acknowledge?: Acknowledger) {
    this.#responder = responder;
    this.#acknowledge = acknowledge;
    this.topic = packet.topic;
    this.payload = packet.payload;
    this.qos = packet.qos;
    this.retain = packet.retain;
    this.dup = packet.dup;
    this.packetId = packet.packetId;
    this.properties = packet.properties;
    this.receivedAt = Date.now();
  }

  /**
   * With the client's `manualAck` option: acknowledges this QoS 1/2 message (PUBACK / PUBREC), with an MQTT 5
   * reason code (default 0, success; 0x80 and above refuse it, e.g. 0x87 Not authorized). Acknowledgements leave
   * in the order the messages arrived, whatever the order of the calls. Returns false when there is nothing to
   * do: QoS 0, no manual acknowledgement, acknowledged already, or a QoS 1 message of a connection that has
   * since dropped (the broker sends it again).
   */
  ack(reasonCode = 0): boolean {
    return this.#acknowledge?.(reasonCode) ?? false;
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
