// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Shared fixtures of the session engine tests: a sink that records every decision of the engine, an engine with
// default options over a MemorySessionStore, a fake clock (a number passed to every call), and builders of the
// packets a broker sends. No sockets, no real timers.
import assert from 'node:assert/strict';
import type {
  AckProperties,
  ConnackPacket,
  ConnackProperties,
  Packet,
  PublishPacket,
  QoS,
  Subscription,
} from '../../../src/packet/types.js';
import { SessionEngine } from '../../../src/session/engine.js';
import { MemorySessionStore, type OutgoingMessage, type SessionStore } from '../../../src/session/store.js';
import type { AckResult, EngineOptions, EngineSink, PublishResult } from '../../../src/session/types.js';

/** Tokens are plain strings naming the operation. */
export type Token = string;

export interface Settlement {
  token: Token;
  error: Error | undefined;
  result: PublishResult | AckResult | undefined;
}

/** One call of the engine on its sink, in order. */
export type SinkCall =
  | { kind: 'send'; packet: Packet }
  | { kind: 'deliver'; message: PublishPacket }
  | ({ kind: 'settle' } & Settlement)
  | { kind: 'connected'; connack: ConnackPacket }
  | { kind: 'close'; error: Error | undefined };

/** Records everything the engine decides. */
export class RecordingSink implements EngineSink<Token> {
  readonly calls: SinkCall[] = [];
  readonly sent: Packet[] = [];
  readonly delivered: PublishPacket[] = [];
  readonly settled: Settlement[] = [];
  readonly connacks: ConnackPacket[] = [];
  readonly closes: Array<Error | undefined> = [];
  /** How often the engine reported nothing queued or in flight. */
  idles = 0;
  /** Messages the engine reported as sent again after the broker lost the session. */
  readonly republishedMessages: OutgoingMessage[] = [];
  /** Publications the engine reported as failed, with why. */
  readonly failures: Array<{ message: OutgoingMessage; error: Error }> = [];
  /** Publications without a token the engine reported as complete. */
  readonly completedWithoutToken: Array<{ message: OutgoingMessage; result: PublishResult }> = [];
  /** Messages the engine refused instead of delivering. */
  readonly rejections: Array<{ message: PublishPacket; why: string }> = [];
  /** What the engine asked of the authenticator, in order. */
  readonly auth: Array<{
    kind: 'challenge' | 'succeeded' | 'reauthRequested';
    data: Uint8Array | undefined;
    reauthenticate: boolean;
  }> = [];
  private sentMark = 0;

  send(packet: Packet): void {
    this.sent.push(packet);
    this.calls.push({ kind: 'send', packet });
  }
  deliver(message: PublishPacket): void {
    this.delivered.push(message);
    this.calls.push({ kind: 'deliver', message });
  }
  settle(token: Token, error: Error | undefined, result: PublishResult | AckResult | undefined): void {
    this.settled.push({ token, error, result });
    this.calls.push({ kind: 'settle', token, error, result });
  }
  connected(connack: ConnackPacket): void {
    this.connacks.push(connack);
    this.calls.push({ kind: 'connected', connack });
  }
  close(error: Error | undefined): void {
    this.closes.push(error);
    this.calls.push({ kind: 'close', error });
  }
  authChallenge(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.auth.push({ kind: 'challenge', data, reauthenticate });
  }
  authSucceeded(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.auth.push({ kind: 'succeeded', data, reauthenticate });
  }
  idle(): void {
    this.idles++;
  }
  republished(messages: OutgoingMessage[]): void {
    this.republishedMessages.push(...messages);
  }
  rejected(message: PublishPacket, why: string): void {
    this.rejections.push({ message, why });
  }
  publishFailed(message: OutgoingMessage, error: Error): void {
    this.failures.push({ message, error });
  }
  publishedWithoutToken(message: OutgoingMessage, result: PublishResult): void {
    this.completedWithoutToken.push({ message, result });
  }
  reauthRequested(): void {
    this.auth.push({ kind: 'reauthRequested', data: undefined, reauthenticate: true });
  }

  /** Packets sent since the previous call (or since the start). */
  takeSent(): Packet[] {
    const out = this.sent.slice(this.sentMark);
    this.sentMark = this.sent.length;
    return out;
  }

  /** Summaries of the packets sent since the previous `takeSent` / `takeSummaries`. */
  takeSummaries(): string[] {
    return this.takeSent().map(summary);
  }

  /** The one settlement of `token`; fails the test if it was settled never or more than once. */
  settlement(token: Token): Settlement {
    const found = this.settled.filter((s) => s.token === token);
    assert.equal(found.length, 1, `token ${token} settled ${found.length} times`);
    return found[0] as Settlement;
  }

  /** Whether `token` was settled at all. */
  isSettled(token: Token): boolean {
    return this.settled.some((s) => s.token === token);
  }

  /** The only close call; fails the test if there was none or several. */
  closeError(): Error | undefined {
    assert.equal(this.closes.length, 1, `close called ${this.closes.length} times`);
    return this.closes[0];
  }
}

/** Default engine options of the tests. */
export const DEFAULT_OPTIONS: EngineOptions = {
  protocolVersion: 5,
  clientId: 'c1',
  clean: true,
  keepAlive: 60,
  maxInflight: 10,
  maxQueued: 100,
  maxQueuedBytes: 1024 * 1024,
  queueQoS0: true,
  resubscribe: true,
  resendOnSessionLost: true,
  autoTopicAlias: false,
  manualAck: false,
  validatePayloadFormat: false,
  connectTimeout: 30_000,
  pingTimeout: 10_000,
};

/** An engine over a MemorySessionStore with a recording sink and a fake clock. */
export class Harness {
  readonly sink = new RecordingSink();
  readonly engine: SessionEngine<Token>;
  readonly options: EngineOptions;
  /** The fake clock, ms. */
  now = 0;

  constructor(
    overrides: Partial<EngineOptions> = {},
    readonly store: SessionStore = new MemorySessionStore(),
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...overrides };
    this.engine = new SessionEngine<Token>(this.options, store, this.sink);
  }

  /** Moves the clock to `t` (never backwards). */
  at(t: number): this {
    assert.ok(t >= this.now, `the clock cannot go back from ${this.now} to ${t}`);
    this.now = t;
    return this;
  }

  advance(ms: number): this {
    return this.at(this.now + ms);
  }

  /** Calls `tick` at the current time. */
  tick(): void {
    this.engine.tick(this.now);
  }

  /** Moves the clock to the engine's next deadline and ticks there; returns that deadline. */
  runToDeadline(): number {
    const deadline = this.engine.nextDeadline();
    assert.notEqual(deadline, undefined, 'the engine has no deadline');
    this.at(deadline as number);
    this.tick();
    return deadline as number;
  }

  open(): void {
    this.engine.connectionOpened(this.now);
  }

  receive(packet: Packet): void {
    this.engine.packetReceived(packet, this.now);
  }

  drop(): void {
    this.engine.connectionClosed(this.now);
  }

  /**
   * Opens a connection and answers with a CONNACK (accepting unless told otherwise). The CONNECT is taken off the
   * sent packets; what the engine sends on the CONNACK (resends, queued messages) is left for the test to take.
   */
  connect(ack: Partial<ConnackPacket> = {}): void {
    this.open();
    this.sink.takeSent();
    this.receive(connack(ack));
  }

  publish(token: Token | undefined, message: OutgoingMessage): void {
    this.engine.publish(message, token, this.now);
  }

  subscribe(token: Token | undefined, ...subscriptions: Subscription[]): void {
    this.engine.subscribe(subscriptions, undefined, token, this.now);
  }

  unsubscribe(token: Token | undefined, ...filters: string[]): void {
    this.engine.unsubscribe(filters, undefined, token, this.now);
  }
}

/** A CONNACK accepting the connection unless told otherwise. */
export function connack(fields: Partial<ConnackPacket> = {}): ConnackPacket {
  return { type: 'connack', sessionPresent: false, reasonCode: 0, ...fields };
}

/** A CONNACK with MQTT 5 properties. */
export function connackWith(properties: ConnackProperties, sessionPresent = false): ConnackPacket {
  return { type: 'connack', sessionPresent, reasonCode: 0, properties };
}

const encoder = new TextEncoder();

/** An application message to publish; the payload is the topic's bytes. */
export function message(topic: string, qos: QoS, retain = false): OutgoingMessage {
  return { topic, payload: encoder.encode(topic), qos, retain };
}

/** A PUBLISH from the broker. */
export function inbound(topic: string, qos: QoS, packetId?: number, dup = false): PublishPacket {
  const p: PublishPacket = {
    type: 'publish',
    topic,
    payload: encoder.encode(topic),
    qos,
    retain: false,
    dup,
  };
  if (packetId !== undefined) p.packetId = packetId;
  return p;
}

type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

/** A PUBACK / PUBREC / PUBREL / PUBCOMP. */
export function ack(type: AckType, packetId: number, reasonCode = 0, properties?: AckProperties): Packet {
  return properties === undefined
    ? { type, packetId, reasonCode }
    : { type, packetId, reasonCode, properties };
}

/** A subscription with the default MQTT 5 options. */
export function sub(topicFilter: string, qos: QoS = 1): Subscription {
  return { topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 };
}

/** The packet id of a sent packet that has one. */
export function idOf(packet: Packet | undefined): number {
  assert.ok(packet !== undefined, 'no packet');
  assert.ok('packetId' in packet && packet.packetId !== undefined, `${packet.type} has no packet id`);
  return packet.packetId;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * A short text for a packet, so that sequences read as tables: `publish t/a q1 #1 dup`, `pubrel #2 0x00`,
 * `subscribe #3 a/#,b`, `disconnect 0x82`, `pingreq`.
 */
export function summary(p: Packet): string {
  switch (p.type) {
    case 'publish':
      return `publish ${p.topic} q${p.qos}${p.packetId === undefined ? '' : ` #${p.packetId}`}${p.dup ? ' dup' : ''}`;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return `${p.type} #${p.packetId} ${hex(p.reasonCode)}`;
    case 'subscribe':
      return `subscribe #${p.packetId} ${p.subscriptions.map((s) => s.topicFilter).join(',')}`;
    case 'unsubscribe':
      return `unsubscribe #${p.packetId} ${p.topicFilters.join(',')}`;
    case 'disconnect':
      return `disconnect ${hex(p.reasonCode)}`;
    default:
      return p.type;
  }
}
