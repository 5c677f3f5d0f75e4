// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The one-shot helpers (publishSingle, publishMultiple, subscribeSimple, subscribeCallback) against a real
// Mosquitto: round trips, order, counts, retained messages, stopping, timeouts, refusals, and MQTT 5 properties over
// TLS; after each call the helper's client has ended and left no socket or timer behind.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  ConnackError,
  type ConnectPacket,
  decode,
  InvalidArgumentError,
  type Message,
  type MqttClient,
  PublishError,
  publishMultiple,
  publishSingle,
  SubscribeRefusedError,
  socketTransport,
  subscribeCallback,
  subscribeSimple,
  TimeoutError,
  type TransportFactory,
} from '../../src/node.js';
import { take, within } from '../helpers/clients.js';
import { startFakeBroker } from '../helpers/fake-broker.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 15_000 };
const NOT_AUTHORIZED = 0x87;

/** Active sockets and timers: what would keep the process alive. */
function liveHandles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWrap' || r === 'TLSWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

/** Asserts that no socket or timer is left over compared with `before`. */
function assertNoNewHandles(before: { sockets: number; timers: number }): void {
  const now = liveHandles();
  assert.ok(
    now.sockets <= before.sockets && now.timers <= before.timers,
    `handles grew from ${JSON.stringify(before)} to ${JSON.stringify(now)}: ${process.getActiveResourcesInfo().join(', ')}`,
  );
}

describe('one-shot helpers', () => {
  const mosquitto = brokerSuite('helpers');
  const { pool, prefix } = mosquitto;
  let tlsUrl: string;
  let authUrl: string;

  before(() => {
    const { host, ports } = mosquitto.broker;
    tlsUrl = `mqtts://localhost:${ports.tls}`;
    authUrl = `mqtt://${host}:${ports.auth}`;
  });

  /**
   * Watches the client a helper creates (pass `onClient`): `subscribed()` resolves on its SUBACK, `seen` lists
   * every message it received (also those the helper skipped), `ended()` resolves with how it ended.
   */
  function watch() {
    let client: MqttClient | undefined;
    let suback: () => void = () => {};
    const subscribed = new Promise<void>((resolve) => {
      suback = resolve;
    });
    const seen: Message[] = [];
    return {
      seen,
      onClient(c: MqttClient): void {
        client = pool.add(c);
        c.once('subscribe', () => suback());
        c.on('message', (m) => seen.push(m));
      },
      subscribed: () => within(subscribed, "the helper's SUBACK"),
      get client(): MqttClient {
        assert.ok(client !== undefined, 'the helper created a client');
        return client;
      },
      /** How the client ended; it must have ended already (the helpers settle only after that). */
      ended(): Promise<Error | undefined> {
        assert.equal(this.client.connected, false, 'the client is no longer connected');
        return within(this.client.closed(), "the helper's client to have ended", 100);
      },
    };
  }

  test(
    'publishSingle + subscribeSimple – a round trip: one Message back, both clients ended',
    T,
    async () => {
      const topic = `${prefix}/round-trip`;
      const sub = watch();
      const pub = watch();
      const received = subscribeSimple(mosquitto.url, topic, {
        qos: 1,
        timeout: 5_000,
        onClient: sub.onClient,
      });
      await sub.subscribed();
      const result = await publishSingle(mosquitto.url, topic, 'hello', { qos: 1, onClient: pub.onClient });
      assert.equal(result.reasonCode, 0, `reason code ${result.reasonCode}`);
      assert.ok(result.packetId !== undefined && result.packetId > 0, `packetId ${result.packetId}`);
      const message = await within(received, 'subscribeSimple');
      assert.ok(!Array.isArray(message), 'count 1 resolves with the message itself');
      assert.equal(message.topic, topic);
      assert.equal(message.text(), 'hello');
      assert.equal(message.qos, 1);
      assert.equal(await pub.ended(), undefined, 'publishSingle ended its client with end()');
      assert.equal(await sub.ended(), undefined, 'subscribeSimple ended its client with end()');
    },
  );

  test('publishMultiple – QoS 1 messages arrive in order, one result per message', T, async () => {
    const topic = `${prefix}/multiple`;
    const observer = await pool.connect(mosquitto.url, { reconnect: false });
    const handle = await observer.subscribe(topic, { qos: 1 });
    const texts = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const pub = watch();
    const results = await publishMultiple(
      mosquitto.url,
      texts.map((payload) => ({ topic, payload, qos: 1 as const })),
      { onClient: pub.onClient },
    );
    assert.equal(results.length, texts.length, 'one result per message');
    for (const r of results) assert.equal(r.reasonCode, 0, `reason code ${r.reasonCode}`);
    const ids = results.map((r) => r.packetId);
    assert.equal(new Set(ids).size, ids.length, `distinct packet identifiers: ${ids.join(', ')}`);
    const got = await take(handle, texts.length);
    assert.deepEqual(
      got.map((m) => m.text()),
      texts,
      'received in publication order',
    );
    assert.ok(
      got.every((m) => m.qos === 1),
      `QoS ${got.map((m) => m.qos).join(', ')}`,
    );
    assert.equal(await pub.ended(), undefined, 'publishMultiple ended its client with end()');
  });

  test('subscribeSimple – count 3 over two filters resolves with three messages in order', T, async () => {
    const base = `${prefix}/count`;
    const sub = watch();
    const received = subscribeSimple(mosquitto.url, [`${base}/a`, `${base}/b/+`], {
      count: 3,
      qos: 1,
      timeout: 5_000,
      onClient: sub.onClient,
    });
    await sub.subscribed();
    await publishMultiple(mosquitto.url, [
      { topic: `${base}/a`, payload: '1', qos: 1 },
      { topic: `${base}/b/x`, payload: '2', qos: 1 },
      { topic: `${base}/a`, payload: '3', qos: 1 },
      { topic: `${base}/a`, payload: '4', qos: 1 },
    ]);
    const messages = await within(received, 'subscribeSimple');
    assert.ok(Array.isArray(messages), 'count 3 resolves with an array');
    assert.deepEqual(
      messages.map((m) => `${m.topic.slice(base.length)}=${m.text()}`),
      ['/a=1', '/b/x=2', '/a=3'],
    );
    assert.equal(await sub.ended(), undefined);
  });

  test(
    'subscribeSimple – a retained message counts by default; retained: false skips it for the next live one',
    T,
    async () => {
      const topic = `${prefix}/retained`;
      await publishSingle(mosquitto.url, topic, 'old', { qos: 1, retain: true });
      try {
        const first = await subscribeSimple(mosquitto.url, topic, { timeout: 5_000 });
        assert.equal(first.text(), 'old');
        assert.equal(first.retain, true, 'the retained message, with its flag');

        const sub = watch();
        const received = subscribeSimple(mosquitto.url, topic, {
          retained: false,
          qos: 1,
          timeout: 5_000,
          onClient: sub.onClient,
        });
        await sub.subscribed();
        await publishSingle(mosquitto.url, topic, 'live', { qos: 1 });
        const message = await within(received, 'subscribeSimple');
        assert.equal(message.text(), 'live');
        assert.equal(message.retain, false);
        assert.deepEqual(
          sub.seen.map((m) => `${m.text()}:${m.retain}`),
          ['old:true', 'live:false'],
          'the retained message did arrive first, and was skipped',
        );
      } finally {
        await publishSingle(mosquitto.url, topic, '', { qos: 1, retain: true });
      }
    },
  );

  test(
    'subscribeCallback – calls back with each message until the signal aborts, then resolves',
    T,
    async () => {
      const topic = `${prefix}/callback`;
      const stop = new AbortController();
      const sub = watch();
      const got: string[] = [];
      let clientArg: MqttClient | undefined;
      const running = subscribeCallback(
        mosquitto.url,
        topic,
        async (message, client) => {
          clientArg = client;
          got.push(message.text());
          // An async callback is awaited before the next message is handed over.
          await Promise.resolve();
          if (got.length === 3) stop.abort();
        },
        { qos: 1, signal: stop.signal, onClient: sub.onClient },
      );
      await sub.subscribed();
      await publishMultiple(
        mosquitto.url,
        ['a', 'b', 'c', 'd'].map((payload) => ({ topic, payload, qos: 1 as const })),
      );
      await within(running, 'subscribeCallback to resolve after the abort');
      assert.deepEqual(got.slice(0, 3), ['a', 'b', 'c'], `called back with ${got.join(', ')}`);
      assert.ok(got.length <= 4, `no message after the abort was handed over late: ${got.join(', ')}`);
      assert.equal(clientArg, sub.client, 'the callback gets the client');
      assert.equal(await sub.ended(), undefined, 'ended with end(), not an error');
    },
  );

  test(
    "subscribeCallback – resolves when the callback ends the client; rejects with the callback's error",
    T,
    async () => {
      const topic = `${prefix}/callback-end`;
      const first = watch();
      const ending = subscribeCallback(mosquitto.url, topic, (_m, client) => void client.end(), {
        onClient: first.onClient,
      });
      await first.subscribed();
      await publishSingle(mosquitto.url, topic, 'end');
      await within(ending, 'subscribeCallback to resolve after client.end()');
      assert.equal(await first.ended(), undefined);

      const second = watch();
      const boom = new Error('callback failed');
      const failing = subscribeCallback(
        mosquitto.url,
        topic,
        () => {
          throw boom;
        },
        { onClient: second.onClient },
      );
      await second.subscribed();
      await publishSingle(mosquitto.url, topic, 'boom');
      await assert.rejects(within(failing, 'subscribeCallback to reject'), (e: unknown) => {
        assert.equal(e, boom, `rejected with ${String(e)}`);
        return true;
      });
      assert.equal(await second.ended(), undefined, 'the client was ended (with DISCONNECT) first');
    },
  );

  test('subscribeSimple – a timeout rejects with TimeoutError and leaves nothing running', T, async () => {
    const before = liveHandles();
    const sub = watch();
    const started = Date.now();
    await assert.rejects(
      subscribeSimple(mosquitto.url, `${prefix}/silence`, { count: 2, timeout: 300, onClient: sub.onClient }),
      (e: unknown) => {
        assert.ok(e instanceof TimeoutError, `expected a TimeoutError, got ${String(e)}`);
        assert.equal(e.code, 'MQTT_ERR_TIMEOUT');
        assert.match(e.message, /0 of 2 messages within 300 ms/);
        return true;
      },
    );
    assert.ok(Date.now() - started >= 290, `rejected after ${Date.now() - started} ms`);
    assert.equal(await sub.ended(), undefined, 'ended with DISCONNECT');
    assertNoNewHandles(before);
  });

  test(
    'publishSingle and subscribeSimple – aborting the signal rejects with its reason and ends the client',
    T,
    async () => {
      const sub = watch();
      const stop = new AbortController();
      const reason = new Error('stop');
      const waiting = subscribeSimple(mosquitto.url, `${prefix}/aborted`, {
        signal: stop.signal,
        onClient: sub.onClient,
      });
      await sub.subscribed();
      stop.abort(reason);
      await assert.rejects(within(waiting, 'subscribeSimple to reject'), (e: unknown) => {
        assert.equal(e, reason, `rejected with ${String(e)}`);
        return true;
      });
      assert.equal(await sub.ended(), undefined);

      // Aborted before the call: no client is even created.
      let created = false;
      await assert.rejects(
        publishSingle(mosquitto.url, `${prefix}/aborted`, 'x', {
          signal: stop.signal,
          onClient: () => (created = true),
        }),
        (e: unknown) => e === reason,
      );
      assert.equal(created, false, 'no client for an already aborted signal');
    },
  );

  test(
    'helpers – a wrong password on the password listener rejects with ConnackError; nothing is left running',
    T,
    async () => {
      const before = liveHandles();
      const bad = { username: 'alice', password: 'not-her-password', reconnect: { minDelay: 20 } };
      const pub = watch();
      await assert.rejects(
        publishSingle(authUrl, `${prefix}/refused`, 'x', { ...bad, qos: 1, onClient: pub.onClient }),
        (e: unknown) => {
          assert.ok(e instanceof ConnackError, `expected a ConnackError, got ${String(e)}`);
          assert.equal(e.reasonCode, NOT_AUTHORIZED);
          return true;
        },
      );
      assert.ok((await pub.ended()) instanceof ConnackError, 'the client ended with the refusal');
      const sub = watch();
      await assert.rejects(
        subscribeSimple(authUrl, `${prefix}/refused`, { ...bad, timeout: 5_000, onClient: sub.onClient }),
        (e: unknown) => e instanceof ConnackError && e.reasonCode === NOT_AUTHORIZED,
      );
      assert.ok((await sub.ended()) instanceof ConnackError, 'the client ended with the refusal');
      await assert.rejects(
        subscribeCallback(authUrl, `${prefix}/refused`, () => {}, { ...bad }),
        (e: unknown) => e instanceof ConnackError && e.reasonCode === NOT_AUTHORIZED,
      );
      assertNoNewHandles(before);
    },
  );

  test(
    'publishMultiple – a message the broker refuses (MQTT 5) rejects with PublishError; later ones are not sent',
    T,
    async () => {
      const { bob } = mosquitto.broker.users;
      const observer = await pool.connect(mosquitto.url, { reconnect: false });
      const handle = await observer.subscribe('public/#', { qos: 1 });
      const base = `public/${prefix}`;
      const pub = watch();
      await assert.rejects(
        publishMultiple(
          authUrl,
          [
            { topic: `${base}/ok`, payload: 'before', qos: 1 },
            { topic: `${prefix}/private`, payload: 'refused', qos: 1 },
            { topic: `${base}/ok`, payload: 'after', qos: 1 },
          ],
          { ...bob, protocolVersion: 5, onClient: pub.onClient },
        ),
        (e: unknown) => {
          assert.ok(e instanceof PublishError, `expected a PublishError, got ${String(e)}`);
          assert.equal(e.reasonCode, NOT_AUTHORIZED);
          return true;
        },
      );
      assert.equal(await pub.ended(), undefined, 'ended with DISCONNECT');
      await publishSingle(mosquitto.url, `${base}/ok`, 'sentinel', { qos: 1 });
      const got = await take(handle, 2);
      assert.deepEqual(
        got.map((m) => m.text()),
        ['before', 'sentinel'],
        'the message after the refused one was not sent',
      );
    },
  );

  test(
    'subscribeSimple – SUBACK refusing every filter rejects with SubscribeRefusedError; a partial refusal goes on',
    T,
    async () => {
      // Mosquitto 2.0 grants every subscription (its ACL applies on delivery), so a scripted broker refuses here.
      const fb = await startFakeBroker();
      try {
        const fbUrl = `mqtt://127.0.0.1:${fb.port}`;
        const sub = watch();
        const refused = subscribeSimple(fbUrl, ['private/#', 'secret'], {
          protocolVersion: 5,
          timeout: 5_000,
          onClient: sub.onClient,
        });
        const conn = await fb.nextConnection();
        await conn.expect('connect');
        conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
        const s = await conn.expect('subscribe');
        conn.send({
          type: 'suback',
          packetId: s.packetId,
          reasonCodes: [NOT_AUTHORIZED, 0x80],
          properties: { reasonString: 'no' },
        });
        await assert.rejects(within(refused, 'subscribeSimple to reject'), (e: unknown) => {
          assert.ok(e instanceof SubscribeRefusedError, `expected a SubscribeRefusedError, got ${String(e)}`);
          assert.equal(e.code, 'MQTT_ERR_SUBSCRIBE_REFUSED');
          assert.deepEqual(e.reasonCodes, [NOT_AUTHORIZED, 0x80]);
          assert.deepEqual(e.topicFilters, ['private/#', 'secret']);
          assert.match(e.message, /private\/#: Not authorized \(0x87\).*: no$/);
          return true;
        });
        await conn.expect('disconnect');
        assert.equal(await sub.ended(), undefined, 'ended with DISCONNECT');

        const partial = subscribeSimple(fbUrl, ['private/#', 'public/#'], {
          protocolVersion: 5,
          timeout: 5_000,
        });
        const conn2 = await fb.nextConnection();
        await conn2.expect('connect');
        conn2.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
        const s2 = await conn2.expect('subscribe');
        conn2.send({ type: 'suback', packetId: s2.packetId, reasonCodes: [NOT_AUTHORIZED, 0] });
        const payload = new TextEncoder().encode('granted');
        conn2.send({ type: 'publish', topic: 'public/x', payload, qos: 0, retain: false, dup: false });
        const message = await within(partial, 'subscribeSimple with one filter granted');
        assert.equal(message.text(), 'granted');
        await conn2.expect('disconnect');
      } finally {
        await fb.close();
      }
    },
  );

  test(
    'helpers – v5 properties over TLS: CONNECT and message properties, received intact by subscribeSimple',
    T,
    async () => {
      const topic = `${prefix}/tls-v5`;
      const tls = { ca: mosquitto.broker.certs.ca.cert };
      const v5 = { tls, protocolVersion: 5 as const };
      const sub = watch();
      const received = subscribeSimple(tlsUrl, topic, {
        ...v5,
        qos: 1,
        timeout: 5_000,
        properties: { userProperties: [['role', 'subscriber']] },
        onClient: sub.onClient,
      });
      await sub.subscribed();
      const pub = watch();
      const messageProperties = {
        contentType: 'application/json',
        userProperties: [
          ['trace', 'abc-123'],
          ['trace', 'twice'],
          ['ünï', 'cødé'],
        ] as [string, string][],
        messageExpiryInterval: 3_600,
      };
      const result = await publishSingle(tlsUrl, topic, '{"t":21.5}', {
        ...v5,
        qos: 1,
        properties: { userProperties: [['app', 'helpers-test']], requestProblemInformation: true },
        sessionExpiryInterval: 0,
        messageProperties,
        onClient: pub.onClient,
      });
      assert.equal(result.reasonCode, 0, `reason code ${result.reasonCode}`);
      assert.equal(pub.client.protocolVersion, 5, 'the publisher spoke MQTT 5');
      const message = await within(received, 'subscribeSimple');
      assert.equal(sub.client.protocolVersion, 5, 'the subscriber spoke MQTT 5');
      assert.deepEqual(message.json(), { t: 21.5 });
      assert.ok(message.properties !== undefined, 'the message has properties');
      assert.equal(message.properties.contentType, 'application/json');
      assert.deepEqual(
        message.properties.userProperties,
        messageProperties.userProperties,
        'same pairs, same order',
      );
      const expiry = message.properties.messageExpiryInterval;
      // The broker sends the time left, which may have lost a second on the way.
      assert.ok(
        expiry !== undefined && expiry <= 3_600 && expiry >= 3_590,
        `messageExpiryInterval ${expiry}`,
      );
      assert.equal(await pub.ended(), undefined);
      assert.equal(await sub.ended(), undefined);
    },
  );

  test(
    'publishSingle – connection options (clientId, credentials, will, keep-alive, CONNECT properties) reach the CONNECT over TLS',
    T,
    async () => {
      const written: Uint8Array[] = [];
      const tlsSocket = socketTransport({
        host: 'localhost',
        port: mosquitto.broker.ports.tls,
        tls: { ca: mosquitto.broker.certs.ca.cert },
      });
      const recording: TransportFactory = (handlers) => {
        const t = tlsSocket(handlers);
        return {
          write: (bytes) => {
            written.push(bytes.slice());
            return t.write(bytes);
          },
          end: () => t.end(),
          destroy: (error) => t.destroy(error),
        };
      };
      await publishSingle(tlsUrl, `${prefix}/connect-options`, 'x', {
        transport: recording,
        protocolVersion: 5,
        clientId: 'helpers-connect',
        username: 'anyone',
        password: 'secret',
        keepAlive: 17,
        sessionExpiryInterval: 30,
        clean: true,
        will: { topic: `${prefix}/will`, payload: 'gone', qos: 1, properties: { willDelayInterval: 5 } },
        properties: { userProperties: [['app', 'helpers-test']], receiveMaximum: 50 },
      });
      const first = written[0];
      assert.ok(first !== undefined, 'something was written');
      const connect = decode(first, 5) as ConnectPacket;
      assert.equal(connect.type, 'connect');
      assert.equal(connect.protocolVersion, 5);
      assert.equal(connect.clientId, 'helpers-connect');
      assert.equal(connect.username, 'anyone');
      assert.equal(new TextDecoder().decode(connect.password), 'secret');
      assert.equal(connect.keepAlive, 17);
      assert.equal(connect.clean, true);
      assert.deepEqual(connect.properties?.userProperties, [['app', 'helpers-test']]);
      assert.equal(connect.properties?.receiveMaximum, 50);
      assert.equal(connect.properties?.sessionExpiryInterval, 30);
      assert.equal(connect.will?.topic, `${prefix}/will`);
      assert.equal(connect.will?.qos, 1);
      assert.equal(connect.will?.properties?.willDelayInterval, 5);
      const kinds = written.map((b) => decode(b, 5).type);
      assert.deepEqual(kinds, ['connect', 'publish', 'disconnect'], `packets written: ${kinds.join(', ')}`);
    },
  );

  test(
    'helpers – wrong arguments reject with InvalidArgumentError before any client is created',
    T,
    async () => {
      let created = 0;
      const onClient = () => {
        created++;
      };
      const cases: [string, () => Promise<unknown>][] = [
        ['count 0', () => subscribeSimple(mosquitto.url, 'a', { count: 0, onClient })],
        ['count 1.5', () => subscribeSimple(mosquitto.url, 'a', { count: 1.5, onClient })],
        ['no filter', () => subscribeSimple(mosquitto.url, [], { onClient })],
        ['bad filter', () => subscribeSimple(mosquitto.url, 'a/#/b', { onClient })],
        ['qos 3', () => subscribeSimple(mosquitto.url, 'a', { qos: 3 as 0, onClient })],
        ['negative timeout', () => subscribeSimple(mosquitto.url, 'a', { timeout: -1, onClient })],
        [
          'no callback',
          () => subscribeCallback(mosquitto.url, 'a', undefined as unknown as () => void, { onClient }),
        ],
        ['no messages', () => publishMultiple(mosquitto.url, [], { onClient })],
        [
          'wildcard topic',
          () => publishMultiple(mosquitto.url, [{ topic: 'a' }, { topic: 'a/+' }], { onClient }),
        ],
        ['bad payload', () => publishSingle(mosquitto.url, 'a', 42 as unknown as string, { onClient })],
        ['message qos 3', () => publishMultiple(mosquitto.url, [{ topic: 'a', qos: 3 as 0 }], { onClient })],
        ['bad URL', () => publishSingle('http://localhost', 'a', 'x', { onClient })],
      ];
      for (const [what, call] of cases) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(
            e instanceof InvalidArgumentError,
            `${what}: expected an InvalidArgumentError, got ${String(e)}`,
          );
          return true;
        });
      }
      assert.equal(created, 0, 'no client was created');
    },
  );
});
