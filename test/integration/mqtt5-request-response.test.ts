// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 request / response (section 4.10): `client.request()` and `message.respond()` end to end through a real
// Mosquitto (MQTT 5), and against the scripted fake broker for what Mosquitto does not do (Response Information)
// and for timings a real broker will not produce (a PUBACK that never comes). Every step awaits a packet, an
// event or a promise, never a delay.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  ClientClosedError,
  InvalidArgumentError,
  Message,
  type MqttClient,
  type PublishPacket,
  TimeoutError,
} from '../../src/node.js';
import { clientId, nextEvent, take, within } from '../helpers/clients.js';
import type { FakeConnection } from '../helpers/fake-broker.js';
import { brokerSuite, fakeBrokerSuite } from '../helpers/suite.js';

const T = { timeout: 20_000 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How many requests of `client` wait for a response (the requester's private map; 0 when none was made). */
function pendingRequests(client: MqttClient): number {
  const inner = client as unknown as { requester?: { pending: Map<string, unknown> } };
  return inner.requester?.pending.size ?? 0;
}

/** Fails the test with every unhandled rejection seen while `run` runs (and in the macrotask after it). */
async function withoutUnhandledRejections(run: () => Promise<void>): Promise<void> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  try {
    await run();
    // Unhandled rejections are reported once the microtask queue is empty: one macrotask later all are in.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  assert.deepEqual(
    seen.map((e) => String(e)),
    [],
    'no promise of request() was left rejected with nobody awaiting it',
  );
}

describe('request / response through Mosquitto (MQTT 5)', () => {
  const mosquitto = brokerSuite('reqres');
  const { pool, prefix } = mosquitto;
  let n = 0;
  let service: string;

  beforeEach(() => {
    service = `${prefix}/${++n}/svc/echo`;
  });

  const v5 = (tag: string) =>
    pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false, clientId: clientId(tag) });

  /**
   * A client subscribed to `topic` that answers every message with `pong:<payload>` through `msg.respond()`.
   * `seen` gets every request as the responder received it; `failures` every rejected `respond()`.
   */
  async function echoResponder(topic: string) {
    const client = await v5('resp');
    const seen: Message[] = [];
    const failures: unknown[] = [];
    client.on('message', (m) => {
      if (m.topic !== topic) return;
      seen.push(m);
      m.respond(`pong:${m.text()}`).catch((e: unknown) => failures.push(e));
    });
    const sub = await client.subscribe(topic, { qos: 1 });
    assert.equal(sub.granted, true, 'the responder subscription is granted');
    return { client, seen, failures };
  }

  test(
    'request – resolves with the response: payload, correlation data echoed, on the private response topic',
    T,
    async () => {
      const responder = await echoResponder(service);
      const requester = await v5('req');
      const response = await within(
        requester.request(service, 'ping', {
          timeout: 5_000,
          properties: { userProperties: [['k', 'v']], contentType: 'text/plain' },
        }),
        'request',
      );
      assert.ok(response instanceof Message, 'the response is a Message');
      assert.equal(response.text(), 'pong:ping');
      assert.equal(responder.seen.length, 1, 'the responder saw one request');
      const req = responder.seen[0] as Message;
      assert.equal(req.text(), 'ping');
      assert.equal(req.qos, 1, 'requests go at QoS 1 by default');
      const responseTopic = req.properties?.responseTopic;
      assert.ok(responseTopic !== undefined, 'the request carries a Response Topic');
      assert.ok(
        responseTopic.startsWith(`mqttkit/responses/${requester.clientId}/`),
        `the response topic ${responseTopic} is the requester's private topic`,
      );
      assert.deepEqual(req.properties?.userProperties, [['k', 'v']], 'user properties of the request pass');
      assert.equal(req.properties?.contentType, 'text/plain');
      const correlation = req.properties?.correlationData;
      assert.ok(correlation !== undefined && correlation.length > 0, 'the request carries Correlation Data');
      assert.equal(response.topic, responseTopic, 'the response arrived on the private response topic');
      assert.deepEqual(response.properties?.correlationData, correlation, 'the correlation data is echoed');
      assert.equal(pendingRequests(requester), 0, 'nothing left pending');
      assert.deepEqual(responder.failures, []);
    },
  );

  test(
    'request – 20 concurrent requests answered in reverse order each get their own response',
    T,
    async () => {
      const responder = await v5('resp');
      const sub = await responder.subscribe(service, { qos: 1 });
      const requester = await v5('req');
      const requests = Array.from({ length: 20 }, (_, i) =>
        requester.request(service, `ping-${i}`, { timeout: 10_000 }),
      );
      const received = await take(sub, 20, 10_000);
      const correlations = new Set(
        received.map((m) => decoder.decode(m.properties?.correlationData ?? new Uint8Array())),
      );
      assert.equal(correlations.size, 20, 'every request has its own correlation data');
      assert.equal(
        new Set(received.map((m) => m.properties?.responseTopic)).size,
        1,
        'one shared response topic',
      );
      await Promise.all(received.reverse().map((m) => m.respond(`re:${m.text()}`)));
      const responses = await within(Promise.all(requests), 'all 20 responses', 10_000);
      assert.deepEqual(
        responses.map((r) => r.text()),
        Array.from({ length: 20 }, (_, i) => `re:ping-${i}`),
      );
      assert.equal(pendingRequests(requester), 0, 'nothing left pending');
    },
  );

  test(
    'request – no responder: TimeoutError after the timeout, no pending state, and a later request works',
    T,
    async () => {
      const requester = await v5('req');
      const started = Date.now();
      await assert.rejects(requester.request(`${service}/nobody`, 'ping', { timeout: 300 }), TimeoutError);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290, `rejected after ${elapsed} ms, not before the 300 ms timeout`);
      assert.equal(pendingRequests(requester), 0, 'the timed-out request is forgotten');
      await echoResponder(service);
      const r = await within(requester.request(service, 'again', { timeout: 5_000 }), 'later request');
      assert.equal(r.text(), 'pong:again');
      assert.equal(pendingRequests(requester), 0);
    },
  );

  test(
    'request – a late response after the timeout, and one with unknown correlation data, are dropped silently',
    T,
    async () => {
      const slow = await v5('slow');
      const held = await slow.subscribe(service, { qos: 1 });
      const requester = await v5('req');
      const events: Message[] = [];
      requester.on('message', (m) => events.push(m));
      const all = requester.messages();
      await assert.rejects(requester.request(service, 'first', { timeout: 300 }), TimeoutError);
      const [late] = await take(held, 1);
      assert.ok(late !== undefined, 'the slow responder got the first request');
      await late.respond('too late');
      const responseTopic = late.properties?.responseTopic as string;
      await slow.publish(responseTopic, 'stranger', {
        qos: 1,
        properties: { correlationData: encoder.encode('not-a-request') },
      });
      await slow.publish(responseTopic, 'no correlation', { qos: 1 });
      const second = requester.request(service, 'second', { timeout: 5_000 });
      const [next] = await take(held, 1);
      await (next as Message).respond('on time');
      assert.equal((await within(second, 'second request')).text(), 'on time');
      // The dropped messages came before the answer on the same topic from the same publisher: had any of them
      // been passed on, it would be ahead of this marker.
      const marker = `${prefix}/${n}/marker`;
      await requester.subscribe(marker, { qos: 1 });
      await slow.publish(marker, 'marker', { qos: 1 });
      const [first] = await take(all, 1);
      assert.equal(first?.topic, marker, 'client.messages() saw none of the messages on the response topic');
      assert.deepEqual(
        events.map((m) => m.topic),
        [marker],
        'the message event saw none of the messages on the response topic',
      );
    },
  );

  test(
    'request – aborting the signal while waiting for the response rejects with the signal reason',
    T,
    async () => {
      const silent = await v5('silent');
      const held = await silent.subscribe(service, { qos: 1 });
      const requester = await v5('req');
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const published = nextEvent(requester, 'publish');
      const pending = requester.request(service, 'ping', { timeout: 10_000, signal: controller.signal });
      await published; // the request is out and acknowledged: request() now waits for the response
      await take(held, 1);
      assert.equal(pendingRequests(requester), 1, 'one request waiting');
      controller.abort(reason);
      await assert.rejects(within(pending, 'aborted request'), (e) => e === reason);
      assert.equal(pendingRequests(requester), 0, 'the aborted request is forgotten');
    },
  );

  test('request – an already aborted signal rejects with its reason at once', T, async () => {
    const requester = await v5('req');
    const reason = new Error('never mind');
    await assert.rejects(
      requester.request(service, 'ping', { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.equal(pendingRequests(requester), 0);
  });

  test(
    'request – client.end() rejects the requests waiting for a response with ClientClosedError',
    T,
    async () => {
      const silent = await v5('silent');
      const held = await silent.subscribe(service, { qos: 1 });
      const requester = await v5('req');
      const published = nextEvent(requester, 'publish');
      const pending = requester.request(service, 'ping', { timeout: 10_000 });
      const settled = pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      await published;
      await take(held, 1);
      await within(requester.end(), 'end()');
      const error = await within(settled, 'the pending request settles');
      assert.ok(error instanceof ClientClosedError, `rejected with ClientClosedError, got ${String(error)}`);
      assert.equal(pendingRequests(requester), 0);
      await assert.rejects(requester.request(service, 'after end', { timeout: 1_000 }), ClientClosedError);
    },
  );

  test(
    'request – responses do not reach the message event, client.messages() nor a subscription covering the response topic',
    T,
    async () => {
      await echoResponder(service);
      const requester = await v5('req');
      const events: Message[] = [];
      requester.on('message', (m) => events.push(m));
      const all = requester.messages();
      const r = await within(requester.request(service, 'ping', { timeout: 5_000 }), 'request');
      const covering = await requester.subscribe(`mqttkit/responses/${requester.clientId}/#`, { qos: 1 });
      assert.equal(covering.granted, true);
      const r2 = await within(requester.request(service, 'ping2', { timeout: 5_000 }), 'second request');
      assert.equal(r.text(), 'pong:ping');
      assert.equal(r2.text(), 'pong:ping2');
      // The requester publishes after the responses arrived: the marker is the first message anyone else sees.
      const marker = `mqttkit/responses/${requester.clientId}/marker`;
      await requester.publish(marker, 'marker', { qos: 1 });
      const [first] = await take(all, 1);
      assert.equal(first?.topic, marker, 'the first message of client.messages() is the marker');
      const [viaHandle] = await take(covering, 1);
      assert.equal(viaHandle?.topic, marker, 'the covering subscription saw the marker, not the response');
      assert.deepEqual(
        events.map((m) => m.topic),
        [marker],
        'the message event saw only the marker',
      );
    },
  );

  test('respond – a message without a response topic rejects with InvalidArgumentError', T, async () => {
    const receiver = await v5('recv');
    const sub = await receiver.subscribe(service, { qos: 1 });
    const sender = await v5('send');
    await sender.publish(service, 'plain', { qos: 1 });
    const [m] = await take(sub, 1);
    assert.ok(m !== undefined, 'the message arrived');
    assert.equal(m.properties?.responseTopic, undefined);
    await assert.rejects(m.respond('answer'), InvalidArgumentError);
  });

  test('respond – a Message not received by a client rejects with InvalidArgumentError', async () => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: 'a/b',
      payload: encoder.encode('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { responseTopic: 'r/t', correlationData: encoder.encode('c') },
    };
    await assert.rejects(new Message(packet).respond('answer'), InvalidArgumentError);
  });

  test('request – an MQTT 3.1.1 client rejects with InvalidArgumentError', T, async () => {
    const old = await pool.connect(mosquitto.url, {
      protocolVersion: 4,
      reconnect: false,
      clientId: clientId('v4'),
    });
    await assert.rejects(old.request(service, 'ping', { timeout: 1_000 }), InvalidArgumentError);
    assert.equal(pendingRequests(old), 0);
  });

  test('request – a timeout that is not a positive number rejects with InvalidArgumentError', T, async () => {
    const requester = await v5('req');
    for (const timeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(
        requester.request(service, 'ping', { timeout }),
        InvalidArgumentError,
        `timeout ${timeout}`,
      );
    }
  });
});

describe('request / response against the scripted fake broker', () => {
  const fake = fakeBrokerSuite();
  const { pool } = fake;

  /** A connected MQTT 5 client whose CONNECT asks for Response Information; the broker answers with `info`. */
  async function connected(info?: string): Promise<{ client: MqttClient; conn: FakeConnection }> {
    const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
      protocolVersion: 5,
      reconnect: false,
      clientId: 'rr-client',
      properties: { requestResponseInformation: true },
    });
    const conn = await fake.broker.nextConnection();
    const c = await conn.expect('connect');
    assert.equal(c.properties?.requestResponseInformation, true, 'CONNECT asks for Response Information');
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: info === undefined ? {} : { responseInformation: info },
    });
    return { client: await within(connecting, 'connect'), conn };
  }

  /** Answers the client's SUBSCRIBE granting QoS 1; returns its topic. */
  async function grantSubscribe(conn: FakeConnection): Promise<string> {
    const s = await conn.expect('subscribe');
    assert.equal(s.subscriptions.length, 1, 'one filter');
    const topic = s.subscriptions[0]?.topicFilter as string;
    assert.equal(s.subscriptions[0]?.qos, 1, 'the response topic is subscribed at QoS 1');
    conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [1] });
    return topic;
  }

  /** Answers a request PUBLISH with a response on its Response Topic. */
  function answer(conn: FakeConnection, req: PublishPacket, payload: string, packetId = 100): void {
    conn.send({
      type: 'publish',
      topic: req.properties?.responseTopic as string,
      payload: encoder.encode(payload),
      qos: 1,
      packetId,
      retain: false,
      dup: false,
      properties: { correlationData: req.properties?.correlationData as Uint8Array },
    });
  }

  test(
    'response information – the response topic starts with the broker Response Information',
    T,
    async () => {
      const { client, conn } = await connected('resp/abc/');
      const pending = client.request('svc/echo', 'ping', { timeout: 5_000 });
      const topic = await grantSubscribe(conn);
      assert.ok(topic.startsWith('resp/abc/'), `the response topic ${topic} starts with 'resp/abc/'`);
      assert.ok(!topic.startsWith('resp/abc//'), `no doubled slash in ${topic}`);
      const req = await conn.expect('publish');
      assert.equal(req.topic, 'svc/echo');
      assert.equal(req.properties?.responseTopic, topic, 'the request names the subscribed topic');
      conn.send({ type: 'puback', packetId: req.packetId as number, reasonCode: 0 });
      answer(conn, req, 'pong');
      assert.equal((await within(pending, 'request')).text(), 'pong');
      assert.deepEqual(await conn.expect('puback'), { type: 'puback', packetId: 100, reasonCode: 0 });
      // The subscription is made once per client.
      const second = client.request('svc/echo', 'ping2', { timeout: 5_000 });
      const req2 = await conn.expect('publish');
      assert.equal(req2.properties?.responseTopic, topic, 'the second request reuses the response topic');
      conn.send({ type: 'puback', packetId: req2.packetId as number, reasonCode: 0 });
      answer(conn, req2, 'pong2', 101);
      assert.equal((await within(second, 'second request')).text(), 'pong2');
    },
  );

  test(
    'response information – without it the response topic is under mqttkit/responses/<client id>/',
    T,
    async () => {
      const { client, conn } = await connected();
      const pending = client.request('svc/echo', 'ping', { timeout: 5_000 });
      const topic = await grantSubscribe(conn);
      assert.ok(topic.startsWith('mqttkit/responses/rr-client/'), `response topic ${topic}`);
      const req = await conn.expect('publish');
      conn.send({ type: 'puback', packetId: req.packetId as number, reasonCode: 0 });
      answer(conn, req, 'pong');
      assert.equal((await within(pending, 'request')).text(), 'pong');
    },
  );

  test(
    'request – a refused response subscription rejects, and the next request subscribes again',
    T,
    async () => {
      const { client, conn } = await connected();
      const first = client.request('svc/echo', 'ping', { timeout: 5_000 });
      const s = await conn.expect('subscribe');
      conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [0x87] });
      await assert.rejects(within(first, 'refused request'), InvalidArgumentError);
      const second = client.request('svc/echo', 'ping', { timeout: 5_000 });
      await grantSubscribe(conn);
      const req = await conn.expect('publish');
      conn.send({ type: 'puback', packetId: req.packetId as number, reasonCode: 0 });
      answer(conn, req, 'pong');
      assert.equal((await within(second, 'second request')).text(), 'pong');
    },
  );

  // The first request of a client subscribes to the response topic before it publishes: its timeout and signal
  // should bound that wait too (the documented promise is a TimeoutError after `timeout` ms).

  test(
    'request – the timeout also bounds the wait for the SUBACK of the response subscription',
    T,
    async () => {
      const { client, conn } = await connected();
      const pending = client.request('svc/echo', 'ping', { timeout: 200 });
      await conn.expect('subscribe'); // no SUBACK
      await assert.rejects(within(pending, 'request without SUBACK', 2_000), TimeoutError);
    },
  );

  test(
    'request – the signal also aborts the wait for the SUBACK of the response subscription',
    T,
    async () => {
      const { client, conn } = await connected();
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const pending = client.request('svc/echo', 'ping', { timeout: 10_000, signal: controller.signal });
      await conn.expect('subscribe'); // no SUBACK
      controller.abort(reason);
      await assert.rejects(within(pending, 'aborted request without SUBACK', 2_000), (e) => e === reason);
    },
  );

  // The request's PUBLISH is still waiting for its PUBACK in the next three tests: request() awaits the publish
  // before it awaits the response, so a rejection of the response promise in that window has nobody listening.

  test(
    'request – aborting while the request PUBLISH awaits its PUBACK rejects at once with the reason, nothing left unhandled',
    T,
    async () => {
      const { client, conn } = await connected();
      await withoutUnhandledRejections(async () => {
        const controller = new AbortController();
        const reason = new Error('caller gave up');
        const pending = client.request('svc/echo', 'ping', { timeout: 10_000, signal: controller.signal });
        await grantSubscribe(conn);
        await conn.expect('publish'); // no PUBACK
        controller.abort(reason);
        await assert.rejects(within(pending, 'aborted request', 2_000), (e) => e === reason);
      });
    },
  );

  test(
    'request – a timeout while the request PUBLISH awaits its PUBACK rejects with TimeoutError, nothing left unhandled',
    T,
    async () => {
      const { client, conn } = await connected();
      await withoutUnhandledRejections(async () => {
        const pending = client.request('svc/echo', 'ping', { timeout: 200 });
        await grantSubscribe(conn);
        await conn.expect('publish'); // no PUBACK
        await assert.rejects(within(pending, 'timed-out request', 2_000), TimeoutError);
      });
    },
  );

  test(
    'request – end() while the request PUBLISH awaits its PUBACK rejects with ClientClosedError, nothing left unhandled',
    T,
    async () => {
      const { client, conn } = await connected();
      await withoutUnhandledRejections(async () => {
        const pending = client.request('svc/echo', 'ping', { timeout: 10_000 });
        const settled = pending.then(
          () => undefined,
          (e: unknown) => e,
        );
        await grantSubscribe(conn);
        await conn.expect('publish'); // no PUBACK
        await within(client.end(), 'end()');
        const error = await within(settled, 'the request settles');
        assert.ok(error instanceof ClientClosedError, `ClientClosedError, got ${String(error)}`);
      });
    },
  );
});
