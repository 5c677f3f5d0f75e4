// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT 5 Topic Aliases (section 3.3.2.3.4): a number standing for a topic name on one network connection, in each
 * direction separately. The maps here live for one connection and are reset when the next one opens
 * ([MQTT-3.3.2-7]): an alias never outlives the connection it was set up on. Part of the session engine.
 *
 * @module
 */
import { ReasonCode } from '../packet/reason-codes.js';
import type { PublishPacket } from '../packet/types.js';

/** Why an inbound alias cannot be resolved: the reason code to disconnect with, and a message. */
export interface AliasFault {
  reasonCode: number;
  message: string;
}

/** Aliases the broker sets up towards this client, up to the Topic Alias Maximum the client announced. */
export class InboundAliases {
  private max = 0;
  private topics: Map<number, string> | undefined;

  /** A new connection: no mappings, and `max` (the announced Topic Alias Maximum; 0: none accepted). */
  reset(max: number): void {
    this.max = max;
    this.topics = undefined;
  }

  /**
   * Gives `packet` its full topic name when it uses an alias, recording a new mapping when it carries both.
   * Returns what is wrong otherwise: an alias of 0 or above the maximum is 0x94 Topic Alias Invalid; an empty
   * topic with an alias that has no mapping is a Protocol Error (section 3.3.4 of MQTT 5).
   */
  resolve(packet: PublishPacket): AliasFault | undefined {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return undefined;
    if (alias === 0 || alias > this.max) {
      return {
        reasonCode: ReasonCode.TopicAliasInvalid,
        message:
          this.max === 0
            ? `the broker used topic alias ${alias}, but this client accepts none`
            : `the broker used topic alias ${alias}, outside 1..${this.max}`,
      };
    }
    if (packet.topic !== '') {
      this.topics ??= new Map();
      this.topics.set(alias, packet.topic);
      return undefined;
    }
    const topic = this.topics?.get(alias);
    if (topic === undefined) {
      return {
        reasonCode: ReasonCode.ProtocolError,
        message: `the broker used topic alias ${alias} with an empty topic before setting it up`,
      };
    }
    packet.topic = topic;
    return undefined;
  }
}

/** What to put in an outgoing PUBLISH: the topic (empty when the alias stands for it) and the alias, if any. */
export interface AliasChoice {
  topic: string;
  alias: number | undefined;
}

/**
 * Aliases this client sets up towards the broker, up to the broker's Topic Alias Maximum. In automatic mode every
 * topic gets one while there is room; when all are taken, the least recently used alias is given to the new
 * topic (sent with its full name, which remaps it). An alias the application chose itself (manual mode) is
 * honoured the same way: the first PUBLISH with it carries the topic, later ones only the alias.
 */
export class OutboundAliases {
  private max = 0;
  // topic → alias, in least-recently-used-first order (a Map iterates in insertion order; a use re-inserts).
  private byTopic: Map<string, number> | undefined;
  // alias → topic, for manual aliases and for eviction.
  private byAlias: Map<number, string> | undefined;

  /** A new connection: no mappings, and the broker's Topic Alias Maximum (0: the broker accepts none). */
  reset(max: number): void {
    this.max = max;
    this.byTopic = undefined;
    this.byAlias = undefined;
  }

  /** The broker's Topic Alias Maximum on this connection. */
  get maximum(): number {
    return this.max;
  }

  /** Automatic mode: the alias for `topic`, set up now if needed (evicting the least recently used). */
  auto(topic: string): AliasChoice {
    if (this.max === 0) return { topic, alias: undefined };
    const known = this.byTopic?.get(topic);
    if (known !== undefined) {
      this.bind(known, topic);
      return { topic: '', alias: known };
    }
    let alias = 0;
    if ((this.byAlias?.size ?? 0) < this.max) {
      // The lowest alias not taken (an application may have chosen some by hand).
      for (alias = 1; this.byAlias?.has(alias); alias++);
    } else {
      alias = (this.byTopic as Map<string, number>).values().next().value as number;
    }
    this.bind(alias, topic);
    return { topic, alias };
  }

  /**
   * Manual mode: the application asked for `alias` for `topic`. Returns what to send: no alias when it is beyond
   * the broker's maximum on this connection (which may differ from the one the application saw).
   */
  manual(topic: string, alias: number): AliasChoice {
    if (alias < 1 || alias > this.max) return { topic, alias: undefined };
    const known = this.byAlias?.get(alias) === topic;
    this.bind(alias, topic);
    return known ? { topic: '', alias } : { topic, alias };
  }

  // Records that `alias` stands for `topic` from now on (and is the most recently used), dropping whatever
  // either of them stood for before.
  private bind(alias: number, topic: string): void {
    this.byTopic ??= new Map();
    this.byAlias ??= new Map();
    const oldTopic = this.byAlias.get(alias);
    if (oldTopic !== undefined && oldTopic !== topic) this.byTopic.delete(oldTopic);
    const oldAlias = this.byTopic.get(topic);
    if (oldAlias !== undefined && oldAlias !== alias) this.byAlias.delete(oldAlias);
    this.byAlias.set(alias, topic);
    this.byTopic.delete(topic);
    this.byTopic.set(topic, alias);
  }

  /** The topic `alias` stands for on this connection, if it was set up. */
  topicOf(alias: number): string | undefined {
    return this.byAlias?.get(alias);
  }
}
