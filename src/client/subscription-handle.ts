// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What `subscribe()` resolves with: the broker's answer per filter, and the messages matching the filters.
 *
 * @module
 */
import type { AckProperties, Subscription } from '../packet/types.js';
import type { AckResult } from '../session/types.js';
import { topicMatchesSub } from '../topic.js';
import type { Message } from './message.js';
import { type IteratorOptions, MessageQueue } from './message-queue.js';

/**
 * A subscription: iterate it with `for await` to read its messages (buffered from the moment `subscribe` was
 * called, up to the buffer size), and end it with {@link SubscriptionHandle.unsubscribe}.
 */
export class SubscriptionHandle implements AsyncIterable<Message> {
  /** The filters of this subscription, in request order. */
  readonly topicFilters: string[];
  /** Per filter: the granted QoS (0, 1, 2) or a failure reason code (0x80 and above). Filled on SUBACK. */
  reasonCodes: number[] = [];
  /** MQTT 5 SUBACK properties. */
  properties: AckProperties | undefined;
  /**
   * MQTT 5 Subscription Identifiers that mean "for this subscription": its own, and those of later subscriptions
   * to one of its filters (which replace it on the broker). Empty when the broker does not use identifiers.
   */
  readonly identifiers = new Set<number>();
  private readonly queue: MessageQueue<Message>;
  private readonly exact: string[];
  private readonly patterns: string[];

  constructor(
    readonly subscriptions: Subscription[],
    options: IteratorOptions | undefined,
    private readonly remove: (h: SubscriptionHandle) => void,
    private readonly unsubscribeFn: (h: SubscriptionHandle) => Promise<AckResult>,
  ) {
    this.topicFilters = subscriptions.map((s) => s.topicFilter);
    const plain = (f: string) => !f.includes('+') && !f.includes('#') && !f.startsWith('$share/');
    this.exact = this.topicFilters.filter(plain);
    this.patterns = this.topicFilters.filter((f) => !plain(f));
    this.queue = new MessageQueue(options, () => this.remove(this));
  }

  /** Whether every filter was granted. */
  get granted(): boolean {
    return this.reasonCodes.length > 0 && this.reasonCodes.every((c) => c < 0x80);
  }

  /** Messages discarded because the iterator fell behind its buffer (`drop-oldest`). */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** @internal The SUBACK arrived. */
  acknowledged(r: AckResult): this {
    this.reasonCodes = r.reasonCodes;
    this.properties = r.properties;
    if (!r.reasonCodes.some((c) => c < 0x80)) this.end();
    return this;
  }

  /**
   * @internal Offers a message; returns whether it matched. A message that carries Subscription Identifiers
   * (MQTT 5) is for the subscriptions they name, so overlapping subscriptions each get their own copy only.
   */
  offer(message: Message): boolean {
    const ids = message.properties?.subscriptionIdentifiers;
    if (ids !== undefined && this.identifiers.size > 0 && !ids.some((id) => this.identifiers.has(id)))
      return false;
    // Identified as ours (or no identifiers): still only topics of this handle's own filters, since an identifier
    // it adopted from a later SUBSCRIBE may cover more filters than its own.
    // Filters without wildcards (the common case) match by plain comparison, without splitting the topic.
    for (const f of this.exact) {
      if (f === message.topic) {
        this.queue.push(message);
        return true;
      }
    }
    for (const f of this.patterns) {
      if (topicMatchesSub(f, message.topic)) {
        this.queue.push(message);
        return true;
      }
    }
    return false;
  }

  /** @internal Ends the iteration. */
  end(): void {
    this.queue.end();
    this.remove(this);
  }

  /** Unsubscribes from this subscription's filters and ends its iteration. */
  async unsubscribe(): Promise<AckResult> {
    this.end();
    return this.unsubscribeFn(this);
  }

  /** Iterates the messages matching this subscription's filters, until it ends. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    return this.queue;
  }
}
