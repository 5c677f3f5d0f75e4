// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The public client: wires the session engine to a transport and to timers, and turns the engine's decisions
 * into promises, events and async iterators. Protocol decisions belong in the engine, not here.
 *
 * @module
 */

import { AuthenticationError } from '../auth/authenticator.js';
import {
  ClientClosedError,
  ConnackError,
  ConnectionError,
  InvalidArgumentError,
  ProtocolError,
} from '../errors.js';
import {
  describePacket,
  type LogFields,
  type Logger,
  LogNamespace,
  loggerFromEnvironment,
  NOOP_LOGGER,
} from '../log.js';
import { PacketDecoder } from '../packet/decoder.js';
import { encode } from '../packet/encode.js';
import type { ConnackPacket, Packet, PublishPacket } from '../packet/types.js';
import { SessionEngine } from '../session/engine.js';
import { MemorySessionStore, type StoredPublish } from '../session/store.js';
import type { AckResult, EngineSink, PublishResult } from '../session/types.js';
import type { ConnectHint, Transport, TransportFactory } from '../transport/transport.js';
import { AuthRunner } from './auth-runner.js';
import { DeadlineTimer } from './deadline-timer.js';
import { abortable, type Deferred, deferred } from './deferred.js';
import { Dispatcher, type MessageHandler } from './dispatch.js';
import { Emitter } from './emitter.js';
import {
  type ClientEvents,
  type ConnectInfo,
  disconnectInfo,
  type EndOptions,
  type PublishOptions,
  type SubscribeOptions,
} from './events.js';
import { type Acknowledger, Message, type Responder } from './message.js';
import { type IteratorOptions, MessageQueue } from './message-queue.js';
import { type ClientOptions, DEFAULT_MAX_PACKET_SIZE, engineOptions } from './options.js';
import { type Payload, toBytes } from './payload.js';
import { PublishInfo } from './publish-info.js';
import { Reconnector } from './reconnector.js';
import { Requester, type RequestOptions } from './requester.js';
import type { SubscriptionHandle } from './subscription-handle.js';
import { checkPublish, subscriptionList } from './validate.js';

const QOS0_DONE: PublishResult = Object.freeze({ packetId: undefined, reasonCode: 0, properties: undefined });

type Status = 'idle' | 'connecting' | 'connected' | 'waiting' | 'ending' | 'ended';

/**
 * An MQTT client. Create it with the Node entry's `connect(url, options)` (or `new MqttClient({ transport })` and
 * {@link MqttClient.connect}); it reconnects by itself until {@link MqttClient.end} or {@link MqttClient.destroy}.
 */
export class MqttClient extends Emitter<ClientEvents> {
  private readonly engine: SessionEngine<Deferred<unknown>>;
  private readonly decoder: PacketDecoder;
  private readonly factory: TransportFactory;
  private readonly reconnector: Reconnector;
  private readonly autoVersion: boolean;
  private readonly manualAck: boolean;
  private readonly followServerReference: boolean;
  // What the next transport attempt is told (a Server Reference to follow), and redirections of the first connect.
  private hint: ConnectHint | undefined;
  private redirects = 0;
  private readonly logger: Logger;
  // Packet tracing: only when asked for (DEBUG=mqttkit:packet or logPackets), so that it costs nothing otherwise.
  private readonly packetLog: Logger | undefined;
  private readonly autoSubscriptionIds: boolean;
  private readonly auth: AuthRunner | undefined;
  private readonly dispatcher: Dispatcher;
  private requester: Requester | undefined;
  private readonly responder: Responder = (topic, payload, options) => this.publish(topic, payload, options);
  // MQTT 5 Subscription Identifiers handed out by this client (1 … 268,435,455).
  private lastSubscriptionId = 0;
  private lastMessageId = 0;
  private lastEntry: StoredPublish | undefined;
  /** Anything the application wants to keep with the client (paho's `user_data`); the client never reads it. */
  userData: unknown;
  // MQTT 5 Response Information of the last CONNACK (asked for with the requestResponseInformation property).
  private responseInformation: string | undefined;
  private transport: Transport | undefined;
  private status: Status = 'idle';
  private connectedAt = 0;
  private closeReason: Error | undefined;
  private readonly timer: DeadlineTimer;
  // Set while the transport's send buffer is over its high-water mark; QoS 0 publishes then resolve on drain.
  private congested = false;
  private waitingForDrain: Deferred<unknown>[] = [];
  private firstConnect: Deferred<ConnectInfo> | undefined;
  private drained: Deferred<void> | undefined;
  private readonly ended = deferred<Error | undefined>();
  private finalError: Error | undefined;

  /** @throws {InvalidArgumentError} for a wrong option, naming it. */
  constructor(options: ClientOptions) {
    super();
    if (options.transport === undefined) {
      throw new InvalidArgumentError('a transport is required (the Node entry builds one from a URL)');
    }
    this.factory = options.transport;
    this.manualAck = options.manualAck === true;
    this.followServerReference = options.followServerReference === true;
    this.autoSubscriptionIds = options.subscriptionIdentifiers !== false;
    this.userData = options.userData;
    const eo = engineOptions(options);
    // Enhanced authentication exists in MQTT 5 only: with an authenticator there is no falling back.
    this.autoVersion = (options.protocolVersion ?? 'auto') === 'auto' && options.authenticator === undefined;
    this.reconnector = new Reconnector(options.reconnect);
    this.engine = new SessionEngine(eo, options.session ?? new MemorySessionStore(), this.sink());
    this.timer = new DeadlineTimer(
      () => this.engine.nextDeadline(),
      (now) => this.engine.tick(now),
    );
    this.logger = options.logger ?? loggerFromEnvironment(LogNamespace.Client);
    const packetLog = options.logPackets === true ? this.logger : loggerFromEnvironment(LogNamespace.Packet);
    this.packetLog = packetLog === NOOP_LOGGER ? undefined : packetLog;
    this.decoder = new PacketDecoder((p) => this.packetReceived(p), {
      protocolVersion: eo.protocolVersion,
      maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
    });
    this.dispatcher = new Dispatcher({
      emitMessage: (m) => this.emit('message', m),
      handlerFailed: (e) => this.listenerFailed(e),
      takeResponse: (m) => this.requester?.take(m) ?? false,
    });
    if (options.authenticator !== undefined) {
      this.auth = new AuthRunner(options.authenticator, this.engine, {
        connection: () => this.transport,
        poke: () => this.timer.arm(),
        abort: (error) => {
          this.closeReason = error;
          this.transport?.destroy();
        },
      });
    }
    // A rejection nobody waits for must not crash the process: `closed()` is optional to await.
    this.ended.promise.catch(() => {});
  }

  /** Whether the client is connected now. */
  get connected(): boolean {
    return this.status === 'connected';
  }

  /** The client identifier in use (the broker's choice when it assigned one). */
  get clientId(): string {
    return this.engine.clientId;
  }

  /** The protocol version in use (3 = MQTT 3.1, 4 = 3.1.1, 5). */
  get protocolVersion(): number {
    return this.engine.protocolVersion;
  }

  /**
   * Opens the connection; resolves on the broker's CONNACK. Rejects with {@link ConnackError} (refused, with its
   * reason code), {@link TimeoutError} (no CONNACK in time) or {@link ConnectionError} (network), and the client
   * then ends. Call once.
   */
  connect(options?: { signal?: AbortSignal }): Promise<ConnectInfo> {
    if (this.status !== 'idle')
      return Promise.reject(new InvalidArgumentError('connect() was called already'));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.firstConnect = deferred();
    if (signal !== undefined) {
      // The signal covers the connection attempt only: once it has succeeded or failed, aborting does nothing.
      const onAbort = () => this.destroy(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.firstConnect.promise.then(done, done);
    }
    this.open();
    return this.firstConnect.promise;
  }

  /**
   * Publishes a message. Resolves when its flow completes for its QoS: once written (0), on PUBACK (1), on
   * PUBCOMP (2). While offline it waits in the bounded queue. Rejects with {@link PublishError} when the broker
   * refuses it (MQTT 5 reason code), {@link QueueFullError}, {@link InvalidArgumentError} or
   * {@link PacketTooLargeError} for bad input (nothing is queued then), or {@link ClientClosedError}.
   */
  publish(topic: string, payload: Payload, options?: PublishOptions): Promise<PublishResult> {
    return this.startPublish(topic, payload, options);
  }

  /**
   * Publishes as {@link MqttClient.publish} does, and returns a {@link PublishInfo} (paho's `MQTTMessageInfo`):
   * a message id at once, the packet identifier once sent, `isPublished()`, and `waitForPublish(timeout)`.
   */
  publishTracked(topic: string, payload: Payload, options?: PublishOptions): PublishInfo {
    this.lastEntry = undefined;
    const done = this.startPublish(topic, payload, options);
    const entry = this.lastEntry;
    this.lastEntry = undefined;
    // Inspected through the info; an error nobody awaits must not be an unhandled rejection.
    done.catch(() => {});
    return new PublishInfo(done, ++this.lastMessageId, entry);
  }

  // Leaves the message's session entry in `lastEntry` (no tuple per publish on the hot path).
  private startPublish(
    topic: string,
    payload: Payload,
    options: PublishOptions | undefined,
  ): Promise<PublishResult> {
    if (this.status === 'ended' || this.status === 'ending') return Promise.reject(new ClientClosedError());
    let message: ReturnType<typeof checkPublish>;
    try {
      message = checkPublish(
        this.aliasTarget(topic, options),
        toBytes(payload),
        options,
        this.engine.protocolVersion,
        this.engine.brokerLimits,
      );
    } catch (e) {
      return Promise.reject(e);
    }
    const d = deferred<PublishResult>('publish', options?.signal);
    if (d.settled) return d.promise;
    this.lastEntry = this.engine.publish(message, d as Deferred<unknown>, Date.now());
    this.timer.arm();
    return d.promise;
  }

  // A manual MQTT 5 Topic Alias: in range for this broker, and an empty topic only for an alias set up on this
  // connection (the message is kept with its full topic, so that it can be resent on another connection).
  private aliasTarget(topic: string, options: PublishOptions | undefined): string {
    const alias = options?.properties?.topicAlias;
    if (alias === undefined) return topic;
    if (this.engine.protocolVersion !== 5) throw new InvalidArgumentError('topic aliases need MQTT 5');
    const max = this.engine.brokerLimits.topicAliasMaximum;
    if (this.status === 'connected' && (alias < 1 || alias > max)) {
      throw new InvalidArgumentError(
        max === 0
          ? 'the broker accepts no topic aliases'
          : `topic alias ${alias} is outside the broker's range 1..${max}`,
      );
    }
    if (topic !== '') return topic;
    const known = this.engine.aliasedTopic(alias);
    if (known === undefined) {
      throw new InvalidArgumentError(
        `topic alias ${alias} is not set up on this connection: publish with the topic name and the alias first`,
      );
    }
    return known;
  }

  /**
   * Subscribes to one or more topic filters. Resolves on SUBACK with a handle that holds the granted QoS or
   * failure code per filter (a failure is reported there, not thrown) and that iterates the messages matching its
   * filters (`for await (const m of sub)`).
   */
  subscribe(filters: string | string[], options?: SubscribeOptions): Promise<SubscriptionHandle> {
    if (this.status === 'ended' || this.status === 'ending') return Promise.reject(new ClientClosedError());
    let list: ReturnType<typeof subscriptionList>;
    let handle: SubscriptionHandle;
    let properties = options?.properties;
    const subs = this.dispatcher.subscriptions;
    try {
      list = subscriptionList(filters, options, this.engine.protocolVersion, this.engine.brokerLimits);
      // MQTT 5: a Subscription Identifier of our own, so that each message reaches the subscription it came for.
      if (
        this.autoSubscriptionIds &&
        properties?.subscriptionIdentifier === undefined &&
        this.engine.protocolVersion === 5 &&
        this.engine.brokerLimits.subscriptionIdentifierAvailable
      ) {
        // Skipping identifiers live handles hold (the application may have chosen some itself).
        do this.lastSubscriptionId = (this.lastSubscriptionId % 268_435_455) + 1;
        while (subs.usesIdentifier(this.lastSubscriptionId));
        properties = { ...properties, subscriptionIdentifier: this.lastSubscriptionId };
      }
      handle = subs.add(
        list,
        options,
        (h) => this.unsubscribe(h.topicFilters),
        properties?.subscriptionIdentifier,
      );
    } catch (e) {
      return Promise.reject(e);
    }
    const d = deferred<AckResult>('subscribe', options?.signal);
    if (d.settled) {
      subs.remove(handle);
      return d.promise.then(() => handle);
    }
    this.engine.subscribe(list, properties, d as Deferred<unknown>, Date.now());
    this.timer.arm();
    return d.promise.then(
      (r) => handle.acknowledged(r),
      (e: unknown) => {
        subs.remove(handle);
        throw e;
      },
    );
  }

  /** Removes subscriptions; resolves on UNSUBACK (with MQTT 5 reason codes per filter). */
  unsubscribe(
    filters: string | string[],
    options?: { properties?: { userProperties?: [string, string][] }; signal?: AbortSignal },
  ): Promise<AckResult> {
    if (this.status === 'ended' || this.status === 'ending') return Promise.reject(new ClientClosedError());
    const list = typeof filters === 'string' ? [filters] : filters;
    if (list.length === 0)
      return Promise.reject(new InvalidArgumentError('unsubscribe needs at least one topic filter'));
    const d = deferred<AckResult>('unsubscribe', options?.signal);
    if (d.settled) return d.promise;
    this.engine.unsubscribe(list, options?.properties, d as Deferred<unknown>, Date.now());
    this.timer.arm();
    return d.promise.then((r) => {
      this.dispatcher.subscriptions.removeFilters(list);
      return r;
    });
  }

  /** All messages the client receives, as an async iterator with a bounded buffer. */
  messages(options?: IteratorOptions): AsyncIterableIterator<Message> {
    const q: MessageQueue<Message> = new MessageQueue(options, () => this.dispatcher.removeIterator(q));
    if (this.status === 'ended') q.end();
    else this.dispatcher.addIterator(q);
    return q;
  }

  /**
   * Calls `handler` for every message whose topic matches `filter` (paho's `message_callback_add`). Several
   * handlers may match one message; a message that any handler takes does not reach the `message` event, which
   * then gets only the rest (as paho's `on_message`). Adding a handler does not subscribe.
   *
   * @throws {InvalidArgumentError} for an invalid filter.
   */
  addMessageHandler(filter: string, handler: MessageHandler): this {
    this.dispatcher.addHandler(filter, handler);
    return this;
  }

  /** Removes `handler` of `filter`, or every handler of it (paho's `message_callback_remove`). */
  removeMessageHandler(filter: string, handler?: MessageHandler): boolean {
    return this.dispatcher.removeHandler(filter, handler);
  }

  /**
   * MQTT 5 request / response: publishes `payload` to `topic` with a Response Topic and Correlation Data, and
   * resolves with the response (a message to the same Correlation Data on this client's private response topic,
   * subscribed on the first request). Rejects with {@link TimeoutError} after `timeout` ms (default 30 s).
   */
  request(topic: string, payload: Payload, options?: RequestOptions): Promise<Message> {
    if (this.engine.protocolVersion !== 5)
      return Promise.reject(new InvalidArgumentError('request/response needs MQTT 5'));
    this.requester ??= new Requester({
      clientId: () => this.engine.clientId,
      responseInformation: () => this.responseInformation,
      subscribe: async (t) => {
        const h = await this.subscribe(t, { qos: 1, bufferSize: 1 });
        // The handle is not needed: responses are taken by the requester before any handle sees them.
        h.end();
        if (!h.granted) throw new InvalidArgumentError(`the broker refused the response topic ${t}`);
      },
      publish: (t, p, o) => this.publish(t, p, o),
    });
    return this.requester.request(topic, payload, options);
  }

  /**
   * Ends the client gracefully: with `flush`, waits until every queued and in-flight message is done; then sends
   * DISCONNECT (MQTT 5: with `reasonCode` and `properties`) and closes. Operations still waiting fail with
   * {@link ClientClosedError}.
   */
  async end(options?: EndOptions): Promise<void> {
    if (this.status === 'ended') return;
    // [MQTT-3.14.2-2] a session that was to end with the connection cannot be given a lifetime on DISCONNECT.
    const expiry = options?.properties?.sessionExpiryInterval;
    if (expiry !== undefined && expiry > 0 && (this.engine.options.properties?.sessionExpiryInterval ?? 0) === 0) {
      throw new InvalidArgumentError(
        'sessionExpiryInterval on DISCONNECT needs a non-zero sessionExpiryInterval at CONNECT ([MQTT-3.14.2-2])',
      );
    }
    if (options?.flush === true && this.engine.pendingCount > 0 && this.status === 'connected') {
      this.drained ??= deferred();
      await abortable(this.drained.promise, options.signal);
    }
    // The client may have ended while draining (destroy(), or a refusal on reconnect).
    if ((this.status as Status) === 'ended') return;
    this.reconnector.cancel();
    const wasConnected = this.status === 'connected';
    this.status = 'ending';
    if (wasConnected && this.transport !== undefined) {
      const closed = this.ended.promise;
      this.engine.disconnect(options?.reasonCode ?? 0, options?.properties, Date.now());
      await closed;
    } else {
      this.finish(undefined);
    }
  }

  /** Ends the client at once, without DISCONNECT (a will message is then published by the broker). */
  destroy(error?: Error): void {
    if (this.status === 'ended') return;
    this.reconnector.cancel();
    this.status = 'ending';
    const t = this.transport;
    if (t !== undefined) {
      this.closeReason = error;
      t.destroy();
    } else {
      this.finish(error);
    }
  }

  /**
   * MQTT 5 enhanced authentication: authenticates again on the live connection (AUTH 0x19) with the
   * `authenticator` option. Resolves when the broker accepted it (and the authenticator accepted the broker);
   * rejects with {@link AuthenticationError} or the error that closed the connection (a broker refusing a
   * re-authentication disconnects).
   */
  reauthenticate(): Promise<void> {
    if (this.auth === undefined)
      return Promise.reject(new InvalidArgumentError('reauthenticate() needs the authenticator option'));
    if (this.status !== 'connected') return Promise.reject(new ConnectionError('not connected'));
    return this.auth.reauthenticate();
  }

  /** Resolves when the client has ended for good: with the error that ended it, or undefined after `end()`. */
  closed(): Promise<Error | undefined> {
    return this.ended.promise;
  }

  // --- the connection -------------------------------------------------------------------------------------

  private open(): void {
    this.status = 'connecting';
    this.decoder.reset();
    this.decoder.protocolVersion = this.engine.protocolVersion;
    this.closeReason = undefined;
    let transport: Transport | undefined;
    transport = this.factory(
      {
        open: () => {
          if (this.transport !== transport) return;
          if (this.auth !== undefined) this.auth.open();
          else this.engine.connectionOpened(Date.now());
          this.timer.arm();
        },
        data: (chunk) => {
          if (this.transport !== transport) return;
          this.received(chunk);
        },
        close: (error) => {
          if (this.transport !== transport) return;
          this.transport = undefined;
          this.releaseWaitingForDrain();
          this.closedTransport(error);
        },
        drain: () => {
          if (this.transport === transport) this.releaseWaitingForDrain();
        },
      },
      this.hint,
    );
    this.hint = undefined;
    this.transport = transport;
  }

  // MQTT 5 Server Reference (0x9C Use another server, 0x9D Server moved): with followServerReference, the next
  // attempt goes there; on the first connect at once, as a version fallback does (at most 5 in a row, so that
  // brokers pointing at each other cannot keep the client busy).
  private tryRedirect(failure: Error): boolean {
    if (!this.followServerReference) return false;
    const code =
      failure instanceof ConnackError || failure instanceof ConnectionError ? failure.reasonCode : undefined;
    const reference = (failure as { properties?: { serverReference?: string } }).properties?.serverReference;
    if ((code !== 0x9c && code !== 0x9d) || reference === undefined || reference === '') return false;
    this.hint = { serverReference: reference };
    this.log('info', `the broker refers the client to ${reference}`);
    if (this.firstConnect === undefined || ++this.redirects > 5) return false;
    this.open();
    return true;
  }

  private received(chunk: Uint8Array): void {
    this.engine.bytesReceived(Date.now());
    try {
      this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.engine.protocolError(e.message, e.reasonCode, e);
    }
    this.timer.arm();
  }

  private closedTransport(error: Error | undefined): void {
    this.timer.clear();
    const wasConnected = this.status === 'connected';
    const reason = this.closeReason ?? error;
    this.closeReason = undefined;
    this.engine.connectionClosed(Date.now());
    if (this.status === 'ending') {
      this.finish(reason);
      return;
    }
    const failure = reason ?? new ConnectionError('the connection closed');
    this.auth?.connectionClosed(failure);
    this.emit('error', failure);
    if (!wasConnected) {
      this.log('warn', `connection attempt failed: ${failure.message}`);
      this.emit('connectFailure', failure);
      if (this.tryOlderVersion(failure)) return;
      if (this.tryRedirect(failure)) return;
      if (this.firstConnect !== undefined) {
        this.finish(failure);
        return;
      }
    } else {
      this.reconnector.connectionEnded(Date.now() - this.connectedAt);
      this.tryRedirect(failure);
    }
    const again = this.reconnector.shouldRetry(failure);
    if (wasConnected) {
      this.log('warn', `connection lost: ${failure.message}`);
      this.emit('disconnect', { error: failure, willReconnect: again, ...disconnectInfo(failure) });
    }
    if (!again) {
      this.finish(failure);
      return;
    }
    this.status = 'waiting';
    const next = this.reconnector.schedule(() => {
      if (this.status === 'waiting') this.open();
    });
    this.log('info', `reconnecting in ${next.delay} ms (attempt ${next.attempt})`);
    this.emit('reconnecting', next);
  }

  // `auto` protocol version: a broker that refuses 5 as unsupported is asked again with 3.1.1, then 3.1.
  private tryOlderVersion(failure: Error): boolean {
    const v = this.engine.protocolVersion;
    if (!this.autoVersion || v === 3 || !(failure instanceof ConnackError) || failure.reasonCode !== 0x84)
      return false;
    this.engine.protocolVersion = v === 5 ? 4 : 3;
    this.log('info', `broker refused MQTT ${v === 5 ? '5' : '3.1.1'}; trying ${v === 5 ? '3.1.1' : '3.1'}`);
    this.open();
    return true;
  }

  private finish(error: Error | undefined): void {
    if (this.status === 'ended') return;
    this.status = 'ended';
    this.timer.clear();
    this.reconnector.cancel();
    // A connection attempt still under way (end() while connecting) is dropped; its events are ignored from now.
    const t = this.transport;
    this.transport = undefined;
    if (t !== undefined) {
      this.engine.connectionClosed(Date.now());
      t.destroy();
    }
    this.finalError = error;
    const closed = new ClientClosedError(error ? `the client ended: ${error.message}` : 'the client ended', {
      cause: error,
    });
    this.firstConnect?.reject(error ?? closed);
    this.firstConnect = undefined;
    this.engine.abort(closed);
    this.drained?.resolve();
    this.dispatcher.endAll();
    this.requester?.close(error);
    this.emit('close', error);
    this.ended.resolve(this.finalError);
  }

  private releaseWaitingForDrain(): void {
    this.congested = false;
    const waiting = this.waitingForDrain;
    this.waitingForDrain = [];
    for (const d of waiting) {
      d.resolve(QOS0_DONE);
      this.emit('publish', QOS0_DONE);
    }
  }

  // The `log` event (paho's on_log) and the logger (DEBUG=mqttkit:client or the `logger` option).
  private log(level: 'debug' | 'info' | 'warn', message: string, fields?: LogFields): void {
    this.emit('log', level, message);
    if (fields === undefined) this.logger[level](message);
    else this.logger[level](message, fields);
  }

  private packetReceived(packet: Packet): void {
    this.packetLog?.debug(`received ${packet.type.toUpperCase()}`, describePacket(packet));
    this.engine.packetReceived(packet, Date.now());
  }

  // --- what the engine decides -------------------------------------------------------------------------------

  private sink(): EngineSink<Deferred<unknown>> {
    return {
      send: (packet) => this.write(packet),
      deliver: (packet) => this.deliver(packet),
      settle: (token, error, result) => {
        if (error !== undefined) token.reject(error);
        else if (
          this.congested &&
          (result as PublishResult | undefined)?.packetId === undefined &&
          token.kind === 'publish'
        ) {
          // A QoS 0 message is done once written; while the socket's buffer is full, "written" waits for it to
          // drain, so that a publisher awaiting each publish cannot outrun the network.
          this.waitingForDrain.push(token);
        } else {
          token.resolve(result);
          if (token.kind !== undefined) this.emit(token.kind, result as never);
        }
        if (this.drained !== undefined && this.engine.pendingCount === 0) this.drained.resolve();
      },
      connected: (connack) => this.onConnected(connack),
      authChallenge: (data, reauthenticate) => this.auth?.challenge(data, reauthenticate),
      authSucceeded: (data, reauthenticate) => this.auth?.succeeded(data, reauthenticate),
      rejected: (packet, why) => this.log('warn', `message on ${packet.topic} refused: ${why}`),
      reauthRequested: () => {
        this.auth
          ?.reauthenticate()
          .catch((e: unknown) => this.log('warn', `re-authentication failed: ${String(e)}`));
      },
      close: (error) => {
        this.closeReason = error;
        const t = this.transport;
        if (t === undefined) return;
        // A DISCONNECT may be on its way (a protocol or authentication failure): end() lets it out first.
        if (
          error === undefined ||
          error instanceof ConnackError ||
          error instanceof ProtocolError ||
          error instanceof AuthenticationError
        )
          t.end();
        else t.destroy();
      },
    };
  }

  private write(packet: Packet): void {
    const t = this.transport;
    if (t === undefined) return;
    this.packetLog?.debug(`sent ${packet.type.toUpperCase()}`, describePacket(packet));
    const version = packet.type === 'connect' ? packet.protocolVersion : this.engine.protocolVersion;
    if (!t.write(encode(packet, version, { maxPacketSize: this.engine.brokerLimits.maximumPacketSize }))) {
      this.congested = true;
    }
  }

  private deliver(packet: PublishPacket): void {
    let acknowledge: Acknowledger | undefined;
    if (this.manualAck && packet.qos > 0) {
      const { packetId, qos } = packet as { packetId: number; qos: 1 | 2 };
      const epoch = this.engine.connection;
      acknowledge = (reasonCode) => {
        const done = this.engine.acknowledge(packetId, qos, epoch, reasonCode, Date.now());
        if (done) this.timer.arm();
        return done;
      };
    }
    this.dispatcher.dispatch(new Message(packet, this.responder, acknowledge));
  }

  private onConnected(connack: ConnackPacket): void {
    this.responseInformation = connack.properties?.responseInformation;
    this.status = 'connected';
    this.connectedAt = Date.now();
    const info: ConnectInfo = {
      sessionPresent: connack.sessionPresent,
      reasonCode: connack.reasonCode,
      properties: connack.properties,
      protocolVersion: this.engine.protocolVersion,
    };
    this.log(
      'info',
      `connected (MQTT ${versionName(info.protocolVersion)}, session present: ${info.sessionPresent})`,
    );
    this.emit('connect', info);
    this.firstConnect?.resolve(info);
    this.firstConnect = undefined;
  }
}

function versionName(v: number): string {
  return v === 5 ? '5' : v === 4 ? '3.1.1' : '3.1';
}
