// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Every program in examples/ run as its users run it (`node --import tsx examples/<file>.ts`, configured by
// environment variables) against a real Mosquitto over TCP, TLS and TLS with client certificates: each must exit 0
// on its own (or on SIGINT, for the long-running ones) and do what it says, as seen by a client of the test or in
// its output.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect, type Message, type MqttClient, subscribeSimple } from '../../src/node.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T = { timeout: 40_000 };
/** Longest run of one example before it is killed and the test fails. */
const RUN_LIMIT_MS = 30_000;
/** Longest wait for something an example should print or publish (generous: a loaded machine starts tsx slowly). */
const WAIT_MS = 20_000;

/** How a run ended, with everything it printed. */
interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every run, so that none outlives the file when a test fails early. */
const runs = new Set<ChildProcess>();

/** An example running as a child process. */
class ExampleRun {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly outcome: Promise<Outcome>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly file: string,
    env: Record<string, string>,
  ) {
    // The examples read their settings from the environment: leave out any the developer's shell may hold.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('MQTT_') && k !== 'THING_NAME' && k !== 'DEBUG',
      ),
    );
    this.child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const l of this.listeners) l();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    runs.add(this.child);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), RUN_LIMIT_MS);
    this.outcome = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        runs.delete(this.child);
        clearTimeout(killer);
        for (const l of this.listeners) l();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** What it printed so far, for assertion messages. */
  get output(): string {
    return `--- ${this.file} stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  /** Resolves once stdout matches `pattern`; rejects when the process ends first or after {@link WAIT_MS}. */
  printed(pattern: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        reject(new Error(`${this.file} ${why} without printing ${pattern}\n${this.output}`));
      };
      const timer = setTimeout(() => fail(`ran ${WAIT_MS} ms`), WAIT_MS);
      const check = () => {
        if (pattern.test(this.stdout)) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          fail('ended');
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves when the process has ended (killed after {@link RUN_LIMIT_MS}). */
  ended(): Promise<Outcome> {
    return this.outcome;
  }

  /** Waits for the exit and asserts status 0. */
  async succeeded(): Promise<Outcome> {
    const o = await this.outcome;
    assert.equal(o.code, 0, `${this.file} exited with ${o.code ?? o.signal}\n${this.output}`);
    return o;
  }
}

/** The messages a client receives on `filter`, and a way to wait until one satisfies a condition. */
async function watch(client: MqttClient, filter: string) {
  const seen: Message[] = [];
  const waiters = new Set<() => void>();
  // Live messages only (MQTT 5 Retain Handling 2): what earlier tests left retained is not seen.
  const sub = await client.subscribe(filter, { qos: 1, retainHandling: 2 });
  void (async () => {
    for await (const m of sub) {
      seen.push(m);
      for (const w of waiters) w();
    }
  })();
  return {
    seen,
    texts: (topic: string) => seen.filter((m) => m.topic === topic).map((m) => m.text()),
    /** Resolves once `predicate` holds for the messages seen so far; rejects after {@link WAIT_MS}. */
    until(predicate: (seen: Message[]) => boolean, what: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          const list = seen.map((m) => `${m.topic}=${m.text()}`).join(', ');
          reject(new Error(`${what}: not within ${WAIT_MS} ms (seen: ${list})`));
        }, WAIT_MS);
        const check = () => {
          if (predicate(seen)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => sub.unsubscribe(),
  };
}

// A few at a time: each run compiles the sources with tsx, which on a small machine is the bulk of the time.
describe('examples', { concurrency: 4 }, () => {
  let broker: Broker;
  let tcpUrl: string;
  let watcher: MqttClient;

  before(async () => {
    broker = await startBroker();
    tcpUrl = `mqtt://${broker.host}:${broker.ports.tcp}`;
    watcher = await connect(tcpUrl, { protocolVersion: 5 });
  });
  after(async () => {
    for (const child of runs) child.kill('SIGKILL');
    await watcher?.end();
    await broker?.stop();
  });

  test('publish-once.ts – publishSingle delivers the message and the script exits 0', T, async () => {
    const w = await watch(watcher, 'ex/once/publish');
    const run = new ExampleRun('publish-once.ts', {
      MQTT_URL: tcpUrl,
      MQTT_TOPIC: 'ex/once/publish',
      MQTT_MESSAGE: 'hello, test',
    });
    const { stdout } = await run.succeeded();
    assert.match(stdout, /published "hello, test" to ex\/once\/publish/, run.output);
    await w.until((s) => s.length === 1, 'the published message');
    assert.deepEqual(w.texts('ex/once/publish'), ['hello, test'], 'the watcher got the message once');
    await w.stop();
  });

  test(
    'subscribe-once.ts – subscribeSimple waits for MQTT_COUNT messages, prints them and exits 0',
    T,
    async () => {
      const run = new ExampleRun('subscribe-once.ts', {
        MQTT_URL: tcpUrl,
        MQTT_TOPIC: 'ex/once/sub/#',
        MQTT_COUNT: '2',
        MQTT_EXAMPLE_SECONDS: '10',
      });
      await run.printed(/subscribed to ex\/once\/sub\/#/);
      await watcher.publish('ex/once/sub/a', 'first', { qos: 1 });
      await watcher.publish('ex/once/sub/b', 'second', { qos: 1 });
      const { stdout } = await run.succeeded();
      assert.match(
        stdout,
        /received ex\/once\/sub\/a = "first"\nreceived ex\/once\/sub\/b = "second"/,
        run.output,
      );
    },
  );

  test(
    'subscribe-once.ts – no message within MQTT_EXAMPLE_SECONDS: one line on stderr, exit 1',
    T,
    async () => {
      const run = new ExampleRun('subscribe-once.ts', {
        MQTT_URL: tcpUrl,
        MQTT_TOPIC: 'ex/once/silent',
        MQTT_EXAMPLE_SECONDS: '0.2',
      });
      assert.equal((await run.ended()).code, 1, `a timeout is a failure of the script\n${run.output}`);
      assert.match(run.stderr, /^MQTT_ERR_TIMEOUT: .*0 of 1 messages/, run.output);
    },
  );

  test(
    'production-client.ts – TLS with the CA from MQTT_CA, QoS 1 readings, retained online then offline',
    T,
    async () => {
      const id = 'ex-prod-count';
      const w = await watch(watcher, `devices/${id}/#`);
      const run = new ExampleRun('production-client.ts', {
        MQTT_URL: `mqtts://localhost:${broker.ports.tls}`,
        MQTT_CA: broker.certs.ca.certPath,
        MQTT_CLIENT_ID: id,
        MQTT_COUNT: '5',
        MQTT_INTERVAL_MS: '10',
      });
      const { stdout } = await run.succeeded();
      assert.match(stdout, /connected to mqtts:.*\(MQTT 5, session present: false\)/, run.output);
      assert.match(stdout, /stopped after 5 readings/, run.output);
      await w.until((s) => s.some((m) => m.text() === 'offline'), 'the offline status');
      const readings = w.texts(`devices/${id}/temperature`).map((t) => JSON.parse(t) as { celsius: number });
      assert.equal(readings.length, 5, 'every reading reached the broker before the exit');
      assert.ok(
        readings.every((r) => typeof r.celsius === 'number'),
        `readings are JSON: ${w.texts(`devices/${id}/temperature`).join(', ')}`,
      );
      assert.deepEqual(w.texts(`devices/${id}/status`), ['online', 'offline'], 'status online, then offline');
      // The status is retained: a client arriving now still learns that the device is offline.
      const status = await subscribeSimple(tcpUrl, `devices/${id}/status`, { timeout: WAIT_MS });
      assert.ok(status.retain && status.text() === 'offline', `retained status is ${status.text()}`);
      await w.stop();
    },
  );

  test(
    'production-client.ts – SIGINT: flushes, publishes offline, exits 0; the session persists',
    T,
    async () => {
      const id = 'ex-prod-sigint';
      const w = await watch(watcher, `devices/${id}/#`);
      const env = {
        MQTT_URL: `mqtts://localhost:${broker.ports.tls}`,
        MQTT_CA: broker.certs.ca.certPath,
        MQTT_CLIENT_ID: id,
        MQTT_INTERVAL_MS: '20',
      };
      const run = new ExampleRun('production-client.ts', env);
      await w.until((s) => s.filter((m) => m.topic.endsWith('/temperature')).length >= 2, 'two readings');
      run.child.kill('SIGINT');
      const { stdout } = await run.succeeded();
      assert.match(stdout, /SIGINT: shutting down/, run.output);
      const sent = Number(/stopped after (\d+) readings/.exec(stdout)?.[1]);
      await w.until((s) => s.some((m) => m.text() === 'offline'), 'the offline status');
      // A reading whose publish was waiting when the signal came is not counted, but the flush still delivers it.
      const arrived = w.texts(`devices/${id}/temperature`).length;
      assert.ok(
        arrived === sent || arrived === sent + 1,
        `${arrived} readings arrived for ${sent} counted\n${stdout}`,
      );
      // The same client id again: the broker kept the session (clean false, session expiry).
      const again = new ExampleRun('production-client.ts', { ...env, MQTT_COUNT: '1' });
      assert.match((await again.succeeded()).stdout, /session present: true/, again.output);
      await w.stop();
    },
  );

  // Both runs use the home/ topics: one after the other.
  describe('home-automation.ts', { concurrency: false }, () => {
    test(
      'home-automation.ts – commands on home/+/+/set change the retained states; exits after MQTT_COUNT',
      T,
      async () => {
        const w = await watch(watcher, 'home/+/+/state');
        const run = new ExampleRun('home-automation.ts', { MQTT_URL: tcpUrl, MQTT_COUNT: '2' });
        // The hub announces its states once it is subscribed to commands.
        await w.until((s) => s.length >= 3, 'the initial states');
        assert.deepEqual(w.texts('home/livingroom/lamp/state'), ['off'], 'the lamp starts off');
        await watcher.publish('home/garage/door/set', 'open', { qos: 1 }); // no such device: ignored
        await watcher.publish('home/livingroom/lamp/set', 'on', { qos: 1 });
        await watcher.publish('home/bedroom/thermostat/set', '21.5', { qos: 1 });
        const { stdout } = await run.succeeded();
        assert.match(stdout, /ignored: garage\/door/, run.output);
        assert.match(stdout, /hub stopped after 2 commands/, run.output);
        assert.deepEqual(
          w.texts('home/livingroom/lamp/state'),
          ['off', 'on'],
          'the lamp state followed the command',
        );
        assert.deepEqual(w.texts('home/bedroom/thermostat/state'), ['19', '21.5'], 'so did the thermostat');
        const retained = await subscribeSimple(tcpUrl, 'home/livingroom/lamp/state', { timeout: WAIT_MS });
        assert.ok(
          retained.retain && retained.text() === 'on',
          `the retained lamp state is ${retained.text()}`,
        );
        await w.stop();
      },
    );

    test('home-automation.ts – SIGINT stops the hub with exit 0', T, async () => {
      const run = new ExampleRun('home-automation.ts', { MQTT_URL: tcpUrl });
      await run.printed(/hub ready/);
      run.child.kill('SIGINT');
      assert.match((await run.succeeded()).stdout, /hub stopped after 0 commands/, run.output);
    });
  });

  for (const version of ['4', '5'] as const) {
    test(
      `cloud-device-mtls.ts – mutual TLS with MQTT_CERT / MQTT_KEY, MQTT ${version === '5' ? '5' : '3.1.1'}`,
      T,
      async () => {
        const thing = `ex-thing-v${version}`;
        const w = await watch(watcher, `dt/${thing}/#`);
        const { ca, client } = broker.certs;
        const run = new ExampleRun('cloud-device-mtls.ts', {
          // The listener that refuses clients without a certificate signed by the test CA.
          MQTT_URL: `mqtts://localhost:${broker.ports.tlsClientCert}`,
          MQTT_CA: ca.certPath,
          MQTT_CERT: client.certPath,
          MQTT_KEY: client.keyPath,
          THING_NAME: thing,
          MQTT_PROTOCOL_VERSION: version,
          MQTT_COUNT: '3',
          MQTT_INTERVAL_MS: '10',
        });
        const { stdout } = await run.succeeded();
        assert.match(
          stdout,
          new RegExp(`${thing} connected .*MQTT ${version === '5' ? '5' : '3\\.1\\.1'}`),
          run.output,
        );
        await w.until((s) => s.length === 3, 'three telemetry messages');
        const seqs = w.texts(`dt/${thing}/telemetry`).map((t) => (JSON.parse(t) as { seq: number }).seq);
        assert.deepEqual(seqs, [1, 2, 3], 'the telemetry arrived in order');
        await w.stop();
      },
    );
  }

  test('cloud-device-mtls.ts – without MQTT_CERT it says what is missing and exits 2', T, async () => {
    const run = new ExampleRun('cloud-device-mtls.ts', {
      MQTT_URL: `mqtts://localhost:${broker.ports.tlsClientCert}`,
    });
    assert.equal((await run.ended()).code, 2, `a missing certificate is a usage error\n${run.output}`);
    assert.match(run.stderr, /MQTT_CERT must name a PEM file/, run.output);
  });

  test('per-topic-handlers.ts – handlers take their topics, the message event the rest', T, async () => {
    const run = new ExampleRun('per-topic-handlers.ts', { MQTT_URL: tcpUrl, MQTT_TOPIC: 'ex/handlers' });
    const { stdout } = await run.succeeded();
    const lines = stdout.trim().split('\n');
    assert.deepEqual(
      lines,
      [
        'temperature handler: ex/handlers/sensors/kitchen/temperature = 21.5 °C',
        'alert handler: ex/handlers/alerts/front-door: opened',
        'message event (no handler matched): ex/handlers/sensors/kitchen/humidity = 40',
        'temperature handler removed: true',
        'message event (no handler matched): ex/handlers/sensors/kitchen/temperature = 22.0',
      ],
      run.output,
    );
  });

  test('request-response.ts – every request gets its own answer (MQTT 5)', T, async () => {
    const run = new ExampleRun('request-response.ts', { MQTT_URL: tcpUrl, MQTT_COUNT: '4' });
    const { stdout } = await run.succeeded();
    assert.deepEqual(
      stdout.trim().split('\n'),
      ['1 + 10 = 11', '2 + 20 = 22', '3 + 30 = 33', '4 + 40 = 44'],
      run.output,
    );
  });

  test(
    'async-iteration.ts – for await over a subscription and over messages(), ended by break',
    T,
    async () => {
      const run = new ExampleRun('async-iteration.ts', {
        MQTT_URL: tcpUrl,
        MQTT_TOPIC: 'ex/iter',
        MQTT_COUNT: '6',
      });
      const { stdout } = await run.succeeded();
      const subscription = stdout.split('\n').filter((l) => l.startsWith('subscription: '));
      assert.deepEqual(
        subscription,
        [1, 2, 3, 4, 5, 6].map((i) => `subscription: ex/iter/sensors/s${i} = ${20 + i}`),
        run.output,
      );
      // The reader starts after every publish: a buffer of 3 holds the newest ticks, the last of them tick 6.
      const ticks = /messages\(\): read ticks \[([\d, ]*)\] of 6/.exec(stdout)?.[1];
      assert.ok(ticks !== undefined, `the messages() summary line\n${run.output}`);
      const read = ticks === '' ? [] : ticks.split(', ').map(Number);
      assert.ok(
        read.length <= 3 && read.at(-1) === 6,
        `the bounded buffer kept the newest ticks: [${ticks}]`,
      );
    },
  );

  test('manual-ack.ts – ack() calls out of order, PUBACKs in arrival order', T, async () => {
    const run = new ExampleRun('manual-ack.ts', { MQTT_URL: tcpUrl, MQTT_TOPIC: 'ex/jobs', MQTT_COUNT: '4' });
    const { stdout } = await run.succeeded();
    const lines = stdout.split('\n');
    // Job n is the n-th message to arrive. Per job: its packet id, and the line where its ack() was called.
    const jobs = lines.flatMap((line, at) => {
      const m = /^job ex\/jobs\/(\d) \(packet (\d+)\) done/.exec(line);
      return m ? [{ n: Number(m[1]), packetId: Number(m[2]), at }] : [];
    });
    assert.equal(jobs.length, 4, `four jobs done\n${run.output}`);
    // Shorter jobs were published later: the ack() calls are out of arrival order.
    assert.notDeepEqual(
      jobs.map((j) => j.n),
      [1, 2, 3, 4],
      `the ack() calls came out of arrival order\n${run.output}`,
    );
    const byArrival = [...jobs].sort((x, y) => x.n - y.n);
    const pubacks = lines.flatMap((line, at) => {
      const m = /PUBACK sent for packet (\d+)/.exec(line);
      return m ? [{ packetId: Number(m[1]), at }] : [];
    });
    assert.deepEqual(
      pubacks.map((p) => p.packetId),
      byArrival.map((j) => j.packetId),
      `PUBACKs went out in arrival order\n${run.output}`,
    );
    // And each only once its message and every earlier one had been acknowledged by the application.
    pubacks.forEach((p, i) => {
      const latestAck = Math.max(...byArrival.slice(0, i + 1).map((j) => j.at));
      assert.ok(
        p.at > latestAck,
        `PUBACK for packet ${p.packetId} waited for the earlier ack() calls\n${run.output}`,
      );
    });
    assert.match(stdout, /4 jobs processed and acknowledged/, run.output);
  });
});
