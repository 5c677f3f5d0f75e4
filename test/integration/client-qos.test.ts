// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client against a real Mosquitto: the QoS matrix for MQTT 3.1, 3.1.1 and 5.0 in both directions, batches,
// retained messages, async iteration, and wildcard matching as the broker routes it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message, PublishResult, QoS } from '../../src/node.js';
import { topicMatchesSub } from '../../src/node.js';
import { type Connected, nextEvent, take, within } from '../helpers/clients.js';
import { brokerSuite } from '../helpers/suite.js';

const VERSIONS = [
  [3, 'MQTT 3.1'],
  [4, 'MQTT 3.1.1'],
  [5, 'MQTT 5.0'],
] as const;
const QOS = [0, 1, 2] as const;
const T = { timeout: 10_000 };
const BATCH = 500;

function checkResult(result: PublishResult, qos: QoS): void {
  assert.equal(result.reasonCode, 0, 'reason code of the acknowledgement');
  if (qos === 0) assert.equal(result.packetId, undefined, 'a QoS 0 publication has no packet identifier');
  else assert.ok(result.packetId !== undefined && result.packetId > 0, `packetId ${result.packetId}`);
}

describe('client QoS', () => {
  const mosquitto = brokerSuite('qos');
  const { pool, prefix } = mosquitto;

  for (const [version, name] of VERSIONS) {
    for (const subQos of QOS) {
      test(
        `client – ${name}: subscribed at QoS ${subQos}, messages published at QoS 0, 1 and 2 arrive both ways with QoS min(publish, subscription)`,
        T,
        async () => {
          const a = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
          const b = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
          assert.equal(a.connectInfo.protocolVersion, version);
          assert.equal(a.protocolVersion, version);
          const base = `${prefix}/matrix/v${version}/s${subQos}`;
          const toA = await a.subscribe(`${base}/to-a`, { qos: subQos });
          const toB = await b.subscribe(`${base}/to-b`, { qos: subQos });
          assert.deepEqual(toA.reasonCodes, [subQos]);
          assert.deepEqual(toB.reasonCodes, [subQos]);
          assert.equal(toA.granted, true);

          const flows = [
            { from: a, sub: toB, topic: `${base}/to-b` },
            { from: b, sub: toA, topic: `${base}/to-a` },
          ];
          for (const { from, sub, topic } of flows) {
            const inbox = sub[Symbol.asyncIterator]();
            for (const qos of QOS) {
              // Every byte value that a text round trip would spoil: NUL, 0x80, 0xff, an invalid UTF-8 sequence.
              const payload = new Uint8Array([0, 0xff, 0x80, 0xc3, 0x28, qos, version, subQos]);
              checkResult(await from.publish(topic, payload, { qos }), qos);
              const [m] = (await take(inbox, 1)) as [Message];
              assert.equal(m.topic, topic);
              assert.deepEqual([...m.payload], [...payload]);
              assert.equal(m.qos, Math.min(qos, subQos));
              assert.equal(m.retain, false);
              assert.equal(m.dup, false);
              assert.equal(m.packetId === undefined, m.qos === 0, 'packet identifier iff QoS > 0');
            }
          }
        },
      );
    }
  }

  test(
    'client – MQTT 5.0: a QoS 1 publication nobody subscribes to resolves with 0x10 (no matching subscribers)',
    T,
    async () => {
      const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const r = await c.publish(`${prefix}/nobody/listens`, 'x', { qos: 1 });
      assert.equal(r.reasonCode, 0x10);
      assert.ok(r.packetId !== undefined);
    },
  );

  for (const version of [4, 5] as const) {
    for (const qos of QOS) {
      test(
        `client – v${version} QoS ${qos}: a batch of ${BATCH} publications in one go arrives complete, in order, once each`,
        T,
        async () => {
          const sub = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
          const pub = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
          const topic = `${prefix}/batch/v${version}/q${qos}`;
          const handle = await sub.subscribe(topic, { qos, bufferSize: BATCH + 10 });
          // More than the default in-flight window (100): the rest waits in the queue and goes out in order.
          const results = await within(
            Promise.all(Array.from({ length: BATCH }, (_, i) => pub.publish(topic, String(i), { qos }))),
            `${BATCH} publications`,
          );
          for (const r of results) checkResult(r, qos);
          if (qos > 0) {
            // Identifiers may be reused only after their flow completed; with 100 in flight they rotate.
            assert.ok(new Set(results.map((r) => r.packetId)).size >= 100);
          }
          // A marker published last: whatever arrives before it is everything the broker forwarded.
          await pub.publish(topic, 'end', { qos });
          const got = await take(handle, BATCH + 1);
          assert.deepEqual(
            got.map((m) => m.text()),
            [...Array.from({ length: BATCH }, (_, i) => String(i)), 'end'],
          );
          assert.ok(got.every((m) => m.qos === qos && !m.dup));
        },
      );
    }
  }

  describe('retained messages', () => {
    for (const version of [3, 4, 5] as const) {
      test(
        `client – v${version}: a retained message reaches a later subscriber with retain=true, and an empty retained payload clears it`,
        T,
        async () => {
          const topic = `${prefix}/retained/v${version}`;
          const opts = { protocolVersion: version, reconnect: false } as const;
          const pub = await pool.connect(mosquitto.url, opts);
          const early = await pool.connect(mosquitto.url, opts);
          const earlySub = await early.subscribe(topic, { qos: 1 });

          await pub.publish(topic, 'on', { qos: 1, retain: true });
          // An established subscription gets it as a plain message ([MQTT-3.3.1-9]).
          const [live] = (await take(earlySub, 1)) as [Message];
          assert.deepEqual([live.text(), live.retain], ['on', false]);

          const late = await pool.connect(mosquitto.url, opts);
          const lateSub = await late.subscribe(topic, { qos: 2 });
          const [kept] = (await take(lateSub, 1)) as [Message];
          assert.equal(kept.text(), 'on');
          assert.equal(kept.retain, true);
          assert.equal(kept.qos, 1, 'QoS of the retained publication, below the subscription QoS');
          assert.equal(kept.topic, topic);

          // A zero-byte retained publication deletes the retained message ([MQTT-3.3.1-10]).
          await pub.publish(topic, new Uint8Array(0), { qos: 1, retain: true });
          const [cleared] = (await take(earlySub, 1)) as [Message];
          assert.equal(cleared.payload.length, 0);

          const later = await pool.connect(mosquitto.url, opts);
          const laterSub = await later.subscribe(topic, { qos: 1 });
          // Retained messages are sent right after the SUBACK, so a message published after it comes second.
          await pub.publish(topic, 'marker', { qos: 1 });
          const [first] = (await take(laterSub, 1)) as [Message];
          assert.deepEqual([first.text(), first.retain], ['marker', false], 'no retained message is left');
          await pub.publish(topic, new Uint8Array(0), { qos: 1, retain: true });
        },
      );
    }

    test(
      'client – MQTT 5.0: retainAsPublished keeps the flag on live messages; retainHandling 2 sends no retained message',
      T,
      async () => {
        const topic = `${prefix}/retained/v5-options`;
        const opts = { protocolVersion: 5, reconnect: false } as const;
        const pub = await pool.connect(mosquitto.url, opts);
        const asPublished = await pool.connect(mosquitto.url, opts);
        const rap = await asPublished.subscribe(topic, { qos: 1, retainAsPublished: true });
        await pub.publish(topic, 'kept', { qos: 1, retain: true });
        const [live] = (await take(rap, 1)) as [Message];
        assert.deepEqual([live.text(), live.retain], ['kept', true]);

        const never = await pool.connect(mosquitto.url, opts);
        const rh2 = await never.subscribe(topic, { qos: 1, retainHandling: 2 });
        await pub.publish(topic, 'marker', { qos: 1 });
        const [first] = (await take(rh2, 1)) as [Message];
        assert.equal(first.text(), 'marker');
        await pub.publish(topic, '', { qos: 1, retain: true });
      },
    );
  });

  describe('async iteration', () => {
    test(
      'client – for await over a subscription handle yields its messages in order, and ends on end()',
      T,
      async () => {
        const c = await pool.connect(mosquitto.url, { reconnect: false });
        const topic = `${prefix}/iterate/handle`;
        const handle = await c.subscribe(`${topic}/+`, { qos: 1 });
        const other = await c.subscribe(`${prefix}/iterate/elsewhere`, { qos: 1 });
        for (let i = 0; i < 5; i++) await c.publish(`${topic}/${i}`, `m${i}`, { qos: 1 });
        // Not matching this handle: must not show up in its iteration.
        await c.publish(`${prefix}/iterate/elsewhere`, 'other', { qos: 1 });
        const seen: string[] = [];
        for await (const m of handle) {
          seen.push(`${m.topic.slice(topic.length + 1)}=${m.text()}`);
          if (seen.length === 5) break;
        }
        assert.deepEqual(seen, ['0=m0', '1=m1', '2=m2', '3=m3', '4=m4']);
        assert.equal((await take(other, 1))[0]?.text(), 'other');

        // A loop still waiting when the client ends finishes normally instead of hanging.
        const pending = (async () => {
          let n = 0;
          for await (const _ of other) n++;
          return n;
        })();
        await c.end();
        assert.equal(await within(pending, 'the for await loop over the handle to end'), 0);
      },
    );

    test(
      'client – a subscription handle to a filter ending in an empty level ("x/") receives what the broker sends it',
      T,
      async () => {
        const c = await pool.connect(mosquitto.url, { reconnect: false });
        const topic = `${prefix}/iterate/trailing/`;
        const handle = await c.subscribe(topic, { qos: 1 });
        const event = nextEvent(c, 'message');
        await c.publish(topic, 'empty last level', { qos: 1 });
        // The broker routes it: the client emits it …
        const [m] = await event;
        assert.equal(m.topic, topic);
        // … and the handle subscribed to exactly that filter must yield it too.
        const [got] = await take(handle, 1, 1_000);
        assert.equal(got?.text(), 'empty last level');
      },
    );

    test(
      'client – for await over client.messages() yields the messages of every subscription, and ends on end()',
      T,
      async () => {
        const c = await pool.connect(mosquitto.url, { reconnect: false });
        const base = `${prefix}/iterate/all`;
        const all = c.messages();
        await c.subscribe(`${base}/a`, { qos: 2 });
        await c.subscribe(`${base}/b`, { qos: 0 });
        await c.publish(`${base}/a`, '1', { qos: 2 });
        await c.publish(`${base}/b`, '2', { qos: 0 });
        await c.publish(`${base}/a`, '3', { qos: 1 });
        const seen: string[] = [];
        for await (const m of all) {
          seen.push(`${m.topic.slice(base.length + 1)}:${m.text()}:${m.qos}`);
          if (seen.length === 3) break;
        }
        assert.deepEqual(seen, ['a:1:2', 'b:2:0', 'a:3:1']);

        const second = c.messages();
        const pending = (async () => {
          const got: string[] = [];
          for await (const m of second) got.push(m.text());
          return got;
        })();
        const arrived = nextEvent(c, 'message');
        await c.publish(`${base}/b`, 'last', { qos: 0 });
        await arrived;
        await c.end();
        assert.deepEqual(await within(pending, 'the for await loop over messages() to end'), ['last']);
      },
    );
  });

  test(
    'client – topicMatchesSub agrees with the broker on which topics a wildcard filter receives',
    T,
    async () => {
      const p = `${prefix}/match`;
      const filters = [
        `${p}/+/x`,
        `${p}/#`,
        `${p}/a/#`,
        `${p}/+`,
        `${p}/+/+/#`,
        `${p}/a/x`,
        `${p}/+/`,
        `${p}/a/`,
        `+/qos/+/match/a/x`,
        `${p}/c/+`,
      ];
      const topics = [
        p,
        `${p}/a`,
        `${p}/a/x`,
        `${p}/b/x`,
        `${p}/a/x/y`,
        `${p}//x`,
        `${p}/a/`,
        `${p}/b`,
        `${p}x/a`,
      ];
      const done = `${prefix}/match-done`;
      const pub = await pool.connect(mosquitto.url, { reconnect: false });
      const receivers: { filter: string; client: Connected; got: string[] }[] = [];
      for (const filter of filters) {
        // One client per filter, so overlapping filters cannot merge or duplicate deliveries.
        const client = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
        const got: string[] = [];
        client.on('message', (m) => got.push(m.topic));
        await client.subscribe([filter, done], { qos: 1 });
        receivers.push({ filter, client, got });
      }
      for (const t of topics) await pub.publish(t, t, { qos: 1 });
      // One publisher, one QoS: each receiver gets the marker after every message routed to it before.
      const markers = receivers.map(
        (r) =>
          new Promise<void>((resolve) =>
            r.client.on('message', (m) => {
              if (m.topic === done) resolve();
            }),
          ),
      );
      await pub.publish(done, 'done', { qos: 1 });
      await within(Promise.all(markers), 'the marker at every receiver');
      const counts: number[] = [];
      for (const { filter, got } of receivers) {
        const routed = got.filter((t) => t !== done);
        counts.push(routed.length);
        const expected = topics.filter((t) => topicMatchesSub(filter, t));
        assert.deepEqual(routed, expected, `filter ${filter}`);
      }
      // The set is not trivial: some filters receive nothing, some most of the topics.
      assert.ok(counts.includes(0) && counts.some((n) => n > 4), `counts ${counts}`);
    },
  );
});
