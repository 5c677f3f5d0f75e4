// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The client's side of the session engine, in both directions: received bytes are decoded and handed to the
 * engine, and what the engine decides (its `EngineSink` calls) is carried out: packets encoded and written,
 * messages delivered, operations settled. Also where the transport's backpressure reaches the engine and the
 * application: while its send buffer is full, the engine sends nothing new (publications wait in the bounded
 * queue), and a QoS 0 publish written just as it filled counts as written only once it drains.
 *
 * @module
 */
import { describePacket, type Logger } from '../log.js';
import { decodeServerBody } from '../packet/decode-body.js';
import { StreamDecoder } from '../packet/decoder.js';
import { encodeClientPacket } from '../packet/encode.js';
import { ProtocolError } from '../packet/errors.js';
import type { ConnackPacket, Packet, ProtocolVersion, PublishPacket } from '../packet/types.js';
import type { SessionEngine } from '../session/engine.js';
import type { OutgoingMessage, SessionStore } from '../session/store.js';
import type { AckResult, EngineSink, PublishResult } from '../session/types.js';
import type { Transport } from '../transport/transport.js';
import type { AuthRunner } from './auth-runner.js';
import { type Deferred, deferred } from './deferred.js';
import type { Dispatcher } from './dispatch.js';
import type { ClientEvents } from './events.js';
import { type Acknowledger, Message, type Responder } from './message.js';

const QOS0_DONE: PublishResult = Object.freeze({ packetId: undefined, reasonCode: 0, properties: undefined });

/** A level of the client's `log` event. */
export type ClientLogLevel = Parameters<ClientEvents['log']>[0];

/**
 * What the sink needs of the client's connection: the client's `Lifecycle` implements it and passes itself, so
 * that the sink holds one reference instead of a closure per need.
 */
export interface SinkHost {
  /** The engine this sink serves. */
  readonly engine: SessionEngine<Deferred<unknown>>;
  /** The transport of the current connection, if any. */
  readonly transport: Transport | undefined;
  /** The store given in the options, if any. */
  readonly session: SessionStore | undefined;
  /** Runs the authenticator, when the client has one. */
  readonly auth: AuthRunner | undefined;
  /** The broker accepted the connection. */
  connected(connack: ConnackPacket): void;
  /** The connection must end; `error` says why, undefined if asked to. */
  closeConnection(error: Error | undefined): void;
  /** Something was handed to the engine: re-arm the timer. */
  poke(): void;
  /** Reports through the client's `log` event and its logger. */
  log(level: ClientLogLevel, message: string): void;
}

/** What the sink calls back into the client with (one object per client, shared with its `Lifecycle`). */
export interface SinkHooks {
  /** Emits one of the client's events. */
  emit<K extends keyof ClientEvents>(event: K, ...args: Parameters<ClientEvents[K]>): void;
  /** Publishes a response for `message.respond()`: the client's own `publish`. */
  readonly respond: Responder;
}

/** The engine's sink, and the decoder in front of it. */
export class ClientSink implements EngineSink<Deferred<unknown>> {
  private readonly decoder: StreamDecoder;
  private waitingForDrain: Deferred<unknown>[] = [];
  // What `end({ flush: true })` waits on: nothing left queued or in flight.
  private drained: Deferred<void> | undefined;

  /**
   * `packetLog` traces every packet; only given when asked for (DEBUG=mqttkit:packet or logPackets), so that it
   * costs nothing otherwise.
   */
  constructor(
    private readonly host: SinkHost,
    private readonly hooks: SinkHooks,
    private readonly dispatcher: Dispatcher,
    private readonly manualAck: boolean,
    private readonly packetLog: Logger | undefined,
    decoding: { protocolVersion: ProtocolVersion; maxPacketSize: number },
  ) {
    this.decoder = new StreamDecoder((p) => this.packetReceived(p), decoding, decodeServerBody);
  }

  /** A transport is about to open: decoding starts afresh, for the protocol version the engine will use. */
  connectionStarting(): void {
    this.decoder.reset();
    this.decoder.protocolVersion = this.host.engine.protocolVersion;
  }

  /** Bytes arrived from the transport. */
  received(chunk: Uint8Array): void {
    const engine = this.host.engine;
    engine.bytesReceived(Date.now());
    try {
      this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      engine.protocolError(e.message, e.reasonCode, e);
    }
    this.host.poke();
  }

  /** The transport drained its send buffer, or closed: QoS 0 publishes waiting for that are done. */
  releaseWaitingForDrain(): void {
    const waiting = this.waitingForDrain;
    this.waitingForDrain = [];
    for (const d of waiting) {
      d.resolve(QOS0_DONE);
      this.hooks.emit('publish', QOS0_DONE);
    }
  }

  /** The transport drained its send buffer: QoS 0 publishes waiting for that are done, and the queue moves on. */
  transportDrained(): void {
    this.releaseWaitingForDrain();
    this.host.engine.transportDrained(Date.now());
  }

  /** Resolves once nothing is queued or in flight (or the client ended). */
  flushed(): Promise<void> {
    this.drained ??= deferred();
    return this.drained.promise;
  }

  /** The client ended: nobody waits for a flush any longer. */
  endFlush(): void {
    this.drained?.resolve();
  }

  /** Encodes and writes a packet the engine sends. */
  send(packet: Packet): void {
    const t = this.host.transport;
    if (t === undefined) return;
    this.packetLog?.debug(`sent ${packet.type.toUpperCase()}`, describePacket(packet));
    const engine = this.host.engine;
    const version = packet.type === 'connect' ? packet.protocolVersion : engine.protocolVersion;
    if (
      !t.write(encodeClientPacket(packet, version, { maxPacketSize: engine.brokerLimits.maximumPacketSize }))
    ) {
      engine.transportCongested();
    }
  }

  /** Hands a received message to the dispatcher (with an acknowledger under manual acknowledgement). */
  deliver(packet: PublishPacket): void {
    let acknowledge: Acknowledger | undefined;
    if (this.manualAck && packet.qos > 0) {
      const { packetId, qos } = packet as { packetId: number; qos: 1 | 2 };
      const host = this.host;
      const epoch = host.engine.connection;
      acknowledge = (reasonCode) => {
        const done = host.engine.acknowledge(packetId, qos, epoch, reasonCode, Date.now());
        if (done) host.poke();
        return done;
      };
    }
    this.dispatcher.dispatch(new Message(packet, this.hooks.respond, acknowledge));
  }

  /** Settles an operation's promise, and reports its success with the event of its kind. */
  settle(
    token: Deferred<unknown>,
    error: Error | undefined,
    result: PublishResult | AckResult | undefined,
  ): void {
    if (error !== undefined) token.reject(error);
    else if (
      // The engine knows whether the transport's send buffer is full (it holds the queue meanwhile).
      !this.host.engine.writable() &&
      (result as PublishResult | undefined)?.packetId === undefined &&
      token.kind === 'publish'
    ) {
      // A QoS 0 message is done once written; while the socket's buffer is full, "written" waits for it to
      // drain, so that a publisher awaiting each publish cannot outrun the network.
      this.waitingForDrain.push(token);
    } else {
      // A durable store that flushes later: a publication is complete only once its records are on the disk.
      const durable = token.kind === 'publish' ? this.host.session?.whenDurable?.() : undefined;
      if (durable === undefined) this.resolve(token, result);
      else void durable.then(() => this.resolve(token, result));
    }
  }

  private resolve(token: Deferred<unknown>, result: PublishResult | AckResult | undefined): void {
    token.resolve(result);
    if (token.kind !== undefined) this.hooks.emit(token.kind, result as never);
  }

  /** Messages sent again as new publications after the broker lost the session. */
  republished(messages: OutgoingMessage[]): void {
    this.hooks.emit('republished', messages);
  }

  /** A publication failed (its promise, if it has one, is rejected with the same error). */
  publishFailed(message: OutgoingMessage, error: Error): void {
    this.hooks.emit('publishFailed', error, message);
  }

  /** A message taken over from a session store completed: reported like any publication. */
  publishedWithoutToken(_message: OutgoingMessage, result: PublishResult): void {
    this.hooks.emit('publish', result);
  }

  /** Nothing is queued or in flight any more: a flush waiting for that is done. */
  idle(): void {
    this.drained?.resolve();
  }

  /** The broker accepted the connection. */
  connected(connack: ConnackPacket): void {
    this.host.connected(connack);
  }

  /** The engine ends the connection (any DISCONNECT has been sent already). */
  close(error: Error | undefined): void {
    this.host.closeConnection(error);
  }

  /** The broker sent an authentication challenge. */
  authChallenge(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.host.auth?.challenge(data, reauthenticate);
  }

  /** The broker ended an authentication exchange in success. */
  authSucceeded(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.host.auth?.succeeded(data, reauthenticate);
  }

  /** The broker asked for a re-authentication. */
  reauthRequested(): void {
    this.host.auth
      ?.reauthenticate()
      .catch((e: unknown) => this.host.log('warn', `re-authentication failed: ${String(e)}`));
  }

  /** A message was refused rather than delivered. */
  rejected(packet: PublishPacket, why: string): void {
    this.host.log('warn', `message on ${packet.topic} refused: ${why}`);
  }

  private packetReceived(packet: Packet): void {
    this.packetLog?.debug(`received ${packet.type.toUpperCase()}`, describePacket(packet));
    this.host.engine.packetReceived(packet, Date.now());
  }
}
