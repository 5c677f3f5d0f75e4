// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The paho convenience surface: `publishTracked()` and its PublishInfo (paho's MQTTMessageInfo) against a real
// Mosquitto and a scripted fake broker that withholds acknowledgements, `clean: 'first'` (paho's
// MQTT_CLEAN_START_FIRST_ONLY) seen in the CONNECT flags of each reconnect, and the `userData` option.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ClientClosedError,
  ConnackError,
  InvalidArgumentError,
  MqttClient,
  type NodeClientOptions,
  PublishError,
  type PublishInfo,
  TimeoutError,
} from '../../src/node.js';
import { nextEvent, within } from '../helpers/clients.js';
import { acceptedClient, type FakeConnection } from '../helpers/fake-broker.js';
import { brokerSuite, fakeBrokerSuite } from '../helpers/suite.js';

const T = { timeout: 15_000 };
const FAST = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;

describe('client paho surface (Mosquitto)', () => {
  const mosquitto = brokerSuite('paho');
  const { pool, prefix } = mosquitto;

  for (const version of [5, 4] as const) {
    test(
      `publishTracked – v${version}: queued before the connection without a packet id, then sent, numbered and published`,
      T,
      async () => {
        const topic = `${prefix}/tracked/v${version}`;
        const infos: PublishInfo[] = [];
        const connecting = pool.connect(mosquitto.url, {
          protocolVersion: version,
          reconnect: false,
          // Runs before the client connects: these wait in the offline queue.
          onClient: (c) => {
            infos.push(c.publishTracked(topic, 'q1', { qos: 1 }));
            infos.push(c.publishTracked(topic, 'q2', { qos: 2 }));
            infos.push(c.publishTracked(topic, 'q0', { qos: 0 }));
          },
        });
        assert.equal(infos.length, 3);
        assert.deepEqual(
          infos.map((i) => i.messageId),
          [1, 2, 3],
          'message ids are known at once and grow by one',
        );
        for (const info of infos) {
          assert.equal(info.packetId, undefined, `message ${info.messageId}: no packet id while queued`);
          assert.equal(info.isPublished(), false, `message ${info.messageId}: not published while queued`);
          assert.equal(info.error, undefined);
        }
        const client = await connecting;
        const results = await Promise.all(infos.map((i) => i.waitForPublish(5_000)));
        const [q1, q2, q0] = infos as [PublishInfo, PublishInfo, PublishInfo];
        for (const info of infos)
          assert.equal(info.isPublished(), true, `message ${info.messageId} published`);
        assert.ok(q1.packetId !== undefined && q1.packetId > 0, `QoS 1 packet id ${q1.packetId}`);
        assert.ok(q2.packetId !== undefined && q2.packetId > 0, `QoS 2 packet id ${q2.packetId}`);
        assert.notEqual(q1.packetId, q2.packetId);
        assert.equal(q1.packetId, results[0]?.packetId);
        assert.equal(q2.packetId, results[1]?.packetId);
        assert.equal(q0.packetId, undefined, 'QoS 0 never has a packet id');

        const next = client.publishTracked(topic, 'later', { qos: 1 });
        assert.equal(next.messageId, 4, 'numbering goes on');
        const r = await next.waitForPublish(5_000);
        assert.equal(next.packetId, r.packetId);
        assert.equal(next.isPublished(), true);
      },
    );
  }

  test(
    'publishTracked – a message refused before it is queued rejects its info, with the error kept',
    T,
    async () => {
      const client = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const info = client.publishTracked(`${prefix}/bad/#`, 'x', { qos: 1 });
      await assert.rejects(info.done, InvalidArgumentError);
      await assert.rejects(info.waitForPublish(1_000), InvalidArgumentError);
      assert.ok(info.error instanceof InvalidArgumentError, `error ${String(info.error)}`);
      assert.equal(info.isPublished(), false);
      assert.equal(info.packetId, undefined);
    },
  );

  test(
    'publishTracked – end() on a client that never connected: the queued info rejects with ClientClosedError',
    T,
    async () => {
      const client = new MqttClient({
        transport: () => {
          throw new Error('never connected');
        },
      });
      const info = client.publishTracked('paho/never', 'x', { qos: 1 });
      assert.equal(info.packetId, undefined);
      await within(client.end(), 'end()');
      await assert.rejects(within(info.done, 'done'), ClientClosedError);
      assert.ok(info.error instanceof ClientClosedError, `error ${String(info.error)}`);
      assert.equal(info.isPublished(), false);
      const late = client.publishTracked('paho/never', 'y', { qos: 1 });
      await assert.rejects(within(late.done, 'done after end'), ClientClosedError);
    },
  );

  test(
    'userData – the option is readable and writable on the client, and the client leaves it alone',
    T,
    async () => {
      const data = { app: 'mine', count: 1 };
      const client = await pool.connect(mosquitto.url, {
        protocolVersion: 5,
        reconnect: false,
        userData: data,
      });
      assert.equal(client.userData, data, 'the same object');
      await client.publish(`${prefix}/user-data`, 'x', { qos: 1 });
      assert.deepEqual(client.userData, { app: 'mine', count: 1 }, 'unchanged by the client');
      client.userData = 42;
      assert.equal(client.userData, 42);
      const plain = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      assert.equal(plain.userData, undefined, 'undefined unless given');
    },
  );
});

describe('client paho surface (fake broker)', () => {
  const fake = fakeBrokerSuite();
  const { pool } = fake;

  async function accepted(options: NodeClientOptions = {}) {
    const r = await acceptedClient(fake.broker, { protocolVersion: 5, ...options });
    pool.add(r.client);
    return r;
  }

  test(
    'publishTracked – packet id set once sent; waitForPublish(10) times out while the broker withholds PUBACK',
    T,
    async () => {
      const { client, conn } = await accepted({ maxInflight: 1 });
      const first = client.publishTracked('paho/t', 'one', { qos: 1 });
      const second = client.publishTracked('paho/t', 'two', { qos: 1 });
      assert.equal(second.messageId, first.messageId + 1);
      const p1 = await conn.expect('publish');
      assert.equal(first.packetId, p1.packetId, 'the packet id it was sent with');
      assert.equal(second.packetId, undefined, 'beyond the in-flight window: queued, no packet id');
      assert.equal(first.isPublished(), false, 'no PUBACK yet');

      await assert.rejects(first.waitForPublish(10), TimeoutError);
      assert.equal(first.error, undefined, 'a timed-out wait does not fail the publication');
      assert.equal(first.isPublished(), false);

      conn.send({ type: 'puback', packetId: p1.packetId as number, reasonCode: 0 });
      const r1 = await first.waitForPublish(5_000);
      assert.equal(r1.packetId, p1.packetId);
      assert.equal(first.isPublished(), true);
      // The window opened: the second goes out and gets its packet id.
      const p2 = await conn.expect('publish');
      assert.equal(second.packetId, p2.packetId);
      assert.ok(second.packetId !== undefined, 'set once sent');
      assert.equal(second.isPublished(), false);
      conn.send({ type: 'puback', packetId: p2.packetId as number, reasonCode: 0 });
      await second.waitForPublish(5_000);
      assert.equal(second.isPublished(), true);
    },
  );

  test('publishTracked – a QoS 2 publication is published only at PUBCOMP', T, async () => {
    const { client, conn } = await accepted();
    const info = client.publishTracked('paho/t2', 'x', { qos: 2 });
    const p = await conn.expect('publish');
    const id = p.packetId as number;
    conn.send({ type: 'pubrec', packetId: id, reasonCode: 0 });
    await conn.expect('pubrel');
    assert.equal(info.isPublished(), false, 'PUBREC is not the end of the flow');
    await assert.rejects(info.waitForPublish(10), TimeoutError);
    conn.send({ type: 'pubcomp', packetId: id, reasonCode: 0 });
    await info.waitForPublish(5_000);
    assert.equal(info.isPublished(), true);
    assert.equal(info.packetId, id);
  });

  test(
    'publishTracked – end() rejects an unfinished publication with ClientClosedError and sets error',
    T,
    async () => {
      const { client, conn } = await accepted();
      const info = client.publishTracked('paho/end', 'x', { qos: 1 });
      await conn.expect('publish');
      const waiting = info.waitForPublish(5_000);
      await within(client.end(), 'end()');
      await assert.rejects(within(info.done, 'done'), ClientClosedError);
      await assert.rejects(waiting, ClientClosedError, 'a wait in progress ends with the same error');
      assert.ok(info.error instanceof ClientClosedError, `error ${String(info.error)}`);
      assert.equal(info.isPublished(), false);
    },
  );

  test(
    'publishTracked – a broker refusal (MQTT 5 PUBACK 0x87) rejects the info and keeps the error',
    T,
    async () => {
      const { client, conn } = await accepted();
      const info = client.publishTracked('paho/refused', 'x', { qos: 1 });
      const p = await conn.expect('publish');
      conn.send({ type: 'puback', packetId: p.packetId as number, reasonCode: 0x87 });
      await assert.rejects(within(info.done, 'done'), PublishError);
      assert.ok(info.error instanceof PublishError, `error ${String(info.error)}`);
      assert.equal(info.isPublished(), false);
    },
  );

  /** Starts a client with automatic reconnect towards the fake broker, remembered for cleanup. */
  function reconnecting(options: NodeClientOptions) {
    let client: MqttClient | undefined;
    const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
      reconnect: FAST,
      ...options,
      onClient: (c) => {
        client = c;
      },
    });
    if (client === undefined) throw new Error('onClient was not called');
    return { client, connecting };
  }

  /**
   * Takes the CONNECT of the next connection and accepts it as a broker that kept the session would: Session
   * Present unless the CONNECT asks for a clean start ([MQTT-3.2.2-2]). Returns its clean flag.
   */
  async function cleanFlagOfNext(): Promise<{ clean: boolean; conn: FakeConnection }> {
    const conn = await fake.broker.nextConnection();
    const c = await conn.expect('connect');
    conn.send({ type: 'connack', sessionPresent: !c.clean, reasonCode: 0 });
    return { clean: c.clean, conn };
  }

  const cleanCases = [
    ['first', [true, false, false]],
    [true, [true, true, true]],
    [false, [false, false, false]],
  ] as const;
  for (const version of [5, 4] as const) {
    for (const [clean, expected] of cleanCases) {
      test(
        `clean – v${version} clean: ${String(clean)}: CONNECT flags ${expected.join(', ')} over two reconnects`,
        T,
        async () => {
          const options: NodeClientOptions =
            version === 5
              ? { protocolVersion: 5, clean, sessionExpiryInterval: 300 }
              : { protocolVersion: 4, clean };
          const { client, connecting } = reconnecting(options);
          const flags: boolean[] = [];
          let step = await cleanFlagOfNext();
          flags.push(step.clean);
          await connecting;
          for (let i = 0; i < 2; i++) {
            const reconnected = nextEvent(client, 'connect');
            step.conn.destroy();
            step = await cleanFlagOfNext();
            flags.push(step.clean);
            const [info] = await reconnected;
            assert.equal(info.sessionPresent, !step.clean, 'the session resumed iff not a clean start');
          }
          assert.deepEqual(flags, expected);
        },
      );
    }
  }

  test(
    'clean – clean: "first" with a refused first CONNACK keeps nothing: the client ends, the flag was clean',
    T,
    async () => {
      const { connecting } = reconnecting({ protocolVersion: 5, clean: 'first', reconnect: false });
      const conn = await fake.broker.nextConnection();
      const c = await conn.expect('connect');
      assert.equal(c.clean, true);
      conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0x87 });
      await assert.rejects(connecting, ConnackError);
    },
  );

  test('clean – an invalid clean option is refused when the client is made', () => {
    assert.throws(
      () =>
        new MqttClient({
          transport: () => {
            throw new Error('unused');
          },
          clean: 'always' as unknown as boolean,
        }),
      InvalidArgumentError,
    );
  });
});
