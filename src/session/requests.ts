// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * SUBSCRIBE and UNSUBSCRIBE requests awaiting their SUBACK / UNSUBACK: sending them (at once, or when the next
 * connection is accepted), recording what the broker granted in the session store, and subscribing again when
 * the broker has lost the session. Part of the session engine; it does no I/O.
 *
 * @module
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { encodeClientPacket } from '../packet/encode.js';
import { PacketTooLargeError } from '../packet/errors.js';
import type {
  Packet,
  ProtocolVersion,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubscribePacket,
} from '../packet/types.js';
import { type BrokerLimits, subscriptionRefusal } from './broker-limits.js';
import type { SessionStore } from './store.js';
import type { AckResult } from './types.js';

/** What the requests need from the engine around them. */
export interface RequestsHost<T> {
  send(packet: Packet): void;
  settle(token: T, error: Error | undefined, result: AckResult | undefined): void;
  /** A free packet identifier, or 0 when none is. */
  allocate(): number;
  online(): boolean;
  version(): ProtocolVersion;
  /** What the broker of this connection allows. */
  readonly brokerLimits: Readonly<BrokerLimits>;
}

interface PendingRequest<T> {
  packet: SubscribePacket | UnsubscribePacket;
  token: T | undefined;
  /** Set when sent on the current connection. */
  sentOn: boolean;
  /** The Subscription Identifier was chosen by the client, not the application: it may be left out. */
  autoIdentifier: boolean;
}

/** The subscription requests of one client, keyed by packet identifier until their acknowledgement arrives. */
export class Requests<T> {
  private readonly pending = new Map<number, PendingRequest<T>>();

  constructor(
    private readonly store: SessionStore,
    private readonly host: RequestsHost<T>,
  ) {}

  /** Whether a request holds packet identifier `id` (it stays reserved until the acknowledgement). */
  has(id: number): boolean {
    return this.pending.has(id);
  }

  /**
   * Gives `packet` an identifier and sends it now when connected, otherwise once a connection is accepted.
   * `token` (none for a resubscription) is settled with the acknowledgement; with ProtocolError 0x80 at once
   * when every identifier is in use.
   */
  request(packet: SubscribePacket | UnsubscribePacket, token: T | undefined, autoIdentifier = false): void {
    const id = this.host.allocate();
    if (id === 0) {
      if (token !== undefined)
        this.host.settle(token, new ProtocolError(0x80, 'all packet identifiers in use'), undefined);
      return;
    }
    packet.packetId = id;
    const request: PendingRequest<T> = { packet, token, sentOn: false, autoIdentifier };
    this.pending.set(id, request);
    if (this.host.online()) this.transmit(request);
  }

  /** A SUBACK or UNSUBACK arrived; one that matches no request of its kind is ignored. */
  onAck(
    type: 'suback' | 'unsuback',
    packetId: number,
    reasonCodes: number[],
    properties: SubscribePacket['properties'],
  ): void {
    const r = this.pending.get(packetId);
    if (r === undefined || (type === 'suback') !== (r.packet.type === 'subscribe')) return;
    this.pending.delete(packetId);
    if (r.packet.type === 'subscribe') {
      r.packet.subscriptions.forEach((subscription, i) => {
        const code = reasonCodes[i] ?? 0x80;
        if (code < 0x80) {
          const entry: { subscription: Subscription; properties?: SubscribeProperties } = { subscription };
          if (r.packet.properties !== undefined)
            entry.properties = r.packet.properties as SubscribeProperties;
          this.store.putSubscription(entry);
        }
      });
    } else {
      // MQTT 3 has no UNSUBACK codes; in MQTT 5 a failed unsubscription leaves the subscription in place.
      r.packet.topicFilters.forEach((f, i) => {
        if ((reasonCodes[i] ?? 0) < 0x80) this.store.deleteSubscription(f);
      });
    }
    if (r.token !== undefined) {
      this.host.settle(r.token, undefined, { reasonCodes, properties: properties as undefined });
    }
  }

  /** The connection ended: every request still waiting goes again on the next one. */
  connectionClosed(): void {
    for (const r of this.pending.values()) r.sentOn = false;
  }

  /** A connection was accepted: sends the requests not yet sent on it, in the order they were made. */
  sendUnsent(): void {
    for (const r of this.pending.values()) if (!r.sentOn) this.transmit(r);
  }

  // Sends a request, unless the broker of this connection cannot take it: then it fails (a request made while
  // offline or before a failover is checked only now), rather than have the broker end the connection — again on
  // every reconnect, since the request would go again each time.
  private transmit(r: PendingRequest<T>): void {
    const refusal = this.refusal(r);
    if (refusal !== undefined) {
      this.pending.delete(r.packet.packetId);
      if (r.token !== undefined) this.host.settle(r.token, refusal, undefined);
      return;
    }
    r.sentOn = true;
    this.host.send(r.packet);
  }

  private refusal(r: PendingRequest<T>): Error | undefined {
    const limits = this.host.brokerLimits;
    const { packet } = r;
    if (packet.type === 'subscribe') {
      for (const s of packet.subscriptions) {
        const refusal = subscriptionRefusal(s.topicFilter, limits);
        if (refusal !== undefined) return refusal;
      }
      if (
        packet.properties?.subscriptionIdentifier !== undefined &&
        !limits.subscriptionIdentifierAvailable
      ) {
        if (!r.autoIdentifier)
          return new InvalidArgumentError('the broker does not support subscription identifiers');
        const { subscriptionIdentifier: _, ...rest } = packet.properties;
        packet.properties = rest;
      }
    }
    try {
      encodeClientPacket(packet, this.host.version(), { maxPacketSize: limits.maximumPacketSize });
    } catch (e) {
      // Too large for this broker, or MQTT 5 options on a connection that fell back to MQTT 3.1.1 after the
      // request was made.
      if (e instanceof PacketTooLargeError || e instanceof InvalidArgumentError) return e;
      throw e;
    }
    return undefined;
  }

  /** The broker has lost the session: subscribes again to every subscription in the store, one request each. */
  resubscribe(): void {
    // Resubscriptions of an earlier session loss still unanswered are replaced, not piled up.
    for (const [id, r] of this.pending)
      if (r.token === undefined && r.packet.type === 'subscribe') this.pending.delete(id);
    for (const s of this.store.subscriptions()) {
      const packet: SubscribePacket = { type: 'subscribe', packetId: 0, subscriptions: [s.subscription] };
      if (s.properties !== undefined && this.host.version() === 5) packet.properties = s.properties;
      // Nobody to tell of a failure: an identifier the broker does not take is left out rather than the subscription.
      this.request(packet, undefined, true);
    }
  }

  /** Fails every request still waiting with `error`, and forgets them. */
  abort(error: Error): void {
    for (const [id, r] of this.pending) {
      this.pending.delete(id);
      if (r.token !== undefined) this.host.settle(r.token, error, undefined);
    }
  }
}
