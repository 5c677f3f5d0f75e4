// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The life of a client, from `connect()` to the end: idle → connecting → connected → (waiting → connecting → …) →
 * ending → ended. Opens each transport, decides what to do when one closes (fall back to an older protocol
 * version, follow a Server Reference, back off and reconnect, or give up) and reports it through the client's
 * events; ends the client. The public methods of `MqttClient` read its status; protocol decisions stay in the
 * engine.
 *
 * @module
 */
import { AuthenticationError } from '../auth/authenticator.js';
import { ClientClosedError, ConnackError, ConnectionError, ProtocolError } from '../errors.js';
import { type LogFields, type Logger, LogNamespace, loggerFromEnvironment, NOOP_LOGGER } from '../log.js';
import type { ConnackPacket, DisconnectProperties } from '../packet/types.js';
import { SessionEngine } from '../session/engine.js';
import { MemorySessionStore, type SessionStore } from '../session/store.js';
import type { EngineOptions } from '../session/types.js';
import type { Transport, TransportFactory } from '../transport/transport.js';
import { AuthRunner, type AuthRunnerHooks } from './auth-runner.js';
import { DeadlineTimer } from './deadline-timer.js';
import { type Deferred, deferred } from './deferred.js';
import type { Dispatcher } from './dispatch.js';
import { type ClientLogLevel, ClientSink, type SinkHooks, type SinkHost } from './engine-sink.js';
import { type ConnectInfo, disconnectInfo } from './events.js';
import { type ClientOptions, DEFAULT_MAX_PACKET_SIZE } from './options.js';
import { Reconnector } from './reconnector.js';

/** Where a client stands; `waiting` is the pause before a reconnect attempt. */
export type Status = 'idle' | 'connecting' | 'connected' | 'waiting' | 'ending' | 'ended';

/** What the lifecycle calls back into the client with. */
export interface LifecycleHooks extends SinkHooks {
  /** The client ended: end what waits for messages or responses (iterators, handles, requests). */
  ended(error: Error | undefined): void;
}

/**
 * One client's connections, one after another. Created once per client; the engine, the timer and the sink are
 * built here, because the engine needs the sink and the sink needs this object (its {@link SinkHost}).
 */
export class Lifecycle implements SinkHost, AuthRunnerHooks {
  /** The session engine. */
  readonly engine: SessionEngine<Deferred<unknown>>;
  /** The one timer for the engine's deadlines. */
  readonly timer: DeadlineTimer;
  /** The engine's sink. */
  readonly sink: ClientSink;
  /** Runs the `authenticator` option, when there is one. */
  readonly auth: AuthRunner | undefined;
  /** The store given in the options, if any. */
  readonly session: SessionStore | undefined;
  /** Where the client stands. */
  status: Status = 'idle';
  /** The transport of the current connection (or attempt). */
  transport: Transport | undefined;
  /** MQTT 5 Response Information of the last CONNACK (asked for with the requestResponseInformation property). */
  responseInformation: string | undefined;
  /** Resolves when the client has ended for good: with the error that ended it, or undefined. */
  readonly ended = deferred<Error | undefined>();
  private readonly reconnector: Reconnector;
  private readonly logger: Logger;
  private connectedAt = 0;
  // Why the current transport is being closed, when this side closes it (it then reports no error of its own).
  private closeReason: Error | undefined;
  private firstConnect: Deferred<ConnectInfo> | undefined;
  private readonly retryFirstConnect: boolean;

  constructor(
    private readonly factory: TransportFactory,
    options: ClientOptions,
    engineOptions: EngineOptions,
    dispatcher: Dispatcher,
    private readonly hooks: LifecycleHooks,
  ) {
    this.reconnector = new Reconnector(options);
    this.retryFirstConnect = options.retryFirstConnect === true && options.reconnect !== false;
    this.logger = options.logger ?? loggerFromEnvironment(LogNamespace.Client);
    const packetLog = options.logPackets === true ? this.logger : loggerFromEnvironment(LogNamespace.Packet);
    this.sink = new ClientSink(
      this,
      hooks,
      dispatcher,
      options.manualAck === true,
      packetLog === NOOP_LOGGER ? undefined : packetLog,
      {
        protocolVersion: engineOptions.protocolVersion,
        maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
      },
    );
    this.session = options.session;
    // MQTT 3 sessions never expire; an MQTT 5 session lasts its expiry interval (default 0: the connection).
    this.session?.attach?.({
      clientId: engineOptions.clientId,
      sessionExpiryInterval:
        engineOptions.protocolVersion === 5
          ? (engineOptions.properties?.sessionExpiryInterval ?? 0)
          : undefined,
    });
    this.engine = new SessionEngine(engineOptions, options.session ?? new MemorySessionStore(), this.sink);
    this.timer = new DeadlineTimer(
      () => this.engine.nextDeadline(),
      (now) => this.engine.tick(now),
    );
    this.auth =
      options.authenticator === undefined
        ? undefined
        : new AuthRunner(options.authenticator, this.engine, this);
    // A rejection nobody waits for must not crash the process: `closed()` is optional to await.
    this.ended.promise.catch(() => {});
  }

  /** Whether the client has ended or is ending: new operations fail. */
  get ending(): boolean {
    return this.status === 'ended' || this.status === 'ending';
  }

  /** The promise of the first connection, which `connect()` returns; open it with {@link Lifecycle.open}. */
  firstConnection(): Promise<ConnectInfo> {
    this.firstConnect = deferred();
    return this.firstConnect.promise;
  }

  /** Opens a transport: a connection attempt. */
  open(): void {
    this.status = 'connecting';
    this.sink.connectionStarting();
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
          this.sink.received(chunk);
        },
        close: (error) => {
          if (this.transport !== transport) return;
          this.transport = undefined;
          this.sink.releaseWaitingForDrain();
          this.closedTransport(error);
        },
        drain: () => {
          if (this.transport === transport) this.sink.transportDrained();
        },
      },
      { ...this.reconnector.hint, protocolVersion: this.engine.protocolVersion },
    );
    this.reconnector.hint = undefined;
    this.transport = transport;
  }

  /**
   * Ends the client: with DISCONNECT when connected (the promise then resolves once the connection closed),
   * otherwise at once (undefined).
   */
  end(
    reasonCode: number,
    properties: DisconnectProperties | undefined,
  ): Promise<Error | undefined> | undefined {
    this.reconnector.cancel();
    const wasConnected = this.status === 'connected';
    this.status = 'ending';
    if (wasConnected && this.transport !== undefined) {
      const closed = this.ended.promise;
      this.engine.disconnect(reasonCode, properties, Date.now());
      return closed;
    }
    this.finish(undefined);
    return undefined;
  }

  /** Ends the client at once, without DISCONNECT. */
  destroy(error: Error | undefined): void {
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

  /** The broker accepted the connection. */
  connected(connack: ConnackPacket): void {
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
    this.hooks.emit('connect', info);
    this.firstConnect?.resolve(info);
    this.firstConnect = undefined;
  }

  /** The engine ends the connection, for `error` (undefined: asked to). */
  closeConnection(error: Error | undefined): void {
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
  }

  /** The `log` event (paho's on_log) and the logger (DEBUG=mqttkit:client or the `logger` option). */
  log(level: ClientLogLevel, message: string, fields?: LogFields): void {
    this.hooks.emit('log', level, message);
    if (fields === undefined) this.logger[level](message);
    else this.logger[level](message, fields);
  }

  /** The identity of the current connection, for the authenticator's steps. */
  connection(): unknown {
    return this.transport;
  }

  /** Re-arms the timer after something was handed to the engine. */
  poke(): void {
    this.timer.arm();
  }

  /** The authenticator failed before CONNECT could go out: closes the connection with `error`. */
  abort(error: Error): void {
    this.closeReason = error;
    this.transport?.destroy();
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
    this.hooks.emit('error', failure);
    if (!wasConnected) {
      this.log('warn', `connection attempt failed: ${failure.message}`);
      this.hooks.emit('connectFailure', failure);
      if (this.tryOlderVersion(failure)) return;
      if (this.tryRedirect(failure)) return;
      // Unless asked to keep trying (and the failure is one a retry can fix), the first connect fails for good.
      if (
        this.firstConnect !== undefined &&
        (!this.retryFirstConnect || !this.reconnector.shouldRetry(failure))
      ) {
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
      this.hooks.emit('disconnect', { error: failure, willReconnect: again, ...disconnectInfo(failure) });
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
    this.hooks.emit('reconnecting', next);
  }

  private tryOlderVersion(failure: Error): boolean {
    const v = this.engine.protocolVersion;
    const older = this.reconnector.olderVersion(failure, v);
    if (older === undefined) return false;
    this.engine.protocolVersion = older;
    this.log('info', `broker refused MQTT ${versionName(v)}; trying ${versionName(older)}`);
    this.open();
    return true;
  }

  // A Server Reference is followed at once on the first connect, as a version fallback is; after that, by the
  // next reconnect.
  private tryRedirect(failure: Error): boolean {
    const reference = this.reconnector.serverReference(failure);
    if (reference === undefined) return false;
    this.log('info', `the broker refers the client to ${reference}`);
    if (this.firstConnect === undefined || !this.reconnector.redirectAgain()) return false;
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
    const closed = new ClientClosedError(error ? `the client ended: ${error.message}` : 'the client ended', {
      cause: error,
    });
    this.firstConnect?.reject(error ?? closed);
    this.firstConnect = undefined;
    this.engine.abort(closed);
    this.sink.endFlush();
    this.hooks.ended(error);
    this.hooks.emit('close', error);
    this.ended.resolve(error);
  }
}

function versionName(v: number): string {
  return v === 5 ? '5' : v === 4 ? '3.1.1' : '3.1';
}
