// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Rebuilding a session from its log. Each message lives in exactly one place, and the latest record that places
 * it wins: an `inflight` record takes it out of the queue, an `enqueue` record takes it out of flight. So a
 * process killed between two records of one change (a message dequeued but not yet recorded in flight, one put
 * back in the queue but not yet deleted from flight) comes back with the message in one place, never lost and
 * never twice.
 *
 * @module
 */
import type { StoredPublish, StoredSubscription } from '../session/store.js';
import type { LogRecord } from './records.js';

/** A session as the log describes it. */
export interface ReplayedSession {
  /** Queued messages, oldest first. */
  queue: StoredPublish[];
  /** In-flight messages, in the order they were first sent. */
  inflight: StoredPublish[];
  incoming: number[];
  subscriptions: StoredSubscription[];
  /** The highest message sequence number used. */
  seq: number;
  clientId: string | undefined;
  sessionExpiryInterval: number | undefined;
}

interface Placed {
  entry: StoredPublish;
  // Which queue slot is current: a message re-queued leaves its old slot behind, stale.
  slot: number;
}

/** Applies `records` in order. @throws {Error} when a record refers to a message the log never had. */
export class Replay {
  private readonly bySeq = new Map<number, Placed>();
  private queue: { seq: number; slot: number }[] = [];
  private front: { seq: number; slot: number }[] = [];
  private readonly inflight = new Map<number, number>();
  private incoming = new Set<number>();
  private subs = new Map<string, StoredSubscription>();
  private seq = 0;
  private slots = 0;
  private clientId: string | undefined;
  private expiry: number | undefined;

  apply(r: LogRecord): void {
    switch (r.kind) {
      case 'enqueue': {
        this.unplace(r.seq);
        const slot = ++this.slots;
        const entry: StoredPublish = {
          seq: r.seq,
          message: r.message,
          packetId: 0,
          stage: 'queued',
          sentBefore: false,
        };
        if (r.queuedAt !== undefined) entry.queuedAt = r.queuedAt;
        this.bySeq.set(r.seq, { entry, slot });
        (r.front ? this.front : this.queue).push({ seq: r.seq, slot });
        this.seq = Math.max(this.seq, r.seq);
        break;
      }
      case 'inflight': {
        const placed = this.bySeq.get(r.seq);
        if (placed === undefined) throw new Error(`an in-flight record for unknown message ${r.seq}`);
        const e = placed.entry;
        if (e.packetId > 0 && e.packetId !== r.packetId && this.inflight.get(e.packetId) === r.seq)
          this.inflight.delete(e.packetId);
        const other = this.inflight.get(r.packetId);
        if (other !== undefined && other !== r.seq) this.bySeq.delete(other);
        placed.slot = 0; // out of the queue
        e.packetId = r.packetId;
        e.stage = r.stage;
        e.sentBefore = r.sentBefore;
        this.inflight.set(r.packetId, r.seq);
        break;
      }
      case 'dequeue': {
        const placed = this.bySeq.get(r.seq);
        if (placed !== undefined && placed.entry.packetId === 0) this.bySeq.delete(r.seq);
        break;
      }
      case 'deleteInflight': {
        const seq = this.inflight.get(r.packetId);
        if (seq === undefined) break;
        this.inflight.delete(r.packetId);
        if (this.bySeq.get(seq)?.entry.packetId === r.packetId) this.bySeq.delete(seq);
        break;
      }
      case 'addIncoming':
        this.incoming.add(r.packetId);
        break;
      case 'deleteIncoming':
        this.incoming.delete(r.packetId);
        break;
      case 'clearIncoming':
        this.incoming = new Set();
        break;
      case 'putSubscription':
        this.subs.set(r.entry.subscription.topicFilter, r.entry);
        break;
      case 'deleteSubscription':
        this.subs.delete(r.topicFilter);
        break;
      case 'clear':
        this.bySeq.clear();
        this.queue = [];
        this.front = [];
        this.inflight.clear();
        this.incoming = new Set();
        this.subs = new Map();
        break;
      case 'seq':
        this.seq = Math.max(this.seq, r.seq);
        break;
      case 'meta':
        this.clientId = r.clientId;
        this.expiry = r.sessionExpiryInterval;
        break;
    }
  }

  // Takes a message out of wherever it is (its queue slot goes stale, its identifier is released).
  private unplace(seq: number): void {
    const placed = this.bySeq.get(seq);
    if (placed === undefined) return;
    const id = placed.entry.packetId;
    if (id > 0 && this.inflight.get(id) === seq) this.inflight.delete(id);
    this.bySeq.delete(seq);
  }

  /** The session the records describe. */
  result(): ReplayedSession {
    const queue: StoredPublish[] = [];
    // Messages put back at the head, the last one first, then the rest in order.
    const order = [...this.front.reverse(), ...this.queue];
    for (const { seq, slot } of order) {
      const placed = this.bySeq.get(seq);
      if (placed !== undefined && placed.slot === slot) queue.push(placed.entry);
    }
    const inflight: StoredPublish[] = [];
    for (const seq of this.inflight.values()) {
      const placed = this.bySeq.get(seq);
      if (placed !== undefined) inflight.push(placed.entry);
    }
    return {
      queue,
      inflight,
      incoming: [...this.incoming],
      subscriptions: [...this.subs.values()],
      seq: this.seq,
      clientId: this.clientId,
      sessionExpiryInterval: this.expiry,
    };
  }
}
