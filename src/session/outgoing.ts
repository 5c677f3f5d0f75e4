// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Outgoing publications: the queue, the in-flight window, the QoS 1 and QoS 2 flows, and what is resent after a
 * reconnect. Part of the session engine; it does no I/O.
 *
 * @module
 */
import { ConnectionError, MessageExpiredError, PublishError, QueueFullError } from '../errors.js';
import type { PacketTooLargeError } from '../packet/errors.js';
import { ReasonCode } from '../packet/reason-codes.js';
import type {
  Packet,
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PubrecPacket,
} from '../packet/types.js';
import type { BrokerLimits } from './broker-limits.js';
import { remainingExpiry, sendRefusal, tooLarge } from './send-checks.js';
import { type OutgoingMessage, queuedSize, type SessionStore, type StoredPublish } from './store.js';
import { type AliasChoice, OutboundAliases } from './topic-aliases.js';
import type { EngineOptions, PublishResult } from './types.js';

/** What the outgoing side needs from the engine around it. */
export interface OutgoingHost<T> {
  send(packet: Packet): void;
  settle(token: T, error: Error | undefined, result: PublishResult | undefined): void;
  /** A free packet identifier, or 0 when none is. */
  allocate(): number;
  /** How many QoS 1/2 publications may be unacknowledged at once now. */
  window(): number;
  online(): boolean;
  /** The current time (ms since the epoch), as the engine was last told it. */
  clock(): number;
  /** Whether the transport takes more now: false while its send buffer is over its high-water mark. */
  writable(): boolean;
  version(): ProtocolVersion;
  /** What the broker of this connection allows. */
  readonly brokerLimits: Readonly<BrokerLimits>;
  /** The last queued or in-flight message is done. */
  idle(): void;
  /**
   * The broker lost the session while these messages were in flight: they go again as new publications, so a
   * subscriber may receive them twice.
   */
  resentAfterSessionLost(messages: OutgoingMessage[]): void;
  /** A publication failed (reported to its token too, when it has one). */
  publishFailed(message: OutgoingMessage, error: Error): void;
  /** A publication without a token (taken over from a session store) completed. */
  publishedWithoutToken(message: OutgoingMessage, result: PublishResult): void;
}

const QOS0_RESULT: PublishResult = Object.freeze({
  packetId: undefined,
  reasonCode: 0,
  properties: undefined,
});

/** The outgoing half of the session engine. */
export class Outgoing<T> {
  // Tokens live here rather than in the store: a promise cannot be written to disk.
  private readonly tokens = new Map<number, T>();
  // Identifiers of the publications sent on this connection and not yet acknowledged: the window in use.
  private readonly sent = new Set<number>();
  // In-flight identifiers still to resend on this connection, in their original order.
  private resend: number[] = [];
  private resendAt = 0;
  private readonly aliases = new OutboundAliases();

  constructor(
    private readonly options: EngineOptions,
    private readonly store: SessionStore,
    private readonly host: OutgoingHost<T>,
  ) {}

  /** A connection ended or began: nothing is in flight on it yet. */
  connectionReset(): void {
    this.sent.clear();
    this.resend = [];
    this.resendAt = 0;
    this.aliases.reset(0);
  }

  /** CONNACK set the broker's Topic Alias Maximum for this connection. */
  setTopicAliasMaximum(max: number): void {
    this.aliases.reset(max);
  }

  /** The topic an outgoing topic alias stands for on this connection (manual aliases). */
  aliasedTopic(alias: number): string | undefined {
    return this.aliases.topicOf(alias);
  }

  /** Takes a message to publish; returns its session entry (none for a QoS 0 message sent at once or refused). */
  publish(message: OutgoingMessage, token: T | undefined): StoredPublish | undefined {
    const online = this.host.online();
    // While the transport's buffer is full, a QoS 0 message waits in the (bounded) queue like any other, rather
    // than pile up in the transport's buffer without limit.
    if (message.qos === 0 && online && this.store.queueLength === 0 && this.host.writable()) {
      const tooLarge = this.checkSize(message);
      if (tooLarge === undefined) this.host.send(this.toPacket(message, 0, false));
      this.refuseOrSettle(message, token, tooLarge);
      return undefined;
    }
    if (message.qos === 0 && !online && !this.options.queueQoS0) {
      this.refuseOrSettle(message, token, new ConnectionError('not connected'));
      return undefined;
    }
    if (this.store.queueLength >= this.options.maxQueued) {
      this.refuseOrSettle(message, token, new QueueFullError(this.options.maxQueued));
      return undefined;
    }
    const bytes = this.store.queueBytes;
    // A message always fits an empty queue: the bound is on what piles up, not on the size of one message.
    if (bytes !== undefined && bytes > 0 && bytes + queuedSize(message) > this.options.maxQueuedBytes) {
      this.refuseOrSettle(message, token, new QueueFullError(this.options.maxQueuedBytes, 'bytes'));
      return undefined;
    }
    const entry: StoredPublish = {
      seq: this.store.nextSeq(),
      message,
      packetId: 0,
      stage: 'queued',
      sentBefore: false,
    };
    if (message.properties?.messageExpiryInterval !== undefined) entry.queuedAt = this.host.clock();
    try {
      this.store.enqueue(entry);
    } catch (e) {
      // A durable store that cannot record the message (a full disk): refused, as a full queue is.
      this.refuseOrSettle(message, token, e as Error);
      return undefined;
    }
    if (token !== undefined) this.tokens.set(entry.seq, token);
    this.pump();
    return entry;
  }

  /** A PUBACK, PUBREC or PUBCOMP arrived. */
  onAck(packet: PubackPacket | PubrecPacket | PubcompPacket): void {
    const entry = this.store.getInflight(packet.packetId);
    if (packet.type === 'puback') {
      if (entry?.message.qos === 1) this.finish(entry, packet);
    } else if (packet.type === 'pubcomp') {
      if (entry?.stage === 'pubrel') this.finish(entry, packet);
    } else if (entry === undefined || entry.message.qos !== 2) {
      // Not ours (any more): release it anyway so the broker can free the identifier.
      const reasonCode = this.host.version() === 5 ? ReasonCode.PacketIdentifierNotFound : 0;
      this.host.send({ type: 'pubrel', packetId: packet.packetId, reasonCode });
    } else if (packet.reasonCode >= 0x80) {
      this.finish(entry, packet); // a PUBREC failure ends the flow: no PUBREL (section 4.3.3 of MQTT 5)
    } else {
      if (entry.stage !== 'pubrel') {
        entry.stage = 'pubrel';
        this.store.putInflight(entry);
      }
      this.host.send({ type: 'pubrel', packetId: entry.packetId, reasonCode: 0 });
    }
  }

  /**
   * CONNACK accepted. With the session present, in-flight messages go again with their identifiers (PUBLISH with
   * DUP, or PUBREL), as the window allows; without it their identifiers mean nothing to the broker, so the
   * unacknowledged ones go back to the head of the queue as new publications, or fail, as configured, and QoS 2
   * messages past PUBREC (accepted by the broker) complete.
   */
  resume(sessionPresent: boolean): void {
    if (sessionPresent) {
      for (const e of this.store.inflight()) this.resend.push(e.packetId);
    } else {
      const all = [...this.store.inflight()];
      // A QoS 2 message past PUBREC was accepted by the broker ([MQTT-4.3.3-3]): it is done, not resent.
      for (const e of all) {
        if (e.stage !== 'pubrel') continue;
        this.store.deleteInflight(e.packetId);
        this.settle(e, undefined, { packetId: e.packetId, reasonCode: 0, properties: undefined });
      }
      const entries = all.filter((e) => e.stage !== 'pubrel');
      if (this.options.resendOnSessionLost) {
        const resent: OutgoingMessage[] = [];
        // Back to the queue first, out of flight after: a durable store never holds the message in neither.
        for (let i = entries.length - 1; i >= 0; i--) {
          const e = entries[i] as StoredPublish;
          const { packetId, sentBefore } = e;
          e.packetId = 0;
          e.stage = 'queued';
          e.sentBefore = false;
          if (this.requeue(e, packetId, sentBefore) && sentBefore) resent.unshift(e.message);
        }
        if (resent.length > 0) this.host.resentAfterSessionLost(resent);
      } else {
        for (const e of entries) {
          this.store.deleteInflight(e.packetId);
          this.settle(e, new ConnectionError('the broker lost the session'), undefined);
        }
      }
    }
    this.pump();
  }

  // Puts an in-flight message (identifier `id`) back at the head of the queue. A store that cannot record that
  // (the file store never refuses it) keeps the message in flight as it was: never dropped, it goes again on a
  // later connection.
  private requeue(e: StoredPublish, id: number, sentBefore: boolean): boolean {
    try {
      this.store.enqueue(e, true);
    } catch {
      e.packetId = id;
      e.stage = 'publish';
      e.sentBefore = sentBefore;
      return false;
    }
    this.store.deleteInflight(id);
    return true;
  }

  /** Fails every publication still awaited; the messages themselves stay in the store. */
  abort(error: Error): void {
    for (const [seq, token] of this.tokens) {
      this.tokens.delete(seq);
      this.host.settle(token, error, undefined);
    }
  }

  /**
   * The application withdrew a message (aborted its publish): if it still waits in the queue it is dropped when it
   * reaches the head, never sent. One already sent cannot be taken back from the broker.
   */
  withdraw(entry: StoredPublish): void {
    if (entry.stage !== 'queued' || entry.packetId !== 0) return;
    if (this.store.remove?.(entry) === true) {
      this.tokens.delete(entry.seq);
      this.idleIfEmpty();
      return;
    }
    entry.withdrawn = true;
  }

  /** The transport's send buffer has room again: sends what waited for it. */
  drained(): void {
    this.pump();
  }

  // Sends what the window allows, while the transport takes more: resends first, then the queue in order.
  private pump(): void {
    if (!this.host.online()) return;
    const window = this.host.window();
    while (this.resendAt < this.resend.length && this.sent.size < window && this.host.writable()) {
      const entry = this.store.getInflight(this.resend[this.resendAt++] as number);
      if (entry !== undefined) this.sendEntry(entry);
    }
    if (this.resendAt < this.resend.length) return;
    for (let head = this.store.peek(); head !== undefined && this.host.writable(); head = this.store.peek()) {
      if (head.withdrawn === true || remainingExpiry(head, this.host.clock()) === 0) {
        this.discard(head);
        this.drop(head);
        continue;
      }
      if (head.message.qos === 0) {
        const refusal = this.refusal(head.message);
        if (refusal === undefined) {
          this.store.dequeue();
          this.host.send(this.toPacket(head.message, 0, false, head));
        } else this.discard(head);
        this.settle(head, refusal, refusal === undefined ? QOS0_RESULT : undefined);
        continue;
      }
      if (this.sent.size >= window) return;
      const refusal = this.refusal(head.message);
      if (refusal !== undefined) {
        this.discard(head);
        this.settle(head, refusal, undefined);
        continue;
      }
      const id = this.host.allocate();
      if (id === 0) return;
      this.store.dequeue();
      head.packetId = id;
      head.stage = 'publish';
      this.sendEntry(head); // records it in flight
    }
  }

  private sendEntry(entry: StoredPublish): void {
    if (entry.stage === 'publish' && entry.sentBefore) {
      const tooLarge = this.checkSize(entry.message);
      if (tooLarge !== undefined) {
        // Not sendable to this broker: the flow ends here, and the identifier is free again.
        this.store.deleteInflight(entry.packetId);
        this.settle(entry, tooLarge, undefined);
        return;
      }
    }
    if (entry.stage === 'pubrel') {
      this.host.send({ type: 'pubrel', packetId: entry.packetId, reasonCode: 0 });
    } else {
      // [MQTT-3.3.1-1] DUP marks a PUBLISH sent before with this identifier. Recorded as sent before it is: a
      // store that outlives the process must not find a PUBLISH on the wire that it does not know about.
      const dup = entry.sentBefore;
      if (!dup) {
        entry.sentBefore = true;
        this.store.putInflight(entry);
      }
      this.host.send(this.toPacket(entry.message, entry.packetId, dup, entry));
    }
    this.sent.add(entry.packetId);
  }

  private finish(entry: StoredPublish, ack: PubackPacket | PubrecPacket | PubcompPacket): void {
    this.store.deleteInflight(entry.packetId);
    this.sent.delete(entry.packetId);
    const failed = ack.reasonCode >= 0x80;
    const error = failed ? new PublishError(ack.reasonCode, ack.properties, ack.type) : undefined;
    this.settle(entry, error, failed ? undefined : result(ack));
    this.pump();
  }

  // Every message's flow ends here, also one with no promise (taken over from a session store): so this is where
  // "nothing left to send" is noticed.
  private settle(entry: StoredPublish, error: Error | undefined, res: PublishResult | undefined): void {
    const token = this.tokens.get(entry.seq);
    if (token !== undefined) {
      this.tokens.delete(entry.seq);
      this.host.settle(token, error, res);
    } else if (error === undefined && res !== undefined) {
      this.host.publishedWithoutToken(entry.message, res);
    }
    if (error !== undefined) this.host.publishFailed(entry.message, error);
    this.idleIfEmpty();
  }

  // Takes the head of the queue out for good (it will not be sent): removed, so that a durable store records that
  // at once, rather than dequeued, which it takes for a message about to go in flight.
  private discard(head: StoredPublish): void {
    if (this.store.remove?.(head) !== true) this.store.dequeue();
  }

  // A withdrawn message goes without a word (its promise was rejected with the abort's reason); an expired one
  // fails with MessageExpiredError.
  private drop(entry: StoredPublish): void {
    const interval = entry.message.properties?.messageExpiryInterval;
    if (entry.withdrawn !== true && interval !== undefined) {
      this.settle(entry, new MessageExpiredError(interval), undefined);
      return;
    }
    this.tokens.delete(entry.seq);
    this.idleIfEmpty();
  }

  // Tells the host when nothing is queued or in flight any more (what `end({ flush: true })` waits for).
  private idleIfEmpty(): void {
    if (this.store.queueLength === 0 && this.store.inflightCount === 0) this.host.idle();
  }

  // A message that never entered the session: a QoS 0 one sent at once (`error` undefined), or one refused.
  private refuseOrSettle(message: OutgoingMessage, token: T | undefined, error: Error | undefined): void {
    if (token !== undefined) this.host.settle(token, error, error === undefined ? QOS0_RESULT : undefined);
    if (error !== undefined) this.host.publishFailed(message, error);
  }

  // Why the broker of this connection must not get this message, checked as it leaves the queue.
  private refusal(m: OutgoingMessage): Error | undefined {
    return sendRefusal(m, this.host.version(), this.host.brokerLimits, this.aliasRoom());
  }

  private checkSize(m: OutgoingMessage): PacketTooLargeError | undefined {
    return tooLarge(m, this.host.version(), this.host.brokerLimits.maximumPacketSize, this.aliasRoom());
  }

  // Whether an automatic topic alias may be added to what is sent (3 more bytes at most).
  private aliasRoom(): boolean {
    return this.options.autoTopicAlias && this.aliases.maximum > 0;
  }

  // `entry`: the message's session entry, when it has one — its Message Expiry Interval goes out less the time it
  // waited (as a broker forwards one, [MQTT-3.3.2-6]).
  private toPacket(m: OutgoingMessage, packetId: number, dup: boolean, entry?: StoredPublish): PublishPacket {
    const p = publishOf(m, dup);
    if (m.qos > 0) p.packetId = packetId;
    if (this.host.version() !== 5) return p;
    let properties = m.properties;
    const remaining = entry === undefined ? undefined : remainingExpiry(entry, this.host.clock());
    if (properties !== undefined && remaining !== undefined && remaining !== properties.messageExpiryInterval)
      properties = { ...properties, messageExpiryInterval: Math.max(1, remaining) };
    if (properties !== undefined) p.properties = properties;
    const manual = properties?.topicAlias;
    if (manual === undefined && !this.options.autoTopicAlias) return p;
    // A resent PUBLISH goes with its full topic and no alias: the alias it had may have been set up on an
    // earlier connection, or remapped since (MQTT.js gets this wrong after a reconnect).
    const choice: AliasChoice = dup
      ? { topic: m.topic, alias: undefined }
      : manual !== undefined
        ? this.aliases.manual(m.topic, manual)
        : this.aliases.auto(m.topic);
    p.topic = choice.topic;
    if (choice.alias !== manual) {
      const { topicAlias: _, ...rest } = properties ?? {};
      p.properties = choice.alias === undefined ? rest : { ...rest, topicAlias: choice.alias };
    }
    return p;
  }
}

function result(ack: PubackPacket | PubrecPacket | PubcompPacket): PublishResult {
  return { packetId: ack.packetId, reasonCode: ack.reasonCode, properties: ack.properties };
}

/** The PUBLISH carrying `m` (no packet identifier, no properties: the caller adds what its use needs). */
export function publishOf(m: OutgoingMessage, dup: boolean): PublishPacket {
  return { type: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup };
}
