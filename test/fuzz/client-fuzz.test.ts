// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Client-level fuzzing: a scripted fake broker accepts the client (MQTT 3.1, 3.1.1 and 5), lets it subscribe and
 * publish at QoS 0/1/2, holds back the PUBACK of one QoS 1 message, then sends random and mutated packets (valid
 * packets of every type in the wrong state, the same mutated, random bytes, split at random chunk boundaries);
 * now and then it also answers a reconnection's CONNECT with such bytes instead of a CONNACK. It proves that the
 * client never throws out of an event handler and leaves no rejection unhandled; that every error it reports
 * (`error`, `connectFailure` and `disconnect` events, rejected operations) is an `MqttError` with a code; that
 * after bytes that break the protocol it reconnects and resends the held message, whose promise then resolves;
 * and that after bytes that were valid and harmless (acknowledgements of nothing, say) it is still connected and
 * a QoS 1 publish still completes.
 *
 * The seed is random unless given; every failure message names it, with the round and the input. Replay with
 * `MQTTKIT_FUZZ_SEED=<seed> node scripts/run-tests.mjs test/fuzz/client-fuzz.test.ts` (MQTTKIT_FUZZ_ROUNDS=<n>
 * runs n rounds per protocol version instead of the default).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { DisconnectInfo } from '../../src/client/events.js';
import { connect, isMqttError, type MqttClient, type ProtocolVersion } from '../../src/node.js';
import type { Packet, PublishPacket } from '../../src/packet/index.js';
import { within } from '../helpers/clients.js';
import { type FakeBroker, type FakeConnection, startFakeBroker } from '../helpers/fake-broker.js';
import {
  accept,
  type ClientVerdict,
  clientVerdict,
  describeInput,
  type FuzzInput,
  fuzzInput,
  type Responder,
  sendChunks,
  wrongStateInput,
} from '../helpers/fuzzing-broker.js';
import { mix32, Rng } from './fuzz-decoder.js';

const fromEnv = process.env['MQTTKIT_FUZZ_SEED'];
if (fromEnv !== undefined && !/^\d+$/.test(fromEnv))
  throw new Error(`MQTTKIT_FUZZ_SEED must be a number, got ${fromEnv}`);
const SEED = fromEnv !== undefined ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const ROUNDS_FROM_ENV = Number(process.env['MQTTKIT_FUZZ_ROUNDS'] ?? '');
/** Rounds per protocol version: about 20 seconds for the file on a 2-core machine. */
const ROUNDS: Record<ProtocolVersion, number> =
  Number.isInteger(ROUNDS_FROM_ENV) && ROUNDS_FROM_ENV > 0
    ? { 3: ROUNDS_FROM_ENV, 4: ROUNDS_FROM_ENV, 5: ROUNDS_FROM_ENV }
    : { 3: 1200, 4: 2000, 5: 2000 };
const ROUNDS_PER_CLIENT = 25;
/** Upper bound of every wait (a failure guard, not a synchronisation). */
const GUARD = 3_000;
/** Server-to-client acknowledgements: in any state, the client ignores or answers them and stays connected. */
const ACKS = new Set<Packet['type']>([
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'suback',
  'unsuback',
  'pingresp',
]);

const processFailures: string[] = [];
/** Clients not yet ended: destroyed after a failure, so that the run ends instead of reconnecting for ever. */
const openClients = new Set<MqttClient>();
/** The round under way, for the process-level failures (the runner may report those itself, without it). */
let current: Where | undefined;

function processFailure(what: string): void {
  const failure = current === undefined ? `${what} [MQTTKIT_FUZZ_SEED=${SEED}]` : current.message(what);
  processFailures.push(failure);
  process.stderr.write(`client fuzzing: ${failure}\n`);
}
const onRejection = (reason: unknown) => processFailure(`unhandled rejection: ${show(reason)}`);
const onException = (error: unknown) => processFailure(`uncaught exception: ${show(error)}`);

function show(e: unknown): string {
  if (e instanceof Error) return `${e.name} [${String((e as { code?: unknown }).code)}]: ${e.message}`;
  return `${typeof e} ${String(e)}`;
}

/** An error as the library must report one: an MqttError with an `MQTT_ERR_*` code. */
function typed(e: unknown): boolean {
  return e instanceof Error && isMqttError(e) && /^MQTT_ERR_[A-Z_]+$/.test(e.code);
}

/** Where a failure happened and how to replay it; every assertion message carries it. */
class Where {
  round = -1;
  input: FuzzInput | undefined;
  connectInput: FuzzInput | undefined;
  /** What the client reported wrongly so far (shown with any failure: it often explains a timeout). */
  problems: string[] = [];
  constructor(
    readonly version: ProtocolVersion,
    readonly client: number,
  ) {}

  message(what: string): string {
    const inputs = [this.input && `input ${describeInput(this.input)}`];
    inputs.push(this.connectInput && `CONNACK replaced by ${describeInput(this.connectInput)}`);
    const at = `MQTTKIT_FUZZ_SEED=${SEED}, MQTT ${this.version}, client ${this.client}, round ${this.round}`;
    const reported = [...this.problems, ...processFailures.map((f) => f.slice(0, f.lastIndexOf(' [')))];
    const also =
      reported.length > 0 && !what.includes(reported[0] as string) ? `; also: ${reported.join('; ')}` : '';
    return `${what}${also} [${at}; ${inputs.filter(Boolean).join('; ') || 'no input yet'}]`;
  }

  check(ok: boolean, what: () => string): void {
    if (!ok) assert.fail(this.message(what()));
  }

  async guard<T>(promise: Promise<T>, what: string, ms = GUARD): Promise<T> {
    try {
      return await within(promise, what, ms);
    } catch (e) {
      assert.fail(this.message(show(e)));
    }
  }
}

/** The outcome of an operation, recorded without awaiting it; a rejection must be a typed error. */
interface Tracked {
  promise: Promise<void>;
  settled: boolean;
  error: unknown;
}

function track(promise: Promise<unknown>, what: string, problems: string[]): Tracked {
  const t: Tracked = { promise: Promise.resolve(), settled: false, error: undefined };
  t.promise = promise.then(
    () => {
      t.settled = true;
    },
    (e: unknown) => {
      t.settled = true;
      t.error = e ?? new Error('rejected with nothing');
      if (!typed(e)) problems.push(`${what} rejected with an untyped error: ${show(e)}`);
    },
  );
  return t;
}

/** What the client reported through its events. */
interface Watch {
  problems: string[];
  disconnects: DisconnectInfo[];
  ending: boolean;
}

function watch(client: MqttClient): Watch {
  const w: Watch = { problems: [], disconnects: [], ending: false };
  const check = (event: string, e: unknown) => {
    if (!typed(e)) w.problems.push(`'${event}' event with an untyped error: ${show(e)}`);
  };
  client.on('error', (e) => check('error', e));
  client.on('connectFailure', (e) => check('connectFailure', e));
  client.on('disconnect', (info) => {
    w.disconnects.push(info);
    check('disconnect', info.error);
    if (!info.willReconnect) w.problems.push(`disconnect without reconnecting: ${show(info.error)}`);
  });
  client.on('close', (e) => {
    if (!w.ending) w.problems.push(`the client ended: ${show(e)}`);
  });
  return w;
}

/** Resolves on the client's next `connect` event; `cancel` removes the listener (no timer to leak). */
function connectEvent(client: MqttClient): { promise: Promise<void>; cancel: () => void } {
  let listener = () => {};
  const promise = new Promise<void>((resolve) => {
    listener = () => {
      client.off('connect', listener);
      resolve();
    };
    client.on('connect', listener);
  });
  return { promise, cancel: () => client.off('connect', listener) };
}

function isPublishTo(topic: string): (p: Packet) => p is PublishPacket {
  return (p): p is PublishPacket => p.type === 'publish' && p.topic === topic;
}

/** Identifiers the test's own messages have or will soon have (the held one and the next few). */
function reservedIds(held: number): Set<number> {
  return new Set(Array.from({ length: 5 }, (_, k) => ((held - 1 + k) % 65_535) + 1));
}

interface Stats {
  rounds: number;
  /** Inputs the client's decoder refuses, and inputs that end in the middle of a packet. */
  decodeErrors: number;
  incomplete: number;
  /** Inputs of acknowledgements in the wrong state. */
  wrongState: number;
  harmless: number;
  reconnected: number;
  connectFuzzed: number;
  connectFuzzConnected: number;
}

/** One client and its current connection at the fake broker, over many rounds. */
class Session {
  sessionPresent = false;
  private constructor(
    readonly fb: FakeBroker,
    readonly client: MqttClient,
    readonly w: Watch,
    readonly v: ProtocolVersion,
    readonly clean: boolean,
    readonly maxPacketSize: number,
    readonly where: Where,
    readonly stats: Stats,
    public conn: FakeConnection,
    public responder: Responder,
  ) {}

  /** A new client with options drawn from `rng`, connected to `fb`. */
  static async open(
    fb: FakeBroker,
    v: ProtocolVersion,
    rng: Rng,
    where: Where,
    stats: Stats,
  ): Promise<Session> {
    const clean = rng.chance(0.5);
    const maxPacketSize = rng.chance(0.3) ? 4_096 : 16 * 1024 * 1024;
    let created: { client: MqttClient; w: Watch } | undefined;
    const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, {
      protocolVersion: v,
      clientId: `fuzz-${v}-${where.client}`,
      clean,
      maxPacketSize,
      connectTimeout: GUARD,
      reconnect: { minDelay: 1, maxDelay: 16, jitter: 0, stableAfter: 0, retryOnRefusal: true },
      ...(v === 5 && !clean ? { sessionExpiryInterval: 600 } : {}),
      ...(v === 5 && rng.chance(0.5) ? { topicAliasMaximum: 8 } : {}),
      // Watched from the start, before it connects.
      onClient: (client) => {
        created = { client, w: watch(client) };
        where.problems = created.w.problems;
        openClients.add(client);
      },
    });
    if (created === undefined) assert.fail(where.message('onClient was not called'));
    const conn = await where.guard(fb.nextConnection(GUARD), 'the first connection');
    await where.guard(conn.expect('connect', GUARD), 'the first CONNECT');
    const responder = accept(conn, v, false);
    await where.guard(connecting, 'connect()');
    return new Session(fb, created.client, created.w, v, clean, maxPacketSize, where, stats, conn, responder);
  }

  async close(): Promise<void> {
    this.w.ending = true;
    await this.where.guard(this.client.end(), 'end()');
    openClients.delete(this.client);
    this.where.check(
      (await this.client.closed()) === undefined,
      () => 'end() closed the client with an error',
    );
    this.checkProblems();
  }

  checkProblems(): void {
    const all = [...this.w.problems, ...processFailures];
    this.where.check(all.length === 0, () => all.join('; '));
  }

  /**
   * The client reconnects: the next connection is accepted, unless (now and then, up to three times) its CONNECT
   * is answered with fuzz bytes instead. True when a fuzzed CONNACK got the client connected on the way (the
   * broker's limits it announced may then have failed the held message, with a typed error).
   */
  async reconnect(rng: Rng): Promise<boolean> {
    const where = this.where;
    let tainted = false;
    for (let attempt = 0; ; attempt++) {
      const conn = await where.guard(this.fb.nextConnection(GUARD), 'the client reconnects');
      await where.guard(conn.expect('connect', GUARD), 'CONNECT on the new connection');
      if (attempt < 3 && rng.chance(0.25)) {
        const input = fuzzInput(rng, this.v);
        const verdict = clientVerdict(input.bytes, this.v, this.maxPacketSize);
        if (verdict.packets.length > 0 || verdict.error !== undefined || verdict.buffered > 0) {
          where.connectInput = input;
          this.stats.connectFuzzed++;
          if (await this.fuzzConnecting(conn, input, verdict)) {
            tainted = true;
            this.stats.connectFuzzConnected++;
          }
          continue;
        }
      }
      const connected = connectEvent(this.client);
      this.sessionPresent = !this.clean && this.v !== 3 && rng.chance(0.5);
      this.responder = accept(conn, this.v, this.sessionPresent);
      this.conn = conn;
      await where.guard(connected.promise, 'the connect event after CONNACK');
      return tainted;
    }
  }

  /** Sends fuzz bytes instead of a CONNACK, then drops the connection. True if the client got connected. */
  private async fuzzConnecting(
    conn: FakeConnection,
    input: FuzzInput,
    verdict: ClientVerdict,
  ): Promise<boolean> {
    const connected = connectEvent(this.client);
    let isConnected = false;
    void connected.promise.then(() => {
      isConnected = true;
    });
    await sendChunks(conn, input.chunks);
    // Packets (or a decoding error) settle the attempt: the client closes, or a fuzzed CONNACK connects it.
    if (verdict.packets.length > 0 || verdict.error !== undefined) {
      await this.where.guard(
        Promise.race([conn.closed, connected.promise]),
        'the client closes or connects after fuzz bytes instead of a CONNACK',
      );
    }
    connected.cancel();
    conn.destroy();
    await this.where.guard(conn.closed, 'the fuzzed connection closes');
    return isConnected;
  }
}

/** One round: traffic, a held QoS 1 message, fuzz bytes, and what the client must do after them. */
async function round(s: Session, rng: Rng): Promise<void> {
  const { client, where, w, v } = s;
  where.input = undefined;
  where.connectInput = undefined;
  where.check(client.connected, () => 'the client is connected at the start of the round');

  // Traffic the broker answers in full.
  const ops: Tracked[] = [];
  if (rng.chance(0.4)) {
    const filter = `fuzz/sub/${rng.int(4)}`;
    ops.push(track(client.subscribe(filter, { qos: rng.pick([0, 1, 2] as const) }), 'subscribe', w.problems));
  }
  if (rng.chance(0.15))
    ops.push(track(client.unsubscribe(`fuzz/sub/${rng.int(4)}`), 'unsubscribe', w.problems));
  for (let k = rng.int(4); k > 0; k--) {
    const qos = rng.pick([0, 1, 2] as const);
    ops.push(track(client.publish('fuzz/pub', `m${k}`, { qos }), `publish QoS ${qos}`, w.problems));
  }
  await where.guard(Promise.all(ops.map((o) => o.promise)), 'the traffic before the fuzz completes');
  where.check(
    ops.every((o) => o.error === undefined),
    () => `an operation before the fuzz failed: ${ops.map((o) => show(o.error)).join(', ')}`,
  );

  // A QoS 1 message whose PUBACK the broker withholds.
  const topic = `fuzz/held/${where.round}`;
  s.responder.withhold = topic;
  const held = track(
    client.publish(topic, `held ${where.round}`, { qos: 1 }),
    'the held publish',
    w.problems,
  );
  const heldPacket = (await where.guard(
    s.responder.seen(isPublishTo(topic)),
    'the held PUBLISH',
  )) as PublishPacket;
  const heldId = heldPacket.packetId as number;
  const reserved = reservedIds(heldId);

  // The fuzz: mostly random and mutated packets; sometimes valid acknowledgements in the wrong state, with a
  // SUBSCRIBE left unanswered for them.
  let input: FuzzInput;
  let pending: Tracked | undefined;
  const wrongState = rng.chance(0.1);
  if (wrongState) {
    s.stats.wrongState++;
    const filter = `fuzz/pending/${where.round}`;
    s.responder.withholdSubscribe = filter;
    pending = track(
      client.subscribe([filter, `${filter}/b`], { qos: 1 }),
      'the pending subscribe',
      w.problems,
    );
    const subscribe = await where.guard(
      s.responder.seen((p) => p.type === 'subscribe' && p.subscriptions[0]?.topicFilter === filter),
      'the pending SUBSCRIBE',
    );
    input = wrongStateInput(rng, v, heldId, (subscribe as { packetId: number }).packetId);
  } else {
    input = fuzzInput(rng, v, reserved);
  }
  where.input = input;
  const verdict = clientVerdict(input.bytes, v, s.maxPacketSize);
  where.check(
    verdict.unexpected === undefined,
    () => `the client's decoder threw ${show(verdict.unexpected)}`,
  );
  // A packet that (after mutation) carries one of the test's identifiers may settle its messages early.
  const collides =
    !wrongState &&
    verdict.packets.some((p) => 'packetId' in p && p.packetId !== undefined && reserved.has(p.packetId));
  const mustSurvive =
    verdict.error === undefined && verdict.buffered === 0 && verdict.packets.every((p) => ACKS.has(p.type));
  const disconnectsBefore = w.disconnects.length;
  const conn = s.conn;
  await s.responder.sendFuzz(input.chunks);

  let probe: Tracked | undefined;
  if (verdict.error !== undefined) {
    s.stats.decodeErrors++;
    await where.guard(conn.closed, `the client closes the connection after ${show(verdict.error)}`);
  } else if (verdict.buffered > 0) {
    // A packet left incomplete: the broker goes away mid-packet.
    s.stats.incomplete++;
    if (rng.chance(0.5)) conn.close();
    else conn.destroy();
    await where.guard(conn.closed, 'the connection closes');
  } else {
    // Either the packets closed the connection (the PUBACK of the probe then never arrives on it), or the
    // client is still connected and the probe completes.
    probe = track(client.publish('fuzz/probe', `probe ${where.round}`, { qos: 1 }), 'the probe', w.problems);
    const alive = await where.guard(
      Promise.race([probe.promise.then(() => true), conn.closed.then(() => false)]),
      'the probe completes or the connection closes',
    );
    if (alive) {
      s.responder.release();
      await where.guard(
        Promise.race([held.promise, conn.closed]),
        'the held message completes once acknowledged',
      );
    }
  }

  if (!conn.isClosed) {
    s.stats.harmless++;
    where.check(client.connected, () => 'the connection is open but the client says it is not connected');
    where.check(w.disconnects.length === disconnectsBefore, () => 'a disconnect event on an open connection');
    where.check(collides || probe?.error === undefined, () => `the probe failed: ${show(probe?.error)}`);
    where.check(collides || held.error === undefined, () => `the held message failed: ${show(held.error)}`);
    if (pending !== undefined) {
      await where.guard(pending.promise, 'the pending subscribe completes on its SUBACK');
      where.check(pending.error === undefined, () => `the pending subscribe failed: ${show(pending?.error)}`);
    }
    s.checkProblems();
    return;
  }
  where.check(
    !mustSurvive,
    () => 'the client dropped the connection over acknowledgements in the wrong state',
  );

  // Closed: the client must report it, reconnect, and resend the held message.
  s.stats.reconnected++;
  const heldSettledEarly = held.settled;
  const tainted = await s.reconnect(rng);
  where.check(
    w.disconnects.length > disconnectsBefore,
    () => 'no disconnect event for the closed connection',
  );
  if (verdict.error !== undefined && verdict.packets.length === 0) {
    // The decoder's own error, with its reason code; an MQTT 5 broker is told with DISCONNECT.
    const first = w.disconnects[disconnectsBefore]?.error as
      | { code?: string; reasonCode?: number }
      | undefined;
    where.check(
      first?.code === 'MQTT_ERR_PROTOCOL' && first.reasonCode === verdict.error.reasonCode,
      () => `disconnect reported ${show(first)}, expected ${show(verdict.error)}`,
    );
    where.check(
      v !== 5 ||
        conn.received.some((p) => p.type === 'disconnect' && p.reasonCode === verdict.error?.reasonCode),
      () => `no DISCONNECT 0x${verdict.error?.reasonCode.toString(16)} from the client`,
    );
  }
  if (!heldSettledEarly && !tainted) {
    const resent = (await where.guard(
      s.responder.seen(isPublishTo(topic)),
      'the held message is resent',
    )) as PublishPacket;
    if (s.sessionPresent) {
      where.check(
        resent.dup && resent.packetId === heldId,
        () => `resent with dup ${resent.dup}, id ${resent.packetId}; expected DUP and id ${heldId}`,
      );
    }
  }
  await where.guard(held.promise, 'the held message completes after the reconnect');
  where.check(
    held.error === undefined || ((collides || tainted) && typed(held.error)),
    () => `the held message failed: ${show(held.error)}`,
  );
  if (pending !== undefined) {
    await where.guard(pending.promise, 'the pending subscribe completes after the reconnect');
    where.check(pending.error === undefined, () => `the pending subscribe failed: ${show(pending?.error)}`);
  }
  if (probe !== undefined) {
    await where.guard(probe.promise, 'the probe completes after the reconnect');
    where.check(
      probe.error === undefined || ((collides || tainted) && typed(probe.error)),
      () => `the probe failed: ${show(probe?.error)}`,
    );
  }
  s.checkProblems();
}

describe(`client fuzzing against a scripted broker (MQTTKIT_FUZZ_SEED=${SEED})`, () => {
  let fb: FakeBroker;

  before(() => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });

  after(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  beforeEach(async () => {
    processFailures.length = 0;
    fb = await startFakeBroker({ timeout: GUARD });
  });

  // After a failure the client may still be reconnecting: it goes, with the broker, before the next test.
  afterEach(async () => {
    const left = [...openClients];
    openClients.clear();
    for (const c of left) c.destroy();
    await within(Promise.all(left.map((c) => c.closed())), 'leftover clients close', GUARD);
    await fb.close();
  });

  for (const v of [3, 4, 5] as const) {
    const rounds = ROUNDS[v];
    const name = `client – MQTT ${v === 3 ? '3.1' : v === 4 ? '3.1.1' : '5'}: ${rounds} rounds of fuzz bytes from the broker`;
    test(`${name} (MQTTKIT_FUZZ_SEED=${SEED})`, {
      timeout: 120_000,
    }, async (t) => {
      const stats: Stats = {
        rounds: 0,
        decodeErrors: 0,
        incomplete: 0,
        wrongState: 0,
        harmless: 0,
        reconnected: 0,
        connectFuzzed: 0,
        connectFuzzConnected: 0,
      };
      for (let c = 0; c * ROUNDS_PER_CLIENT < rounds; c++) {
        const where = new Where(v, c);
        current = where;
        const s = await Session.open(fb, v, new Rng(mix32(SEED ^ mix32(v * 7919 + c))), where, stats);
        for (let r = c * ROUNDS_PER_CLIENT; r < Math.min(rounds, (c + 1) * ROUNDS_PER_CLIENT); r++) {
          where.round = r;
          try {
            await round(s, new Rng(mix32(SEED ^ mix32(v * 1_000_003 + r))));
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            assert.fail(where.message(`the round threw: ${e instanceof Error ? e.stack : String(e)}`));
          }
          stats.rounds++;
        }
        await s.close();
      }
      t.diagnostic(`MQTTKIT_FUZZ_SEED=${SEED} MQTT ${v}: ${JSON.stringify(stats)}`);
      const seed = `MQTTKIT_FUZZ_SEED=${SEED}`;
      assert.equal(stats.rounds, rounds, `${seed}: every round ran`);
      if (rounds >= 100) {
        assert.ok(stats.harmless > 0, `${seed}: some inputs were harmless (${JSON.stringify(stats)})`);
        assert.ok(
          stats.reconnected > 0,
          `${seed}: some inputs broke the connection (${JSON.stringify(stats)})`,
        );
        assert.ok(stats.connectFuzzed > 0, `${seed}: some CONNACKs were fuzzed (${JSON.stringify(stats)})`);
      }
    });
  }
});
