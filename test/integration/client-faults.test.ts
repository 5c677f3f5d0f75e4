// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client against a real Mosquitto through a fault-injecting proxy: QoS 1 and 2 flows cut while in flight,
// connections cut in the middle of a packet, and a half-open connection found by the keep-alive.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { type Message, type PublishResult, TimeoutError } from '../../src/node.js';
import {
  ClientPool,
  clientId,
  nextEvent,
  persistent,
  take,
  topicPrefix,
  within,
} from '../helpers/clients.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';

const T = { timeout: 15_000 };
const QUICK_RECONNECT = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;
/** Reads `inbox` until a message with payload `last` arrives; returns the payloads before it. */
async function until(inbox: AsyncIterator<Message>, last: string): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const [m] = await take(inbox, 1, 10_000);
    const text = m?.text();
    if (text === last) return got;
    got.push(text ?? '');
  }
}

describe('client faults', () => {
  let broker: Broker;
  let proxy: FaultProxy;
  let directUrl: string;
  let proxyUrl: string;
  const pool = new ClientPool();
  const prefix = topicPrefix('faults');

  before(async () => {
    broker = await startBroker();
    proxy = await startFaultProxy(broker.ports.tcp);
    directUrl = `mqtt://${broker.host}:${broker.ports.tcp}`;
    proxyUrl = `mqtt://127.0.0.1:${proxy.port}`;
  });
  afterEach(async () => {
    proxy.restore();
    proxy.delay(0);
    await pool.cleanup();
    proxy.drop();
  });
  after(async () => {
    await pool.cleanup();
    await proxy?.close();
    await broker?.stop();
  });

  /** A subscriber connected directly (never cut), with a persistent session, reading `topic` at `qos`. */
  async function directSubscriber(topic: string, qos: 1 | 2) {
    const sub = await pool.connect(directUrl, {
      ...persistent(5),
      clientId: clientId('sub'),
      reconnect: false,
    });
    const handle = await sub.subscribe(topic, { qos, bufferSize: 10_000 });
    return handle[Symbol.asyncIterator]();
  }

  const COUNT = 200;
  const flows = [
    [2, 5],
    [2, 4],
    [2, 3],
    [1, 5],
    [1, 4],
  ] as const;
  for (const [qos, version] of flows) {
    const once = qos === 2 ? 'exactly once' : 'at least once';
    test(
      `client – v${version} QoS ${qos}: ${COUNT} publications with connections dropped mid-flow all complete and arrive ${once}`,
      T,
      async () => {
        const topic = `${prefix}/inflight/q${qos}/v${version}`;
        const inbox = await directSubscriber(topic, qos);
        const pub = await pool.connect(proxyUrl, {
          ...persistent(version),
          clientId: clientId(`pub${version}`),
          maxInflight: 20,
          reconnect: QUICK_RECONNECT,
        });
        let completed = 0;
        let connects = 0;
        pub.on('connect', () => connects++);
        // Cut every connection while 20 flows are open, three times.
        const cutAt = new Set([30, 80, 130]);
        pub.on('publish', () => {
          if (cutAt.has(++completed)) proxy.drop();
        });
        const results = await within(
          Promise.all(
            Array.from(
              { length: COUNT },
              (_, i): Promise<PublishResult> => pub.publish(topic, String(i), { qos }),
            ),
          ),
          `${COUNT} publications`,
          12_000,
        );
        assert.equal(connects, 3, 'three reconnections');
        assert.ok(results.every((r) => r.reasonCode === 0 && r.packetId !== undefined));
        assert.equal(completed, COUNT, 'each publication completed once');

        // Published after every flow completed: everything forwarded for the 200 reaches the subscriber before it.
        await pub.publish(topic, 'end', { qos });
        const got = await until(inbox, 'end');
        const all = Array.from({ length: COUNT }, (_, i) => String(i));
        assert.deepEqual([...new Set(got)].sort(), [...all].sort(), 'every message arrived');
        if (qos === 2) {
          const dups = got.filter((t, i) => got.indexOf(t) !== i);
          assert.deepEqual(dups, [], 'no message arrived twice');
        }
      },
    );
  }

  test(
    'client – a connection cut in the middle of a large QoS 2 message: the message is delivered once, intact, after reconnecting',
    T,
    async () => {
      const topic = `${prefix}/cut/receive`;
      const sub = await pool.connect(proxyUrl, {
        ...persistent(5),
        clientId: clientId('cut-sub'),
        reconnect: QUICK_RECONNECT,
      });
      const inbox = sub.messages();
      await sub.subscribe(topic, { qos: 2 });
      const pub = await pool.connect(directUrl, { reconnect: false });
      const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

      const reconnected = nextEvent(sub, 'connect');
      const cut = proxy.cutMidPacket();
      await pub.publish(topic, big, { qos: 2 });
      await within(cut, 'the cut');
      const [info] = await reconnected;
      assert.equal(info.sessionPresent, true);

      const [m] = (await take(inbox, 1)) as [Message];
      assert.equal(m.topic, topic);
      assert.equal(m.payload.length, big.length);
      assert.ok(Buffer.from(m.payload).equals(big), 'the payload arrived intact');
      await pub.publish(topic, 'after', { qos: 2 });
      assert.deepEqual(await until(inbox, 'after'), [], 'delivered once');
    },
  );

  test(
    'client – a connection cut in the middle of a PUBACK: the publication is resent and its promise resolves once',
    T,
    async () => {
      const topic = `${prefix}/cut/ack`;
      const inbox = await directSubscriber(topic, 1);
      const pub = await pool.connect(proxyUrl, {
        ...persistent(4),
        clientId: clientId('cut-pub'),
        reconnect: QUICK_RECONNECT,
      });
      let events = 0;
      pub.on('publish', () => events++);
      const reconnected = nextEvent(pub, 'connect');
      const cut = proxy.cutMidPacket();
      const result = pub.publish(topic, 'once', { qos: 1 });
      await within(cut, 'the cut');
      // The first half of the PUBACK must not confuse the decoder on the next connection.
      const [info] = await reconnected;
      assert.equal(info.sessionPresent, true);
      const r = await within(result, 'the publication');
      assert.equal(r.reasonCode, 0);
      assert.equal(events, 1);
      await pub.publish(topic, 'end', { qos: 1 });
      const got = await until(inbox, 'end');
      assert.ok(got.length >= 1 && got.every((t) => t === 'once'), `got ${got}`);
    },
  );

  test(
    'client – a half-open connection is detected by the keep-alive (TimeoutError), and the client reconnects by itself',
    T,
    async () => {
      const topic = `${prefix}/half-open`;
      const c = await pool.connect(proxyUrl, {
        keepAlive: 1,
        pingTimeout: 500,
        connectTimeout: 1_000,
        reconnect: { minDelay: 50, maxDelay: 200, jitter: 0 },
      });
      const handle = await c.subscribe(topic, { qos: 1 });
      const disconnected = nextEvent(c, 'disconnect', 5_000);
      proxy.blackhole();
      const silentSince = Date.now();
      const [info] = await disconnected;
      const noticed = Date.now() - silentSince;
      assert.ok(info.error instanceof TimeoutError, `disconnected with ${String(info.error)}`);
      assert.equal(info.willReconnect, true);
      assert.equal(c.connected, false);
      // A ping is due within a keep-alive of the last packet, and must be answered within pingTimeout.
      assert.ok(noticed <= 1_000 + 500 + 750, `noticed after ${noticed} ms`);

      const reconnected = nextEvent(c, 'connect', 5_000);
      proxy.restore();
      await reconnected;
      assert.equal(c.connected, true);
      await c.publish(topic, 'alive', { qos: 1 });
      assert.equal((await take(handle, 1))[0]?.text(), 'alive');
    },
  );

  test('client – a slow link (150 ms each way) does not trip the keep-alive of 1 s', T, async () => {
    const c = await pool.connect(proxyUrl, { keepAlive: 1, pingTimeout: 500, reconnect: false });
    proxy.delay(150);
    // A ping is due 1 s after the last packet and answered after 300 ms, within the 500 ms allowed; the client
    // would have given up after 1.5 s. Nothing may happen for a little longer than that.
    const closed = c.closed();
    const outcome = await Promise.race([
      closed.then(() => 'closed'),
      new Promise((r) => setTimeout(r, 1_800, 'alive')),
    ]);
    assert.equal(outcome, 'alive');
    assert.equal(c.connected, true);
  });
});
