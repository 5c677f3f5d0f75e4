// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Per-filter message handlers (paho's message_callback_add / message_callback_remove) against a real Mosquitto:
// which handlers run for which topics, what the `message` event still gets, removal, handlers that throw, the
// `$`-topic rule, and `client.messages()` alongside handlers.
//
// Every test publishes its messages and then a marker, and reads `client.messages()` up to the marker: dispatch
// runs the handlers and the `message` event before it hands a message to the iterators, so once the marker comes
// out of the iterator every handler call of the messages before it has happened. No test waits for time.
//
// A handler that throws is reported through the client's protected `listenerFailed` (its default rethrows on a
// microtask, as an uncaught exception). Catching that with process.once('uncaughtException') does not work under
// node:test: the runner's own 'uncaughtException' listener runs as well and fails the test whatever ours does,
// and removing the runner's listeners for a while is fragile. So the test uses a subclass that records what
// `listenerFailed` receives: the documented hook for reporting, and no global state touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  InvalidArgumentError,
  type Message,
  MqttClient,
  type NodeClientOptions,
  socketTransport,
} from '../../src/node.js';
import { type Connected, take } from '../helpers/clients.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };
const MARKER = 'marker';

/** A client that records the errors of its handlers and listeners instead of rethrowing them. */
class RecordingClient extends MqttClient {
  readonly failures: unknown[] = [];

  protected override listenerFailed(error: unknown): void {
    this.failures.push(error);
  }
}

/** The topics of `messages`, in order. */
const topics = (messages: readonly Message[]) => messages.map((m) => m.topic);

describe('message handlers', () => {
  const mosquitto = brokerSuite('handlers');
  const { pool, fresh } = mosquitto;

  /**
   * A client subscribed to `${base}/#` at QoS 1, with an iterator over all its messages opened before anything
   * is published.
   */
  async function subscribed(base: string, options: NodeClientOptions = {}) {
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false, ...options });
    const all = c.messages({ bufferSize: 1_000 });
    const sub = await c.subscribe(`${base}/#`, { qos: 1 });
    assert.equal(sub.granted, true, `subscription to ${base}/# granted`);
    return { c, all };
  }

  /**
   * Publishes to each topic under `base` at QoS 1 from `c`, then the marker (`${base}/marker`), and reads `all` up
   * to the marker. Returns the messages before it.
   */
  async function roundTrip(c: Connected, all: AsyncIterator<Message>, base: string, sub: readonly string[]) {
    for (const t of sub) await c.publish(`${base}/${t}`, t, { qos: 1 });
    await c.publish(`${base}/${MARKER}`, MARKER, { qos: 1 });
    const got = await take(all, sub.length + 1);
    assert.equal(got.at(-1)?.topic, `${base}/${MARKER}`, 'the marker comes last');
    return got.slice(0, -1);
  }

  for (const version of [4, 5] as const) {
    test(
      `handlers – v${version}: a handler for a/+/c receives only the messages whose topic matches`,
      T,
      async () => {
        const base = fresh();
        const { c, all } = await subscribed(base, { protocolVersion: version });
        const handled: Message[] = [];
        c.addMessageHandler(`${base}/a/+/c`, (m) => handled.push(m));
        await roundTrip(c, all, base, ['a/x/c', 'a/x/d', 'a/x/c/d', 'a/c', 'b/x/c', 'a//c', 'a/y/c']);
        assert.deepEqual(topics(handled), [`${base}/a/x/c`, `${base}/a//c`, `${base}/a/y/c`]);
        assert.deepEqual(
          handled.map((m) => m.text()),
          ['a/x/c', 'a//c', 'a/y/c'],
          'the handler gets the message itself (payload)',
        );
      },
    );
  }

  test(
    'handlers – overlapping handlers a/# and a/b both run for a/b, each once; one function under both filters runs once',
    T,
    async () => {
      const base = fresh();
      const { c, all } = await subscribed(base);
      const wide: string[] = [];
      const narrow: string[] = [];
      const both: string[] = [];
      c.addMessageHandler(`${base}/a/#`, (m) => wide.push(m.topic));
      c.addMessageHandler(`${base}/a/b`, (m) => narrow.push(m.topic));
      const shared = (m: Message) => both.push(m.topic);
      c.addMessageHandler(`${base}/a/#`, shared);
      c.addMessageHandler(`${base}/a/b`, shared);
      // Adding the same function under the same filter again changes nothing.
      c.addMessageHandler(`${base}/a/b`, shared);
      await roundTrip(c, all, base, ['a/b', 'a', 'a/c']);
      assert.deepEqual(
        wide,
        [`${base}/a/b`, `${base}/a`, `${base}/a/c`],
        'a/# matches a/b, a (its parent) and a/c',
      );
      assert.deepEqual(narrow, [`${base}/a/b`], 'a/b once');
      assert.deepEqual(
        both,
        [`${base}/a/b`, `${base}/a`, `${base}/a/c`],
        'registered under two filters, called once',
      );
    },
  );

  test(
    'handlers – the message event gets every message while there is no handler, then only those no handler took',
    T,
    async () => {
      const base = fresh();
      const { c, all } = await subscribed(base);
      const events: string[] = [];
      c.on('message', (m) => events.push(m.topic));

      await roundTrip(c, all, base, ['a/1', 'b/1']);
      assert.deepEqual(
        events,
        [`${base}/a/1`, `${base}/b/1`, `${base}/${MARKER}`],
        'no handler: every message',
      );

      events.length = 0;
      const handled: string[] = [];
      c.addMessageHandler(`${base}/a/#`, (m) => handled.push(m.topic));
      await roundTrip(c, all, base, ['a/2', 'b/2', 'a/3/x']);
      assert.deepEqual(handled, [`${base}/a/2`, `${base}/a/3/x`]);
      assert.deepEqual(events, [`${base}/b/2`, `${base}/${MARKER}`], 'only the messages no handler matched');
    },
  );

  test(
    'handlers – removeMessageHandler(filter, handler) stops that handler only; removeMessageHandler(filter) stops every handler of the filter',
    T,
    async () => {
      const base = fresh();
      const { c, all } = await subscribed(base);
      const first: string[] = [];
      const second: string[] = [];
      const other: string[] = [];
      const events: string[] = [];
      const h1 = (m: Message) => first.push(m.text());
      const h2 = (m: Message) => second.push(m.text());
      c.on('message', (m) => events.push(m.text()));
      c.addMessageHandler(`${base}/x`, h1);
      c.addMessageHandler(`${base}/x`, h2);
      c.addMessageHandler(`${base}/+`, (m) => other.push(m.text()));

      await roundTrip(c, all, base, ['x']);
      assert.deepEqual([first, second], [['x'], ['x']], 'both handlers of x ran');
      assert.equal(c.removeMessageHandler(`${base}/x`, h1), true, 'h1 was registered');
      assert.equal(c.removeMessageHandler(`${base}/x`, h1), false, 'h1 is gone already');
      assert.equal(c.removeMessageHandler(`${base}/y`, h2), false, 'h2 was never registered under y');
      await roundTrip(c, all, base, ['x']);
      assert.deepEqual(first, ['x'], 'h1 no longer called after its removal');
      assert.deepEqual(second, ['x', 'x'], 'h2 of the same filter still called');

      assert.equal(c.removeMessageHandler(`${base}/x`), true, 'every handler of x removed');
      assert.equal(c.removeMessageHandler(`${base}/x`), false, 'nothing left under x');
      await roundTrip(c, all, base, ['x']);
      assert.deepEqual(second, ['x', 'x'], 'h2 no longer called');
      assert.deepEqual(other, ['x', MARKER, 'x', MARKER, 'x', MARKER], 'the + handler is untouched');
      assert.deepEqual(events, [], 'the + handler took every message');

      assert.equal(c.removeMessageHandler(`${base}/+`), true, 'the last handler removed');
      await roundTrip(c, all, base, ['x']);
      assert.equal(other.length, 6, 'no handler left: nothing more');
      assert.deepEqual(
        events,
        ['x', MARKER],
        'with no handler left, the message event gets the messages again',
      );
    },
  );

  test(
    'handlers – a handler that throws does not stop the other handlers nor the message event; its error is reported',
    T,
    async () => {
      const base = fresh();
      const c = pool.add(
        new RecordingClient({
          transport: socketTransport({ host: mosquitto.broker.host, port: mosquitto.broker.ports.tcp }),
          protocolVersion: 5,
          reconnect: false,
        }),
      );
      await c.connect();
      const all = c.messages();
      await c.subscribe(`${base}/#`, { qos: 1 });
      const boom = new Error('handler failed');
      const before: string[] = [];
      const after: string[] = [];
      const events: string[] = [];
      c.addMessageHandler(`${base}/a/#`, (m) => before.push(m.text()));
      c.addMessageHandler(`${base}/a/#`, () => {
        throw boom;
      });
      c.addMessageHandler(`${base}/a/+`, (m) => after.push(m.text()));
      c.on('message', (m) => events.push(m.text()));

      for (const [topic, text] of [
        ['a/1', 'a1'],
        ['b/1', 'b1'],
        ['a/2', 'a2'],
        ['b/2', 'b2'],
        [MARKER, MARKER],
      ]) {
        await c.publish(`${base}/${topic}`, text as string, { qos: 1 });
      }
      const got = await take(all, 5);
      assert.deepEqual(
        got.map((m) => m.text()),
        ['a1', 'b1', 'a2', 'b2', MARKER],
        'the iterator gets everything',
      );
      assert.deepEqual(before, ['a1', 'a2'], 'the handler added before the throwing one ran each time');
      assert.deepEqual(after, ['a1', 'a2'], 'the handler added after the throwing one ran each time');
      assert.deepEqual(events, ['b1', 'b2', MARKER], 'the message event still fires for the other messages');
      assert.equal(c.failures.length, 2, 'one failure per throw');
      assert.ok(
        c.failures.every((e) => e === boom),
        'listenerFailed receives the error the handler threw',
      );
      assert.equal(c.connected, true, 'the client stays connected');
    },
  );

  test(
    'handlers – a # handler does not get $-topics; a handler for $mine/# does, as the message event would',
    T,
    async () => {
      const base = fresh();
      // Mosquitto accepts publications to `$` topics other than $SYS; a filter starting with `$` matches them.
      const dollar = `$${base}`;
      const { c, all } = await subscribed(base);
      const dollarSub = await c.subscribe(`${dollar}/#`, { qos: 1 });
      assert.equal(dollarSub.granted, true, `subscription to ${dollar}/# granted`);
      const hash: string[] = [];
      const plus: string[] = [];
      const own: string[] = [];
      const events: string[] = [];
      c.addMessageHandler('#', (m) => hash.push(m.topic));
      c.addMessageHandler('+/#', (m) => plus.push(m.topic));
      c.on('message', (m) => events.push(m.topic));

      await c.publish(`${dollar}/x`, 'dollar', { qos: 1 });
      const [d] = await take(all, 1);
      assert.equal(d?.topic, `${dollar}/x`, 'the $ message arrived');
      assert.deepEqual(hash, [], '# does not match a topic starting with $');
      assert.deepEqual(plus, [], '+/# does not match a topic starting with $');
      assert.deepEqual(events, [`${dollar}/x`], 'no handler took it: the message event got it');

      c.addMessageHandler(`${dollar}/#`, (m) => own.push(m.topic));
      events.length = 0;
      await c.publish(`${dollar}/y`, 'dollar', { qos: 1 });
      await c.publish(`${base}/z`, 'z', { qos: 1 });
      await c.publish(`${base}/${MARKER}`, MARKER, { qos: 1 });
      const got = await take(all, 3);
      assert.deepEqual(topics(got), [`${dollar}/y`, `${base}/z`, `${base}/${MARKER}`]);
      assert.deepEqual(own, [`${dollar}/y`], 'a filter starting with $ matches');
      assert.deepEqual(hash, [`${base}/z`, `${base}/${MARKER}`], '# still matches the other topics');
      assert.deepEqual(events, [], 'every message was taken by a handler');
    },
  );

  test(
    'handlers – addMessageHandler with an invalid filter throws InvalidArgumentError and registers nothing',
    T,
    async () => {
      const base = fresh();
      const { c, all } = await subscribed(base);
      const calls: string[] = [];
      const h = (m: Message) => calls.push(m.topic);
      for (const bad of [
        '',
        `${base}/#/x`,
        `${base}/a+`,
        `${base}/#x`,
        `${base}/+x/y`,
        '$share/g',
        '$share//a',
      ]) {
        assert.throws(
          () => c.addMessageHandler(bad, h),
          InvalidArgumentError,
          `filter ${JSON.stringify(bad)} refused`,
        );
      }
      const events: string[] = [];
      c.on('message', (m) => events.push(m.topic));
      await roundTrip(c, all, base, ['a', 'a/x']);
      assert.deepEqual(calls, [], 'the refused handler is never called');
      assert.deepEqual(events, [`${base}/a`, `${base}/a/x`, `${base}/${MARKER}`]);
    },
  );

  test('handlers – client.messages() iterators see every message, handled or not, each once', T, async () => {
    const base = fresh();
    const { c, all } = await subscribed(base);
    const second = c.messages();
    c.addMessageHandler(`${base}/a/#`, () => {});
    c.addMessageHandler(`${base}/a/b`, () => {});
    const sent = ['a/b', 'x', 'a/c', 'y/z'];
    const got = await roundTrip(c, all, base, sent);
    assert.deepEqual(
      topics(got),
      sent.map((t) => `${base}/${t}`),
      'the first iterator gets every message once',
    );
    const other = await take(second, sent.length + 1);
    assert.deepEqual(
      topics(other),
      [...sent, MARKER].map((t) => `${base}/${t}`),
      'so does a second iterator',
    );
  });

  test(
    'handlers – a handler for a $share/group/filter filter gets the messages of that shared subscription',
    T,
    async () => {
      const base = fresh();
      const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const pub = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const all = c.messages();
      const filter = `$share/hgroup/${base}/+`;
      const sub = await c.subscribe(filter, { qos: 1 });
      assert.equal(sub.granted, true, 'shared subscription granted');
      const handled: string[] = [];
      const events: string[] = [];
      c.addMessageHandler(filter, (m) => handled.push(m.topic));
      c.on('message', (m) => events.push(m.topic));
      await pub.publish(`${base}/one`, '1', { qos: 1 });
      await pub.publish(`${base}/two`, '2', { qos: 1 });
      await take(all, 2);
      assert.deepEqual(handled, [`${base}/one`, `${base}/two`], 'shared messages come with their own topic');
      assert.deepEqual(events, [], 'the handler took them');
    },
  );
});
