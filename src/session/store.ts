// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The session state that outlives a network connection, behind one interface so that a durable store can replace
 * the in-memory one without touching the engine. Everything here is plain data (no promises, no callbacks), so a
 * store can write it to disk as it is.
 *
 * @module
 */
import type { PublishProperties, QoS, SubscribeProperties, Subscription } from '../packet/types.js';

/** An application message on its way out. */
export interface OutgoingMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

/**
 * One outgoing message the session is responsible for: waiting in the queue (`packetId` 0), or in flight with
 * its packet identifier and how far its flow has come.
 */
export interface StoredPublish {
  /** Unique, increasing per message: the order messages were handed over. */
  seq: number;
  message: OutgoingMessage;
  /** 0 while queued. */
  packetId: number;
  /** `publish`: PUBLISH sent, waiting for PUBACK or PUBREC; `pubrel`: PUBREC received, PUBREL sent. */
  stage: 'queued' | 'publish' | 'pubrel';
  /** Set once the message has been sent on some connection, so a resend carries DUP. */
  sentBefore: boolean;
  /**
   * When the application handed the message over (ms since the epoch), for a message with a Message Expiry
   * Interval: the interval counts from then, also while it waits in the queue.
   */
  queuedAt?: number;
  /** The application withdrew the message (aborted its publish) while it was queued: it is dropped, not sent. */
  withdrawn?: boolean;
}

/** A subscription to restore when the broker has lost the session. */
export interface StoredSubscription {
  subscription: Subscription;
  properties?: SubscribeProperties;
}

/**
 * Storage of a session. All methods are synchronous; a durable implementation records each change before it
 * returns (or batches, per its own durability policy).
 */
export interface SessionStore {
  /** Messages in flight (packetId > 0), in the order they were first sent. */
  inflight(): IterableIterator<StoredPublish>;
  /** Number of messages in flight. */
  readonly inflightCount: number;
  /** The in-flight message with this identifier. */
  getInflight(packetId: number): StoredPublish | undefined;
  /** Adds an in-flight message or updates it in place (its position in the order does not change). */
  putInflight(entry: StoredPublish): void;
  /** Forgets an in-flight message (its flow is complete). */
  deleteInflight(packetId: number): void;

  /** Messages waiting to be sent, oldest first. */
  queued(): IterableIterator<StoredPublish>;
  readonly queueLength: number;
  /**
   * Bytes of payload and topic in the queue (payload bytes plus topic length of each message), for the
   * `maxQueuedBytes` bound; a store without it is bounded by count only.
   */
  readonly queueBytes?: number;
  /** Appends to the queue (or, with `front`, puts it first). */
  enqueue(entry: StoredPublish, front?: boolean): void;
  /** The oldest queued message, left in the queue. */
  peek(): StoredPublish | undefined;
  /** Removes and returns the oldest queued message. */
  dequeue(): StoredPublish | undefined;
  /**
   * Removes a queued message wherever it is in the queue: one the application withdrew, or one dropped instead of
   * sent (expired, or refused by the broker's limits). Returns whether it was queued. A store without it keeps a
   * withdrawn message until it reaches the head of the queue, where the engine drops it.
   */
  remove?(entry: StoredPublish): boolean;

  /** Packet identifiers of inbound QoS 2 messages delivered and awaiting PUBREL. */
  /** Whether an inbound QoS 2 message with this identifier awaits PUBREL. */
  hasIncoming(packetId: number): boolean;
  /** Records an inbound QoS 2 message as delivered, awaiting PUBREL. */
  addIncoming(packetId: number): void;
  /** Forgets an inbound QoS 2 identifier (PUBREL arrived). */
  deleteIncoming(packetId: number): void;
  readonly incomingCount: number;
  /** Forgets every inbound QoS 2 identifier (the broker lost the session). */
  clearIncoming(): void;

  /** The client's subscriptions, by topic filter. */
  subscriptions(): IterableIterator<StoredSubscription>;
  /** Records a granted subscription. */
  putSubscription(entry: StoredSubscription): void;
  /** Forgets a subscription. */
  deleteSubscription(topicFilter: string): void;

  /** The next message sequence number to hand out; kept so that a durable store continues the sequence. */
  nextSeq(): number;

  /** Forgets everything (a clean session). */
  clear(): void;

  /**
   * Called once by the client that takes the store, with its client id and session expiry interval (undefined:
   * never expires). A durable store checks the session is that client's and drops one that expired meanwhile.
   */
  attach?(client: { clientId: string; sessionExpiryInterval: number | undefined }): void;
  /**
   * For a store that makes changes durable later than it records them: resolves once everything recorded so far
   * is durable; undefined when it already is. A publication is reported complete only after this.
   */
  whenDurable?(): Promise<void> | undefined;
}

const NO_IDS: ReadonlySet<number> = new Set();
const NO_SUBSCRIPTIONS: ReadonlyMap<string, StoredSubscription> = new Map();

/** What a queued message counts toward `maxQueuedBytes`: its payload and topic. */
export function queuedSize(message: OutgoingMessage): number {
  return message.payload.length + message.topic.length;
}

/** The default store: the session lives as long as the process. */
export class MemorySessionStore implements SessionStore {
  private readonly inflightMap = new Map<number, StoredPublish>();
  private queue: StoredPublish[] = [];
  private queueHead = 0;
  private bytes = 0;
  // Created on first use: a client that never receives QoS 2 or never subscribes should not pay for them.
  private incoming: Set<number> | undefined;
  private subs: Map<string, StoredSubscription> | undefined;
  private seq = 0;

  inflight(): IterableIterator<StoredPublish> {
    return this.inflightMap.values();
  }
  get inflightCount(): number {
    return this.inflightMap.size;
  }
  /** The in-flight message with this identifier. */
  getInflight(packetId: number): StoredPublish | undefined {
    return this.inflightMap.get(packetId);
  }
  putInflight(entry: StoredPublish): void {
    this.inflightMap.set(entry.packetId, entry);
  }
  /** Forgets an in-flight message (its flow is complete). */
  deleteInflight(packetId: number): void {
    this.inflightMap.delete(packetId);
  }

  queued(): IterableIterator<StoredPublish> {
    return this.queue.slice(this.queueHead)[Symbol.iterator]();
  }
  get queueLength(): number {
    return this.queue.length - this.queueHead;
  }
  get queueBytes(): number {
    return this.bytes;
  }
  enqueue(entry: StoredPublish, front = false): void {
    this.bytes += queuedSize(entry.message);
    if (!front) this.queue.push(entry);
    else if (this.queueHead > 0) this.queue[--this.queueHead] = entry;
    else this.queue.unshift(entry);
  }
  peek(): StoredPublish | undefined {
    return this.queue[this.queueHead];
  }
  remove(entry: StoredPublish): boolean {
    if (this.queue[this.queueHead] === entry) return this.dequeue() !== undefined;
    const i = this.queue.indexOf(entry, this.queueHead);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    this.bytes -= queuedSize(entry.message);
    return true;
  }
  dequeue(): StoredPublish | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const entry = this.queue[this.queueHead] as StoredPublish;
    this.queue[this.queueHead++] = undefined as unknown as StoredPublish;
    this.bytes -= queuedSize(entry.message);
    // Compact now and then instead of shifting on every dequeue (Array#shift is O(n)).
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return entry;
  }

  /** Whether an inbound QoS 2 message with this identifier awaits PUBREL. */
  hasIncoming(packetId: number): boolean {
    return this.incoming?.has(packetId) ?? false;
  }
  /** Records an inbound QoS 2 message as delivered, awaiting PUBREL. */
  addIncoming(packetId: number): void {
    this.incoming ??= new Set();
    this.incoming.add(packetId);
  }
  /** Forgets an inbound QoS 2 identifier (PUBREL arrived). */
  deleteIncoming(packetId: number): void {
    this.incoming?.delete(packetId);
  }
  get incomingCount(): number {
    return this.incoming?.size ?? 0;
  }
  /** The inbound QoS 2 identifiers awaiting PUBREL (for a store that writes them out). */
  incomingIds(): IterableIterator<number> {
    return (this.incoming ?? NO_IDS).values();
  }
  /** Forgets every inbound QoS 2 identifier (the broker lost the session). */
  clearIncoming(): void {
    this.incoming = undefined;
  }

  subscriptions(): IterableIterator<StoredSubscription> {
    return (this.subs ?? NO_SUBSCRIPTIONS).values();
  }
  /** Records a granted subscription. */
  putSubscription(entry: StoredSubscription): void {
    this.subs ??= new Map();
    this.subs.set(entry.subscription.topicFilter, entry);
  }
  /** Forgets a subscription. */
  deleteSubscription(topicFilter: string): void {
    this.subs?.delete(topicFilter);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  clear(): void {
    this.inflightMap.clear();
    this.queue = [];
    this.queueHead = 0;
    this.bytes = 0;
    this.incoming = undefined;
    this.subs = undefined;
  }
}
