// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client against a real Mosquitto: will messages, persistent sessions and their expiry, resubscription after
// the broker lost the session, and publications queued while the broker is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message, MqttClient, NodeClientOptions, ProtocolVersion } from '../../src/node.js';
import { clientId, nextEvent, persistent, take, within } from '../helpers/clients.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };
const FAST_RECONNECT = { minDelay: 50, maxDelay: 200, jitter: 0 } as const;
describe('client session', () => {
  const mosquitto = brokerSuite('session');
  const { pool, prefix } = mosquitto;

  /** A client subscribed to `filter`, and its messages from now on. */
  async function watcher(filter: string) {
    const client = await pool.connect(mosquitto.url, { reconnect: false });
    const handle = await client.subscribe(filter, { qos: 1 });
    return { client, inbox: handle[Symbol.asyncIterator]() };
  }

  describe('will message', () => {
    for (const version of [3, 4, 5] as const) {
      test(
        `client – v${version}: the will is published when the client disappears without DISCONNECT (destroy())`,
        T,
        async () => {
          const topic = `${prefix}/will/abrupt/v${version}`;
          const { inbox } = await watcher(topic);
          const w = await pool.connect(mosquitto.url, {
            protocolVersion: version,
            reconnect: false,
            will: {
              topic,
              payload: 'gone',
              qos: 1,
              ...(version === 5 ? { properties: { contentType: 'text/plain' } } : {}),
            },
          });
          w.destroy();
          assert.equal(await w.closed(), undefined, 'destroy() without an error ends the client without one');
          const [m] = (await take(inbox, 1)) as [Message];
          assert.deepEqual([m.topic, m.text(), m.qos], [topic, 'gone', 1]);
          if (version === 5) assert.equal(m.properties?.contentType, 'text/plain');
        },
      );

      test(`client – v${version}: no will is published after a clean end()`, T, async () => {
        const topic = `${prefix}/will/clean/v${version}`;
        const { client: watching, inbox } = await watcher(topic);
        const w = await pool.connect(mosquitto.url, {
          protocolVersion: version,
          reconnect: false,
          will: { topic, payload: 'gone', qos: 1 },
        });
        await w.end();
        // end() resolves once the broker has closed its side, i.e. after it processed the DISCONNECT; a will
        // would have been queued to the watcher then, ahead of this marker.
        await watching.publish(topic, 'marker', { qos: 1 });
        const [m] = (await take(inbox, 1)) as [Message];
        assert.equal(m.text(), 'marker');
      });
    }

    test(
      'client – MQTT 5.0: a will delay holds the will back, and a reconnection to the session within it cancels the will',
      T,
      async () => {
        const topic = `${prefix}/will/delay`;
        const { client: watching, inbox } = await watcher(`${topic}/+`);
        const delayed = (name: string) => ({
          protocolVersion: 5 as const,
          clientId: clientId(`wd-${name}`),
          reconnect: false as const,
          clean: false,
          sessionExpiryInterval: 60,
          will: {
            topic: `${topic}/${name}`,
            payload: name,
            qos: 1 as const,
            properties: { willDelayInterval: 2 },
          },
        });
        const back = delayed('back');
        const w = await pool.connect(mosquitto.url, back);
        const x = await pool.connect(mosquitto.url, delayed('away'));

        // `back` vanishes, then returns to its session within the delay: its will must never be sent.
        w.destroy();
        await w.closed();
        const again = await pool.connect(mosquitto.url, {
          ...back,
          will: { topic: `${topic}/unused`, payload: '' },
        });
        assert.equal(again.connectInfo.sessionPresent, true);

        // `away` vanishes after it and stays away: its will comes after the delay (the broker counts whole seconds,
        // so a 2 s delay is at least 1 s).
        x.destroy();
        const gone = Date.now();
        const [m] = (await take(inbox, 1, 5_000)) as [Message];
        const waited = Date.now() - gone;
        assert.equal(m.topic, `${topic}/away`, "the first will is away's: back's was cancelled");
        assert.ok(waited >= 1_000, `the will came ${waited} ms after the disconnection`);
        // back's will would have been due no later than away's; a marker sent now comes right after away's will.
        await watching.publish(`${topic}/marker`, 'marker', { qos: 1 });
        const [next] = (await take(inbox, 1)) as [Message];
        assert.equal(next.topic, `${topic}/marker`);
        await again.end({ properties: { sessionExpiryInterval: 0 } });
      },
    );
  });

  describe('persistent session', () => {
    for (const version of [3, 4, 5] as const) {
      test(
        `client – v${version}: a persistent session receives the QoS 1 messages published while it was away`,
        T,
        async () => {
          const topic = `${prefix}/persistent/v${version}`;
          const id = clientId(`ps${version}`);
          const first = await pool.connect(mosquitto.url, {
            ...persistent(version),
            clientId: id,
            reconnect: false,
          });
          assert.equal(first.connectInfo.sessionPresent, false);
          await first.subscribe(topic, { qos: 1 });
          await first.end();

          const pub = await pool.connect(mosquitto.url, { reconnect: false });
          for (let i = 0; i < 5; i++) await pub.publish(topic, `away ${i}`, { qos: 1 });

          let inbox: AsyncIterator<Message> | undefined;
          const back = await pool.connect(mosquitto.url, {
            ...persistent(version),
            clientId: id,
            reconnect: false,
            // The stored messages follow the CONNACK at once: listen before connecting.
            onClient: (c) => {
              inbox = c.messages();
            },
          });
          // MQTT 3.1's CONNACK has no Session Present flag: the broker resumes the session all the same.
          assert.equal(back.connectInfo.sessionPresent, version !== 3);
          assert.ok(inbox !== undefined);
          const got = await take(inbox, 5);
          assert.deepEqual(
            got.map((m) => [m.topic, m.text(), m.qos]),
            Array.from({ length: 5 }, (_, i) => [topic, `away ${i}`, 1]),
          );
          // The subscription is part of the session: live messages arrive without subscribing again.
          await pub.publish(topic, 'live', { qos: 1 });
          assert.equal((await take(inbox, 1))[0]?.text(), 'live');
          // Leave no session behind for the broker to keep.
          await back.end();
          await (
            await pool.connect(mosquitto.url, { protocolVersion: version, clientId: id, reconnect: false })
          ).end();
        },
      );
    }

    /** Subscribes with a persistent session, ends, lets 3 messages be published, then connects again with `back`. */
    async function awayAndBack(
      version: ProtocolVersion,
      away: NodeClientOptions,
      back: NodeClientOptions,
      end: Parameters<MqttClient['end']>[0] = {},
    ) {
      const id = clientId(`dr${version}`);
      const topic = `${prefix}/dropped/${id}`;
      const first = await pool.connect(mosquitto.url, {
        ...away,
        protocolVersion: version,
        clientId: id,
        reconnect: false,
      });
      await first.subscribe(topic, { qos: 1 });
      await first.end(end);
      const pub = await pool.connect(mosquitto.url, { reconnect: false });
      for (let i = 0; i < 3; i++) await pub.publish(topic, `away ${i}`, { qos: 1 });
      let inbox: AsyncIterator<Message> | undefined;
      const again = await pool.connect(mosquitto.url, {
        ...back,
        protocolVersion: version,
        clientId: id,
        reconnect: false,
        onClient: (c) => {
          inbox = c.messages();
        },
      });
      assert.ok(inbox !== undefined);
      await again.subscribe(topic, { qos: 1 });
      // Stored messages would arrive right after the CONNACK, ahead of this one.
      await pub.publish(topic, 'marker', { qos: 1 });
      const [m] = (await take(inbox, 1)) as [Message];
      return { sessionPresent: again.connectInfo.sessionPresent, first: m.text() };
    }

    for (const version of [4, 5] as const) {
      test(
        `client – v${version}: connecting with a clean start drops the stored session and its messages`,
        T,
        async () => {
          const r = await awayAndBack(version, persistent(version), { clean: true });
          assert.deepEqual(r, { sessionPresent: false, first: 'marker' });
        },
      );
    }

    test(
      'client – MQTT 5.0: with session expiry 0 (the default) the session ends with the connection',
      T,
      async () => {
        const r = await awayAndBack(5, { clean: false }, { clean: false, sessionExpiryInterval: 60 });
        assert.deepEqual(r, { sessionPresent: false, first: 'marker' });
      },
    );

    test(
      'client – MQTT 5.0: end() with session expiry 0 in the DISCONNECT ends a persistent session',
      T,
      async () => {
        const r = await awayAndBack(5, persistent(5), persistent(5), {
          properties: { sessionExpiryInterval: 0 },
        });
        assert.deepEqual(r, { sessionPresent: false, first: 'marker' });
      },
    );
  });

  test(
    'client – after the broker lost the session (restart without persistence) the client reconnects and its subscription works again',
    T,
    async () => {
      const topic = `${prefix}/resubscribe`;
      const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: FAST_RECONNECT });
      const handle = await c.subscribe(topic, { qos: 1 });
      const inbox = handle[Symbol.asyncIterator]();
      const delays: number[] = [];
      c.on('reconnecting', ({ delay }) => delays.push(delay));
      const disconnected = nextEvent(c, 'disconnect', 10_000);
      const reconnected = nextEvent(c, 'connect', 10_000);

      await mosquitto.broker.restart();
      const [info] = await disconnected;
      assert.equal(info.willReconnect, true);
      const [connack] = await reconnected;
      assert.equal(connack.sessionPresent, false, 'a broker without persistence lost the session');
      assert.equal(c.connected, true);
      assert.ok(delays.length >= 1);
      assert.equal(delays[0], 50, 'first delay: minDelay, no jitter');
      assert.ok(
        delays.every((d, i) => d <= 200 && d >= (delays[i - 1] ?? 0)),
        `delays ${delays}`,
      );

      // The client subscribed again by itself, before sending anything else on the new connection: its own
      // publication comes back, and so does another client's.
      await c.publish(topic, 'own', { qos: 1 });
      assert.equal((await take(inbox, 1))[0]?.text(), 'own');
      const other = await pool.connect(mosquitto.url, { reconnect: false });
      await other.publish(topic, 'other', { qos: 1 });
      assert.equal((await take(inbox, 1))[0]?.text(), 'other');
    },
  );

  describe('offline queue', () => {
    let durable: Broker;
    let durableUrl: string;
    before(async () => {
      durable = await startBroker({ persistence: true });
      durableUrl = `mqtt://${durable.host}:${durable.ports.tcp}`;
    });
    after(async () => {
      await pool.cleanup();
      await durable?.stop();
    });

    test(
      'client – publications made while the broker is down are queued and delivered, in order, once it is back',
      T,
      async () => {
        const topic = `${prefix}/offline`;
        // The subscriber's session (with its subscription) survives the broker restart on disk.
        const subscriber = await pool.connect(durableUrl, {
          protocolVersion: 4,
          clientId: clientId('offline-sub'),
          clean: false,
          reconnect: FAST_RECONNECT,
        });
        await subscriber.subscribe(topic, { qos: 2 });
        const subInbox = subscriber.messages();
        // The publisher has no stored session: it subscribes again by itself, ahead of its queued messages.
        const publisher = await pool.connect(durableUrl, { protocolVersion: 5, reconnect: FAST_RECONNECT });
        const ownInbox = (await publisher.subscribe(topic, { qos: 2 }))[Symbol.asyncIterator]();

        const down = Promise.all([nextEvent(publisher, 'disconnect'), nextEvent(subscriber, 'disconnect')]);
        await durable.stop();
        await down;
        assert.equal(publisher.connected, false);

        const sent = [
          ['q0 first', 0],
          ['q1', 1],
          ['q2', 2],
          ['q0 last', 0],
          ['q1 last', 1],
        ] as const;
        const texts: string[] = sent.map(([text]) => text);
        const perQos = (list: string[]) => {
          const qosOf = new Map<string, number>(sent);
          return {
            0: list.filter((t) => qosOf.get(t) === 0),
            1: list.filter((t) => qosOf.get(t) === 1),
            2: list.filter((t) => qosOf.get(t) === 2),
          };
        };
        let settled = 0;
        const results = sent.map(([text, qos]) =>
          publisher.publish(topic, text, { qos }).finally(() => {
            settled++;
          }),
        );
        await Promise.resolve();
        assert.equal(settled, 0, 'nothing is settled while offline');

        const back = nextEvent(subscriber, 'connect', 10_000);
        await durable.restart();
        const done = await within(Promise.all(results), 'the queued publications', 8_000);
        assert.deepEqual(
          done.map((r) => r.packetId !== undefined),
          sent.map(([, qos]) => qos > 0),
        );
        assert.ok(done.every((r) => r.reasonCode === 0));
        // Every queued message, QoS 0 too, was sent once the broker accepted the new connection. The broker keeps
        // the order per QoS level ([MQTT-4.6.0-6]); it forwards a QoS 2 message only on PUBREL, so QoS levels mix.
        assert.deepEqual(perQos((await take(ownInbox, sent.length)).map((m) => m.text())), perQos(texts));
        const [info] = await back;
        assert.equal(info.sessionPresent, true, 'the broker restored the session from disk');
        // Mosquitto keeps QoS 1 and 2 messages for a disconnected persistent session, not QoS 0 ones: those arrive
        // only if the subscriber happened to be back first. Read until every QoS 1 and 2 message is in.
        const kept = sent.filter(([, qos]) => qos > 0).map(([text]) => text);
        const got: string[] = [];
        while (!kept.every((t) => got.includes(t)))
          got.push(...(await take(subInbox, 1)).map((m) => m.text()));
        const expected = perQos(texts);
        assert.deepEqual(perQos(got), { ...expected, 0: expected[0].filter((t) => got.includes(t)) });
        await subscriber.end();
      },
    );
  });
});
