// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * An application message as the client delivers it.
 *
 * @module
 */
import type { PublishPacket, PublishProperties, QoS } from '../packet/types.js';

const utf8 = new TextDecoder();

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

  constructor(packet: PublishPacket) {
    this.topic = packet.topic;
    this.payload = packet.payload;
    this.qos = packet.qos;
    this.retain = packet.retain;
    this.dup = packet.dup;
    this.packetId = packet.packetId;
    this.properties = packet.properties;
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
