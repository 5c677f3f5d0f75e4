// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The live subscription handles of a client, and routing of each message to the ones it matches.
 *
 * @module
 */
import type { ProtocolVersion, SubscribeProperties, Subscription } from '../packet/types.js';
import type { BrokerLimits } from '../session/broker-limits.js';
import type { AckResult } from '../session/types.js';
import type { Message } from './message.js';
import type { IteratorOptions } from './message-queue.js';
import { SubscriptionHandle } from './subscription-handle.js';

/** The set of subscription handles. */
export class Subscriptions {
  // Created with the first handle: an idle client without subscriptions should cost as little as possible.
  private handles: Set<SubscriptionHandle> | undefined;
  // MQTT 5 Subscription Identifiers handed out by this client (1 … 268,435,455).
  private lastIdentifier = 0;

  /**
   * Registers a handle at once, so no message that arrives right after the SUBACK is missed. `identifier` is the
   * MQTT 5 Subscription Identifier of its SUBSCRIBE, if any: live handles with one of the same filters take it
   * too, since the broker now sends their messages under it.
   */
  add(
    list: Subscription[],
    options: IteratorOptions | undefined,
    unsubscribe: (h: SubscriptionHandle) => Promise<AckResult>,
    identifier?: number,
  ): SubscriptionHandle {
    const h = new SubscriptionHandle(list, options, (x) => this.handles?.delete(x), unsubscribe);
    if (identifier !== undefined) {
      h.identifiers.add(identifier);
      if (this.handles !== undefined)
        for (const other of this.handles)
          if (other.topicFilters.some((f) => h.topicFilters.includes(f))) other.identifiers.add(identifier);
    }
    this.handles ??= new Set();
    this.handles.add(h);
    return h;
  }

  /**
   * `properties` with a Subscription Identifier of the client's own when they have none and the connection is
   * MQTT 5 to a broker that supports them, so that each message reaches the subscription it came for.
   */
  withIdentifier(
    properties: SubscribeProperties | undefined,
    version: ProtocolVersion,
    limits: Readonly<BrokerLimits>,
  ): SubscribeProperties | undefined {
    if (
      properties?.subscriptionIdentifier !== undefined ||
      version !== 5 ||
      !limits.subscriptionIdentifierAvailable
    )
      return properties;
    // Skipping identifiers live handles hold (the application may have chosen some itself).
    do this.lastIdentifier = (this.lastIdentifier % 268_435_455) + 1;
    while (this.usesIdentifier(this.lastIdentifier));
    return { ...properties, subscriptionIdentifier: this.lastIdentifier };
  }

  /** Whether a live handle uses this MQTT 5 Subscription Identifier. */
  usesIdentifier(id: number): boolean {
    if (this.handles === undefined) return false;
    for (const h of this.handles) if (h.identifiers.has(id)) return true;
    return false;
  }

  /** Forgets a handle. */
  remove(h: SubscriptionHandle): void {
    h.end();
  }

  /** Ends the handles whose filters are all among `filters`. */
  removeFilters(filters: string[]): void {
    if (this.handles === undefined) return;
    const gone = new Set(filters);
    for (const h of this.handles) if (h.topicFilters.every((f) => gone.has(f))) h.end();
  }

  /** Offers a message to every handle. */
  dispatch(message: Message): void {
    if (this.handles !== undefined) for (const h of this.handles) h.offer(message);
  }

  /** Ends every handle (the client ended). */
  endAll(): void {
    if (this.handles !== undefined) for (const h of [...this.handles]) h.end();
  }
}
