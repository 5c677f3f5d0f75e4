// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Sessions that survive the process, against Mosquitto: a publisher whose session lives in a FileSessionStore is
 * killed with SIGKILL at random moments and started again until it finishes, and the subscriber must have every
 * message — QoS 2 exactly once. Also: messages queued offline by one process are sent by the next; in-flight
 * messages are resent with their identifiers; a broker that lost the session gets the messages again as new
 * publications, and the application is told which.
 *
 * Replay a kill schedule with MQTTKIT_KILL_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connect, createClient, FileSessionStore, type OutgoingMessage } from '../../src/node.js';
import { clientId, nextEvent, within } from '../helpers/clients.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { brokerSuite, fakeBrokerSuite } from '../helpers/suite.js';

const FIXTURE = 'test/integration/fixtures/durable-publisher.ts';
const KILLS = 20;
const TOTAL = 16_000;

const root = fs.mkdtempSync(join(tmpdir(), 'mqttkit-durable-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function startPublisher(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return { child, output: () => out };
}

describe('durable sessions', () => {
  const mosquitto = brokerSuite('durable', { persistence: true });

  test(`durable – a publisher killed ${KILLS} times at random moments loses nothing; QoS 2 arrives exactly once`, async () => {
    const seed = Number(process.env['MQTTKIT_KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const rnd = seededRandom(seed);
    const topic = `${mosquitto.prefix}/kill-${seed}`;
    const received = new Map<string, number>();
    const subscriber = await mosquitto.pool.connect(mosquitto.url, {
      clientId: clientId('kill-sub'),
      protocolVersion: 5,
      clean: false,
      sessionExpiryInterval: 600,
      maxQueued: 100_000,
    });
    let count = 0;
    let allArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    subscriber.on('message', (m) => {
      const key = `${m.topic.endsWith('/1') ? 1 : 2}:${m.text()}`;
      received.set(key, (received.get(key) ?? 0) + 1);
      if (received.get(key) === 1 && ++count === TOTAL) allArrived();
    });
    await subscriber.subscribe(`${topic}/+`, { qos: 2 });

    const dir = join(root, `kill-${seed}`);
    const args = [mosquitto.url, dir, clientId('kill-pub'), String(TOTAL), topic];
    let kills = 0;
    let lives = 0;
    let finished = false;
    while (!finished) {
      lives++;
      const { child, output } = startPublisher(kills < KILLS ? [...args, 'paced'] : args);
      const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
      if (kills < KILLS) {
        // From before the client has connected (tsx takes ~0.5 s to start) to well into publishing.
        const delay = 300 + Math.floor(rnd() * 1_200);
        const timer = setTimeout(() => child.kill('SIGKILL'), delay);
        const [code, signal] = await exited;
        clearTimeout(timer);
        if (signal === 'SIGKILL') {
          kills++;
          continue;
        }
        assert.equal(code, 0, `seed ${seed}, life ${lives}: the publisher failed:\n${output()}`);
        finished = true; // it finished before the kill: fine, if enough kills happened (checked below)
      } else {
        const [code] = await within(exited, `seed ${seed}: the last publisher to finish`, 60_000);
        assert.equal(code, 0, `seed ${seed}: the last publisher failed:\n${output()}`);
        assert.match(output(), /done/, `seed ${seed}: the last publisher must report done`);
        finished = true;
      }
    }
    assert.ok(kills >= KILLS, `seed ${seed}: only ${kills} kills happened before the publisher finished`);
    await within(arrived, `seed ${seed}: all ${TOTAL} messages at the subscriber (have ${count})`, 30_000);
    const lost: string[] = [];
    const twice: string[] = [];
    for (let seq = 1; seq <= TOTAL; seq++) {
      const key = `${seq % 2 === 1 ? 1 : 2}:${seq}`;
      const n = received.get(key) ?? 0;
      if (n === 0) lost.push(key);
      if (n > 1 && seq % 2 === 0) twice.push(key);
    }
    assert.deepEqual(lost, [], `seed ${seed}: messages lost`);
    assert.deepEqual(twice, [], `seed ${seed}: QoS 2 messages delivered more than once`);
  });

  test('durable – messages queued while offline are sent by the next process with the same store', async () => {
    const id = clientId('offline');
    const dir = join(root, 'offline');
    const topic = mosquitto.fresh();
    const subscriber = await mosquitto.pool.connect(mosquitto.url);
    await subscriber.subscribe(topic, { qos: 2 });
    const got = subscriber.messages();

    // First "process": never reaches the broker (nothing listens there), queues three messages, goes away.
    const first = new FileSessionStore({ directory: dir, clientId: id });
    // MQTT 5 sessions last their expiry interval (default 0: the connection), so a durable one needs one.
    const offline = createClient('mqtt://127.0.0.1:1', {
      clientId: id,
      session: first,
      sessionExpiryInterval: 60,
      reconnect: false,
    });
    // One QoS: a broker keeps order only among messages of the same QoS (Mosquitto passes a QoS 2 message on
    // at PUBREL).
    const promises = [1, 2, 3].map((n) => offline.publish(topic, `m${n}`, { qos: 2 }));
    for (const p of promises) p.catch(() => {});
    offline.destroy();
    first.close();

    // Second: takes the store over and sends them.
    const second = new FileSessionStore({ directory: dir, clientId: id });
    assert.deepEqual(
      second.recovered.map((e) => new TextDecoder().decode(e.message.payload)),
      ['m1', 'm2', 'm3'],
      'the store must hand the queued messages to the next process',
    );
    const client = await connect(mosquitto.url, { clientId: id, session: second, sessionExpiryInterval: 60 });
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await within(got.next(), 'a message queued by the first process');
      texts.push(r.value?.text() ?? '');
    }
    assert.deepEqual(texts, ['m1', 'm2', 'm3'], 'the messages must arrive in order');
    await client.end({ flush: true });
    assert.equal(
      second.queueLength + second.inflightCount,
      0,
      'the session is empty once they are acknowledged',
    );
    second.close();
  });
});

describe('durable sessions – scripted broker', () => {
  const fake = fakeBrokerSuite();

  test('durable – an in-flight QoS 2 message is resent after a restart with DUP and its identifier', async () => {
    const id = clientId('resend');
    const dir = join(root, 'resend');
    const first = new FileSessionStore({ directory: dir, clientId: id });
    const a = createClient(`mqtt://127.0.0.1:${fake.broker.port}`, {
      clientId: id,
      clean: false,
      sessionExpiryInterval: 60,
      session: first,
      reconnect: false,
    });
    void a.connect().catch(() => {});
    const c1 = await fake.broker.nextConnection();
    await c1.expect('connect');
    c1.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const sent = a.publish('t', 'exactly-once', { qos: 2 });
    sent.catch(() => {});
    const publish = await c1.expect('publish');
    a.destroy(); // the process dies before the PUBREC
    first.close();

    const second = new FileSessionStore({ directory: dir, clientId: id });
    const b = createClient(`mqtt://127.0.0.1:${fake.broker.port}`, {
      clientId: id,
      clean: false,
      sessionExpiryInterval: 60,
      session: second,
      reconnect: false,
    });
    const connected = b.connect();
    const c2 = await fake.broker.nextConnection();
    const connect2 = await c2.expect('connect');
    assert.equal(connect2.clean, false, 'the restarted client must resume its session');
    c2.send({ type: 'connack', sessionPresent: true, reasonCode: 0 });
    await connected;
    const again = await c2.expect('publish');
    assert.equal(again.packetId, publish.packetId, 'the resend must keep its packet identifier');
    assert.equal(again.dup, true, 'the resend must carry DUP');
    assert.equal(
      new TextDecoder().decode(again.payload),
      'exactly-once',
      'the resend must carry the message',
    );
    c2.send({ type: 'pubrec', packetId: again.packetId ?? 0, reasonCode: 0 });
    await c2.expect('pubrel');
    c2.send({ type: 'pubcomp', packetId: again.packetId ?? 0, reasonCode: 0 });
    const idle = b.end({ flush: true });
    await c2.expect('disconnect');
    await idle;
    assert.equal(second.inflightCount, 0, 'the completed flow must leave the session');
    second.close();
  });

  test('durable – manual ack: a QoS 2 message never acknowledged is delivered again after a restart, one acknowledged is not', async () => {
    const id = clientId('manual');
    const dir = join(root, 'manual');
    const url = `mqtt://127.0.0.1:${fake.broker.port}`;
    const opts = {
      clientId: id,
      clean: false,
      sessionExpiryInterval: 60,
      manualAck: true,
      reconnect: false,
    } as const;
    const first = new FileSessionStore({ directory: dir, clientId: id });
    const a = createClient(url, { ...opts, session: first });
    const inboxA = a.messages();
    void a.connect().catch(() => {});
    const c1 = await fake.broker.nextConnection();
    await c1.expect('connect');
    c1.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const publish = (packetId: number, text: string, dup: boolean) =>
      ({
        type: 'publish',
        topic: 't',
        payload: new TextEncoder().encode(text),
        qos: 2,
        retain: false,
        dup,
        packetId,
      }) as const;
    c1.send(publish(5, 'processed', false));
    c1.send(publish(6, 'not-processed', false));
    const m5 = (await within(inboxA.next(), 'message 5')).value;
    await within(inboxA.next(), 'message 6'); // delivered, but the process dies before acknowledging it
    assert.equal(m5?.ack(), true, 'message 5 is acknowledged');
    assert.equal((await c1.expect('pubrec')).packetId, 5, 'PUBREC for the acknowledged message');
    a.destroy();
    first.close();

    const second = new FileSessionStore({ directory: dir, clientId: id });
    const b = createClient(url, { ...opts, session: second });
    const inboxB = b.messages();
    const connected = b.connect();
    const c2 = await fake.broker.nextConnection();
    await c2.expect('connect');
    c2.send({ type: 'connack', sessionPresent: true, reasonCode: 0 });
    await connected;
    // The broker has no PUBREC for 6, and sends both again (5 too, as if its PUBREC had been lost).
    c2.send(publish(5, 'processed', true));
    c2.send(publish(6, 'not-processed', true));
    assert.equal(
      (await c2.expect('pubrec')).packetId,
      5,
      'the acknowledged message is answered, not delivered',
    );
    const again = (await within(inboxB.next(), 'message 6 again')).value;
    assert.equal(again?.text(), 'not-processed', 'the unacknowledged message must be delivered again');
    assert.equal(again?.ack(), true, 'and can be acknowledged now');
    assert.equal((await c2.expect('pubrec')).packetId, 6, 'PUBREC once acknowledged');
    b.destroy();
    second.close();
  });

  test('durable – when the broker lost the session, resent messages are reported as possible duplicates', async () => {
    const id = clientId('lost');
    const client = createClient(`mqtt://127.0.0.1:${fake.broker.port}`, {
      clientId: id,
      clean: false,
      reconnect: { minDelay: 10 },
    });
    void client.connect();
    const c1 = await fake.broker.nextConnection();
    await c1.expect('connect');
    c1.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const done = client.publish('t', 'maybe-twice', { qos: 1 });
    await c1.expect('publish');
    const reported = nextEvent(client, 'republished');
    c1.close();
    const c2 = await fake.broker.nextConnection();
    await c2.expect('connect');
    c2.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const [messages] = (await within(reported, 'the republished event')) as [OutgoingMessage[]];
    assert.deepEqual(
      messages.map((m) => new TextDecoder().decode(m.payload)),
      ['maybe-twice'],
      'the event must name the message sent again',
    );
    const again = await c2.expect('publish');
    assert.equal(again.dup, false, 'a new publication is not a resend');
    c2.send({ type: 'puback', packetId: again.packetId ?? 0, reasonCode: 0 });
    await within(done, 'the publication completes');
    client.destroy();
  });

  test('durable – messages taken over from the store report their outcome by events: publish, and publishFailed naming the message', async () => {
    const id = clientId('outcome');
    const dir = join(root, 'outcome');
    const url = `mqtt://127.0.0.1:${fake.broker.port}`;
    const opts = { clientId: id, clean: false, sessionExpiryInterval: 60, reconnect: false } as const;
    const first = new FileSessionStore({ directory: dir, clientId: id });
    const a = createClient(url, { ...opts, session: first });
    void a.connect().catch(() => {});
    const c1 = await fake.broker.nextConnection();
    await c1.expect('connect');
    c1.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    for (const text of ['accepted', 'refused']) a.publish('t', text, { qos: 1 }).catch(() => {});
    await c1.expect('publish');
    await c1.expect('publish');
    a.destroy(); // the process dies before the PUBACKs
    first.close();

    const second = new FileSessionStore({ directory: dir, clientId: id });
    assert.equal(second.recovered.length, 2, 'both messages are taken over');
    const b = createClient(url, { ...opts, session: second });
    const completed = nextEvent(b, 'publish');
    const failed = nextEvent(b, 'publishFailed');
    const connected = b.connect();
    const c2 = await fake.broker.nextConnection();
    await c2.expect('connect');
    c2.send({ type: 'connack', sessionPresent: true, reasonCode: 0 });
    await connected;
    const ok = await c2.expect('publish');
    const bad = await c2.expect('publish');
    c2.send({ type: 'puback', packetId: ok.packetId ?? 0, reasonCode: 0 });
    c2.send({ type: 'puback', packetId: bad.packetId ?? 0, reasonCode: 0x87 });
    const [result] = (await within(completed, 'the publish event for the accepted message')) as [
      { packetId: number | undefined },
    ];
    assert.equal(result.packetId, ok.packetId, 'the publish event carries its result');
    const [error, message] = (await within(failed, 'the publishFailed event')) as [Error, OutgoingMessage];
    assert.equal(new TextDecoder().decode(message.payload), 'refused', 'publishFailed names the message');
    assert.match(error.message, /0x87|not authorized/i, 'and says why: the broker’s reason code');
    assert.equal(second.inflightCount, 0, 'both flows have ended');
    b.destroy();
    second.close();
  });
});
