// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The public client: checks what the application hands over, passes it to the session engine, and turns the
 * engine's decisions into promises, events and async iterators. Protocol decisions belong in the engine; the
 * connection's life (transports, reconnecting, ending) is in `lifecycle.ts`, the engine's I/O in `engine-sink.ts`.
 *
 * @module
 */

import { ClientClosedError, ConnectionError, InvalidArgumentError } from '../errors.js';
import type { SessionEngine } from '../session/engine.js';
import type { StoredPublish } from '../session/store.js';
import type { AckResult, PublishResult } from '../session/types.js';
import type { DeadlineTimer } from './deadline-timer.js';
import { abortable, type Deferred, deferred } from './deferred.js';
import { Dispatcher, type MessageHandler } from './dispatch.js';
import { Emitter } from './emitter.js';
import type {
  ClientEvents,
  ConnectInfo,
  EndOptions,
  PublishOptions,
  SubscribeOptions,
  SubscriptionRequest,
} from './events.js';
import { Lifecycle, type Status } from './lifecycle.js';
import type { Message } from './message.js';
import { type IteratorOptions, MessageQueue } from './message-queue.js';
import { type ClientOptions, engineOptions, toWill, type WillOptions } from './options.js';
import { type Payload, toBytes } from './payload.js';
import { PublishInfo } from './publish-info.js';
import { Requester, type RequestOptions } from './requester.js';
import type { SubscriptionHandle } from './subscription-handle.js';
import { aliasTarget, checkPublish, subscriptionList, unsubscribeList } from './validate.js';

/**
 * An MQTT client. Create it with the Node entry's `connect(url, options)` (or `new MqttClient({ transport })` and
 * {@link MqttClient.connect}); it reconnects by itself until {@link MqttClient.end} or {@link MqttClient.destroy}.
 */
export class MqttClient extends Emitter<ClientEvents> {
  // The connection's life. The engine and the timer belong to it; the client keeps them at hand for its methods.
  private readonly life: Lifecycle;
  private readonly engine: SessionEngine<Deferred<unknown>>;
  private readonly timer: DeadlineTimer;
  private readonly autoSubscriptionIds: boolean;
  private readonly dispatcher: Dispatcher;
  private requester: Requester | undefined;
  private lastMessageId = 0;
  private lastEntry: StoredPublish | undefined;
  /** Anything the application wants to keep with the client (paho's `user_data`); the client never reads it. */
  userData: unknown;

  /** @throws {InvalidArgumentError} for a wrong option, naming it. */
  constructor(options: ClientOptions) {
    super();
    if (options.transport === undefined) {
      throw new InvalidArgumentError('a transport is required (the Node entry builds one from a URL)');
    }
    this.autoSubscriptionIds = options.subscriptionIdentifiers !== false;
    this.userData = options.userData;
    const eo = engineOptions(options);
    this.dispatcher = new Dispatcher({
      emitMessage: (m) => this.emit('message', m),
      handlerFailed: (e) => this.listenerFailed(e),
      takeResponse: (m) => this.requester?.take(m) ?? false,
    });
    // One hooks object, shared by the lifecycle and the engine's sink: an idle client's memory counts, so the
    // helpers hold references to it and to each other rather than a closure per need.
    this.life = new Lifecycle(options.transport, options, eo, this.dispatcher, {
      emit: (event, ...args) => {
        this.emit(event, ...args);
      },
      respond: (topic, payload, o) => this.publish(topic, payload, o),
      ended: (error) => {
        this.dispatcher.endAll();
        this.requester?.close(error);
      },
    });
    this.engine = this.life.engine;
    this.timer = this.life.timer;
  }

  /** Whether the client is connected now. */
  get connected(): boolean {
    return this.life.status === 'connected';
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
    if (this.life.status !== 'idle')
      return Promise.reject(new InvalidArgumentError('connect() was called already'));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const connected = this.life.firstConnection();
    if (signal !== undefined) {
      // The signal covers the connection attempt only: once it has succeeded or failed, aborting does nothing.
      const onAbort = () => this.destroy(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      connected.then(done, done);
    }
    this.life.open();
    return connected;
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
    if (this.life.ending) return Promise.reject(new ClientClosedError());
    let message: ReturnType<typeof checkPublish>;
    try {
      message = checkPublish(
        aliasTarget(topic, options, this.engine, this.life.status === 'connected'),
        toBytes(payload),
        options,
        this.engine.protocolVersion,
        this.engine.brokerLimits,
      );
    } catch (e) {
      return Promise.reject(e);
    }
    const signal = options?.signal;
    const d = deferred<PublishResult>('publish', signal);
    if (d.settled) return d.promise;
    const entry = this.engine.publish(message, d as Deferred<unknown>, Date.now());
    this.lastEntry = entry;
    this.timer.arm();
    if (signal !== undefined && entry !== undefined && !d.settled) {
      // Aborting also withdraws the message while it still waits in the queue.
      const withdraw = () => this.engine.withdraw(entry);
      signal.addEventListener('abort', withdraw, { once: true });
      const forget = () => signal.removeEventListener('abort', withdraw);
      d.promise.then(forget, forget);
    }
    return d.promise;
  }

  /**
   * Subscribes to one or more topic filters. Resolves on SUBACK with a handle that holds the granted QoS or
   * failure code per filter (a failure is reported there, not thrown) and that iterates the messages matching its
   * filters (`for await (const m of sub)`).
   */
  subscribe(
    filters: string | ReadonlyArray<string | SubscriptionRequest>,
    options?: SubscribeOptions,
  ): Promise<SubscriptionHandle> {
    if (this.life.ending) return Promise.reject(new ClientClosedError());
    let list: ReturnType<typeof subscriptionList>;
    let handle: SubscriptionHandle;
    let properties = options?.properties;
    const subs = this.dispatcher.subscriptions;
    try {
      list = subscriptionList(filters, options, this.engine.protocolVersion, this.engine.brokerLimits);
      if (this.autoSubscriptionIds)
        properties = subs.withIdentifier(properties, this.engine.protocolVersion, this.engine.brokerLimits);
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
    const autoIdentifier = properties?.subscriptionIdentifier !== options?.properties?.subscriptionIdentifier;
    this.engine.subscribe(list, properties, d as Deferred<unknown>, Date.now(), autoIdentifier);
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
    if (this.life.ending) return Promise.reject(new ClientClosedError());
    let list: string[];
    try {
      list = unsubscribeList(filters, options?.properties, this.engine.protocolVersion);
    } catch (e) {
      return Promise.reject(e);
    }
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
    if (this.life.status === 'ended') q.end();
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
      responseInformation: () => this.life.responseInformation,
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
    if (this.life.status === 'ended') return;
    // [MQTT-3.14.2-2] a session that was to end with the connection cannot be given a lifetime on DISCONNECT.
    const expiry = options?.properties?.sessionExpiryInterval;
    if (
      expiry !== undefined &&
      expiry > 0 &&
      (this.engine.options.properties?.sessionExpiryInterval ?? 0) === 0
    ) {
      throw new InvalidArgumentError(
        'sessionExpiryInterval on DISCONNECT needs a non-zero sessionExpiryInterval at CONNECT ([MQTT-3.14.2-2])',
      );
    }
    if (options?.flush === true && this.engine.pendingCount > 0 && this.life.status === 'connected') {
      await abortable(this.life.sink.flushed(), options.signal);
    }
    // The client may have ended while draining (destroy(), or a refusal on reconnect).
    if ((this.life.status as Status) === 'ended') return;
    const closed = this.life.end(options?.reasonCode ?? 0, options?.properties);
    if (closed !== undefined) await closed;
  }

  /** Ends the client at once, without DISCONNECT (a will message is then published by the broker). */
  destroy(error?: Error): void {
    this.life.destroy(error);
  }

  /**
   * Sets the will of the next connection (paho's `will_set`), or with no argument removes it (`will_clear`); the
   * current connection keeps the will it connected with.
   *
   * @throws {InvalidArgumentError} for an invalid topic, QoS or payload.
   */
  setWill(will?: WillOptions): void {
    if (will === undefined) delete this.engine.options.will;
    else this.engine.options.will = toWill(will);
  }

  /** Sets the user name and password of the next connection (paho's `username_pw_set`); undefined removes them. */
  setCredentials(username?: string, password?: string | Uint8Array): void {
    const o = this.engine.options;
    if (username === undefined) delete o.username;
    else o.username = username;
    if (password === undefined) delete o.password;
    else o.password = toBytes(password, 'password');
  }

  /**
   * MQTT 5 enhanced authentication: authenticates again on the live connection (AUTH 0x19) with the
   * `authenticator` option. Resolves when the broker accepted it (and the authenticator accepted the broker);
   * rejects with {@link AuthenticationError} or the error that closed the connection (a broker refusing a
   * re-authentication disconnects).
   */
  reauthenticate(): Promise<void> {
    const auth = this.life.auth;
    if (auth === undefined)
      return Promise.reject(new InvalidArgumentError('reauthenticate() needs the authenticator option'));
    if (this.life.status !== 'connected') return Promise.reject(new ConnectionError('not connected'));
    return auth.reauthenticate();
  }

  /** Resolves when the client has ended for good: with the error that ended it, or undefined after `end()`. */
  closed(): Promise<Error | undefined> {
    return this.life.ended.promise;
  }
}
