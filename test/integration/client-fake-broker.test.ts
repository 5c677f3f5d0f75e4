// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client against a scripted fake broker (and a fault-injecting proxy): the behaviour a real broker such as
// Mosquitto will not provoke — odd CONNACKs, refusals on reconnect, duplicate and unknown acknowledgements,
// malformed bytes, silence, half-open connections. Every step waits for a packet or an event, never for time.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { MqttClient } from '../../src/client/client.js';
import type { ClientEvents } from '../../src/client/events.js';
import type { Message } from '../../src/client/message.js';
import { connect, type NodeClientOptions } from '../../src/connect.js';
import {
  ClientClosedError,
  ConnackError,
  ConnectionError,
  ProtocolError,
  PublishError,
  TimeoutError,
} from '../../src/errors.js';
import type { ConnackPacket, ConnectPacket } from '../../src/packet/index.js';
import {
  type FakeBroker,
  type FakeConnection,
  publishPacket,
  startFakeBroker,
} from '../helpers/fake-broker.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';

const T = { timeout: 10_000 };
const FAST = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;
const decoder = new TextDecoder();

let fb: FakeBroker;
let clients: MqttClient[] = [];
let proxies: FaultProxy[] = [];
let syncs = 0;

beforeEach(
  async () => {
    fb = await startFakeBroker();
  },
  { timeout: 5_000 },
);

// Bounded, so that a client that never closes fails the run instead of hanging it.
afterEach(
  async () => {
    const open = clients;
    const started = proxies;
    clients = [];
    proxies = [];
    for (const c of open) c.destroy();
    await Promise.all(open.map((c) => c.closed()));
    await Promise.all(started.map((p) => p.close()));
    await fb.close();
  },
  { timeout: 5_000 },
);

/** Starts `connect()` towards the fake broker (or `port`); reconnect is off unless asked for. */
function open(options: NodeClientOptions = {}, port = fb.port) {
  let client = undefined as MqttClient | undefined;
  const connecting = connect(`mqtt://127.0.0.1:${port}`, {
    reconnect: false,
    ...options,
    onClient: (c) => {
      client = c;
      clients.push(c);
    },
  });
  if (client === undefined) throw new Error('onClient was not called');
  return { client, connecting };
}

/** Takes the CONNECT of `conn` and answers it with a CONNACK (accepting by default). */
async function accept(conn: FakeConnection, connack: Partial<ConnackPacket> = {}): Promise<ConnectPacket> {
  const packet = await conn.expect('connect');
  conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0, ...connack });
  return packet;
}

/** `n` as 4 big-endian bytes. */
function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** A connected client and its connection at the fake broker. */
async function connected(options: NodeClientOptions = {}, connack: Partial<ConnackPacket> = {}) {
  const { client, connecting } = open(options);
  const conn = await fb.nextConnection();
  const connectPacket = await accept(conn, connack);
  const connectInfo = (await connecting).connectInfo;
  return { client, conn, connectPacket, connectInfo };
}

/**
 * A round trip that orders the stream: the client subscribes, and the next packet the broker reads must be that
 * SUBSCRIBE — anything the client wrote before it (a PUBLISH beyond the window, a PUBREL) would come first.
 */
async function barrier(client: MqttClient, conn: FakeConnection): Promise<void> {
  const topic = `sync/${++syncs}`;
  const subscribed = client.subscribe(topic);
  const s = await conn.expect('subscribe');
  assert.equal(s.subscriptions[0]?.topicFilter, topic);
  conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [0] });
  await subscribed;
}

type EventArg<K extends string> = Parameters<ClientEvents[K]>[0];

/** The next `event` of `client`; rejects after `timeoutMs` (an upper bound, not a synchronisation). */
function nextEvent<K extends 'connect' | 'disconnect' | 'message' | 'reconnecting' | 'close'>(
  client: MqttClient,
  event: K,
  timeoutMs = 3_000,
): Promise<EventArg<K>> {
  return new Promise((resolve, reject) => {
    const listener = ((arg: EventArg<K>) => {
      clearTimeout(timer);
      client.off(event, listener);
      resolve(arg);
    }) as ClientEvents[K];
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on(event, listener);
  });
}

/** `client.closed()`, failing after `timeoutMs` (an upper bound) rather than waiting for ever. */
async function closedWithin(client: MqttClient, timeoutMs = 3_000): Promise<Error | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the client did not close within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([client.closed(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records a promise's outcome without awaiting it. */
function track<V>(promise: Promise<V>) {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

function packetId(p: { packetId?: number | undefined }): number {
  assert.ok(p.packetId !== undefined && p.packetId > 0, 'a packet identifier');
  return p.packetId;
}

/** Active TCP sockets and timers (the resources that would keep the process alive). */
function liveHandles(): { tcp: number; timeout: number } {
  const info = process.getActiveResourcesInfo();
  return {
    tcp: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWrap').length,
    timeout: info.filter((r) => r === 'Timeout').length,
  };
}

/** Asserts that no TCP socket or timer is left over compared with `before`. */
function assertNoNewHandles(before: { tcp: number; timeout: number }): void {
  const now = liveHandles();
  assert.ok(
    now.tcp <= before.tcp && now.timeout <= before.timeout,
    `handles grew from ${JSON.stringify(before)} to ${JSON.stringify(now)}: ${process.getActiveResourcesInfo().join(', ')}`,
  );
}

/** Fails when nothing connects to the fake broker within `ms` (the deadline bounds the wait, nothing more). */
async function assertNoNewConnection(ms: number): Promise<void> {
  await assert.rejects(fb.nextConnection(ms), /no client connection within/);
}

describe('client against a fake broker', () => {
  test(
    'client – aborting a publish whose message still waits in the queue withdraws it: it is never sent',
    T,
    async () => {
      const { client, conn } = await connected({ protocolVersion: 5, maxInflight: 1 });
      const first = client.publish('ab/t', 'first', { qos: 1 });
      const stop = new AbortController();
      const second = client.publish('ab/t', 'second', { qos: 1, signal: stop.signal });
      const third = client.publish('ab/t', 'third', { qos: 1 });
      const p1 = await conn.expect('publish');
      stop.abort(new Error('no longer wanted'));
      await assert.rejects(second, /no longer wanted/, 'the promise rejects with the abort’s reason');
      conn.send({ type: 'puback', packetId: packetId(p1), reasonCode: 0 });
      const p2 = await conn.expect('publish');
      assert.equal(decoder.decode(p2.payload), 'third', 'the withdrawn message is skipped');
      conn.send({ type: 'puback', packetId: packetId(p2), reasonCode: 0 });
      await Promise.all([first, third]);
      await barrier(client, conn);
      assert.equal(
        conn.received.filter((p) => p.type === 'publish').length,
        2,
        'the withdrawn message never reached the broker',
      );
    },
  );

  test(
    'client – QoS 0 into a broker that stopped reading: the queue bounds what waits, the rest is refused, nothing accepted is lost',
    T,
    async () => {
      const maxQueued = 50;
      const { client, conn } = await connected({ protocolVersion: 4, keepAlive: 0, maxQueued });
      conn.pause(); // the broker stops reading: the socket's buffers fill up
      const payload = new Uint8Array(10_000);
      const accepted: number[] = [];
      let refused = 0;
      const settled: Promise<void>[] = [];
      for (let i = 0; i < 2_000; i++) {
        settled.push(
          client.publish('bp/t', new Uint8Array([...payload.subarray(0, 9_996), ...u32(i)])).then(
            () => {
              accepted.push(i);
            },
            (e: Error) => {
              assert.equal(e.name, 'QueueFullError', `only a full queue may refuse, got ${e.name}`);
              refused++;
            },
          ),
        );
      }
      // What the queue cannot hold is refused at once (the socket reports its buffer full at 1 MiB, about a hundred
      // of these, all written in this one corked turn), so the refusals have settled by the next turn.
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(refused >= 1_500, `most of 2,000 × 10 KB must be refused, not buffered: ${refused} refused`);
      conn.resume();
      await Promise.all(settled);
      // Every message accepted (resolved) reaches the broker, in order.
      const got: number[] = [];
      while (got.length < accepted.length) {
        const p = await conn.expect('publish');
        got.push(new DataView(p.payload.buffer, p.payload.byteOffset + 9_996).getUint32(0));
      }
      assert.deepEqual(got, accepted, 'the accepted messages arrive, all of them, in order');
      assert.equal(accepted.length + refused, 2_000);
    },
  );

  test(
    'client – a SUBSCRIBE over the broker’s Maximum Packet Size rejects its promise; the client stays usable',
    T,
    async () => {
      const { client, conn } = await connected(
        { protocolVersion: 5 },
        { properties: { maximumPacketSize: 200 } },
      );
      let result: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        result = client.subscribe('a'.repeat(500), { qos: 1 });
      }, 'subscribe() must report by its promise, never throw');
      await assert.rejects(result as Promise<unknown>, { name: 'PacketTooLargeError' });
      await assert.rejects(client.unsubscribe('b'.repeat(500)), { name: 'PacketTooLargeError' });
      // The connection and the client work on.
      const ok = client.subscribe('small', { qos: 1 });
      const sub = await conn.expect('subscribe');
      assert.deepEqual(
        sub.subscriptions.map((x) => x.topicFilter),
        ['small'],
        'only the subscription that fits goes out',
      );
      conn.send({ type: 'suback', packetId: packetId(sub), reasonCodes: [1] });
      await ok;
      assert.equal(client.connected, true, 'still connected');
    },
  );

  test(
    'client – Receive Maximum 1 from the broker: one QoS 1 PUBLISH in flight at a time, resolved in order',
    T,
    async () => {
      const { client, conn, connectInfo } = await connected(
        { protocolVersion: 5 },
        { properties: { receiveMaximum: 1 } },
      );
      assert.equal(connectInfo.properties?.receiveMaximum, 1);
      const resolved: number[] = [];
      const publishes = [1, 2, 3].map((i) =>
        client.publish('rm/t', `m${i}`, { qos: 1 }).then((r) => {
          resolved.push(i);
          return r;
        }),
      );
      const ids: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const p = await conn.expect('publish');
        assert.equal(decoder.decode(p.payload), `m${i}`);
        assert.equal(p.qos, 1);
        // No second PUBLISH may be on the wire before this one is acknowledged.
        await barrier(client, conn);
        assert.deepEqual(resolved, [1, 2, 3].slice(0, i - 1));
        ids.push(packetId(p));
        conn.send({ type: 'puback', packetId: packetId(p), reasonCode: 0 });
      }
      const results = await Promise.all(publishes);
      assert.deepEqual(resolved, [1, 2, 3]);
      assert.deepEqual(
        results.map((r) => r.packetId),
        ids,
      );
      assert.equal(conn.received.filter((p) => p.type === 'publish').length, 3);
    },
  );

  test(
    'client – unacknowledged QoS 1 PUBLISH stays pending, then is resent with DUP and the same id after reconnect',
    T,
    async () => {
      const { client, conn } = await connected({
        protocolVersion: 5,
        clean: false,
        sessionExpiryInterval: 300,
        reconnect: FAST,
      });
      const pending = track(client.publish('dup/t', 'once', { qos: 1 }));
      const first = await conn.expect('publish');
      assert.equal(first.dup, false);
      // Other traffic flows while it waits.
      await client.publish('dup/t', 'qos0');
      assert.equal((await conn.expect('publish')).qos, 0);
      await barrier(client, conn);
      assert.equal(pending.settled, false, 'no PUBACK yet, so the publish is still pending');

      const reconnected = nextEvent(client, 'connect');
      conn.destroy();
      const conn2 = await fb.nextConnection();
      const connect2 = await accept(conn2, { sessionPresent: true });
      assert.equal(connect2.clean, false);
      assert.equal((await reconnected).sessionPresent, true);
      const again = await conn2.expect('publish');
      assert.equal(again.dup, true, 'a resent PUBLISH carries DUP [MQTT-3.3.1-1]');
      assert.equal(again.packetId, first.packetId);
      assert.equal(decoder.decode(again.payload), 'once');
      assert.equal(pending.settled, false);
      conn2.send({ type: 'puback', packetId: packetId(again), reasonCode: 0 });
      const result = await pending.promise;
      assert.equal(result.packetId, first.packetId);
      assert.equal(result.reasonCode, 0);
    },
  );

  test('client – PUBREC 0x80 fails the QoS 2 publish with PublishError and sends no PUBREL', T, async () => {
    const { client, conn } = await connected({ protocolVersion: 5 });
    const publishing = client.publish('q2/t', 'refused', { qos: 2 });
    const p = await conn.expect('publish');
    conn.send({ type: 'pubrec', packetId: packetId(p), reasonCode: 0x80 });
    await assert.rejects(publishing, (e: unknown) => {
      assert.ok(e instanceof PublishError, `expected PublishError, got ${String(e)}`);
      assert.equal(e.reasonCode, 0x80);
      return true;
    });
    await barrier(client, conn);
    assert.ok(!conn.received.some((x) => x.type === 'pubrel'), 'no PUBREL after a failed PUBREC');
  });

  test('client – Server Keep Alive from CONNACK replaces the requested keep-alive', T, async () => {
    const { conn, connectPacket, connectInfo } = await connected(
      { protocolVersion: 5, keepAlive: 60 },
      { properties: { serverKeepAlive: 1 } },
    );
    const start = Date.now();
    assert.equal(connectPacket.keepAlive, 60);
    assert.equal(connectInfo.properties?.serverKeepAlive, 1);
    await conn.expect('pingreq', 2_500);
    const elapsed = Date.now() - start;
    assert.ok(elapsed < 1_600, `PINGREQ after ${elapsed} ms, expected about 1,000`);
    conn.send({ type: 'pingresp' });
  });

  test(
    'client – malformed packet from the broker (PUBLISH with QoS 3): DISCONNECT 0x81 and ProtocolError',
    T,
    async () => {
      const { client, conn } = await connected({ protocolVersion: 5 });
      const disconnected = nextEvent(client, 'disconnect');
      // PUBLISH, flags 0110 (QoS 3), topic "t", packet id 1.
      conn.sendRaw(Uint8Array.of(0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01));
      const d = await conn.expect('disconnect');
      assert.equal(d.reasonCode, 0x81);
      const info = await disconnected;
      assert.ok(info.error instanceof ProtocolError, `expected ProtocolError, got ${String(info.error)}`);
      assert.equal(info.error.reasonCode, 0x81);
      assert.equal(info.willReconnect, false);
      const error = await closedWithin(client);
      assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
      assert.equal(error.reasonCode, 0x81);
      await conn.closed;
    },
  );

  test(
    'client – CONNACK with Session Present on a clean start: DISCONNECT 0x82 and ProtocolError',
    T,
    async () => {
      const { connecting } = open({ protocolVersion: 5 });
      const conn = await fb.nextConnection();
      const c = await accept(conn, { sessionPresent: true });
      assert.equal(c.clean, true);
      const d = await conn.expect('disconnect');
      assert.equal(d.reasonCode, 0x82);
      await assert.rejects(connecting, (e: unknown) => {
        assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`);
        assert.equal(e.reasonCode, 0x82);
        return true;
      });
      await conn.closed;
    },
  );

  test(
    'client – CONNACK 0x86 (bad user name or password) rejects connect and is not retried',
    T,
    async () => {
      const { client, connecting } = open({
        protocolVersion: 5,
        reconnect: FAST,
        username: 'u',
        password: 'p',
      });
      let reconnecting = 0;
      client.on('reconnecting', () => reconnecting++);
      const conn = await fb.nextConnection();
      await accept(conn, { reasonCode: 0x86 });
      await assert.rejects(connecting, (e: unknown) => {
        assert.ok(e instanceof ConnackError, `expected ConnackError, got ${String(e)}`);
        assert.equal(e.reasonCode, 0x86);
        return true;
      });
      const ended = await closedWithin(client);
      assert.ok(ended instanceof ConnackError, `closed() gave ${String(ended)}`);
      // A reconnect would come after FAST.minDelay (10 ms); give it many times that.
      await assertNoNewConnection(200);
      assert.equal(fb.connections.length, 1);
      assert.equal(reconnecting, 0);
    },
  );

  test('client – CONNACK 0x86 on a reconnect ends the client instead of retrying', T, async () => {
    const { client, conn } = await connected({ protocolVersion: 5, reconnect: FAST });
    const delays: number[] = [];
    client.on('reconnecting', (i) => delays.push(i.delay));
    conn.destroy();
    const conn2 = await fb.nextConnection();
    await accept(conn2, { reasonCode: 0x86 });
    const error = await closedWithin(client);
    assert.ok(error instanceof ConnackError, `expected ConnackError, got ${String(error)}`);
    assert.equal(error.reasonCode, 0x86);
    await assertNoNewConnection(200);
    assert.equal(fb.connections.length, 2);
    assert.deepEqual(delays, [10], 'only the reconnect after the drop');
  });

  test(
    'client – CONNACK 0x88 (server unavailable) on reconnect is retried with growing backoff',
    T,
    async () => {
      const backoff = { minDelay: 10, maxDelay: 80, jitter: 0 };
      const { client, conn } = await connected({ protocolVersion: 5, reconnect: backoff });
      const delays: number[] = [];
      const failures: Error[] = [];
      client.on('reconnecting', (i) => delays.push(i.delay));
      client.on('connectFailure', (e) => failures.push(e));
      conn.destroy();
      for (let i = 0; i < 4; i++) {
        const c = await fb.nextConnection();
        await accept(c, { reasonCode: 0x88 });
        await c.closed;
      }
      const reconnected = nextEvent(client, 'connect');
      await accept(await fb.nextConnection());
      await reconnected;
      assert.equal(client.connected, true);
      assert.deepEqual(delays, [10, 20, 40, 80, 80]);
      assert.equal(failures.length, 4);
      for (const f of failures) {
        assert.ok(f instanceof ConnackError, `expected ConnackError, got ${String(f)}`);
        assert.equal(f.reasonCode, 0x88);
      }
    },
  );

  test('client – inbound QoS 2 is delivered exactly once despite a DUP resend before PUBREL', T, async () => {
    const { client, conn } = await connected({ protocolVersion: 5 });
    const got: Message[] = [];
    client.on('message', (m) => got.push(m));
    const pub = publishPacket('q2/in', 'once', { qos: 2, packetId: 7 });
    conn.send(pub);
    const rec1 = await conn.expect('pubrec');
    assert.deepEqual([rec1.packetId, rec1.reasonCode], [7, 0]);
    conn.send({ ...pub, dup: true });
    const rec2 = await conn.expect('pubrec');
    assert.deepEqual([rec2.packetId, rec2.reasonCode], [7, 0]);
    assert.equal(got.length, 1, 'the DUP resend is acknowledged but not delivered again');
    conn.send({ type: 'pubrel', packetId: 7, reasonCode: 0 });
    const comp = await conn.expect('pubcomp');
    assert.deepEqual([comp.packetId, comp.reasonCode], [7, 0]);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.topic, 'q2/in');
    assert.equal(got[0]?.text(), 'once');
    // The flow is complete, so identifier 7 is free: the next PUBLISH with it is a new message.
    conn.send(publishPacket('q2/in', 'next', { qos: 2, packetId: 7 }));
    await conn.expect('pubrec');
    assert.deepEqual(
      got.map((m) => m.text()),
      ['once', 'next'],
    );
  });

  test('client – PUBREL for an unknown packet id is answered with PUBCOMP 0x92', T, async () => {
    const { client, conn } = await connected({ protocolVersion: 5 });
    conn.send({ type: 'pubrel', packetId: 4242, reasonCode: 0 });
    const comp = await conn.expect('pubcomp');
    assert.equal(comp.packetId, 4242);
    assert.equal(comp.reasonCode, 0x92);
    assert.equal(client.connected, true);
  });

  test('client – inbound Receive Maximum 1 exceeded by the broker: DISCONNECT 0x93', T, async () => {
    const { client, conn, connectPacket } = await connected({
      protocolVersion: 5,
      properties: { receiveMaximum: 1 },
    });
    assert.equal(connectPacket.properties?.receiveMaximum, 1);
    conn.send(publishPacket('rm/in', 'a', { qos: 2, packetId: 1 }));
    conn.send(publishPacket('rm/in', 'b', { qos: 2, packetId: 2 }));
    const rec = await conn.expect('pubrec');
    assert.equal(rec.packetId, 1);
    const d = await conn.expect('disconnect');
    assert.equal(d.reasonCode, 0x93);
    const error = await closedWithin(client);
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
    assert.equal(error.reasonCode, 0x93);
  });

  test(
    'client – protocol auto-fallback: a 3.1.1 CONNACK refusing v5 makes the client retry with v4',
    T,
    async () => {
      const { connecting } = open();
      const c1 = await fb.nextConnection();
      assert.equal((await c1.expect('connect')).protocolVersion, 5);
      // What a 3.1.1-only broker answers: return code 1, unacceptable protocol version, no properties.
      c1.sendRaw(Uint8Array.of(0x20, 0x02, 0x00, 0x01));
      const c2 = await fb.nextConnection();
      const connect2 = await accept(c2);
      assert.equal(connect2.protocolVersion, 4);
      const client = await connecting;
      assert.equal(client.protocolVersion, 4);
      assert.equal(client.connectInfo.protocolVersion, 4);
      await c1.closed;
      // The connection really speaks 3.1.1 now: a QoS 1 flow in v4 encoding (PUBACK without reason code).
      const publishing = client.publish('fallback/t', 'v4', { qos: 1 });
      const p = await c2.expect('publish');
      assert.equal(p.properties, undefined);
      c2.send({ type: 'puback', packetId: packetId(p), reasonCode: 0 });
      assert.equal((await publishing).packetId, p.packetId);
    },
  );

  test('client – connect timeout: no CONNACK rejects with TimeoutError', T, async () => {
    const start = Date.now();
    const { connecting } = open({ connectTimeout: 200, reconnect: false });
    const conn = await fb.nextConnection();
    await conn.expect('connect');
    await assert.rejects(connecting, TimeoutError);
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 150 && elapsed < 2_000, `rejected after ${elapsed} ms`);
    await conn.closed;
    assert.equal(fb.connections.length, 1);
  });

  test(
    'client – half-open connection through the proxy: keep-alive timeout, then reconnect after restore',
    T,
    async () => {
      const proxy = await startFaultProxy(fb.port);
      proxies.push(proxy);
      const { client, connecting } = open(
        { protocolVersion: 5, keepAlive: 1, pingTimeout: 300, reconnect: FAST },
        proxy.port,
      );
      const conn = await fb.nextConnection();
      await accept(conn);
      await connecting;
      const disconnects: unknown[] = [];
      client.on('disconnect', (i) => disconnects.push(i));

      // A slow but live link: each way 100 ms, a round trip under the 300 ms ping timeout.
      proxy.delay(100);
      await conn.expect('pingreq', 2_500);
      conn.send({ type: 'pingresp' });
      // Had the delayed PINGRESP not counted, the client would have dropped the link before its next PINGREQ.
      await conn.expect('pingreq', 2_500);
      assert.equal(disconnects.length, 0);
      proxy.delay(0);
      conn.send({ type: 'pingresp' });

      const disconnected = nextEvent(client, 'disconnect', 4_000);
      proxy.blackhole();
      const info = await disconnected;
      assert.ok(info.error instanceof TimeoutError, `got ${String(info.error)}`);
      assert.equal(info.willReconnect, true);

      const reconnected = nextEvent(client, 'connect');
      proxy.restore();
      const conn2 = await fb.nextConnection();
      await accept(conn2);
      await reconnected;
      assert.equal(client.connected, true);
    },
  );

  test(
    'client – a PUBLISH cut mid-packet is not delivered; the next connection decodes from a clean state',
    T,
    async () => {
      const proxy = await startFaultProxy(fb.port);
      proxies.push(proxy);
      const { client, connecting } = open({ protocolVersion: 5, reconnect: FAST }, proxy.port);
      const conn = await fb.nextConnection();
      await accept(conn);
      await connecting;
      const got: string[] = [];
      client.on('message', (m) => got.push(m.text()));

      const disconnected = nextEvent(client, 'disconnect');
      const cut = proxy.cutMidPacket();
      conn.send(publishPacket('cut/t', 'x'.repeat(200)));
      await cut;
      const info = await disconnected;
      assert.ok(info.error === undefined || info.error instanceof ConnectionError, String(info.error));
      assert.equal(info.willReconnect, true);

      const reconnected = nextEvent(client, 'connect');
      const conn2 = await fb.nextConnection();
      await accept(conn2);
      await reconnected;
      const message = nextEvent(client, 'message');
      conn2.send(publishPacket('cut/t', 'whole'));
      assert.equal((await message).text(), 'whole');
      assert.deepEqual(got, ['whole']);
    },
  );

  test(
    'client – end() sends DISCONNECT, fails pending publishes with ClientClosedError and leaves no handles',
    T,
    async () => {
      const before = liveHandles();
      const { client, conn } = await connected({ protocolVersion: 5 });
      const pending = assert.rejects(client.publish('end/t', 'never acked', { qos: 1 }), ClientClosedError);
      await conn.expect('publish');
      await client.end();
      const d = await conn.expect('disconnect');
      assert.equal(d.reasonCode, 0);
      await pending;
      await assert.rejects(client.publish('end/t', 'late'), ClientClosedError);
      assert.equal(await closedWithin(client), undefined);
      assert.equal(client.connected, false);
      await conn.closed;
      assertNoNewHandles(before);
    },
  );

  test('client – destroy() closes without DISCONNECT and leaves no handles', T, async () => {
    const before = liveHandles();
    const { client, conn } = await connected({ protocolVersion: 5 });
    const pending = assert.rejects(client.publish('destroy/t', 'never acked', { qos: 1 }), ClientClosedError);
    await conn.expect('publish');
    client.destroy();
    await conn.closed;
    assert.ok(!conn.received.some((p) => p.type === 'disconnect'), 'no DISCONNECT on destroy()');
    assert.equal(await closedWithin(client), undefined);
    await pending;
    assertNoNewHandles(before);
  });

  test('client – end() while waiting to reconnect cancels the reconnect timer', T, async () => {
    const before = liveHandles();
    const { client, conn } = await connected({
      protocolVersion: 5,
      reconnect: { minDelay: 60_000, maxDelay: 60_000, jitter: 0 },
    });
    const waiting = nextEvent(client, 'reconnecting');
    conn.destroy();
    assert.equal((await waiting).delay, 60_000);
    await client.end();
    assert.equal(await closedWithin(client), undefined);
    await conn.closed;
    assertNoNewHandles(before);
    await assertNoNewConnection(50);
  });
});
