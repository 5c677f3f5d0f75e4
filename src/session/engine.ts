// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The protocol engine: a state machine that takes events (a connection opened or closed, a packet arrived, the
 * application wants to publish or subscribe, time passed) and answers through an {@link EngineSink}. It does no
 * I/O and reads no clock: every event carries the time. The states and transitions are drawn in
 * docs/architecture.md.
 *
 * @module
 */
import { ConnackError, ConnectionError, ProtocolError } from '../errors.js';
import { ReasonCode } from '../packet/reason-codes.js';
import type {
  ConnackPacket,
  DisconnectPacket,
  DisconnectProperties,
  Packet,
  ProtocolVersion,
  PublishPacket,
  SubscribePacket,
  SubscribeProperties,
  Subscription,
  UnsubscribePacket,
  UnsubscribeProperties,
} from '../packet/types.js';
import { AuthExchange, type AuthHost } from './auth-exchange.js';
import { type BrokerLimits, defaultLimits, limitsFromConnack } from './broker-limits.js';
import { connectPacket } from './connect-packet.js';
import { Incoming, type IncomingHost } from './incoming.js';
import { KeepAlive, type KeepAliveHost } from './keepalive.js';
import { Outgoing, type OutgoingHost } from './outgoing.js';
import { PacketIdAllocator } from './packet-ids.js';
import { Requests, type RequestsHost } from './requests.js';
import type { OutgoingMessage, SessionStore, StoredPublish } from './store.js';
import type { AckResult, EngineOptions, EngineSink, Phase, PublishResult } from './types.js';

export type { Phase } from './types.js';

/** The session engine. `T` is the caller's token for an operation awaiting its outcome. */
export class SessionEngine<T>
  implements OutgoingHost<T>, IncomingHost, AuthHost, RequestsHost<T>, KeepAliveHost
{
  /** Version used for the next connection (the client lowers it when falling back). */
  protocolVersion: ProtocolVersion;
  /** Client identifier for the next connection (a broker-assigned one replaces an empty one). */
  clientId: string;

  private phase: Phase = 'offline';
  // Clean Session / Clean Start of the next CONNECT.
  private cleanStart: boolean;
  private limits: BrokerLimits;
  private now = 0;
  private readonly ids = new PacketIdAllocator();
  private readonly out: Outgoing<T>;
  private readonly in: Incoming;
  private readonly auth: AuthExchange;
  private readonly requests: Requests<T>;
  private readonly keepAlive: KeepAlive;
  // While verifying: the CONNACK to apply once the authenticator accepts it, and packets that came after it.
  private pendingConnack: ConnackPacket | undefined;
  private held: Packet[] | undefined;
  // The transport's send buffer is over its high-water mark: publications wait in the queue until it drains.
  private congested = false;

  constructor(
    readonly options: EngineOptions,
    readonly store: SessionStore,
    private readonly sink: EngineSink<T>,
  ) {
    this.protocolVersion = options.protocolVersion;
    this.clientId = options.clientId;
    this.cleanStart = options.clean;
    this.limits = defaultLimits(options.keepAlive);
    // The engine is its parts' host itself: no per-client closures (an idle client's memory counts).
    this.out = new Outgoing(options, store, this);
    this.in = new Incoming(store, this, options);
    this.auth = new AuthExchange(
      options.protocolVersion === 5 ? options.properties?.authenticationMethod : undefined,
      this,
    );
    this.requests = new Requests(store, this);
    this.keepAlive = new KeepAlive(options, this);
  }

  /** The current phase. */
  get state(): Phase {
    return this.phase;
  }

  /** What the broker announced on the current (or last) connection. */
  get brokerLimits(): Readonly<BrokerLimits> {
    return this.limits;
  }

  /** Messages waiting to be sent and messages in flight. */
  get pendingCount(): number {
    return this.store.queueLength + this.store.inflightCount;
  }

  /**
   * A transport is open: send CONNECT and wait for CONNACK. `authData` is the authenticator's initial data
   * (MQTT 5 enhanced authentication).
   */
  connectionOpened(now: number, authData?: Uint8Array): void {
    this.now = now;
    this.phase = 'connecting';
    this.keepAlive.connectionOpened(now);
    this.limits = defaultLimits(this.options.keepAlive);
    this.congested = false;
    this.out.connectionReset();
    const o = this.options;
    this.in.connectionReset(this.protocolVersion === 5 ? (o.properties?.topicAliasMaximum ?? 0) : 0);
    const connect = connectPacket(o, this.protocolVersion, this.clientId, this.cleanStart, authData);
    this.pendingConnack = undefined;
    this.held = undefined;
    if (this.protocolVersion === 5) this.auth.connectionStarted();
    this.send(connect);
  }

  /** The transport reported its send buffer full (`write` returned false): publications wait until it drains. */
  transportCongested(): void {
    this.congested = true;
  }

  /** The transport's send buffer drained: what waited goes out. */
  transportDrained(now: number): void {
    this.now = now;
    if (!this.congested) return;
    this.congested = false;
    this.out.drained();
  }

  /** Bytes arrived (perhaps only part of a packet): the connection is alive. */
  bytesReceived(now: number): void {
    this.now = now;
    this.keepAlive.received(now);
  }

  /** The transport closed (or failed). The session state stays for the next connection. */
  connectionClosed(now: number): void {
    this.now = now;
    this.phase = 'offline';
    this.congested = false;
    this.auth.finished();
    this.pendingConnack = undefined;
    this.held = undefined;
    this.requests.connectionClosed();
    this.out.connectionReset();
    this.in.connectionLost();
  }

  /** A packet arrived. */
  packetReceived(packet: Packet, now: number): void {
    this.bytesReceived(now);
    if (this.phase === 'connecting') {
      if (packet.type === 'connack') this.onConnack(packet);
      else if (packet.type === 'auth' && this.auth.state === 'connect') this.auth.onAuth(packet);
      else this.protocolError(`expected CONNACK, got ${packet.type.toUpperCase()}`);
      return;
    }
    if (this.phase === 'verifying') {
      this.held ??= [];
      this.held.push(packet);
      return;
    }
    if (this.phase !== 'connected') return;
    switch (packet.type) {
      case 'publish':
        this.in.onPublish(packet);
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        this.out.onAck(packet);
        return;
      case 'pubrel':
        this.in.onPubrel(packet.packetId);
        return;
      case 'suback':
      case 'unsuback':
        this.requests.onAck(packet.type, packet.packetId, packet.reasonCodes, packet.properties);
        return;
      case 'pingresp':
        return;
      case 'disconnect':
        this.onDisconnect(packet);
        return;
      case 'auth':
        this.auth.onAuth(packet);
        return;
      default:
        this.protocolError(`a client does not accept ${packet.type.toUpperCase()}`);
    }
  }

  /**
   * Hands over a message to publish; `token` is settled when its flow completes (or fails). Returns its session
   * entry (whose packet identifier is set once it is sent), none for a QoS 0 message sent at once or refused.
   */
  publish(message: OutgoingMessage, token: T | undefined, now: number): StoredPublish | undefined {
    this.now = now;
    return this.out.publish(message, token);
  }

  /** Asks for a subscription; `token` is settled with the SUBACK's reason codes. */
  subscribe(
    subscriptions: Subscription[],
    properties: SubscribeProperties | undefined,
    token: T | undefined,
    now: number,
    autoIdentifier = false,
  ): void {
    this.now = now;
    const packet: SubscribePacket = { type: 'subscribe', packetId: 0, subscriptions };
    if (properties !== undefined) packet.properties = properties;
    this.requests.request(packet, token, autoIdentifier);
  }

  /** Asks to remove subscriptions; `token` is settled with the UNSUBACK. */
  unsubscribe(
    topicFilters: string[],
    properties: UnsubscribeProperties | undefined,
    token: T | undefined,
    now: number,
  ): void {
    this.now = now;
    const packet: UnsubscribePacket = { type: 'unsubscribe', packetId: 0, topicFilters };
    if (properties !== undefined) packet.properties = properties;
    this.requests.request(packet, token);
  }

  /** Ends the connection on purpose: DISCONNECT (with a reason code in MQTT 5), then close. */
  disconnect(reasonCode: number, properties: DisconnectProperties | undefined, now: number): void {
    this.now = now;
    if (this.phase === 'connected') {
      const packet: DisconnectPacket = {
        type: 'disconnect',
        reasonCode: this.protocolVersion === 5 ? reasonCode : 0,
      };
      if (properties !== undefined && this.protocolVersion === 5) packet.properties = properties;
      this.send(packet);
    }
    this.phase = 'closing';
    this.sink.close(undefined);
  }

  /**
   * Fails every operation still waiting (the client is ending for good). Stored messages stay in the store, so
   * that a durable store can resume them in another process.
   */
  abort(error: Error): void {
    this.out.abort(error);
    this.requests.abort(error);
  }

  /** Time passed: sends PINGREQ when due, and gives up on a silent connection. */
  tick(now: number): void {
    this.now = now;
    const timeout = this.keepAlive.tick(now);
    if (timeout === undefined) return;
    this.phase = 'closing';
    this.sink.close(timeout);
  }

  /** When `tick` next has something to do, or undefined if nothing is timed. */
  nextDeadline(): number | undefined {
    return this.keepAlive.nextDeadline();
  }

  // --- What the engine's parts ask of their host (public for them; not part of the client's API) ---

  /** Writes a packet (host hook). */
  send(packet: Packet): void {
    this.keepAlive.sent(this.now);
    this.sink.send(packet);
  }

  /** Settles an operation's token (host hook). */
  settle(token: T, error: Error | undefined, result: PublishResult | AckResult | undefined): void {
    this.sink.settle(token, error, result);
  }

  /** Hands a message to the application (host hook). */
  deliver(message: PublishPacket): void {
    this.sink.deliver(message);
  }

  /** A free packet identifier, or 0 when all are in use (host hook). */
  allocate(): number {
    return this.ids.allocate(this);
  }

  /** Whether a packet identifier is taken: in flight, or awaiting SUBACK / UNSUBACK. */
  idInUse(id: number): boolean {
    return this.store.getInflight(id) !== undefined || this.requests.has(id);
  }

  /** How many QoS 1/2 publications may be unacknowledged at once now (host hook). */
  window(): number {
    return Math.min(this.options.maxInflight, this.limits.receiveMaximum);
  }

  /** The current time, as the last event carried it (host hook). */
  clock(): number {
    return this.now;
  }

  /** The application withdrew a queued message (aborted its publish): it will not be sent. */
  withdraw(entry: StoredPublish): void {
    this.out.withdraw(entry);
  }

  /** Whether the transport takes more now (host hook). */
  writable(): boolean {
    return !this.congested;
  }

  /** Whether a connection is up and past CONNACK (host hook). */
  online(): boolean {
    return this.phase === 'connected';
  }

  /** The protocol version of the current connection (host hook). */
  version(): ProtocolVersion {
    return this.protocolVersion;
  }

  /** The broker sent an authentication challenge (host hook). */
  authChallenge(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.sink.authChallenge(data, reauthenticate);
  }

  /** A re-authentication ended in success (host hook). */
  authSucceeded(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.sink.authSucceeded(data, reauthenticate);
  }

  /** The last queued or in-flight message is done (host hook). */
  idle(): void {
    this.sink.idle();
  }

  /** Messages sent again as new publications after the broker lost the session (host hook). */
  resentAfterSessionLost(messages: OutgoingMessage[]): void {
    this.sink.republished(messages);
  }

  /** A publication failed (host hook). */
  publishFailed(message: OutgoingMessage, error: Error): void {
    this.sink.publishFailed(message, error);
  }

  /** A publication without a token completed (host hook). */
  publishedWithoutToken(message: OutgoingMessage, result: PublishResult): void {
    this.sink.publishedWithoutToken(message, result);
  }

  /** A message was refused, not delivered (host hook). */
  rejected(message: PublishPacket, why: string): void {
    this.sink.rejected(message, why);
  }

  /**
   * Manual acknowledgement: the application acknowledged the message that arrived with `packetId` on connection
   * `epoch` (see {@link SessionEngine.connection}). Returns false when there was nothing to acknowledge.
   */
  acknowledge(packetId: number, qos: 1 | 2, epoch: number, reasonCode: number, now: number): boolean {
    this.now = now;
    return this.in.acknowledge(packetId, qos, epoch, reasonCode);
  }

  /** The number of the current connection (it grows with each one), for {@link SessionEngine.acknowledge}. */
  get connection(): number {
    return this.in.connection;
  }

  /** The broker asked for a re-authentication (host hook). */
  reauthRequested(): void {
    this.sink.reauthRequested();
  }

  /** The topic an outgoing Topic Alias stands for on this connection, if the client set it up. */
  aliasedTopic(alias: number): string | undefined {
    return this.out.aliasedTopic(alias);
  }

  /** The Receive Maximum this client announced, 65,535 when it did not (host hook). */
  receiveMaximum(): number {
    return this.options.properties?.receiveMaximum ?? 65_535;
  }

  private onConnack(packet: ConnackPacket): void {
    if (packet.reasonCode >= 0x80) {
      this.phase = 'closing';
      this.sink.close(new ConnackError(packet));
      return;
    }
    // [MQTT-3.2.2-4] (3.1.1) / [MQTT-3.2.2-2] (5): a clean start cannot find a session.
    if (this.cleanStart && packet.sessionPresent) {
      this.protocolError('the broker reported a session present on a clean start');
      return;
    }
    if (this.auth.state === 'connect') {
      this.auth.finished();
      if (packet.properties?.authenticationMethod !== this.auth.method) {
        this.protocolError('the CONNACK does not carry the authentication method of CONNECT');
        return;
      }
      // The broker accepted us; whether we accept the broker is the authenticator's call (e.g. SCRAM's server
      // signature), made before anything flows.
      this.phase = 'verifying';
      this.pendingConnack = packet;
      this.sink.authSucceeded(packet.properties?.authenticationData, false);
      return;
    }
    this.accept(packet);
  }

  /** The authenticator accepted the broker's final data of the connect exchange: the connection is on. */
  authVerified(now: number): void {
    this.now = now;
    const packet = this.pendingConnack;
    if (this.phase !== 'verifying' || packet === undefined) return;
    this.pendingConnack = undefined;
    this.accept(packet);
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const p of held) this.packetReceived(p, now);
  }

  /**
   * The authenticator failed (it threw, or rejected the broker's data): the connection ends, telling an MQTT 5
   * broker with DISCONNECT 0x80 (Unspecified error: the specification gives a client no code of its own for it).
   */
  authFailed(error: Error, now: number): void {
    this.now = now;
    if (this.phase === 'offline' || this.phase === 'closing') return;
    this.send({ type: 'disconnect', reasonCode: ReasonCode.UnspecifiedError });
    this.phase = 'closing';
    this.sink.close(error);
  }

  /** The authenticator's answer to a challenge goes to the broker (AUTH 0x18). */
  authRespond(data: Uint8Array | undefined, now: number): void {
    this.now = now;
    if (this.phase === 'connecting' || this.phase === 'connected') this.auth.respond(data);
  }

  /**
   * Starts a re-authentication (AUTH 0x19 with the authenticator's initial data). False when not possible now:
   * not connected, no authentication method, or one already in progress.
   */
  reauthenticate(data: Uint8Array | undefined, now: number): boolean {
    this.now = now;
    return this.phase === 'connected' && this.auth.reauthenticate(data);
  }

  /** Whether an enhanced authentication exchange (connect or re-authentication) is in progress. */
  get authenticating(): boolean {
    return this.auth.state !== 'idle' || this.phase === 'verifying';
  }

  private accept(packet: ConnackPacket): void {
    this.applyConnack(packet);
    this.phase = 'connected';
    // MQTT 3.1's CONNACK has no Session Present flag: a client that asked to keep its session can only assume
    // the broker kept it (resending with the old identifiers is harmless if it did not; forgetting flows past
    // PUBREC would lose messages if it did).
    const sessionPresent = packet.sessionPresent || (this.protocolVersion === 3 && !this.cleanStart);
    // "First only" (paho's MQTT_CLEAN_START_FIRST_ONLY): a clean start once, then the session is resumed.
    if (this.options.cleanFirstOnly === true) this.cleanStart = false;
    if (!sessionPresent) this.sessionLost();
    // Requests left unanswered by the last connection go again, with their identifiers still reserved
    // (resubscriptions made by sessionLost() just now were sent already).
    this.requests.sendUnsent();
    this.out.resume(sessionPresent);
    this.sink.connected(packet);
  }

  private applyConnack(packet: ConnackPacket): void {
    this.limits = limitsFromConnack(packet, this.options.keepAlive);
    this.out.setTopicAliasMaximum(this.limits.topicAliasMaximum);
    const assigned = packet.properties?.assignedClientIdentifier;
    if (assigned !== undefined) this.clientId = assigned;
  }

  // The broker has no session: its packet identifiers are void, and so is our record of inbound QoS 2 messages.
  private sessionLost(): void {
    this.store.clearIncoming();
    this.in.sessionLost();
    if (this.options.resubscribe) this.requests.resubscribe();
  }

  private onDisconnect(packet: DisconnectPacket): void {
    this.phase = 'closing';
    const reason = packet.properties?.reasonString;
    const text = `the broker disconnected: reason code 0x${packet.reasonCode.toString(16).padStart(2, '0')}`;
    this.sink.close(new ConnectionError(reason ? `${text}: ${reason}` : text, { disconnect: packet }));
  }

  /**
   * Closes the connection for a broken rule, telling an MQTT 5 broker why with `reasonCode`. `error` is what to
   * report (the decoder's own error, with its byte offset), by default a ProtocolError made of the message.
   */
  protocolError(message: string, reasonCode: number = ReasonCode.ProtocolError, error?: Error): void {
    if (this.phase === 'offline' || this.phase === 'closing') return;
    if (this.protocolVersion === 5) this.send({ type: 'disconnect', reasonCode });
    this.phase = 'closing';
    this.sink.close(error ?? new ProtocolError(reasonCode, message));
  }
}
