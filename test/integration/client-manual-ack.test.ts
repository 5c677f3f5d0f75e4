// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Manual acknowledgement against a real Mosquitto, MQTT 5 and 3.1.1: messages wait for `msg.ack()`, the broker
// holds back what is over its in-flight limit (MQTT 5: the client's Receive Maximum) until an acknowledgement, a
// message left unacknowledged is resent with DUP after a reconnect, and `ack()` is a no-op where it has no meaning.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message, MqttClient, NodeClientOptions } from '../../src/node.js';
import { clientId, nextEvent, noEvent, persistent, within } from '../helpers/clients.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 15_000 };
const FAST = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;
/** How long the broker is given to (wrongly) send a message over its in-flight limit. A negative check only. */
const QUIET_MS = 300;

/** The messages `client` receives, in order, and a way to wait until there are `n`. */
function collect(client: MqttClient) {
  const list: Message[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  client.on('message', (m) => {
    list.push(m);
    if (waiter !== undefined && list.length >= waiter.n) {
      waiter.resolve();
      waiter = undefined;
    }
  });
  return {
    list,
    until(n: number): Promise<void> {
      if (list.length >= n) return Promise.resolve();
      return within(
        new Promise<void>((resolve) => {
          waiter = { n, resolve };
        }),
        `${n} messages (have ${list.length})`,
      );
    },
  };
}

describe('client manual acknowledgement', () => {
  const mosquitto = brokerSuite('manual-ack');
  const { pool, prefix } = mosquitto;
  // Mosquitto's in-flight limit for MQTT 3.1.1 clients is a broker setting (MQTT 5 clients announce theirs).
  let limited: Broker;
  let proxy: FaultProxy;
  let limitedUrl: string;

  before(async () => {
    limited = await startBroker({ extraConfig: 'max_inflight_messages 2' });
    proxy = await startFaultProxy(mosquitto.broker.ports.tcp);
    limitedUrl = `mqtt://${limited.host}:${limited.ports.tcp}`;
  });
  after(async () => {
    await proxy?.close();
    await limited?.stop();
  });

  const versions = [
    [5, 'MQTT 5.0'],
    [4, 'MQTT 3.1.1'],
  ] as const;

  for (const [version, name] of versions) {
    test(`manual ack – ${name}: QoS 1 messages arrive, ack() returns true once, then false`, T, async () => {
      const topic = `${prefix}/basic/v${version}`;
      const sub = await pool.connect(mosquitto.url, {
        protocolVersion: version,
        manualAck: true,
        reconnect: false,
      });
      const inbox = collect(sub);
      await sub.subscribe(topic, { qos: 1 });
      const pub = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
      for (const text of ['a', 'b']) await pub.publish(topic, text, { qos: 1 });
      await inbox.until(2);
      assert.deepEqual(
        inbox.list.map((m) => [m.text(), m.qos]),
        [
          ['a', 1],
          ['b', 1],
        ],
      );
      // In reverse order: the client sends them in arrival order anyway.
      assert.equal(inbox.list[1]?.ack(), true, 'ack of b');
      assert.equal(inbox.list[0]?.ack(), true, 'ack of a');
      assert.equal(inbox.list[0]?.ack(), false, 'second ack of a');
      assert.equal(inbox.list[1]?.ack(), false, 'second ack of b');
      // The connection is still in good standing: a round trip through the broker works.
      await pub.publish(topic, 'c', { qos: 1 });
      await inbox.until(3);
      assert.equal(inbox.list[2]?.text(), 'c');
    });

    const limit: NodeClientOptions =
      version === 5 ? { properties: { receiveMaximum: 2 } } : { protocolVersion: 4 };
    const where = version === 5 ? 'Receive Maximum 2' : 'broker max_inflight_messages 2';
    test(`manual ack – ${name}: with ${where}, no third message until one is acknowledged`, T, async () => {
      const target = version === 5 ? mosquitto.url : limitedUrl;
      const topic = `${prefix}/inflight/v${version}`;
      const sub = await pool.connect(target, {
        protocolVersion: version,
        manualAck: true,
        reconnect: false,
        ...limit,
      });
      const inbox = collect(sub);
      await sub.subscribe(topic, { qos: 1 });
      const pub = await pool.connect(target, { protocolVersion: version, reconnect: false });
      // The broker acknowledges the publisher at once and queues for the subscriber what is over the limit. Only
      // one is queued: Mosquitto 2.0.11 releases its whole queue when one slot frees (going over the limit, which
      // the client answers with DISCONNECT 0x93), so a second queued message would test the broker, not the client.
      await Promise.all(['m1', 'm2', 'm3'].map((t) => pub.publish(topic, t, { qos: 1 })));
      await inbox.until(2);
      await noEvent(sub, 'message', QUIET_MS);
      assert.deepEqual(
        inbox.list.map((m) => m.text()),
        ['m1', 'm2'],
        'two unacknowledged messages in flight, no more',
      );

      // Acknowledging m2 first frees nothing: its PUBACK waits for m1's.
      assert.equal(inbox.list[1]?.ack(), true, 'early ack of m2');
      await noEvent(sub, 'message', QUIET_MS);
      assert.equal(inbox.list.length, 2, 'still nothing more while m1 is unacknowledged');

      const third = nextEvent(sub, 'message');
      assert.equal(inbox.list[0]?.ack(), true, 'ack of m1');
      const [m3] = await third;
      assert.equal(m3.text(), 'm3');
      assert.equal(m3.ack(), true, 'ack of m3');
      assert.equal(sub.connected, true, 'the connection stayed up throughout');
    });

    test(
      `manual ack – ${name}: a message left unacknowledged is resent with DUP after a reconnect`,
      T,
      async () => {
        const topic = `${prefix}/resend/v${version}`;
        const sub = await pool.connect(`mqtt://127.0.0.1:${proxy.port}`, {
          ...persistent(version),
          clientId: clientId(`mack${version}`),
          manualAck: true,
          reconnect: FAST,
        });
        await sub.subscribe(topic, { qos: 1 });
        const pub = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
        const first = nextEvent(sub, 'message');
        await pub.publish(topic, 'unacked', { qos: 1 });
        const [m1] = await first;
        assert.equal(m1.dup, false);

        const reconnected = nextEvent(sub, 'connect');
        const resent = nextEvent(sub, 'message');
        proxy.drop();
        const [info] = await reconnected;
        assert.equal(info.sessionPresent, true, 'the broker kept the session');
        const [m2] = await resent;
        assert.equal(m2.text(), 'unacked');
        assert.equal(m2.dup, true, 'the resend carries DUP');
        assert.equal(m2.packetId, m1.packetId, 'with the same packet identifier');
        assert.equal(m1.ack(), false, 'the first delivery belongs to a connection that is gone');
        assert.equal(m2.ack(), true, 'the resend is acknowledged on this connection');
        // The broker handles a connection's packets in order: once it answers this, it has had the PUBACK (a drop
        // right after ack() could lose the PUBACK inside the proxy, and the broker would rightly send it again).
        await sub.unsubscribe(`${topic}/barrier`);

        // Acknowledged now: after another reconnect the broker sends the next message, not the old one again.
        const again = nextEvent(sub, 'connect');
        proxy.drop();
        await again;
        const next = nextEvent(sub, 'message');
        await pub.publish(topic, 'marker', { qos: 1 });
        const [m3] = await next;
        assert.equal(m3.text(), 'marker');
        assert.equal(m3.dup, false);
      },
    );

    test(
      `manual ack – ${name}: ack() returns false for QoS 0, and for any message without manualAck`,
      T,
      async () => {
        const topic = `${prefix}/noop/v${version}`;
        const manual = await pool.connect(mosquitto.url, {
          protocolVersion: version,
          manualAck: true,
          reconnect: false,
        });
        const auto = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
        await manual.subscribe(`${topic}/0`, { qos: 0 });
        await auto.subscribe(`${topic}/1`, { qos: 1 });
        const pub = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });

        const q0 = nextEvent(manual, 'message');
        await pub.publish(`${topic}/0`, 'zero', { qos: 1 });
        const [m0] = await q0;
        assert.equal(m0.qos, 0);
        assert.equal(m0.ack(), false, 'QoS 0 has no acknowledgement');

        const q1 = nextEvent(auto, 'message');
        await pub.publish(`${topic}/1`, 'one', { qos: 1 });
        const [m1] = await q1;
        assert.equal(m1.qos, 1);
        assert.equal(m1.ack(), false, 'acknowledged already, on delivery');
      },
    );
  }
});
