// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 Topic Aliases (section 3.3.2.3.4, [MQTT-3.3.2-7..12]) and the broker's Maximum Packet Size
// ([MQTT-3.1.2-24]) end to end: against the scripted fake broker, which shows the packets on the wire and can
// misbehave, and against a real Mosquitto 2 (Topic Alias Maximum 10 by default). Every step awaits a packet or an
// event, never a delay.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  type ConnackProperties,
  InvalidArgumentError,
  type Message,
  type MqttClient,
  type NodeClientOptions,
  PacketDecoder,
  PacketTooLargeError,
  ProtocolError,
  type PublishPacket,
  socketTransport,
  type TransportFactory,
} from '../../src/node.js';
import { ClientPool, clientId, nextEvent, take, topicPrefix, within } from '../helpers/clients.js';
import { type FakeConnection, publishPacket } from '../helpers/fake-broker.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { freePorts, waitForPorts } from '../helpers/ports.js';
import { brokerSuite, fakeBrokerSuite } from '../helpers/suite.js';

const T = { timeout: 15_000 };
const decoder = new TextDecoder();

/**
 * A TCP transport to 127.0.0.1:`port` that also decodes what the client writes, recording every PUBLISH as it
 * went on the wire (topic and alias as sent).
 */
function tappedTransport(port: number, published: PublishPacket[]): TransportFactory {
  const inner = socketTransport({ host: '127.0.0.1', port });
  return (handlers) => {
    const wire = new PacketDecoder(
      (p) => {
        if (p.type === 'publish') published.push(p);
      },
      { protocolVersion: 5 },
    );
    const t = inner(handlers);
    return {
      write: (bytes) => {
        wire.push(bytes);
        return t.write(bytes);
      },
      end: () => t.end(),
      destroy: (error) => t.destroy(error),
    };
  };
}

/** The topic each PUBLISH on one connection stands for at a broker accepting `max` aliases. */
function brokerTopics(packets: readonly PublishPacket[], max: number): string[] {
  const table = new Map<number, string>();
  return packets.map((p, i) => {
    const alias = p.properties?.topicAlias;
    if (alias === undefined) return p.topic;
    assert.ok(alias >= 1 && alias <= max, `packet ${i}: alias ${alias} outside 1..${max}`);
    if (p.topic !== '') table.set(alias, p.topic);
    const topic = table.get(alias);
    assert.ok(topic !== undefined, `packet ${i}: alias ${alias} used before it was set up`);
    return topic;
  });
}

describe('topic aliases with a scripted fake broker', () => {
  const fake = fakeBrokerSuite();
  const { pool } = fake;

  /** A connected MQTT 5 client, its CONNECT, and the broker's side of the connection. */
  async function connected(options: NodeClientOptions = {}, connackProperties: ConnackProperties = {}) {
    const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
      protocolVersion: 5,
      reconnect: false,
      ...options,
    });
    const conn = await fake.broker.nextConnection();
    const connect = await conn.expect('connect');
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: connackProperties });
    const client = await connecting;
    return { client, conn, connect };
  }

  /** Publishes at QoS 1 and answers the PUBLISH with a PUBACK; returns the PUBLISH as the broker read it. */
  async function publishAcked(
    client: MqttClient,
    conn: FakeConnection,
    topic: string,
    alias?: number,
  ): Promise<PublishPacket> {
    const options =
      alias === undefined ? { qos: 1 as const } : { qos: 1 as const, properties: { topicAlias: alias } };
    const done = client.publish(topic, `to ${topic}`, options);
    const packet = await conn.expect('publish');
    conn.send({ type: 'puback', packetId: packet.packetId ?? 0, reasonCode: 0 });
    await within(done, `publish to '${topic}'`);
    return packet;
  }

  test(
    'fake broker – topicAliasMaximum 5 is announced, and messages sent with topic + alias, then alias only, arrive with the full topic',
    T,
    async () => {
      const { client, conn, connect } = await connected({ topicAliasMaximum: 5 });
      assert.equal(connect.properties?.topicAliasMaximum, 5, 'CONNECT announces Topic Alias Maximum 5');
      const inbox = client.messages();
      conn.send(publishPacket('alias/one', 'a', { qos: 1, packetId: 1, properties: { topicAlias: 1 } }));
      conn.send(publishPacket('', 'b', { qos: 1, packetId: 2, properties: { topicAlias: 1 } }));
      conn.send(publishPacket('alias/five', 'c', { properties: { topicAlias: 5 } }));
      conn.send(publishPacket('', 'd', { properties: { topicAlias: 5 } }));
      conn.send(publishPacket('', 'e', { qos: 1, packetId: 3, properties: { topicAlias: 1 } }));
      const got = (await take(inbox, 5)) as Message[];
      assert.deepEqual(
        got.map((m) => [m.topic, decoder.decode(m.payload)]),
        [
          ['alias/one', 'a'],
          ['alias/one', 'b'],
          ['alias/five', 'c'],
          ['alias/five', 'd'],
          ['alias/one', 'e'],
        ],
      );
      for (const id of [1, 2, 3]) {
        const ack = await conn.expect('puback');
        assert.equal(ack.packetId, id);
      }
      assert.equal(client.connected, true, 'the client stays connected');
    },
  );

  test(
    'fake broker – a broker using alias 9 over the announced 5: the client sends DISCONNECT 0x94 and reports a ProtocolError',
    T,
    async () => {
      const { client, conn } = await connected({ topicAliasMaximum: 5 });
      const errorEvent = nextEvent(client, 'error');
      let messages = 0;
      client.on('message', () => messages++);
      conn.send(publishPacket('bad/alias', 'x', { qos: 1, packetId: 1, properties: { topicAlias: 9 } }));
      const disconnect = await conn.expect('disconnect');
      assert.equal(disconnect.reasonCode, 0x94, 'Topic Alias Invalid');
      await within(conn.closed, 'the client closing the connection');
      assert.deepEqual(
        conn.received.map((p) => p.type),
        ['connect', 'disconnect'],
        'no PUBACK for the faulty message',
      );
      const [error] = await errorEvent;
      assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
      assert.equal(error.reasonCode, 0x94);
      const final = await within(client.closed(), 'the client ending');
      assert.ok(final instanceof ProtocolError, `closed() with a ProtocolError, got ${String(final)}`);
      assert.equal(messages, 0, 'the message is not delivered');
    },
  );

  test(
    'fake broker – a client that announced no aliases disconnects with 0x94 on the first alias',
    T,
    async () => {
      const { client, conn, connect } = await connected();
      assert.equal(connect.properties?.topicAliasMaximum, undefined, 'no Topic Alias Maximum by default');
      conn.send(publishPacket('t', 'x', { properties: { topicAlias: 1 } }));
      const disconnect = await conn.expect('disconnect');
      assert.equal(disconnect.reasonCode, 0x94);
      const final = await within(client.closed(), 'the client ending');
      assert.ok(final instanceof ProtocolError, `got ${String(final)}`);
    },
  );

  test(
    'fake broker – an empty topic with an alias never set up: DISCONNECT 0x82 (Protocol Error)',
    T,
    async () => {
      const { client, conn } = await connected({ topicAliasMaximum: 5 });
      conn.send(publishPacket('', 'x', { properties: { topicAlias: 2 } }));
      const disconnect = await conn.expect('disconnect');
      assert.equal(disconnect.reasonCode, 0x82);
      const final = await within(client.closed(), 'the client ending');
      assert.ok(final instanceof ProtocolError, `got ${String(final)}`);
      assert.equal((final as ProtocolError).reasonCode, 0x82);
    },
  );

  test('fake broker – inbound aliases do not survive a reconnect', T, async () => {
    const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
      protocolVersion: 5,
      topicAliasMaximum: 5,
      reconnect: { minDelay: 10, maxDelay: 50, jitter: 0 },
    });
    const first = await fake.broker.nextConnection();
    await first.expect('connect');
    first.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const client = await connecting;
    const inbox = client.messages();
    first.send(publishPacket('kept/not', 'a', { properties: { topicAlias: 1 } }));
    assert.equal(((await take(inbox, 1)) as Message[])[0]?.topic, 'kept/not');
    const reconnected = nextEvent(client, 'connect');
    first.destroy();
    const second = await fake.broker.nextConnection();
    await second.expect('connect');
    second.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    await reconnected;
    second.send(publishPacket('', 'b', { properties: { topicAlias: 1 } }));
    const disconnect = await second.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82, 'alias 1 is unknown on the new connection');
  });

  test(
    'fake broker – autoTopicAlias: the broker reads topic + alias first, the alias alone next, and LRU reuse',
    T,
    async () => {
      const { client, conn } = await connected({ autoTopicAlias: true }, { topicAliasMaximum: 2 });
      const topics = ['auto/a', 'auto/a', 'auto/b', 'auto/c', 'auto/a', 'auto/c'];
      const wire: PublishPacket[] = [];
      for (const t of topics) wire.push(await publishAcked(client, conn, t));
      assert.deepEqual(
        wire.map((p) => [p.topic, p.properties?.topicAlias]),
        [
          ['auto/a', 1],
          ['', 1],
          ['auto/b', 2],
          ['auto/c', 1], // auto/a is the least recently used
          ['auto/a', 2], // now auto/b is
          ['', 1],
        ],
      );
      assert.deepEqual(brokerTopics(wire, 2), topics);
      assert.deepEqual(
        wire.map((p) => decoder.decode(p.payload)),
        topics.map((t) => `to ${t}`),
      );
    },
  );

  test(
    'fake broker – autoTopicAlias with a broker that announced no maximum: full topics, no alias',
    T,
    async () => {
      const { client, conn } = await connected({ autoTopicAlias: true });
      const wire = [await publishAcked(client, conn, 'plain/t'), await publishAcked(client, conn, 'plain/t')];
      assert.deepEqual(
        wire.map((p) => [p.topic, p.properties?.topicAlias]),
        [
          ['plain/t', undefined],
          ['plain/t', undefined],
        ],
      );
    },
  );

  test(
    'fake broker – a manual alias: topic + alias, then an empty topic with the alias; bad aliases reject without sending',
    T,
    async () => {
      const { client, conn } = await connected({}, { topicAliasMaximum: 3 });
      const setUp = await publishAcked(client, conn, 'manual/t', 3);
      const reused = await publishAcked(client, conn, '', 3);
      assert.deepEqual(
        [setUp, reused].map((p) => [p.topic, p.properties?.topicAlias]),
        [
          ['manual/t', 3],
          ['', 3],
        ],
      );
      await assert.rejects(
        client.publish('', 'x', { qos: 1, properties: { topicAlias: 2 } }),
        InvalidArgumentError,
        'an empty topic with an alias never set up',
      );
      await assert.rejects(
        client.publish('manual/u', 'x', { qos: 1, properties: { topicAlias: 4 } }),
        InvalidArgumentError,
        'an alias above the broker maximum',
      );
      await assert.rejects(
        client.publish('manual/u', 'x', { qos: 1, properties: { topicAlias: 0 } }),
        InvalidArgumentError,
        'alias 0',
      );
      // Nothing was sent for the rejected ones: the next packet the broker reads is the next valid PUBLISH.
      const next = await publishAcked(client, conn, 'manual/t', 3);
      assert.deepEqual([next.topic, next.properties?.topicAlias], ['', 3]);
      assert.equal(client.connected, true);
    },
  );

  test(
    'fake broker – after a reconnect an empty topic with an alias from the previous connection rejects',
    T,
    async () => {
      const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
        protocolVersion: 5,
        reconnect: { minDelay: 10, maxDelay: 50, jitter: 0 },
      });
      const first = await fake.broker.nextConnection();
      await first.expect('connect');
      first.send({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { topicAliasMaximum: 5 },
      });
      const client = await connecting;
      const setUp = await publishAcked(client, first, 'per/conn', 1);
      assert.deepEqual([setUp.topic, setUp.properties?.topicAlias], ['per/conn', 1]);
      const reconnected = nextEvent(client, 'connect');
      first.destroy();
      const second = await fake.broker.nextConnection();
      await second.expect('connect');
      second.send({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { topicAliasMaximum: 5 },
      });
      await reconnected;
      await assert.rejects(
        client.publish('', 'x', { qos: 1, properties: { topicAlias: 1 } }),
        InvalidArgumentError,
      );
      const again = await publishAcked(client, second, 'per/conn', 1);
      assert.deepEqual([again.topic, again.properties?.topicAlias], ['per/conn', 1], 'set up again in full');
    },
  );

  test(
    'fake broker – Maximum Packet Size from CONNACK: a larger publish rejects with PacketTooLargeError and nothing is sent',
    T,
    async () => {
      const { client, conn } = await connected({}, { maximumPacketSize: 200 });
      const error = await client.publish('big/t', new Uint8Array(500), { qos: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(error)}`);
      assert.equal(error.maximum, 200);
      assert.ok(error.size > 500, `size ${error.size}`);
      const small = await publishAcked(client, conn, 'small/t');
      assert.equal(small.topic, 'small/t', 'the next packet the broker reads is the small PUBLISH');
      assert.equal(client.connected, true);
    },
  );
});

describe('topic aliases with Mosquitto', () => {
  const mosquitto = brokerSuite('alias');
  const { pool, prefix } = mosquitto;

  test(
    'mosquitto – autoTopicAlias: 30 QoS 1 messages over 15 topics reach MQTT 5 and 3.1.1 subscribers with the right topics',
    T,
    async () => {
      const base = `${prefix}/auto`;
      const sub5 = await pool.connect(mosquitto.url, {
        protocolVersion: 5,
        reconnect: false,
        clientId: clientId('al-s5'),
      });
      const sub4 = await pool.connect(mosquitto.url, {
        protocolVersion: 4,
        reconnect: false,
        clientId: clientId('al-s4'),
      });
      const in5 = await sub5.subscribe(`${base}/#`, { qos: 1 });
      const in4 = await sub4.subscribe(`${base}/#`, { qos: 1 });
      assert.deepEqual([in5.reasonCodes, in4.reasonCodes], [[1], [1]]);

      const wire: PublishPacket[] = [];
      const publisher = await pool.connect({
        protocolVersion: 5,
        reconnect: false,
        autoTopicAlias: true,
        clientId: clientId('al-pub'),
        transport: tappedTransport(mosquitto.broker.ports.tcp, wire),
      });
      const max = publisher.connectInfo.properties?.topicAliasMaximum;
      assert.equal(max, 10, 'Mosquitto 2 announces Topic Alias Maximum 10');

      // Topics 0-9 (every alias set up), 0-9 again (alias only), then 10-14 and 0-4 (evictions among hits).
      const order = [...Array(10).keys(), ...Array(10).keys(), 10, 11, 12, 13, 14, 0, 1, 2, 3, 4];
      const topics = order.map((i) => `${base}/t${i}`);
      const results = await within(
        Promise.all(topics.map((t, n) => publisher.publish(t, `m${n}`, { qos: 1 }))),
        'every publish acknowledged',
      );
      assert.ok(
        results.every((r) => r.reasonCode === 0),
        `reason codes ${results.map((r) => r.reasonCode)}`,
      );

      const expected = topics.map((t, n) => [t, `m${n}`]);
      for (const [name, inbox] of [
        ['MQTT 5', in5],
        ['MQTT 3.1.1', in4],
      ] as const) {
        const got = (await take(inbox, topics.length)) as Message[];
        assert.deepEqual(
          got.map((m) => [m.topic, decoder.decode(m.payload)]),
          expected,
          `what the ${name} subscriber received`,
        );
      }

      assert.equal(wire.length, topics.length, 'one PUBLISH per message on the wire');
      assert.deepEqual(brokerTopics(wire, 10), topics, 'the aliases on the wire stand for the right topics');
      const aliasOnly = wire.filter((p) => p.topic === '').length;
      assert.ok(aliasOnly >= 10, `${aliasOnly} PUBLISH packets used the alias alone`);
      assert.equal(publisher.connected, true);
    },
  );

  test(
    'mosquitto – a manual alias publish with an empty topic after setting it up arrives with the full topic',
    T,
    async () => {
      const topic = `${prefix}/manual/t`;
      const sub5 = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const sub4 = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
      const in5 = await sub5.subscribe(topic, { qos: 1 });
      const in4 = await sub4.subscribe(topic, { qos: 1 });
      const wire: PublishPacket[] = [];
      const publisher = await pool.connect({
        protocolVersion: 5,
        reconnect: false,
        transport: tappedTransport(mosquitto.broker.ports.tcp, wire),
      });
      await publisher.publish(topic, 'first', { qos: 1, properties: { topicAlias: 7 } });
      await publisher.publish('', 'second', { qos: 1, properties: { topicAlias: 7 } });
      await publisher.publish('', 'third', { qos: 0, properties: { topicAlias: 7 } });
      assert.deepEqual(
        wire.map((p) => [p.topic, p.properties?.topicAlias]),
        [
          [topic, 7],
          ['', 7],
          ['', 7],
        ],
        'the alias alone on the wire after the first',
      );
      for (const inbox of [in5, in4]) {
        const got = (await take(inbox, 3)) as Message[];
        assert.deepEqual(
          got.map((m) => [m.topic, decoder.decode(m.payload)]),
          [
            [topic, 'first'],
            [topic, 'second'],
            [topic, 'third'],
          ],
        );
      }
    },
  );

  test(
    'mosquitto – an empty topic with an alias never set up rejects with InvalidArgumentError and the client stays connected',
    T,
    async () => {
      const topic = `${prefix}/unset/t`;
      const client = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const inbox = await client.subscribe(topic, { qos: 1 });
      await assert.rejects(
        client.publish('', 'x', { qos: 1, properties: { topicAlias: 2 } }),
        InvalidArgumentError,
      );
      await assert.rejects(
        client.publish(topic, 'x', { qos: 1, properties: { topicAlias: 11 } }),
        InvalidArgumentError,
        'an alias above the broker maximum of 10',
      );
      assert.equal(client.connected, true);
      const r = await client.publish(topic, 'after', { qos: 1 });
      assert.equal(r.reasonCode, 0);
      const [m] = (await take(inbox, 1)) as Message[];
      assert.equal(decoder.decode(m?.payload), 'after');
      assert.equal(client.connected, true);
    },
  );

  test(
    'mosquitto – a topic alias from an MQTT 3.1.1 client rejects with InvalidArgumentError',
    T,
    async () => {
      const client = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
      await assert.rejects(
        client.publish(`${prefix}/v4`, 'x', { properties: { topicAlias: 1 } }),
        InvalidArgumentError,
      );
      assert.equal(client.connected, true);
    },
  );
});

describe('Maximum Packet Size with Mosquitto', () => {
  let broker: Broker;
  let url: string;
  const pool = new ClientPool();
  const prefix = topicPrefix('maxpacket');

  before(async () => {
    const [port] = await freePorts(1);
    broker = await startBroker({
      extraConfig: ['max_packet_size 2000', '', `listener ${port} 127.0.0.1`, 'allow_anonymous true'].join(
        '\n',
      ),
    });
    await waitForPorts([port as number]);
    url = `mqtt://127.0.0.1:${port}`;
  });
  afterEach(() => pool.cleanup());
  after(async () => {
    await pool.cleanup();
    await broker?.stop();
  });

  test(
    'mosquitto max_packet_size – CONNACK announces 2000; a 5000-byte publish rejects with PacketTooLargeError; the connection stays up',
    T,
    async () => {
      const topic = `${prefix}/t`;
      const subscriber = await pool.connect(url, { protocolVersion: 5, reconnect: false });
      const inbox = await subscriber.subscribe(topic, { qos: 1 });
      const client = await pool.connect(url, { protocolVersion: 5, reconnect: false });
      assert.equal(client.connectInfo.properties?.maximumPacketSize, 2000, 'maximumPacketSize in CONNACK');
      for (const qos of [0, 1] as const) {
        const error = await client.publish(topic, new Uint8Array(5000), { qos }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(
          error instanceof PacketTooLargeError,
          `QoS ${qos}: expected PacketTooLargeError, got ${String(error)}`,
        );
        assert.equal(error.maximum, 2000);
        assert.ok(error.size > 5000, `size ${error.size}`);
      }
      assert.equal(client.connected, true, 'still connected after the refusals');
      const r = await client.publish(topic, 'small', { qos: 1 });
      assert.equal(r.reasonCode, 0);
      const near = new Uint8Array(1900).fill(0x62);
      await client.publish(topic, near, { qos: 1 });
      const got = (await take(inbox, 2)) as Message[];
      assert.deepEqual(
        got.map((m) => m.payload.length),
        [5, 1900],
        'only the messages within the limit arrive',
      );
      assert.equal(client.connected, true);
    },
  );
});
