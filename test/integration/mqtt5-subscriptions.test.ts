// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 subscriptions: Subscription Identifiers routing each message to the handle it came for, subscription
// options (noLocal, retainAsPublished, retainHandling) and shared subscriptions against a real Mosquitto, and
// the broker's CONNACK feature flags (wildcards, shared subscriptions, subscription identifiers) enforced locally,
// against the scripted fake broker.
//
// What Mosquitto 2.0 does, checked by these tests: to an MQTT 5 client with overlapping subscriptions it sends one
// copy of a message per matching subscription, each with that subscription's identifier and QoS; to an MQTT 3.1.1
// client it sends a single copy. A second SUBSCRIBE to the same filter replaces the subscription, identifier
// included. Nothing here waits for time: "nothing else arrived" is shown by a marker message that comes next.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MqttClient } from '../../src/client/client.js';
import {
  InvalidArgumentError,
  type Message,
  type SubscribeOptions,
  type SubscriptionHandle,
} from '../../src/node.js';
import type { ConnackProperties } from '../../src/packet/index.js';
import { noEvent, take, within } from '../helpers/clients.js';
import type { FakeConnection } from '../helpers/fake-broker.js';
import { brokerSuite, fakeBrokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };

/** The identifiers a message came with (empty when none). */
const idsOf = (m: Message | undefined) => m?.properties?.subscriptionIdentifiers ?? [];

/** The single identifier of a handle made by one SUBSCRIBE. */
function onlyId(h: SubscriptionHandle): number {
  assert.equal(h.identifiers.size, 1, `one identifier, got ${[...h.identifiers].join(', ')}`);
  return [...h.identifiers][0] as number;
}

describe('MQTT 5 subscriptions – Mosquitto', () => {
  const mosquitto = brokerSuite('mqtt5-subs');
  const { pool, fresh } = mosquitto;
  const v5 = () => pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });

  test(
    'subscription ids – overlapping handles s/# (QoS 1) and s/+ (QoS 0): one publish, each handle yields it once with its own identifier',
    T,
    async () => {
      const base = fresh();
      const c = await v5();
      const all = c.messages();
      const wide = await c.subscribe(`${base}/s/#`, { qos: 1 });
      const narrow = await c.subscribe(`${base}/s/+`, { qos: 0 });
      assert.deepEqual([wide.reasonCodes, narrow.reasonCodes], [[1], [0]]);
      const wideId = onlyId(wide);
      const narrowId = onlyId(narrow);
      assert.notEqual(wideId, narrowId, 'each SUBSCRIBE has an identifier of its own');

      await c.publish(`${base}/s/x`, 'x', { qos: 1 });
      await c.publish(`${base}/s/end`, 'end', { qos: 1 });
      const w = await take(wide, 2);
      const n = await take(narrow, 2);
      assert.deepEqual(
        w.map((m) => m.text()),
        ['x', 'end'],
        's/# yields s/x once, then the marker',
      );
      assert.deepEqual(
        n.map((m) => m.text()),
        ['x', 'end'],
        's/+ yields s/x once, then the marker',
      );
      assert.deepEqual(idsOf(w[0]), [wideId], 'the s/# copy carries the identifier of s/#');
      assert.deepEqual(idsOf(n[0]), [narrowId], 'the s/+ copy carries the identifier of s/+');
      assert.equal(w[0]?.qos, 1, 'the s/# copy at the QoS of s/#');
      assert.equal(n[0]?.qos, 0, 'the s/+ copy at the QoS of s/+');

      // The client as a whole saw what the broker sent: one copy per matching subscription.
      const raw = await take(all, 4);
      const copies = raw.filter((m) => m.topic === `${base}/s/x`);
      assert.equal(
        copies.length,
        2,
        'Mosquitto sends one copy per matching subscription to an MQTT 5 client',
      );
      assert.deepEqual(copies.flatMap(idsOf).sort(), [wideId, narrowId].sort());
    },
  );

  test(
    'subscription ids – two handles for the same filter: the second SUBSCRIBE replaces the first, both keep receiving',
    T,
    async () => {
      const base = fresh();
      const c = await v5();
      const topic = `${base}/same`;
      const first = await c.subscribe(topic, { qos: 0 });
      const firstId = onlyId(first);
      const second = await c.subscribe(topic, { qos: 1 });
      const secondId = onlyId(second);
      assert.notEqual(firstId, secondId);
      assert.ok(first.identifiers.has(secondId), 'the first handle adopts the identifier of the second');

      await c.publish(topic, '1', { qos: 1 });
      await c.publish(topic, '2', { qos: 1 });
      const a = await take(first, 2);
      const b = await take(second, 2);
      assert.deepEqual(
        a.map((m) => m.text()),
        ['1', '2'],
        'the first handle still receives',
      );
      assert.deepEqual(
        b.map((m) => m.text()),
        ['1', '2'],
        'the second handle receives',
      );
      for (const m of [...a, ...b]) {
        assert.deepEqual(
          idsOf(m),
          [secondId],
          'one subscription on the broker now: the identifier of the second',
        );
        assert.equal(m.qos, 1, 'the QoS of the replacing subscription');
      }
      // One copy each, not two: the next message of each handle is the next one published.
      await c.publish(topic, '3', { qos: 1 });
      assert.equal((await take(first, 1))[0]?.text(), '3');
      assert.equal((await take(second, 1))[0]?.text(), '3');
    },
  );

  test(
    'subscription ids – a handle gets only its own topics after a later SUBSCRIBE of one of its filters plus another',
    T,
    async () => {
      const base = fresh();
      const c = await v5();
      const only = await c.subscribe(`${base}/x/a`);
      const more = await c.subscribe([`${base}/x/a`, `${base}/x/b`]);
      const moreId = onlyId(more);
      await c.publish(`${base}/x/b`, 'b', { qos: 1 });
      await c.publish(`${base}/x/a`, 'a', { qos: 1 });
      const m = await take(more, 2);
      assert.deepEqual(
        m.map((x) => [x.topic, idsOf(x)]),
        [
          [`${base}/x/b`, [moreId]],
          [`${base}/x/a`, [moreId]],
        ],
      );
      // x/b now arrives under the identifier `only` adopted for x/a; x/b is not one of its filters.
      const [first] = await take(only, 1);
      assert.equal(
        first?.topic,
        `${base}/x/a`,
        `a handle for ${base}/x/a alone must not yield ${first?.topic}`,
      );
    },
  );

  test(
    'subscription ids – an identifier given explicitly is not handed out again to a later subscription',
    T,
    async () => {
      const base = fresh();
      const c = await v5();
      const explicit = await c.subscribe(`${base}/c/#`, { properties: { subscriptionIdentifier: 2 } });
      assert.deepEqual([...explicit.identifiers], [2]);
      await c.subscribe(`${base}/unrelated`); // automatic identifier (the first one handed out)
      const auto = await c.subscribe(`${base}/c/+`); // automatic too: must not be 2 again
      await c.publish(`${base}/c/x`, 'x', { qos: 1 });
      await c.publish(`${base}/c/x/y`, 'xy', { qos: 1 });
      await c.publish(`${base}/c/end`, 'end', { qos: 1 });
      const e = await take(explicit, 3);
      assert.deepEqual(
        e.map((m) => m.text()),
        ['x', 'xy', 'end'],
        'c/# yields each of its messages once',
      );
      const a = await take(auto, 2);
      assert.deepEqual(
        a.map((m) => m.text()),
        ['x', 'end'],
        'c/+ yields its messages once, and not c/x/y',
      );
      assert.equal(
        auto.identifiers.has(2),
        false,
        `the automatic identifiers ${[...auto.identifiers]} include the explicit 2`,
      );
    },
  );

  test(
    'handles – MQTT 3.1.1: handles route by topic; overlapping s/# and s/+ each get s/x once, s/x/y reaches s/# only',
    T,
    async () => {
      const base = fresh();
      const c = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
      const wide = await c.subscribe(`${base}/s/#`, { qos: 1 });
      const narrow = await c.subscribe(`${base}/s/+`, { qos: 0 });
      assert.deepEqual(
        [wide.identifiers.size, narrow.identifiers.size],
        [0, 0],
        'no identifiers in MQTT 3.1.1',
      );
      await c.publish(`${base}/s/x`, 'x', { qos: 1 });
      await c.publish(`${base}/s/x/y`, 'xy', { qos: 1 });
      await c.publish(`${base}/s/end`, 'end', { qos: 1 });
      const w = await take(wide, 3);
      const n = await take(narrow, 2);
      assert.deepEqual(
        w.map((m) => m.text()),
        ['x', 'xy', 'end'],
      );
      assert.deepEqual(
        n.map((m) => m.text()),
        ['x', 'end'],
      );
      for (const m of [...w, ...n]) assert.equal(m.properties, undefined, 'no MQTT 5 properties');
    },
  );

  test(
    'options – noLocal: the client does not get its own publication, but gets another client’s',
    T,
    async () => {
      const topic = `${fresh()}/nl`;
      const c = await v5();
      const other = await v5();
      const sub = await c.subscribe(topic, { qos: 1, noLocal: true });
      assert.equal(sub.granted, true, 'noLocal subscription granted');
      await c.publish(topic, 'own', { qos: 1 });
      await other.publish(topic, 'other', { qos: 1 });
      const [m] = await take(sub, 1);
      assert.equal(m?.text(), 'other', 'the first message is the other client’s, not its own');
    },
  );

  test(
    'options – retainAsPublished: a live message keeps its retain flag; without the option the flag is cleared',
    T,
    async () => {
      const base = fresh();
      const c = await v5();
      const pub = await v5();
      const kept = await c.subscribe(`${base}/rap`, { qos: 1, retainAsPublished: true });
      const cleared = await c.subscribe(`${base}/plain`, { qos: 1 });
      await pub.publish(`${base}/rap`, 'a', { qos: 1, retain: true });
      await pub.publish(`${base}/plain`, 'b', { qos: 1, retain: true });
      const [k] = await take(kept, 1);
      const [p] = await take(cleared, 1);
      assert.deepEqual([k?.text(), k?.retain], ['a', true], 'retain flag kept on a live message');
      assert.deepEqual([p?.text(), p?.retain], ['b', false], 'retain flag cleared on a live message');
    },
  );

  test(
    'options – retainHandling 1: the retained message only for a new subscription; 0: on every SUBSCRIBE',
    T,
    async () => {
      const topic = `${fresh()}/rh1`;
      const c = await v5();
      await c.publish(topic, 'retained', { qos: 1, retain: true });

      const first = await c.subscribe(topic, { qos: 1, retainHandling: 1 });
      const [r] = await take(first, 1);
      assert.deepEqual([r?.text(), r?.retain], ['retained', true], 'new subscription: the retained message');

      const again = await c.subscribe(topic, { qos: 1, retainHandling: 1 });
      await c.publish(topic, 'live', { qos: 1 });
      const [l] = await take(again, 1);
      assert.deepEqual([l?.text(), l?.retain], ['live', false], 'existing subscription: no retained message');

      const always = await c.subscribe(topic, { qos: 1, retainHandling: 0 });
      await c.publish(topic, 'live2', { qos: 1 });
      const got = await take(always, 2);
      assert.deepEqual(
        got.map((m) => [m.text(), m.retain]),
        [
          ['retained', true],
          ['live2', false],
        ],
        'retainHandling 0 on an existing subscription: the retained message again',
      );
    },
  );

  test('options – retainHandling 2: the retained message is never sent, live messages are', T, async () => {
    const base = fresh();
    const c = await v5();
    await c.publish(`${base}/r`, 'retained', { qos: 1, retain: true });
    const never = await c.subscribe(`${base}/#`, { qos: 1, retainHandling: 2 });
    assert.equal(never.granted, true, 'subscription granted');
    await c.publish(`${base}/live`, 'live', { qos: 1 });
    const [m] = await take(never, 1);
    assert.equal(m?.text(), 'live', 'the first message is the live one, not the retained one');
  });

  test(
    'shared – two clients on $share/group1/…/shared/t at QoS 1 share 40 messages: each delivered exactly once, both get some',
    T,
    async () => {
      const topic = `${fresh()}/shared/t`;
      const filter = `$share/group1/${topic}`;
      const a = await v5();
      const b = await v5();
      const pub = await v5();
      const got: Record<'a' | 'b', string[]> = { a: [], b: [] };
      let total = 0;
      let allIn: () => void = () => {};
      const complete = new Promise<void>((resolve) => {
        allIn = resolve;
      });
      const count = (who: 'a' | 'b') => (m: Message) => {
        got[who].push(m.text());
        if (++total === 40) allIn();
      };
      a.on('message', count('a'));
      b.on('message', count('b'));
      const ha = await a.subscribe(filter, { qos: 1 });
      const hb = await b.subscribe(filter, { qos: 1 });
      assert.deepEqual([ha.reasonCodes, hb.reasonCodes], [[1], [1]]);

      const sent = Array.from({ length: 40 }, (_, i) => String(i));
      for (const s of sent) await pub.publish(topic, s, { qos: 1 });
      await within(complete, '40 shared messages');
      // A duplicate would come after the 40th; allow a short moment for one to show.
      await Promise.all([noEvent(a, 'message', 200), noEvent(b, 'message', 200)]);

      assert.deepEqual([...got.a, ...got.b].sort(), [...sent].sort(), 'every message exactly once');
      assert.ok(got.a.length > 0 && got.b.length > 0, `split ${got.a.length} / ${got.b.length}`);
      // The handles of the shared subscription yield what their client got (the topic has no $share prefix).
      assert.deepEqual(
        (await take(ha, got.a.length)).map((m) => m.text()),
        got.a,
      );
      assert.deepEqual(
        (await take(hb, got.b.length)).map((m) => m.text()),
        got.b,
      );
    },
  );
});

describe('MQTT 5 subscriptions – the broker’s CONNACK flags (fake broker)', () => {
  const fake = fakeBrokerSuite();
  const { pool } = fake;

  /** A v5 client whose CONNACK carries `properties`. */
  async function client(properties?: ConnackProperties): Promise<{ c: MqttClient; conn: FakeConnection }> {
    const connecting = pool.connect(`mqtt://127.0.0.1:${fake.broker.port}`, {
      protocolVersion: 5,
      reconnect: false,
    });
    const conn = await fake.broker.nextConnection();
    await conn.expect('connect');
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      ...(properties === undefined ? {} : { properties }),
    });
    return { c: await connecting, conn };
  }

  /** Subscribes to `filter`, answers the SUBSCRIBE, and returns what the broker read and the handle. */
  async function granted(
    c: MqttClient,
    conn: FakeConnection,
    filter: string,
    options: SubscribeOptions = {},
  ) {
    const subscribing = c.subscribe(filter, options);
    const packet = await conn.expect('subscribe');
    assert.deepEqual(
      packet.subscriptions.map((s) => s.topicFilter),
      [filter],
      'the next packet is the SUBSCRIBE of this filter',
    );
    conn.send({ type: 'suback', packetId: packet.packetId, reasonCodes: [0] });
    return { packet, handle: await subscribing };
  }

  test(
    'wildcards – wildcardSubscriptionAvailable false: subscribe with + or # rejects with InvalidArgumentError, nothing sent',
    T,
    async () => {
      const { c, conn } = await client({ wildcardSubscriptionAvailable: false });
      await assert.rejects(c.subscribe('a/+'), InvalidArgumentError);
      await assert.rejects(c.subscribe('a/#'), InvalidArgumentError);
      await assert.rejects(
        c.subscribe(['plain/ok', '#']),
        InvalidArgumentError,
        'one wildcard filter refuses all',
      );
      await granted(c, conn, 'plain/ok');
      assert.equal(c.connected, true, 'the connection stays up');
    },
  );

  test(
    'shared – sharedSubscriptionAvailable false: a $share/ filter rejects with InvalidArgumentError, nothing sent',
    T,
    async () => {
      const { c, conn } = await client({ sharedSubscriptionAvailable: false });
      await assert.rejects(c.subscribe('$share/g/a/b'), InvalidArgumentError);
      await assert.rejects(c.subscribe(['a/b', '$share/g/+']), InvalidArgumentError);
      await granted(c, conn, 'a/b');
      assert.equal(c.connected, true, 'the connection stays up');
    },
  );

  test(
    'subscription ids – subscriptionIdentifierAvailable false: no identifier in the SUBSCRIBE; an explicit one is refused',
    T,
    async () => {
      const { c, conn } = await client({ subscriptionIdentifierAvailable: false });
      await assert.rejects(
        c.subscribe('a/explicit', { properties: { subscriptionIdentifier: 7 } }),
        InvalidArgumentError,
      );
      const { packet, handle } = await granted(c, conn, 'a/b', {
        properties: { userProperties: [['k', 'v']] },
      });
      assert.equal(packet.properties?.subscriptionIdentifier, undefined, 'no subscription identifier sent');
      assert.deepEqual(packet.properties?.userProperties, [['k', 'v']], 'the other properties still go out');
      assert.equal(handle.identifiers.size, 0, 'the handle routes by topic');
      const second = await granted(c, conn, 'a/c');
      assert.equal(second.packet.properties?.subscriptionIdentifier, undefined, 'none on later ones either');

      // Routing by topic then: a message for a/b reaches the a/b handle only.
      conn.send({
        type: 'publish',
        topic: 'a/b',
        payload: new Uint8Array([1]),
        qos: 0,
        retain: false,
        dup: false,
      });
      const [m] = await take(handle, 1);
      assert.equal(m?.topic, 'a/b');
    },
  );

  test('noLocal – on a shared subscription: rejects with InvalidArgumentError, nothing sent', T, async () => {
    const { c, conn } = await client();
    await assert.rejects(c.subscribe('$share/g/a', { noLocal: true }), InvalidArgumentError);
    const { packet } = await granted(c, conn, '$share/g/a');
    assert.equal(packet.subscriptions[0]?.noLocal, false);
  });

  test(
    'topic filters – a filter containing U+0000 is refused like any invalid filter: a rejection, nothing sent',
    T,
    async () => {
      const { c, conn } = await client();
      let subscribing: Promise<unknown>;
      try {
        subscribing = c.subscribe('nul/\u0000');
      } catch (e) {
        // Caught so the test fails on this assertion rather than on the error itself.
        assert.fail(`subscribe threw synchronously instead of returning a rejection: ${String(e)}`);
      }
      await assert.rejects(subscribing, InvalidArgumentError);
      await granted(c, conn, 'nul/ok');
      assert.equal(c.connected, true, 'the connection stays up');
    },
  );

  test(
    'subscription ids – available: each SUBSCRIBE carries an automatic identifier, increasing; an explicit one is kept',
    T,
    async () => {
      const { c, conn } = await client({ subscriptionIdentifierAvailable: true });
      const ids: number[] = [];
      for (const f of ['i/1', 'i/2', 'i/3']) {
        const { packet, handle } = await granted(c, conn, f);
        const id = packet.properties?.subscriptionIdentifier;
        assert.ok(
          id !== undefined && id >= 1 && id <= 268_435_455,
          `SUBSCRIBE of ${f} carries identifier ${id}`,
        );
        assert.deepEqual([...handle.identifiers], [id], 'the handle knows its identifier');
        ids.push(id);
      }
      assert.ok(
        (ids[0] as number) < (ids[1] as number) && (ids[1] as number) < (ids[2] as number),
        `increasing: ${ids}`,
      );
      const { packet } = await granted(c, conn, 'i/4', { properties: { subscriptionIdentifier: 1_000 } });
      assert.equal(
        packet.properties?.subscriptionIdentifier,
        1_000,
        'the explicit identifier is sent as given',
      );
    },
  );

  test(
    'subscription ids – a PUBLISH carrying identifier N reaches the handle of N only, though both filters match',
    T,
    async () => {
      const { c, conn } = await client();
      const wide = await granted(c, conn, 'r/#');
      const narrow = await granted(c, conn, 'r/+');
      const wideId = wide.packet.properties?.subscriptionIdentifier as number;
      const narrowId = narrow.packet.properties?.subscriptionIdentifier as number;
      const publish = (payload: number, ids: number[]) =>
        conn.send({
          type: 'publish',
          topic: 'r/x',
          payload: new Uint8Array([payload]),
          qos: 0,
          retain: false,
          dup: false,
          properties: { subscriptionIdentifiers: ids },
        });
      publish(1, [narrowId]);
      publish(2, [wideId]);
      publish(3, [wideId, narrowId]);
      const w = await take(wide.handle, 2);
      const n = await take(narrow.handle, 2);
      assert.deepEqual(
        w.map((m) => m.payload[0]),
        [2, 3],
        'r/# gets the copies naming it',
      );
      assert.deepEqual(
        n.map((m) => m.payload[0]),
        [1, 3],
        'r/+ gets the copies naming it',
      );
    },
  );
});
