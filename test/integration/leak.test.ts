// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Leak test against a real Mosquitto, in one process: 10,000 connect / end cycles, then 10,000 reconnects of one
 * client through the fault proxy. It proves that a connection leaves nothing behind once it is gone: the heap
 * comes back to its level before the cycles within a bound far below the cost of one connection per cycle, every
 * sampled client and socket object has been collected, and no socket or timer is left open. Every tenth cycle also
 * sends a QoS 1 message to a subscription of the client's own and receives it, so that subscribing, publishing,
 * acknowledging, delivering and (on each reconnect) subscribing again are exercised, not only the bare connection.
 *
 * The bound: after a warm-up, so that the JIT's code and feedback and lazily built module state are in the
 * baseline, the heap may grow by at most 1 MiB over 10,000 cycles, about 105 bytes a cycle. A connection costs
 * ~7 KiB, so keeping one per cycle would show as ~70 MB; even one timer, or one listener closure with its
 * context, kept per cycle comes close to the bound. The weak references to sampled clients and sockets catch a
 * retained connection exactly, whatever its size. What the heap figure still shows is V8's drift (code and
 * feedback being optimised, tables resized): measured at 3,000 warm-up cycles, a few hundred KiB either way, not
 * growing with the number of cycles.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect, type Message, type MqttClient } from '../../src/node.js';
import { nextEvent, take } from '../helpers/clients.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import {
  CollectionSample,
  collectGarbage,
  nextTurn,
  resourceCounts,
  resourcesGrown,
  sampleClientSockets,
  settledHeapUsed,
} from '../helpers/leak-check.js';
import { brokerSuite } from '../helpers/suite.js';

const CYCLES = 10_000;
/**
 * Cycles before the baseline. Measured over 10,000 cycles: after 1,000 the JIT still adds 250 to 600 KiB, after
 * 3,000 from -70 to 220 KiB.
 */
const WARM_UP = 3_000;
/** Every this many cycles, a QoS 1 message to the client's own subscription. */
const EXERCISE_EVERY = 10;
/** Every this many clients and sockets, a weak reference that must be empty at the end. */
const SAMPLE_EVERY = 100;
const HEAP_BOUND = 1024 * 1024;
const T = { timeout: 120_000 };

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** The heap figures of a run, for assertion messages and the test's diagnostic line. */
function heapReport(what: string, baseline: number, end: number, ms: number): string {
  const delta = end - baseline;
  return (
    `${what}: heap baseline ${kib(baseline)}, end ${kib(end)}, delta ${kib(delta)}, ` +
    `${(delta / CYCLES).toFixed(1)} bytes a cycle (bound ${kib(HEAP_BOUND)}); ${CYCLES} cycles in ${ms.toFixed(0)} ms`
  );
}

/** Publishes `payload` at QoS 1 to `topic`, which `inbox` reads, and awaits it there. */
async function echo(client: MqttClient, inbox: AsyncIterator<Message>, topic: string, payload: string) {
  await client.publish(topic, payload, { qos: 1 });
  const [message] = await take(inbox, 1);
  assert.equal(message?.text(), payload, `the QoS 1 message ${payload} came back`);
}

describe('leak', () => {
  const mosquitto = brokerSuite('leak');
  let proxy: FaultProxy | undefined;
  let stopSampling: (() => void) | undefined;
  // After a failure too: a proxy still listening would keep the test process alive.
  after(async () => {
    stopSampling?.();
    await proxy?.close();
  });

  test(
    `leak – ${CYCLES} connect / end cycles leave the heap, sockets and timers as they were`,
    T,
    async (t) => {
      const topic = mosquitto.fresh();
      const url = mosquitto.url;
      const clients = new CollectionSample<object>(SAMPLE_EVERY);
      const sockets = new CollectionSample<object>(SAMPLE_EVERY);

      const cycle = async (i: number, sample: boolean): Promise<void> => {
        const client = await connect(url, { reconnect: false });
        if (sample) clients.offer(client);
        if (i % EXERCISE_EVERY === 0) {
          const subscription = await client.subscribe(topic, { qos: 1 });
          await echo(client, subscription[Symbol.asyncIterator](), topic, `m${i}`);
        }
        await client.end();
      };

      for (let i = 0; i < WARM_UP; i++) await cycle(i, false);
      const resources = resourceCounts();
      const baseline = await settledHeapUsed();
      stopSampling = sampleClientSockets(sockets);
      const started = performance.now();
      for (let i = 0; i < CYCLES; i++) await cycle(i, true);
      const ms = performance.now() - started;
      stopSampling();
      const end = await settledHeapUsed();

      const report = heapReport('connect / end', baseline, end, ms);
      t.diagnostic(report);
      assert.ok(end - baseline < HEAP_BOUND, `the heap grew too much: ${report}`);
      assert.equal(
        clients.size,
        CYCLES / SAMPLE_EVERY,
        `one client in ${SAMPLE_EVERY} sampled: ${clients.size}`,
      );
      assert.equal(clients.alive(), 0, `${clients.alive()} of ${clients.size} sampled clients still alive`);
      assert.equal(sockets.size, CYCLES / SAMPLE_EVERY, `one socket a cycle, one in ${SAMPLE_EVERY} sampled`);
      assert.equal(sockets.alive(), 0, `${sockets.alive()} of ${sockets.size} sampled sockets still alive`);
      const grown = resourcesGrown(resources, resourceCounts());
      assert.deepEqual(grown, [], `resources left over: ${grown.join(', ')}`);
    },
  );

  test(
    `leak – ${CYCLES} reconnects through the fault proxy leave the heap, sockets and timers as they were`,
    T,
    async (t) => {
      const before = resourceCounts();
      const faults = await startFaultProxy(mosquitto.broker.ports.tcp);
      proxy = faults;
      const topic = mosquitto.fresh();
      const sockets = new CollectionSample<object>(SAMPLE_EVERY);
      const client = await mosquitto.pool.connect(`mqtt://127.0.0.1:${faults.port}`, {
        reconnect: { minDelay: 0, maxDelay: 0, jitter: 0 },
      });
      // Subscribed once: the clean session ends with each connection, and the client subscribes again each time.
      const inbox = (await client.subscribe(topic, { qos: 1 }))[Symbol.asyncIterator]();

      const reconnect = async (i: number): Promise<void> => {
        const connected = nextEvent(client, 'connect');
        faults.drop();
        await connected;
        if (i % EXERCISE_EVERY === 0) await echo(client, inbox, topic, `r${i}`);
      };

      for (let i = 0; i < WARM_UP; i++) await reconnect(i);
      const accepted = faults.accepted;
      const resources = resourceCounts();
      const baseline = await settledHeapUsed();
      stopSampling = sampleClientSockets(sockets);
      const started = performance.now();
      for (let i = 0; i < CYCLES; i++) await reconnect(i);
      const ms = performance.now() - started;
      stopSampling();
      const end = await settledHeapUsed();
      const connectedResources = resourceCounts();

      const report = heapReport('reconnect', baseline, end, ms);
      t.diagnostic(report);
      const connections = faults.accepted - accepted;
      assert.equal(connections, CYCLES, `one new connection a reconnect: ${connections} for ${CYCLES}`);
      assert.ok(end - baseline < HEAP_BOUND, `the heap grew too much: ${report}`);
      const grownConnected = resourcesGrown(resources, connectedResources);
      assert.deepEqual(
        grownConnected,
        [],
        `resources left over while connected: ${grownConnected.join(', ')}`,
      );

      await client.end();
      await faults.close();
      proxy = undefined;
      await nextTurn();
      collectGarbage();
      // Two a reconnect: the client's socket to the proxy and the proxy's to the broker.
      const expected = (2 * CYCLES) / SAMPLE_EVERY;
      assert.equal(
        sockets.size,
        expected,
        `two sockets a reconnect, one in ${SAMPLE_EVERY} sampled: ${sockets.size}`,
      );
      assert.equal(sockets.alive(), 0, `${sockets.alive()} of ${sockets.size} sampled sockets still alive`);
      const grown = resourcesGrown(before, resourceCounts());
      assert.deepEqual(grown, [], `resources left over after the end: ${grown.join(', ')}`);
    },
  );
});
