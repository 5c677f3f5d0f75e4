// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The tests behind docs/migrating-from-paho.md: one test per row of its tables (or per small group of rows that
// one behaviour covers), each named `paho – <paho symbol> → <mqttkit equivalent>` exactly as the table's test
// column names it (test/unit/docs-paho-table.test.ts checks that). Each exercises the mqttkit equivalent against
// a real Mosquitto, or directly for pure things (constants, topic matching, reason codes). Where paho needs
// something mqttkit does not (the loop_* calls, socket callbacks), the test exercises what replaces it.
//
// One broker (with a Unix socket listener and a maximum packet size added), one fault proxy in front of it, and
// clients made per test and destroyed after it. No test waits for time to synchronise: orders come from the broker
// (one publisher's messages stay in order), from awaiting acknowledgements, or from the client's own events.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import {
  type AckResult,
  ClientClosedError,
  type ClientEvents,
  ConnackError,
  type ConnectInfo,
  ConnectionError,
  type ConnectProperties,
  connect,
  createClient,
  createLogger,
  decode,
  encode,
  generateClientId,
  InvalidArgumentError,
  isFailure,
  isMqttError,
  isPropertyAllowed,
  isValidReasonCode,
  type LogFields,
  type Logger,
  type LogLevel,
  type Message,
  MqttClient,
  MqttError,
  NOOP_LOGGER,
  PACKET_TYPE_NAMES,
  PacketTooLargeError,
  PacketType,
  PROPERTIES,
  ProtocolError,
  ProtocolVersion,
  PublishError,
  type PublishResult,
  propertyById,
  publishMultiple,
  publishSingle,
  QueueFullError,
  REASON_CODES_BY_PACKET,
  ReasonCode,
  reasonCodeName,
  reasonToV3ConnackCode,
  scramSha256,
  socketTransport,
  subscribeCallback,
  subscribeSimple,
  TimeoutError,
  TopicRouter,
  type TransportFactory,
  topicMatchesSub,
  V3_CONNACK_TO_REASON,
  validateTopicFilter,
  validateTopicName,
} from '../../src/node.js';
import { clientId, nextEvent, take, topicPrefix, within } from '../helpers/clients.js';
import { acceptedClient, startFakeBroker } from '../helpers/fake-broker.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { freePorts } from '../helpers/ports.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };
const FAST = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;
/** The broker's Maximum Packet Size, set in its config and announced in CONNACK to MQTT 5 clients. */
const BROKER_MAX_PACKET = 65_536;

interface LogLine {
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every line, and lets a test wait for one. */
class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  error(message: string, fields?: LogFields): void {
    this.add('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.add('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.add('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.add('debug', message, fields);
  }

  /** The lines with exactly this message, such as `sent PUBACK` (packet lines with `logPackets`). */
  named(message: string): LogLine[] {
    return this.lines.filter((l) => l.message === message);
  }

  /** The first line, logged already or to come, that passes `test`. */
  until(test: (l: LogLine) => boolean, what: string, timeoutMs = 5_000): Promise<LogLine> {
    const found = this.lines.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return within(new Promise<LogLine>((resolve) => this.waiters.push({ test, resolve })), what, timeoutMs);
  }

  private add(level: LogLevel, message: string, fields: LogFields | undefined): void {
    const line = { level, message, fields };
    this.lines.push(line);
    const ready = this.waiters.filter((w) => w.test(line));
    this.waiters = this.waiters.filter((w) => !w.test(line));
    for (const w of ready) w.resolve(line);
  }
}

/** paho's `suppress_exceptions=True`: a client whose listener errors are kept instead of rethrown. */
class SwallowingClient extends MqttClient {
  readonly failures: unknown[] = [];

  protected override listenerFailed(error: unknown): void {
    this.failures.push(error);
  }
}

/** What a hand-written transport saw. */
interface SocketLog {
  sockets: Socket[];
  opened: number;
  closed: number;
}

/**
 * A transport of one's own over `node:net` (what replaces paho's socket callbacks, and the way to reach a broker
 * mqttkit has no transport for yet): the factory runs at the start of every connection attempt.
 */
function netTransport(port: number, log: SocketLog, localPort?: number): TransportFactory {
  return (handlers) => {
    const socket = netConnect(
      localPort === undefined ? { host: '127.0.0.1', port } : { host: '127.0.0.1', port, localPort },
    );
    log.sockets.push(socket);
    let failure: Error | undefined;
    socket.on('connect', () => {
      log.opened++;
      handlers.open();
    });
    socket.on('data', (chunk: Buffer) => handlers.data(chunk));
    socket.on('drain', () => handlers.drain());
    socket.on('error', (e) => {
      failure = e;
    });
    socket.on('close', () => {
      log.closed++;
      handlers.close(failure);
    });
    return {
      write: (bytes) => socket.write(bytes),
      end: () => socket.end(),
      destroy: (error) => socket.destroy(error),
    };
  };
}

describe('paho-mqtt equivalents (docs/migrating-from-paho.md)', () => {
  const socketPath = join(tmpdir(), `mqttkit-paho-${process.pid}.sock`);
  const mosquitto = brokerSuite('paho-eq', {
    extraConfig: `\nmax_packet_size ${BROKER_MAX_PACKET}\n\nlistener 0 ${socketPath}\nallow_anonymous true\n`,
  });
  const { pool, fresh } = mosquitto;
  let proxy: FaultProxy;
  let authUrl: string;
  let tlsUrl: string;
  let proxyUrl: string;

  before(async () => {
    const { host, ports } = mosquitto.broker;
    proxy = await startFaultProxy(ports.tcp);
    authUrl = `mqtt://${host}:${ports.auth}`;
    tlsUrl = `mqtts://${host}:${ports.tls}`;
    proxyUrl = `mqtt://127.0.0.1:${proxy.port}`;
  });
  after(async () => {
    await proxy?.close();
    rmSync(socketPath, { force: true });
  });

  // --- the package -----------------------------------------------------------------------------------------------

  it('paho – __version__ → version of mqttkit/package.json', () => {
    const require = createRequire(import.meta.url);
    const pkg = require('mqttkit/package.json') as { name: string; version: string };
    assert.equal(pkg.name, 'mqttkit');
    assert.match(pkg.version, /^\d+\.\d+\.\d+/, `a semantic version, got ${pkg.version}`);
  });

  it('paho – MQTTException → MqttError and isMqttError', T, async () => {
    // paho's helpers raise MQTTException when the broker refuses the connection; mqttkit's reject with an MqttError.
    const error = await publishSingle(authUrl, `${fresh()}/x`, 'x', { reconnect: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnackError, `a ConnackError, got ${String(error)}`);
    assert.ok(error instanceof MqttError, 'every mqttkit error is an MqttError');
    assert.equal(isMqttError(error), true, 'isMqttError works across copies of the library');
    assert.equal(error.code, 'MQTT_ERR_CONNACK');
  });

  // --- Client(): the constructor and its parameters --------------------------------------------------------------

  it('paho – Client → connect(url, options), createClient or new MqttClient', T, async () => {
    const a = await pool.connect(mosquitto.url, { reconnect: false });
    assert.equal(a.connected, true, 'connect() resolves with a connected client');
    assert.equal(a.connectInfo.reasonCode, ReasonCode.Success);

    const b = pool.add(createClient(mosquitto.url, { reconnect: false }));
    assert.equal(b.connected, false, 'createClient() does not connect');
    const info = await b.connect();
    assert.equal(info.reasonCode, ReasonCode.Success);

    const transport = socketTransport({ host: mosquitto.broker.host, port: mosquitto.broker.ports.tcp });
    const c = pool.add(new MqttClient({ transport, reconnect: false }));
    await c.connect();
    assert.equal(c.connected, true, 'new MqttClient({ transport }) then connect()');
  });

  it('paho – client_id → clientId option', T, async () => {
    const id = clientId('paho-id');
    const named = await pool.connect(mosquitto.url, { clientId: id, reconnect: false });
    assert.equal(named.clientId, id);

    const generated = await pool.connect(mosquitto.url, { reconnect: false });
    assert.match(generated.clientId, /^mqttkit_[0-9a-f]{12}$/, 'generated when absent');
    assert.match(generateClientId(), /^mqttkit_[0-9a-f]{12}$/);

    const assigned = await pool.connect(mosquitto.url, {
      clientId: '',
      protocolVersion: 5,
      reconnect: false,
    });
    assert.equal(assigned.clientId, assigned.connectInfo.properties?.assignedClientIdentifier);
    assert.ok(assigned.clientId.length > 0, 'an empty id asks an MQTT 5 broker to assign one');
  });

  it('paho – clean_session → clean option', T, async () => {
    const id = clientId('paho-clean');
    const options = { protocolVersion: 4, clientId: id, reconnect: false } as const;
    const first = await pool.connect(mosquitto.url, { ...options, clean: false });
    await first.subscribe(`${fresh()}/#`, { qos: 1 });
    await first.end();
    const again = await pool.connect(mosquitto.url, { ...options, clean: false });
    assert.equal(again.connectInfo.sessionPresent, true, 'clean: false resumes the session');
    await again.end();
    const clean = await pool.connect(mosquitto.url, { ...options, clean: true });
    assert.equal(clean.connectInfo.sessionPresent, false, 'clean: true starts a new one');
  });

  it('paho – userdata → userData option and client.userData', T, async () => {
    const data = { room: 'kitchen' };
    const c = await pool.connect(mosquitto.url, { userData: data, reconnect: false });
    assert.equal(c.userData, data, 'user_data_get');
    c.userData = { room: 'hall' };
    assert.deepEqual(c.userData, { room: 'hall' }, 'user_data_set');
  });

  it('paho – protocol → protocolVersion option and client.protocolVersion', T, async () => {
    assert.deepEqual([ProtocolVersion.V3_1, ProtocolVersion.V3_1_1, ProtocolVersion.V5], [3, 4, 5]);
    for (const version of [3, 4, 5] as const) {
      const c = await pool.connect(mosquitto.url, { protocolVersion: version, reconnect: false });
      assert.equal(c.protocolVersion, version);
      assert.equal(c.connectInfo.protocolVersion, version);
    }
    const auto = await pool.connect(mosquitto.url, { reconnect: false });
    assert.equal(auto.protocolVersion, 5, "'auto' (the default) connects with MQTT 5 to Mosquitto 2");
  });

  it('paho – transport unix → socketTransport({ path })', T, async () => {
    const c = await pool.connect({ transport: socketTransport({ path: socketPath }), reconnect: false });
    const topic = `${fresh()}/unix`;
    const sub = await c.subscribe(topic, { qos: 1 });
    await c.publish(topic, 'over a Unix socket', { qos: 1 });
    const [m] = await take(sub, 1);
    assert.equal(m?.text(), 'over a Unix socket');
  });

  it('paho – reconnect_on_failure → reconnect option', T, async () => {
    const reconnect = { minDelay: 20, maxDelay: 100, factor: 2, jitter: 0 };
    const c = await pool.connect(proxyUrl, { reconnect });
    const lost = nextEvent(c, 'disconnect');
    const waiting = nextEvent(c, 'reconnecting');
    const back = nextEvent(c, 'connect');
    proxy.drop();
    const [info] = await lost;
    assert.equal(info.willReconnect, true);
    assert.ok(info.error instanceof ConnectionError, `lost with ConnectionError, got ${String(info.error)}`);
    const [next] = await waiting;
    assert.deepEqual(next, { attempt: 1, delay: 20 }, 'reconnect.minDelay first, without jitter');
    await back;
    assert.equal(c.connected, true, 'reconnected by itself');
    await c.end();

    const once = await pool.connect(proxyUrl, { reconnect: false });
    const gone = nextEvent(once, 'disconnect');
    proxy.drop();
    const [last] = await gone;
    assert.equal(last.willReconnect, false, 'reconnect: false');
    assert.ok((await once.closed()) instanceof ConnectionError, 'the client ended with the error');
  });

  it('paho – manual_ack → manualAck option and message.ack()', T, async () => {
    const topic = `${fresh()}/ack`;
    const log = new RecordingLogger();
    const rx = await pool.connect(mosquitto.url, {
      manualAck: true,
      logPackets: true,
      logger: log,
      reconnect: false,
    });
    const sub = await rx.subscribe(topic, { qos: 1 });
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    await tx.publish(topic, 'ack me', { qos: 1 });
    const [m] = await take(sub, 1);
    assert.ok(m !== undefined, 'the message arrived');
    assert.equal(log.named('sent PUBACK').length, 0, 'no PUBACK before ack()');
    assert.equal(m.ack(), true, 'ack() acknowledges');
    const sent = await log.until((l) => l.message === 'sent PUBACK', 'the PUBACK');
    assert.equal(sent.fields?.['packetId'], m.packetId);
    assert.equal(m.ack(), false, 'a second ack() has nothing to do');
  });

  // --- Client properties -------------------------------------------------------------------------------------------

  it('paho – host, port → host and port options or the URL', T, async () => {
    const c = await pool.connect({
      host: mosquitto.broker.host,
      port: mosquitto.broker.ports.tcp,
      reconnect: false,
    });
    assert.equal(c.connected, true, 'host and port options');
    const d = await pool.connect(`mqtt://${mosquitto.broker.host}:${mosquitto.broker.ports.tcp}`, {
      reconnect: false,
    });
    assert.equal(d.connected, true, 'a URL');
  });

  it('paho – keepalive → keepAlive option', T, async () => {
    const log = new RecordingLogger();
    await pool.connect(mosquitto.url, { keepAlive: 17, logPackets: true, logger: log, reconnect: false });
    const [line] = log.named('sent CONNECT');
    assert.equal(line?.fields?.['keepAlive'], 17, 'the CONNECT carries the keep-alive in seconds');
  });

  it('paho – connect_timeout → connectTimeout option', T, async () => {
    // A server that accepts the TCP connection and never answers: the CONNACK does not come.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      await assert.rejects(
        connect(`mqtt://127.0.0.1:${port}`, { connectTimeout: 150, reconnect: false }),
        TimeoutError,
      );
      assert.ok(Date.now() - started < 2_000, 'connectTimeout is in milliseconds');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('paho – username_pw_set → username and password options or the URL', T, async () => {
    const { username, password } = mosquitto.broker.users.alice;
    const a = await pool.connect(authUrl, { username, password, reconnect: false });
    assert.equal(a.connected, true, 'options');
    const b = await pool.connect(
      `mqtt://${username}:${password}@${mosquitto.broker.host}:${mosquitto.broker.ports.auth}`,
      {
        reconnect: false,
      },
    );
    assert.equal(b.connected, true, 'user information in the URL');
    const bytes = new TextEncoder().encode(password);
    const c = await pool.connect(authUrl, { username, password: bytes, reconnect: false });
    assert.equal(c.connected, true, 'a password as bytes');
    for (const protocolVersion of [5, 4] as const) {
      // Mosquitto 2.0.11 refuses a wrong password as "not authorised" (MQTT 3.1.1 return code 5, mapped to 0x87).
      await assert.rejects(
        pool.connect(authUrl, { protocolVersion, username, password: 'wrong', reconnect: false }),
        (e: unknown) => e instanceof ConnackError && e.reasonCode === ReasonCode.NotAuthorized,
      );
    }
  });

  it('paho – username_pw_set → client.setCredentials(username, password)', T, async () => {
    // bob may only publish under public/, alice anywhere (the auth listener's ACL). A proxy of this test's own in
    // front of the password listener forces the reconnect.
    const authProxy = await startFaultProxy(mosquitto.broker.ports.auth);
    try {
      const { bob, alice } = mosquitto.broker.users;
      const topic = `${fresh()}/private`;
      const c = await pool.connect(`mqtt://127.0.0.1:${authProxy.port}`, {
        protocolVersion: 5,
        username: bob.username,
        password: bob.password,
        reconnect: FAST,
      });
      c.setCredentials(alice.username, alice.password);
      await assert.rejects(
        c.publish(topic, 'as bob', { qos: 1 }),
        (e: unknown) => e instanceof PublishError && e.reasonCode === ReasonCode.NotAuthorized,
        'the current connection keeps the credentials it was made with',
      );
      const back = nextEvent(c, 'connect');
      authProxy.drop();
      await back;
      const done = await c.publish(topic, 'as alice', { qos: 1 });
      assert.equal(isFailure(done.reasonCode), false, 'accepted: the reconnection used the new credentials');

      // No arguments: the next connection is anonymous, which this listener refuses (for good: not retryable).
      c.setCredentials();
      const failed = nextEvent(c, 'connectFailure');
      authProxy.drop();
      const [refused] = await failed;
      assert.ok(
        refused instanceof ConnackError && refused.reasonCode === ReasonCode.NotAuthorized,
        `refused without credentials, got ${String(refused)}`,
      );
      assert.equal(await within(c.closed(), 'the client ends'), refused);
    } finally {
      await authProxy.close();
    }
  });

  it('paho – max_inflight_messages → maxInflight option', T, async () => {
    const log = new RecordingLogger();
    const c = await pool.connect(mosquitto.url, {
      maxInflight: 2,
      logPackets: true,
      logger: log,
      reconnect: false,
    });
    const topic = `${fresh()}/inflight`;
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.publish(topic, `m${i}`, { qos: 1 })));
    let open = 0;
    let most = 0;
    for (const line of log.lines) {
      if (line.message === 'sent PUBLISH') most = Math.max(most, ++open);
      else if (line.message === 'received PUBACK') open--;
    }
    assert.equal(most, 2, 'never more than maxInflight unacknowledged');
    assert.equal(log.named('sent PUBLISH').length, 6);
  });

  it('paho – max_queued_messages → maxQueued option and QueueFullError', T, async () => {
    const c = pool.add(createClient(mosquitto.url, { maxQueued: 2, reconnect: false }));
    const topic = `${fresh()}/queued`;
    const queued = [c.publish(topic, '1', { qos: 1 }), c.publish(topic, '2', { qos: 1 })];
    await assert.rejects(c.publish(topic, '3', { qos: 1 }), QueueFullError);
    await c.connect();
    const results = await Promise.all(queued);
    assert.equal(results.length, 2, 'the queued messages went out once connected');
  });

  it('paho – will_set → will option', T, async () => {
    const topic = `${fresh()}/will`;
    const watcher = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await watcher.subscribe(topic, { qos: 1 });
    const will = {
      topic,
      payload: 'gone',
      qos: 1,
      retain: false,
      properties: { contentType: 'text/plain' },
    } as const;
    const dying = await pool.connect(mosquitto.url, { protocolVersion: 5, will, reconnect: false });
    dying.destroy();
    const [m] = await take(sub, 1);
    assert.equal(m?.text(), 'gone');
    assert.equal(m?.qos, 1);
    assert.equal(m?.properties?.contentType, 'text/plain', 'will properties');
  });

  it('paho – will_set → client.setWill(will)', T, async () => {
    const topic = `${fresh()}/will`;
    const watcher = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await watcher.subscribe(topic, { qos: 1 });
    const c = await pool.connect(proxyUrl, {
      protocolVersion: 5,
      will: { topic, payload: 'first', qos: 1 },
      reconnect: FAST,
    });
    assert.throws(() => c.setWill({ topic: `${topic}/#`, payload: 'x' }), InvalidArgumentError, 'checked');
    c.setWill({ topic, payload: 'second', qos: 1, properties: { contentType: 'text/plain' } });
    // The connection lost through the proxy still had the first will; the reconnection carries the second.
    const back = nextEvent(c, 'connect');
    proxy.drop();
    await back;
    c.destroy();
    const got = await take(sub, 2);
    assert.deepEqual(
      got.map((m) => m.text()),
      ['first', 'second'],
      'the new will takes effect on the next connection',
    );
    assert.equal(got[1]?.properties?.contentType, 'text/plain', 'with its properties');
  });

  it('paho – will_clear → client.setWill()', T, async () => {
    const base = fresh();
    const watcher = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await watcher.subscribe(`${base}/#`, { qos: 1 });
    const c = await pool.connect(proxyUrl, {
      protocolVersion: 5,
      will: { topic: `${base}/will`, payload: 'kept', qos: 1 },
      reconnect: FAST,
    });
    c.setWill();
    const back = nextEvent(c, 'connect');
    proxy.drop();
    await back;
    c.destroy();
    await c.closed();
    // A client with the same identifier is accepted only once the broker has dealt with the destroyed connection
    // (and so published its will, had it one); its marker comes after.
    const next = await pool.connect(mosquitto.url, {
      clientId: c.clientId,
      protocolVersion: 5,
      reconnect: false,
    });
    await next.publish(`${base}/marker`, 'marker', { qos: 1 });
    const got = await take(sub, 2);
    assert.deepEqual(
      got.map((m) => m.text()),
      ['kept', 'marker'],
      'the connection lost first kept its will; the one made after setWill() had none',
    );
  });

  it('paho – logger → logger option', T, async () => {
    const log = new RecordingLogger();
    await pool.connect(mosquitto.url, { logger: log, reconnect: false });
    const line = await log.until((l) => l.message.startsWith('connected'), 'the connected line');
    assert.equal(line.level, 'info');

    const sink = new RecordingLogger();
    const c = await pool.connect(mosquitto.url, {
      logger: createLogger({ level: 'warn', sink }),
      reconnect: false,
    });
    await c.end();
    assert.deepEqual(sink.lines, [], 'a level filters (LOGGING_LEVEL)');
    const quiet = await pool.connect(mosquitto.url, { logger: NOOP_LOGGER, reconnect: false });
    assert.equal(quiet.connected, true, 'NOOP_LOGGER, or no logger at all, logs nothing');
  });

  it('paho – suppress_exceptions → override listenerFailed', T, async () => {
    const transport = socketTransport({ host: mosquitto.broker.host, port: mosquitto.broker.ports.tcp });
    const c = pool.add(new SwallowingClient({ transport, reconnect: false }));
    await c.connect();
    const boom = new Error('a listener failed');
    c.on('message', () => {
      throw boom;
    });
    const second = nextEvent(c, 'message');
    const topic = `${fresh()}/throws`;
    await c.subscribe(topic);
    await c.publish(topic, 'x');
    await second;
    assert.deepEqual(c.failures, [boom], 'the error reached listenerFailed; the next listener still ran');
    assert.equal(c.connected, true);
  });

  // --- connecting --------------------------------------------------------------------------------------------------

  it('paho – bind_port → socketTransport({ localPort })', T, async () => {
    const [localPort = 0] = await freePorts(1);
    const transport = socketTransport({
      host: mosquitto.broker.host,
      port: mosquitto.broker.ports.tcp,
      localAddress: '127.0.0.1',
      localPort,
    });
    const c = await pool.connect({ transport, reconnect: false });
    assert.equal(c.connected, true);
    // The broker logs where each connection comes from ("New connection from 127.0.0.1:<port> …") on accepting it.
    assert.ok(
      readFileSync(mosquitto.broker.logPath, 'utf8').includes(`New connection from 127.0.0.1:${localPort} `),
      `the broker saw the connection come from local port ${localPort}`,
    );
    assert.throws(
      () => socketTransport({ host: 'h', port: 1, localPort: 70_000 }),
      /localPort must be a port number/,
    );
  });

  it('paho – bind_address → socketTransport({ localAddress })', T, async () => {
    const transport = socketTransport({
      host: mosquitto.broker.host,
      port: mosquitto.broker.ports.tcp,
      localAddress: '127.0.0.1',
    });
    const c = await pool.connect({ transport, reconnect: false });
    assert.equal(c.connected, true);
  });

  it(
    'paho – transport="websockets" and ws_set_options → ws:// / wss:// URLs and webSocket { headers }',
    T,
    async () => {
      const client = await pool.connect(`ws://127.0.0.1:${mosquitto.broker.ports.ws}/mqtt`, {
        webSocket: { headers: { 'X-Paho-Migration': 'yes' } },
      });
      const topic = `${topicPrefix('paho-ws')}/t`;
      const sub = await client.subscribe(topic, { qos: 1 });
      await client.publish(topic, 'over a WebSocket', { qos: 1 });
      const [m] = await take(sub, 1);
      assert.equal(m?.text(), 'over a WebSocket', 'a round trip over ws://');
      // WebsocketConnectionError: a failed upgrade is a ConnectionError (here: nothing listens on the port).
      const [dead] = await freePorts(1);
      await assert.rejects(
        connect(`ws://127.0.0.1:${dead}/mqtt`, { reconnect: false }),
        ConnectionError,
        'a WebSocket that cannot connect gives a ConnectionError',
      );
    },
  );

  it('paho – bind_port and socket callbacks → a transport of your own', T, async () => {
    const [localPort] = await freePorts(1);
    const log: SocketLog = { sockets: [], opened: 0, closed: 0 };
    const c = await pool.connect({
      transport: netTransport(mosquitto.broker.ports.tcp, log, localPort),
      reconnect: false,
    });
    assert.equal(log.sockets[0]?.localPort, localPort, 'bound to the local port');
    assert.equal(log.opened, 1, 'the transport saw the socket open (on_socket_open)');
    await c.end();
    assert.equal(log.closed, 1, 'and close (on_socket_close)');

    // The factory runs at the start of every connection attempt (on_pre_connect).
    const each: SocketLog = { sockets: [], opened: 0, closed: 0 };
    const d = await pool.connect({
      transport: netTransport(mosquitto.broker.ports.tcp, each),
      reconnect: FAST,
    });
    const back = nextEvent(d, 'connect');
    each.sockets[0]?.destroy();
    await back;
    assert.equal(each.sockets.length, 2, 'called again for the reconnection');
  });

  it('paho – MQTT_CLEAN_START_FIRST_ONLY → clean first', T, async () => {
    const options = { protocolVersion: 5, sessionExpiryInterval: 60, reconnect: FAST } as const;
    const c = await pool.connect(proxyUrl, { ...options, clientId: clientId('paho-first'), clean: 'first' });
    assert.equal(c.connectInfo.sessionPresent, false, 'the first connection starts clean');
    let back = nextEvent(c, 'connect');
    proxy.drop();
    let [info] = await back;
    assert.equal(info.sessionPresent, true, 'a reconnection resumes the session');
    await c.end();

    const d = await pool.connect(proxyUrl, { ...options, clientId: clientId('paho-always'), clean: true });
    back = nextEvent(d, 'connect');
    proxy.drop();
    [info] = await back;
    assert.equal(info.sessionPresent, false, 'clean: true starts clean every time');
  });

  it('paho – connect properties → properties option', T, async () => {
    const id = clientId('paho-props');
    const log = new RecordingLogger();
    const properties: ConnectProperties = {
      sessionExpiryInterval: 60,
      receiveMaximum: 50,
      userProperties: [['app', 'migrating']],
    };
    const a = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      clientId: id,
      clean: false,
      properties,
      logPackets: true,
      logger: log,
      reconnect: false,
    });
    const sent = log.named('sent CONNECT')[0]?.fields?.['properties'] as Record<string, unknown> | undefined;
    assert.deepEqual(sent?.['userProperties'], [['app', 'migrating']]);
    assert.equal(sent?.['receiveMaximum'], 50);
    await a.end();
    const b = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      clientId: id,
      clean: false,
      reconnect: false,
    });
    assert.equal(b.connectInfo.sessionPresent, true, 'the broker kept the session for its expiry interval');
  });

  it('paho – connect_async → createClient, then client.connect()', T, async () => {
    const base = fresh();
    const watcher = await pool.connect(mosquitto.url, { reconnect: false });
    const watching = await watcher.subscribe(`${base}/offline`, { qos: 1 });
    const c = pool.add(createClient(mosquitto.url, { reconnect: false }));
    const subscribing = c.subscribe(`${base}/later`, { qos: 1 });
    const publishing = c.publish(`${base}/offline`, 'queued before connecting', { qos: 1 });
    assert.equal(c.connected, false, 'nothing is sent yet');
    await c.connect();
    const [handle, result] = await Promise.all([subscribing, publishing]);
    assert.deepEqual(handle.reasonCodes, [1], 'the subscription went out after CONNACK');
    assert.equal(typeof result.packetId, 'number');
    const [m] = await take(watching, 1);
    assert.equal(m?.text(), 'queued before connecting');
  });

  it('paho – connect_srv → mqtt+srv:// URL or srv option', T, async () => {
    const asked: string[] = [];
    const resolver = async (name: string) => {
      asked.push(name);
      return [{ name: '127.0.0.1', port: mosquitto.broker.ports.tcp, priority: 0, weight: 0 }];
    };
    const c = await pool.connect('mqtt+srv://broker.example', { srv: { resolver }, reconnect: false });
    assert.equal(c.connected, true);
    assert.deepEqual(asked, ['_mqtt._tcp.broker.example']);
  });

  it('paho – disconnect → end()', T, async () => {
    const base = fresh();
    const watcher = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await watcher.subscribe(`${base}/#`, { qos: 1 });
    const will = { topic: `${base}/will`, payload: 'lost', qos: 1 } as const;

    const a = await pool.connect(mosquitto.url, { protocolVersion: 5, will, reconnect: false });
    const closing = nextEvent(a, 'close');
    await a.end();
    assert.equal(a.connected, false);
    assert.deepEqual(await closing, [undefined], 'close event without an error');
    assert.equal(await a.closed(), undefined);
    // A marker after the clean end: the will, had it been published, would have come first.
    await watcher.publish(`${base}/marker`, 'marker', { qos: 1 });

    const b = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      will: { ...will, payload: 'asked for' },
      reconnect: false,
    });
    await b.end({ reasonCode: ReasonCode.DisconnectWithWillMessage });
    const got = await take(sub, 2);
    assert.deepEqual(
      got.map((m) => m.text()),
      ['marker', 'asked for'],
      'no will after end(); the will after end({ reasonCode: 0x04 })',
    );
  });

  it('paho – is_connected → client.connected', T, async () => {
    const c = pool.add(createClient(mosquitto.url, { reconnect: false }));
    assert.equal(c.connected, false);
    await c.connect();
    assert.equal(c.connected, true);
    await c.end();
    assert.equal(c.connected, false);
  });

  it('paho – reinitialise → a new client', T, async () => {
    const options = { clientId: clientId('paho-reinit'), reconnect: false } as const;
    const c = await pool.connect(mosquitto.url, options);
    await c.end();
    await assert.rejects(c.connect(), InvalidArgumentError, 'an ended client does not connect again');
    await assert.rejects(c.publish(`${fresh()}/x`, 'x'), ClientClosedError);
    const again = await pool.connect(mosquitto.url, options);
    assert.equal(again.connected, true, 'a new client with the same options');
  });

  // --- TLS ---------------------------------------------------------------------------------------------------------

  it('paho – tls_set → mqtts:// URL and tls option', T, async () => {
    const { ca, client } = mosquitto.broker.certs;
    const a = await pool.connect(tlsUrl, { tls: { ca: ca.cert, minVersion: 'TLSv1.2' }, reconnect: false });
    assert.equal(a.connected, true, 'server verified against the CA');
    const withCert = `mqtts://${mosquitto.broker.host}:${mosquitto.broker.ports.tlsClientCert}`;
    const b = await pool.connect(withCert, {
      tls: { ca: ca.cert, cert: client.cert, key: client.key },
      reconnect: false,
    });
    assert.equal(b.connected, true, 'client certificate');
    const c = await pool.connect(tlsUrl, { tls: { rejectUnauthorized: false }, reconnect: false });
    assert.equal(c.connected, true, 'cert_reqs=CERT_NONE: rejectUnauthorized false');
  });

  it('paho – tls_set_context → tls secureContext', T, async () => {
    const secureContext = createSecureContext({ ca: mosquitto.broker.certs.ca.cert });
    const c = await pool.connect(tlsUrl, { tls: { secureContext }, reconnect: false });
    assert.equal(c.connected, true);
  });

  it('paho – tls_insecure_set → tls checkServerIdentity', T, async () => {
    const tls = { ca: mosquitto.broker.certs.ca.cert, servername: 'not-in-the-certificate.example' };
    await assert.rejects(pool.connect(tlsUrl, { tls, reconnect: false }), ConnectionError);
    const c = await pool.connect(tlsUrl, {
      tls: { ...tls, checkServerIdentity: () => undefined },
      reconnect: false,
    });
    assert.equal(c.connected, true, 'the chain is verified, the host name is not');
  });

  it('paho – MQTT_ERR_TLS → ConnectionError with the TLS error as cause', T, async () => {
    const error = await pool
      .connect(tlsUrl, { tls: { ca: mosquitto.broker.certs.otherCa.cert }, reconnect: false })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ConnectionError, `a ConnectionError, got ${String(error)}`);
    const cause = error.cause as { code?: unknown } | undefined;
    assert.equal(typeof cause?.code, 'string', `the TLS error with its code as cause, got ${String(cause)}`);
  });

  // --- the network loop --------------------------------------------------------------------------------------------

  it('paho – loop_start → nothing to start: the Node.js event loop', T, async () => {
    const topic = `${fresh()}/loop`;
    const rx = await pool.connect(mosquitto.url, { reconnect: false });
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    const arrived = nextEvent(rx, 'message');
    await rx.subscribe(topic);
    const written = await tx.publish(topic, 'nothing to drive');
    assert.equal(written.packetId, undefined, 'a QoS 0 publish resolves once written (loop_write)');
    const [m] = await arrived;
    assert.equal(m.text(), 'nothing to drive', 'received with no loop call (loop, loop_read)');
  });

  it('paho – loop_forever → await client.closed()', T, async () => {
    const topic = `${fresh()}/forever`;
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    c.on('message', (m) => {
      if (m.text() === 'stop') void c.end();
    });
    await c.subscribe(topic);
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    await tx.publish(topic, 'stop');
    assert.equal(await within(c.closed(), 'closed()'), undefined, 'resolves once end() has finished');
  });

  it('paho – loop_forever retry_first_connection → retryFirstConnect option', T, async () => {
    // Nothing listens on the port yet. After the first refused attempt a relay to the broker starts there, and the
    // client, still retrying with its reconnect backoff, gets through.
    const [port] = await freePorts(1);
    const sockets = new Set<Socket>();
    const relay = createServer((inbound) => {
      const outbound = netConnect(mosquitto.broker.ports.tcp, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    const listening = new Promise<void>((resolve, reject) => {
      relay.once('listening', resolve);
      relay.once('error', reject);
    });
    const failures: Error[] = [];
    try {
      const connecting = pool.connect(`mqtt://127.0.0.1:${port}`, {
        retryFirstConnect: true,
        reconnect: FAST,
        onClient: (client) => {
          client.on('connectFailure', (e) => {
            failures.push(e);
            if (failures.length === 1) relay.listen(port, '127.0.0.1');
          });
        },
      });
      const [c] = await Promise.all([connecting, listening]);
      assert.equal(c.connected, true, 'connect() resolved once a connection succeeded');
      const refused = failures[0];
      assert.ok(refused instanceof ConnectionError, `first a network failure, got ${String(refused)}`);
      assert.equal((refused.cause as { code?: unknown } | undefined)?.code, 'ECONNREFUSED');
      await c.end();

      // A refusal that retrying cannot fix still fails the first connect().
      await assert.rejects(
        pool.connect(authUrl, { retryFirstConnect: true, reconnect: FAST }),
        (e: unknown) => e instanceof ConnackError && e.reasonCode === ReasonCode.NotAuthorized,
      );
    } finally {
      for (const s of sockets) s.destroy();
      if (relay.listening) await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('paho – loop_stop → end() or destroy()', T, async () => {
    const a = await pool.connect(mosquitto.url, { reconnect: false });
    await a.end();
    assert.equal(await a.closed(), undefined, 'end(): DISCONNECT, then closed');
    const b = await pool.connect(mosquitto.url, { reconnect: false });
    b.destroy();
    assert.equal(await within(b.closed(), 'closed()'), undefined, 'destroy(): closed at once');
  });

  it('paho – loop_misc → keep-alive timers (keepAlive, pingTimeout)', { timeout: 10_000 }, async () => {
    const log = new RecordingLogger();
    const c = await pool.connect(proxyUrl, {
      keepAlive: 1,
      pingTimeout: 300,
      logPackets: true,
      logger: log,
      reconnect: false,
    });
    await log.until((l) => l.message === 'received PINGRESP', 'a PINGRESP');
    assert.ok(log.named('sent PINGREQ').length > 0, 'the client pinged by itself');
    const lost = nextEvent(c, 'disconnect');
    proxy.blackhole();
    try {
      const [info] = await lost;
      assert.ok(
        info.error instanceof TimeoutError,
        `no answer to PINGREQ: TimeoutError, got ${String(info.error)}`,
      );
    } finally {
      proxy.restore();
    }
  });

  // --- messaging ---------------------------------------------------------------------------------------------------

  it('paho – publish → await client.publish()', T, async () => {
    const base = fresh();
    const rx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await rx.subscribe(`${base}/#`, { qos: 2 });
    const tx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const properties = {
      contentType: 'application/octet-stream',
      userProperties: [['k', 'v']] as [string, string][],
    };
    const r0 = await tx.publish(`${base}/q0`, 'text');
    const r1 = await tx.publish(`${base}/q1`, new Uint8Array([1, 2, 3]), { qos: 1, properties });
    const r2 = await tx.publish(`${base}/q2`, Buffer.from('a Buffer'), { qos: 2 });
    await tx.publish(`${base}/none`, '', { qos: 1 });
    await tx.publish(`${base}/number`, String(21.5), { qos: 1 });
    assert.equal(r0.packetId, undefined, 'QoS 0: no packet identifier');
    assert.equal(typeof r1.packetId, 'number', 'QoS 1: resolved on PUBACK');
    assert.equal(typeof r2.packetId, 'number', 'QoS 2: resolved on PUBCOMP');
    assert.equal(r1.reasonCode, ReasonCode.Success);
    const got = await take(sub, 5);
    assert.deepEqual(
      got.map((m) => [m.topic.slice(base.length + 1), m.qos, Array.from(m.payload)]),
      [
        ['q0', 0, Array.from(Buffer.from('text'))],
        ['q1', 1, [1, 2, 3]],
        ['q2', 2, Array.from(Buffer.from('a Buffer'))],
        ['none', 1, []],
        ['number', 1, Array.from(Buffer.from('21.5'))],
      ],
    );
    assert.deepEqual(got[1]?.properties?.userProperties, [['k', 'v']]);
    assert.equal(got[1]?.properties?.contentType, 'application/octet-stream');

    await tx.publish(`${base}/kept`, 'retained', { qos: 1, retain: true });
    const late = await pool.connect(mosquitto.url, { reconnect: false });
    const [kept] = await take(await late.subscribe(`${base}/kept`), 1);
    assert.equal(kept?.retain, true, 'retain: true keeps the message for later subscribers');
  });

  it('paho – publish ValueError → InvalidArgumentError', T, async () => {
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    await assert.rejects(c.publish('a/+/b', 'x'), InvalidArgumentError, 'wildcard in a topic name');
    await assert.rejects(c.publish('', 'x'), InvalidArgumentError, 'empty topic');
    await assert.rejects(c.publish('a', 'x', { qos: 3 as 0 }), InvalidArgumentError, 'QoS 3');
    await assert.rejects(c.subscribe('a/#/b'), InvalidArgumentError, 'invalid filter');
    await assert.rejects(c.subscribe([]), InvalidArgumentError, 'no filter');
    assert.throws(() => validateTopicName('a/#'), InvalidArgumentError);
    assert.throws(() => validateTopicFilter('a#'), InvalidArgumentError);
    validateTopicFilter('a/+/#');
    assert.equal(c.connected, true, 'nothing was sent; the connection stays up');
  });

  it('paho – MQTT_ERR_PAYLOAD_SIZE → PacketTooLargeError', T, async () => {
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    assert.equal(c.connectInfo.properties?.maximumPacketSize, BROKER_MAX_PACKET);
    const topic = `${fresh()}/big`;
    await assert.rejects(c.publish(topic, new Uint8Array(BROKER_MAX_PACKET + 10)), PacketTooLargeError);
    await c.publish(topic, 'small', { qos: 1 });
    assert.equal(c.connected, true, 'refused locally; the connection stays up');
  });

  it('paho – MQTT_ERR_ACL_DENIED → PublishError 0x87', T, async () => {
    const { username, password } = mosquitto.broker.users.bob;
    const bob = await pool.connect(authUrl, { protocolVersion: 5, username, password, reconnect: false });
    await assert.rejects(
      bob.publish('private/x', 'x', { qos: 1 }),
      (e: unknown) => e instanceof PublishError && e.reasonCode === ReasonCode.NotAuthorized,
    );
  });

  it('paho – subscribe → await client.subscribe()', T, async () => {
    const base = fresh();
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const both = await c.subscribe([`${base}/a`, `${base}/b`], {
      qos: 1,
      properties: { userProperties: [['why', 'migration']] },
    });
    assert.deepEqual(both.reasonCodes, [1, 1], 'granted QoS per filter');
    assert.equal(both.granted, true);
    const other = await c.subscribe(`${base}/c`, { qos: 2 });
    assert.deepEqual(other.reasonCodes, [2], 'a second subscribe(): a SUBSCRIBE of its own');
    await c.publish(`${base}/b`, 'to b', { qos: 1 });
    await c.publish(`${base}/c`, 'to c', { qos: 2 });
    const [mb] = await take(both, 1);
    const [mc] = await take(other, 1);
    assert.equal(mb?.text(), 'to b');
    assert.equal(mc?.text(), 'to c');
  });

  it('paho – subscribe([(topic, qos), …]) → subscribe([{ topicFilter, qos }, …])', T, async () => {
    const base = fresh();
    const log = new RecordingLogger();
    const c = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      logPackets: true,
      logger: log,
      reconnect: false,
    });
    const handle = await c.subscribe(
      [
        { topicFilter: `${base}/a`, qos: 0 },
        { topicFilter: `${base}/b`, qos: 2 },
        `${base}/c`,
        { topicFilter: `${base}/own`, noLocal: true },
      ],
      { qos: 1 },
    );
    assert.deepEqual(handle.reasonCodes, [0, 2, 1, 1], 'granted QoS per filter; the rest from the call');
    const sent = log.named('sent SUBSCRIBE');
    assert.equal(sent.length, 1, 'one SUBSCRIBE');
    const subscriptions = sent[0]?.fields?.['subscriptions'] as { noLocal: boolean }[] | undefined;
    assert.deepEqual(
      subscriptions?.map((x) => x.noLocal),
      [false, false, false, true],
      'an object may set its own subscribe options',
    );
    await c.publish(`${base}/own`, 'mine', { qos: 1 });
    await c.publish(`${base}/b`, 'to b', { qos: 2 });
    const [m] = await take(handle, 1);
    assert.equal(
      m?.text(),
      'to b',
      'its own message on the noLocal filter, published first, did not come back',
    );
    assert.equal(m?.qos, 2);
  });

  it('paho – unsubscribe → await client.unsubscribe() or handle.unsubscribe()', T, async () => {
    const base = fresh();
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    await c.subscribe(`${base}/x`);
    const r = await c.unsubscribe(`${base}/x`);
    assert.deepEqual(r.reasonCodes, [ReasonCode.Success]);
    const none = await c.unsubscribe(`${base}/never`);
    assert.deepEqual(none.reasonCodes, [ReasonCode.NoSubscriptionExisted]);
    const handle = await c.subscribe(`${base}/y`);
    const ack = await handle.unsubscribe();
    assert.deepEqual(ack.reasonCodes, [ReasonCode.Success]);
    const end = await handle[Symbol.asyncIterator]().next();
    assert.equal(end.done, true, 'the handle iteration ends');
  });

  it('paho – message_callback_add → addMessageHandler', T, async () => {
    const base = fresh();
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    const all = c.messages();
    await c.subscribe(`${base}/#`, { qos: 1 });
    const handled: string[] = [];
    const unhandled: string[] = [];
    const handler = (m: Message) => handled.push(m.topic);
    c.addMessageHandler(`${base}/sensors/+`, handler);
    c.on('message', (m) => unhandled.push(m.topic));
    await c.publish(`${base}/sensors/t`, '1', { qos: 1 });
    await c.publish(`${base}/other`, '2', { qos: 1 });
    // Handlers and the message event run before an iterator gets the message.
    await take(all, 2);
    assert.deepEqual(handled, [`${base}/sensors/t`]);
    assert.deepEqual(unhandled, [`${base}/other`], 'the message event gets what no handler took');
    assert.equal(c.removeMessageHandler(`${base}/sensors/+`, handler), true, 'message_callback_remove');
    await c.publish(`${base}/sensors/t`, '3', { qos: 1 });
    await take(all, 1);
    assert.deepEqual(unhandled, [`${base}/other`, `${base}/sensors/t`]);
  });

  // --- callbacks → events ----------------------------------------------------------------------------------------

  it('paho – on_connect → connect event', T, async () => {
    const c = pool.add(createClient(mosquitto.url, { protocolVersion: 5, reconnect: false }));
    const infos: ConnectInfo[] = [];
    const listener: ClientEvents['connect'] = (info) => infos.push(info);
    let once = 0;
    c.on('connect', listener).once('connect', () => once++);
    await c.connect();
    assert.equal(infos.length, 1);
    const [info] = infos;
    assert.equal(info?.sessionPresent, false, 'flags.session_present');
    assert.equal(info?.reasonCode, ReasonCode.Success);
    assert.equal(info?.protocolVersion, 5);
    assert.equal(typeof info?.properties?.topicAliasMaximum, 'number', 'CONNACK properties');
    assert.equal(once, 1);
    c.off('connect', listener);
  });

  it('paho – on_connect_fail → connectFailure event', T, async () => {
    const c = pool.add(createClient(authUrl, { reconnect: false }));
    const failed = nextEvent(c, 'connectFailure');
    await assert.rejects(c.connect(), ConnackError);
    const [error] = await failed;
    assert.ok(error instanceof ConnackError, `the refusal, got ${String(error)}`);
    assert.equal(error.reasonCode, ReasonCode.NotAuthorized);
  });

  it('paho – MQTT_ERR_ERRNO → ConnectionError with the system error as cause', T, async () => {
    const [closed] = await freePorts(1);
    const error = await connect(`mqtt://127.0.0.1:${closed}`, { reconnect: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConnectionError, `a ConnectionError, got ${String(error)}`);
    assert.equal((error.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED');
  });

  it('paho – on_disconnect → disconnect and close events', T, async () => {
    const c = await pool.connect(proxyUrl, { protocolVersion: 5, reconnect: false });
    const lost = nextEvent(c, 'disconnect');
    const errored = nextEvent(c, 'error');
    const closing = nextEvent(c, 'close');
    proxy.drop();
    const [info] = await lost;
    assert.ok(info.error instanceof ConnectionError, `lost: ConnectionError, got ${String(info.error)}`);
    assert.equal(info.reasonCode, undefined, 'not a DISCONNECT from the broker');
    assert.equal(info.willReconnect, false);
    const [error] = await errored;
    assert.equal(error, info.error, 'also an error event');
    const [why] = await closing;
    assert.equal(why, info.error, 'the client ended with that error');

    // Mosquitto 2.0.11 closes connections without a DISCONNECT; a scripted broker sends one.
    const fb = await startFakeBroker();
    try {
      const { client, conn } = await acceptedClient(fb, { protocolVersion: 5 });
      pool.add(client);
      const told = nextEvent(client, 'disconnect');
      conn.send({
        type: 'disconnect',
        reasonCode: ReasonCode.SessionTakenOver,
        properties: { reasonString: 'another connection' },
      });
      const [d] = await told;
      assert.equal(d.reasonCode, ReasonCode.SessionTakenOver, 'the broker DISCONNECT reason code');
      assert.equal(d.properties?.reasonString, 'another connection');
    } finally {
      await pool.cleanup();
      await fb.close();
    }
  });

  it('paho – on_message → message event, client.messages() or iterating a subscription', T, async () => {
    const topic = `${fresh()}/message`;
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    const event = nextEvent(c, 'message');
    const all = c.messages();
    const sub = await c.subscribe(topic, { qos: 1 });
    await c.publish(topic, 'hello', { qos: 1 });
    const [fromEvent] = await event;
    const [fromAll] = await take(all, 1);
    const [fromSub] = await take(sub, 1);
    assert.deepEqual([fromEvent.text(), fromAll?.text(), fromSub?.text()], ['hello', 'hello', 'hello']);
  });

  it('paho – on_publish → publish event', T, async () => {
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    const results: PublishResult[] = [];
    c.on('publish', (r) => results.push(r));
    const r = await c.publish(`${fresh()}/published`, 'x', { qos: 1 });
    assert.deepEqual(results, [r], 'the event carries what publish() resolves with');
  });

  it('paho – on_subscribe → subscribe event', T, async () => {
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    const acks: AckResult[] = [];
    c.on('subscribe', (r) => acks.push(r));
    const handle = await c.subscribe(`${fresh()}/#`, { qos: 1 });
    assert.deepEqual(
      acks.map((a) => a.reasonCodes),
      [[1]],
    );
    assert.deepEqual(handle.reasonCodes, [1]);
  });

  it('paho – on_unsubscribe → unsubscribe event', T, async () => {
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const acks: AckResult[] = [];
    c.on('unsubscribe', (r) => acks.push(r));
    const filter = `${fresh()}/#`;
    await c.subscribe(filter);
    const r = await c.unsubscribe(filter);
    assert.deepEqual(acks, [r]);
    assert.deepEqual(r.reasonCodes, [ReasonCode.Success]);
  });

  it('paho – on_log → log event', T, async () => {
    const c = pool.add(createClient(mosquitto.url, { reconnect: false }));
    const lines: [string, string][] = [];
    c.on('log', (level, message) => lines.push([level, message]));
    await c.connect();
    const connected = lines.find(([, m]) => m.startsWith('connected'));
    assert.equal(connected?.[0], 'info', `an info line on connecting, got ${JSON.stringify(lines)}`);
  });

  // --- module functions ------------------------------------------------------------------------------------------

  it('paho – topic_matches_sub → topicMatchesSub', () => {
    assert.equal(topicMatchesSub('foo/#', 'foo'), true, '# includes the parent level');
    assert.equal(topicMatchesSub('foo/+/baz', 'foo/bar/baz'), true);
    assert.equal(topicMatchesSub('foo/+', 'foo/bar/baz'), false);
    assert.equal(topicMatchesSub('#', '$SYS/broker/uptime'), false, 'wildcards do not match $ topics');
    assert.equal(topicMatchesSub('$SYS/#', '$SYS/broker/uptime'), true);
  });

  it('paho – error_string → error code and message', () => {
    const errors: MqttError[] = [
      new QueueFullError(3),
      new TimeoutError('no CONNACK'),
      new ClientClosedError(),
      new InvalidArgumentError('bad topic'),
      new ConnectionError('connection lost'),
      new ProtocolError(ReasonCode.MalformedPacket, 'malformed'),
    ];
    for (const e of errors) {
      assert.match(e.code, /^MQTT_ERR_[A-Z_]+$/, `${e.name} has a stable code`);
      assert.ok(e.message.length > 0, `${e.name} has a message`);
    }
    assert.equal(errors[0]?.code, 'MQTT_ERR_QUEUE_FULL');
  });

  it('paho – connack_string → reasonCodeName', () => {
    assert.equal(reasonCodeName(ReasonCode.NotAuthorized, 'connack'), 'Not authorized');
    assert.equal(reasonCodeName(0, 'connack'), 'Success');
    assert.equal(reasonCodeName(V3_CONNACK_TO_REASON[4] ?? -1, 'connack'), 'Bad User Name or Password');
  });

  it('paho – convert_connack_rc_to_reason_code → V3_CONNACK_TO_REASON', T, async () => {
    assert.deepEqual(V3_CONNACK_TO_REASON, [0x00, 0x84, 0x85, 0x88, 0x86, 0x87]);
    assert.equal(reasonToV3ConnackCode(ReasonCode.NotAuthorized), 5);
    assert.equal(reasonToV3ConnackCode(ReasonCode.Banned), undefined, 'MQTT 3 cannot say it');
    // An MQTT 3.1.1 refusal reaches the application already mapped (return code 5 → 0x87).
    await assert.rejects(
      pool.connect(authUrl, { protocolVersion: 4, reconnect: false }),
      (e: unknown) => e instanceof ConnackError && e.reasonCode === ReasonCode.NotAuthorized,
    );
  });

  // --- MQTTMessage and MQTTMessageInfo ------------------------------------------------------------------------

  it('paho – MQTTMessage → Message', T, async () => {
    const topic = `${fresh()}/message`;
    const rx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await rx.subscribe(topic, { qos: 1 });
    const tx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    await tx.publish(topic, JSON.stringify({ t: 21.5 }), {
      qos: 1,
      properties: { contentType: 'application/json' },
    });
    const [m] = await take(sub, 1);
    assert.ok(m !== undefined, 'a message');
    assert.equal(m.topic, topic);
    assert.ok(m.payload instanceof Uint8Array, 'payload: bytes');
    assert.equal(m.text(), '{"t":21.5}');
    assert.deepEqual(m.json(), { t: 21.5 });
    assert.equal(m.qos, 1);
    assert.equal(m.retain, false);
    assert.equal(m.dup, false);
    assert.equal(typeof m.packetId, 'number', 'mid: packetId');
    assert.equal(m.properties?.contentType, 'application/json');
  });

  it('paho – MQTTMessage.timestamp → message.receivedAt', T, async () => {
    const topic = `${fresh()}/received-at`;
    const c = await pool.connect(mosquitto.url, { reconnect: false });
    const sub = await c.subscribe(topic, { qos: 1 });
    const before = Date.now();
    await c.publish(topic, 'when?', { qos: 1 });
    const [m] = await take(sub, 1);
    const after = Date.now();
    const at = m?.receivedAt ?? Number.NaN;
    assert.ok(
      Number.isInteger(at) && before <= at && at <= after,
      `ms since the epoch, between ${before} and ${after}: got ${at}`,
    );
  });

  it('paho – MQTTMessageInfo → publishTracked() and PublishInfo', T, async () => {
    const topic = `${fresh()}/tracked`;
    const c = pool.add(createClient(mosquitto.url, { maxQueued: 1, reconnect: false }));
    const info = c.publishTracked(topic, 'tracked', { qos: 1 });
    const { messageId, error } = info; // the (rc, mid) tuple, by name
    assert.equal(typeof messageId, 'number', 'mid: known at once');
    assert.equal(error, undefined, 'rc: no error');
    assert.equal(info.isPublished(), false);
    assert.equal(info.packetId, undefined, 'no packet identifier while queued');
    await assert.rejects(info.waitForPublish(20), TimeoutError, 'wait_for_publish(timeout)');
    const full = c.publishTracked(topic, 'no room', { qos: 1 });
    await assert.rejects(full.done, QueueFullError);
    assert.ok(
      full.error instanceof QueueFullError,
      `rc MQTT_ERR_QUEUE_SIZE: QueueFullError, got ${String(full.error)}`,
    );
    await c.connect();
    const r = await info.waitForPublish(5_000);
    assert.equal(info.isPublished(), true, 'is_published()');
    assert.equal(info.packetId, r.packetId);
  });

  // --- enums and constants -----------------------------------------------------------------------------------------

  it('paho – PacketTypes and MessageType → PacketType and PACKET_TYPE_NAMES', () => {
    const paho = [
      'CONNECT',
      'CONNACK',
      'PUBLISH',
      'PUBACK',
      'PUBREC',
      'PUBREL',
      'PUBCOMP',
      'SUBSCRIBE',
      'SUBACK',
      'UNSUBSCRIBE',
      'UNSUBACK',
      'PINGREQ',
      'PINGRESP',
      'DISCONNECT',
      'AUTH',
    ];
    paho.forEach((name, i) => {
      const key = name.toLowerCase() as keyof typeof PacketType;
      assert.equal(PacketType[key], i + 1, `PacketTypes.${name}`);
      assert.equal(PacketType[key] << 4, (i + 1) * 0x10, `MessageType.${name}`);
      assert.equal(PACKET_TYPE_NAMES[i + 1], key, `PacketTypes.Names[${i + 1}]`);
    });
    assert.equal(PACKET_TYPE_NAMES.length, 16, 'PacketTypes.indexes: 1 to 15');
  });

  it('paho – ReasonCode → ReasonCode constants and reasonCodeName', () => {
    // [paho name, mqttkit constant, value]: the rows of the reason code table in the guide.
    const table: [string, keyof typeof ReasonCode, number][] = [
      ['Success', 'Success', 0],
      ['Normal disconnection', 'NormalDisconnection', 0],
      ['Granted QoS 0', 'GrantedQoS0', 0],
      ['Granted QoS 1', 'GrantedQoS1', 1],
      ['Granted QoS 2', 'GrantedQoS2', 2],
      ['Disconnect with will message', 'DisconnectWithWillMessage', 4],
      ['No matching subscribers', 'NoMatchingSubscribers', 16],
      ['No subscription found', 'NoSubscriptionExisted', 17],
      ['Continue authentication', 'ContinueAuthentication', 24],
      ['Re-authenticate', 'ReAuthenticate', 25],
      ['Unspecified error', 'UnspecifiedError', 128],
      ['Malformed packet', 'MalformedPacket', 129],
      ['Protocol error', 'ProtocolError', 130],
      ['Implementation specific error', 'ImplementationSpecificError', 131],
      ['Unsupported protocol version', 'UnsupportedProtocolVersion', 132],
      ['Client identifier not valid', 'ClientIdentifierNotValid', 133],
      ['Bad user name or password', 'BadUserNameOrPassword', 134],
      ['Not authorized', 'NotAuthorized', 135],
      ['Server unavailable', 'ServerUnavailable', 136],
      ['Server busy', 'ServerBusy', 137],
      ['Banned', 'Banned', 138],
      ['Server shutting down', 'ServerShuttingDown', 139],
      ['Bad authentication method', 'BadAuthenticationMethod', 140],
      ['Keep alive timeout', 'KeepAliveTimeout', 141],
      ['Session taken over', 'SessionTakenOver', 142],
      ['Topic filter invalid', 'TopicFilterInvalid', 143],
      ['Topic name invalid', 'TopicNameInvalid', 144],
      ['Packet identifier in use', 'PacketIdentifierInUse', 145],
      ['Packet identifier not found', 'PacketIdentifierNotFound', 146],
      ['Receive maximum exceeded', 'ReceiveMaximumExceeded', 147],
      ['Topic alias invalid', 'TopicAliasInvalid', 148],
      ['Packet too large', 'PacketTooLarge', 149],
      ['Message rate too high', 'MessageRateTooHigh', 150],
      ['Quota exceeded', 'QuotaExceeded', 151],
      ['Administrative action', 'AdministrativeAction', 152],
      ['Payload format invalid', 'PayloadFormatInvalid', 153],
      ['Retain not supported', 'RetainNotSupported', 154],
      ['QoS not supported', 'QoSNotSupported', 155],
      ['Use another server', 'UseAnotherServer', 156],
      ['Server moved', 'ServerMoved', 157],
      ['Shared subscription not supported', 'SharedSubscriptionsNotSupported', 158],
      ['Connection rate exceeded', 'ConnectionRateExceeded', 159],
      ['Maximum connect time', 'MaximumConnectTime', 160],
      ['Subscription identifiers not supported', 'SubscriptionIdentifiersNotSupported', 161],
      ['Wildcard subscription not supported', 'WildcardSubscriptionsNotSupported', 162],
    ];
    for (const [paho, key, value] of table)
      assert.equal(ReasonCode[key], value, `${paho}: ReasonCode.${key}`);
    assert.equal(Object.keys(ReasonCode).length, table.length, 'every constant is in the table');
    // getName(), str(), json(): the name depends on the packet, as in paho.
    assert.equal(reasonCodeName(0, 'disconnect'), 'Normal disconnection');
    assert.equal(reasonCodeName(0, 'suback'), 'Granted QoS 0');
    assert.equal(reasonCodeName(0x87), 'Not authorized');
    // is_failure, comparisons, names, packetType checks.
    assert.equal(isFailure(ReasonCode.NotAuthorized), true);
    assert.equal(isFailure(ReasonCode.NoMatchingSubscribers), false);
    assert.ok(ReasonCode.NotAuthorized >= 0x80, 'plain numbers compare as numbers');
    assert.equal(REASON_CODES_BY_PACKET.suback.get(0xa2), 'Wildcard Subscriptions not supported');
    assert.equal(isValidReasonCode('puback', ReasonCode.NotAuthorized), true);
    assert.equal(isValidReasonCode('puback', ReasonCode.Banned), false);
  });

  it('paho – Properties → plain property objects and the PROPERTIES table', () => {
    // [paho attribute, mqttkit name, identifier]: the rows of the property table in the guide.
    const table: [string, string, number][] = [
      ['PayloadFormatIndicator', 'payloadFormatIndicator', 0x01],
      ['MessageExpiryInterval', 'messageExpiryInterval', 0x02],
      ['ContentType', 'contentType', 0x03],
      ['ResponseTopic', 'responseTopic', 0x08],
      ['CorrelationData', 'correlationData', 0x09],
      ['SubscriptionIdentifier', 'subscriptionIdentifier', 0x0b],
      ['SessionExpiryInterval', 'sessionExpiryInterval', 0x11],
      ['AssignedClientIdentifier', 'assignedClientIdentifier', 0x12],
      ['ServerKeepAlive', 'serverKeepAlive', 0x13],
      ['AuthenticationMethod', 'authenticationMethod', 0x15],
      ['AuthenticationData', 'authenticationData', 0x16],
      ['RequestProblemInformation', 'requestProblemInformation', 0x17],
      ['WillDelayInterval', 'willDelayInterval', 0x18],
      ['RequestResponseInformation', 'requestResponseInformation', 0x19],
      ['ResponseInformation', 'responseInformation', 0x1a],
      ['ServerReference', 'serverReference', 0x1c],
      ['ReasonString', 'reasonString', 0x1f],
      ['ReceiveMaximum', 'receiveMaximum', 0x21],
      ['TopicAliasMaximum', 'topicAliasMaximum', 0x22],
      ['TopicAlias', 'topicAlias', 0x23],
      ['MaximumQoS', 'maximumQoS', 0x24],
      ['RetainAvailable', 'retainAvailable', 0x25],
      ['UserProperty', 'userProperties', 0x26],
      ['MaximumPacketSize', 'maximumPacketSize', 0x27],
      ['WildcardSubscriptionAvailable', 'wildcardSubscriptionAvailable', 0x28],
      ['SubscriptionIdentifierAvailable', 'subscriptionIdentifierAvailable', 0x29],
      ['SharedSubscriptionAvailable', 'sharedSubscriptionAvailable', 0x2a],
    ];
    for (const [paho, name, id] of table) {
      const spec = PROPERTIES.find((p) => p.name === name);
      assert.equal(spec?.id, id, `${paho}: ${name}`);
    }
    // In PUBLISH the Subscription Identifier may repeat: a list there.
    assert.equal(PROPERTIES.find((p) => p.name === 'subscriptionIdentifiers')?.id, 0x0b);
    assert.equal(propertyById(0x26)?.name, 'userProperties', 'getNameFromIdent');
    assert.equal(isPropertyAllowed('topicAlias', 'publish'), true);
    assert.equal(isPropertyAllowed('topicAlias', 'connect'), false, 'checked per packet type');
    // Encoding refuses a property the packet may not carry (properties.MQTTException).
    const publish = {
      type: 'publish',
      topic: 'a',
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      dup: false,
    };
    assert.throws(
      () => encode({ ...publish, properties: { sessionExpiryInterval: 5 } } as never, 5),
      InvalidArgumentError,
    );
    // pack() / unpack(): whole packets through encode / decode.
    const bytes = encode({ ...publish, properties: { contentType: 'text/plain' } } as never, 5);
    const back = decode(bytes, 5);
    assert.deepEqual(back.type === 'publish' ? back.properties : undefined, { contentType: 'text/plain' });
  });

  it('paho – MQTT_ERR_PROTOCOL → ProtocolError', () => {
    // A PUBLISH whose topic length runs past the end of the packet.
    assert.throws(
      () => decode(new Uint8Array([0x30, 0x02, 0x00, 0x05]), 5),
      (e: unknown) => e instanceof ProtocolError && e.reasonCode === ReasonCode.MalformedPacket,
    );
  });

  it('paho – MQTT_ERR_NOT_SUPPORTED → InvalidArgumentError', T, async () => {
    const c = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
    await assert.rejects(
      c.request(`${fresh()}/service`, 'x'),
      InvalidArgumentError,
      'request/response is MQTT 5',
    );
    await assert.rejects(
      c.subscribe(`${fresh()}/x`, { noLocal: true }),
      InvalidArgumentError,
      'noLocal is MQTT 5',
    );
    assert.equal(c.connected, true);
  });

  // --- MQTT 5 properties with a behaviour of their own -------------------------------------------------------------

  it('paho – ResponseTopic and CorrelationData → request() and message.respond()', T, async () => {
    const service = `${fresh()}/service`;
    const server = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const responses: Promise<PublishResult>[] = [];
    server.on('message', (m) => {
      responses.push(m.respond(`re: ${m.text()}`));
    });
    await server.subscribe(service, { qos: 1 });
    const caller = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const response = await caller.request(service, 'ping', { timeout: 5_000 });
    assert.equal(response.text(), 're: ping');
    await Promise.all(responses); // respond() resolves on the PUBACK of the response
  });

  it('paho – AuthenticationMethod → authenticator option', T, async () => {
    // Mosquitto without an authentication plugin refuses every method with 0x8C.
    await assert.rejects(
      pool.connect(mosquitto.url, {
        authenticator: scramSha256({ username: 'alice', password: 'x' }),
        reconnect: false,
      }),
      (e: unknown) => e instanceof ConnackError && e.reasonCode === ReasonCode.BadAuthenticationMethod,
    );
  });

  it('paho – TopicAlias → topicAlias property or autoTopicAlias', T, async () => {
    const topic = `${fresh()}/aliased`;
    const rx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await rx.subscribe(topic, { qos: 1 });
    const tx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    await tx.publish(topic, 'first', { qos: 1, properties: { topicAlias: 1 } });
    await tx.publish('', 'second', { qos: 1, properties: { topicAlias: 1 } });
    const auto = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      autoTopicAlias: true,
      reconnect: false,
    });
    await auto.publish(topic, 'third', { qos: 1 });
    await auto.publish(topic, 'fourth', { qos: 1 });
    const got = await take(sub, 4);
    assert.deepEqual(
      got.map((m) => [m.topic, m.text()]),
      [
        [topic, 'first'],
        [topic, 'second'],
        [topic, 'third'],
        [topic, 'fourth'],
      ],
      'always delivered with the full topic',
    );
  });

  it('paho – SubscriptionIdentifier → subscriptionIdentifier property', T, async () => {
    const topic = `${fresh()}/identified`;
    const c = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      subscriptionIdentifiers: false,
      reconnect: false,
    });
    const sub = await c.subscribe(topic, { qos: 1, properties: { subscriptionIdentifier: 42 } });
    await c.publish(topic, 'x', { qos: 1 });
    const [m] = await take(sub, 1);
    assert.deepEqual(m?.properties?.subscriptionIdentifiers, [42]);
  });

  // --- SubscribeOptions --------------------------------------------------------------------------------------------

  it('paho – SubscribeOptions → subscribe options', T, async () => {
    const topic = `${fresh()}/options`;
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await c.subscribe(topic, {
      qos: 2,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
    });
    assert.deepEqual(sub.reasonCodes, [2], 'qos (paho SubscribeOptions.QoS)');
    const v4 = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
    await assert.rejects(
      v4.subscribe(topic, { retainAsPublished: true }),
      InvalidArgumentError,
      'MQTT 5 only',
    );
  });

  it('paho – enable_bridge_mode → bridge option (MQTT 3.1.1)', T, async () => {
    const topic = `${fresh()}/bridge`;
    const bridge = await pool.connect(mosquitto.url, { protocolVersion: 4, bridge: true, reconnect: false });
    const plain = await pool.connect(mosquitto.url, { protocolVersion: 4, reconnect: false });
    const viaBridge = await bridge.subscribe(`${topic}/#`, { qos: 1 });
    const viaPlain = await plain.subscribe(`${topic}/#`, { qos: 1 });
    // Each publishes once and waits for its PUBACK, so the broker has handled both before the third publishes.
    await bridge.publish(`${topic}/from-bridge`, 'own', { qos: 1 });
    await plain.publish(`${topic}/from-plain`, 'own', { qos: 1 });
    const other = await pool.connect(mosquitto.url, { reconnect: false });
    await other.publish(`${topic}/other`, 'live, retained', { qos: 1, retain: true });
    const seenByBridge = await take(viaBridge, 2);
    assert.deepEqual(
      seenByBridge.map((m) => [m.topic.slice(topic.length + 1), m.retain]),
      [
        ['from-plain', false],
        ['other', true],
      ],
      'the bridge never gets its own message back, and gets the retain flag as published',
    );
    const seenByPlain = await take(viaPlain, 3);
    assert.deepEqual(
      seenByPlain.map((m) => [m.topic.slice(topic.length + 1), m.retain]),
      [
        ['from-bridge', false],
        ['from-plain', false],
        ['other', false],
      ],
      'a plain client gets its own message, and a live message with retain cleared',
    );
    assert.throws(
      () => createClient(mosquitto.url, { bridge: true }),
      /bridge mode needs protocolVersion 3 or 4/,
      'bridge mode is refused where MQTT 5 would be tried',
    );
  });

  it('paho – SubscribeOptions noLocal → subscribe noLocal option', T, async () => {
    const topic = `${fresh()}/no-local`;
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await c.subscribe(topic, { qos: 1, noLocal: true });
    await c.publish(topic, 'mine', { qos: 1 });
    const other = await pool.connect(mosquitto.url, { reconnect: false });
    await other.publish(topic, 'theirs', { qos: 1 });
    const [m] = await take(sub, 1);
    assert.equal(m?.text(), 'theirs', 'its own message, published first, never came back');
  });

  it('paho – SubscribeOptions retainAsPublished → subscribe retainAsPublished option', T, async () => {
    const topic = `${fresh()}/rap`;
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const kept = await c.subscribe(topic, { qos: 1, retainAsPublished: true });
    const d = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const cleared = await d.subscribe(topic, { qos: 1 });
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    await tx.publish(topic, 'live, retained', { qos: 1, retain: true });
    const [a] = await take(kept, 1);
    const [b] = await take(cleared, 1);
    assert.equal(a?.retain, true, 'retainAsPublished: the flag as published');
    assert.equal(b?.retain, false, 'default: cleared on a live message');
  });

  it('paho – SubscribeOptions retainHandling → subscribe retainHandling option', T, async () => {
    const base = fresh();
    const tx = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    await tx.publish(`${base}/kept`, 'retained', { qos: 1, retain: true });
    const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const always = await c.subscribe(`${base}/kept`, { qos: 1, retainHandling: 0 });
    const [sent] = await take(always, 1);
    assert.equal(sent?.retain, true, 'retainHandling 0 (RETAIN_SEND_ON_SUBSCRIBE, the default): sent');
    await always.unsubscribe();
    const never = await c.subscribe(`${base}/kept`, { qos: 1, retainHandling: 2 });
    await tx.publish(`${base}/kept`, 'live', { qos: 1 });
    const [first] = await take(never, 1);
    assert.equal(first?.text(), 'live', 'retainHandling 2 (RETAIN_DO_NOT_SEND): no retained message');

    const d = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const onNew = await d.subscribe(`${base}/#`, { qos: 1, retainHandling: 1 });
    const [retained] = await take(onNew, 1);
    assert.equal(
      retained?.retain,
      true,
      'retainHandling 1 (RETAIN_SEND_IF_NEW_SUB): sent for a new subscription',
    );
    const again = await d.subscribe(`${base}/#`, { qos: 1, retainHandling: 1 });
    await tx.publish(`${base}/marker`, 'marker', { qos: 1 });
    const [next] = await take(again, 1);
    assert.equal(next?.text(), 'marker', 'not sent again for an existing subscription');
  });

  it(
    'paho – properties.MQTTException and subscribeoptions.MQTTException → InvalidArgumentError',
    T,
    async () => {
      const topic = `${fresh()}/bad`;
      const c = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
      const refusals: [string, Promise<unknown>][] = [
        ['a subscriptionIdentifier of 0', c.subscribe(topic, { properties: { subscriptionIdentifier: 0 } })],
        ['a retainHandling of 3', c.subscribe(topic, { retainHandling: 3 as never })],
        ['in a list object', c.subscribe([{ topicFilter: topic, retainHandling: 7 as never }])],
        ['a QoS of 3', c.subscribe([{ topicFilter: topic, qos: 3 as never }])],
        ['a bad filter', c.subscribe([{ topicFilter: `${topic}/#/x` }])],
        ['a topic alias of 0', c.publish(topic, 'x', { properties: { topicAlias: 0 } })],
      ];
      for (const [what, refused] of refusals) await assert.rejects(refused, InvalidArgumentError, what);
      const ok = await c.subscribe(topic, { qos: 1 });
      assert.deepEqual(ok.reasonCodes, [1], 'nothing was left pending, and the connection is up');
      assert.equal(c.connected, true);
    },
  );

  // --- MQTTMatcher -------------------------------------------------------------------------------------------------

  it('paho – MQTTMatcher → TopicRouter', () => {
    const router = new TopicRouter<string>();
    router.add('sensors/+/temperature', 'temperature');
    router.add('sensors/#', 'any sensor');
    router.add('#', 'everything');
    router.add('$SYS/#', 'broker');
    router.add('$share/workers/jobs/+', 'job');
    assert.deepEqual(
      router.match('sensors/kitchen/temperature'),
      ['temperature', 'any sensor', 'everything'],
      'iter_match: every matching value, in the order added',
    );
    assert.deepEqual(router.match('sensors'), ['any sensor', 'everything'], 'sensors/# matches sensors');
    assert.deepEqual(router.match('$SYS/load'), ['broker'], 'a $ topic: no match for # (the $-topic rule)');
    assert.deepEqual(
      router.match('jobs/1'),
      ['everything', 'job'],
      '$share/{group}/{filter} routes like {filter}',
    );
    assert.equal(router.has('sensors/#'), true, 'matcher[filter]: the filter itself holds a value');
    assert.equal(router.has('sensors/kitchen/#'), false, 'a filter that would match is not the filter');

    // matcher[filter] = value replaces; add() adds, so remove the filter first.
    router.add('sensors/#', 'another');
    assert.deepEqual(
      router.match('sensors'),
      ['any sensor', 'everything', 'another'],
      'two values, one filter',
    );
    assert.equal(router.remove('sensors/#', 'another'), true, 'one value');
    assert.equal(router.remove('#'), true, 'del matcher[filter]');
    assert.equal(router.remove('#'), false, 'nothing left to remove (paho raises KeyError)');
    assert.deepEqual(router.match('alerts/fire'), []);
    assert.throws(() => router.add('a/#/b', 'bad'), InvalidArgumentError, 'an invalid filter');
  });

  // --- publish.single / publish.multiple / subscribe.simple / subscribe.callback ------------------------------

  it('paho – publish.single → publishSingle', T, async () => {
    const topic = `${fresh()}/single`;
    const watcher = await pool.connect(mosquitto.url, { protocolVersion: 5, reconnect: false });
    const sub = await watcher.subscribe(topic, { qos: 1 });
    const { username, password } = mosquitto.broker.users.alice;
    const result = await publishSingle(authUrl, topic, 'door open', {
      qos: 1,
      retain: false,
      username,
      password,
      clientId: clientId('paho-single'),
      keepAlive: 30,
      protocolVersion: 5,
      messageProperties: { contentType: 'text/plain' },
      timeout: 5_000,
    });
    assert.equal(typeof result.packetId, 'number', 'resolves on PUBACK');
    const [m] = await take(sub, 1);
    assert.equal(m?.text(), 'door open');
    assert.equal(m?.properties?.contentType, 'text/plain');
  });

  it('paho – publish.multiple → publishMultiple', T, async () => {
    const base = fresh();
    const watcher = await pool.connect(mosquitto.url, { reconnect: false });
    const sub = await watcher.subscribe(`${base}/#`, { qos: 1 });
    const results = await publishMultiple(mosquitto.url, [
      { topic: `${base}/1`, payload: 'one', qos: 1 },
      { topic: `${base}/2`, payload: 'two', qos: 2 },
      { topic: `${base}/3` },
    ]);
    assert.equal(results.length, 3);
    const got = await take(sub, 3);
    assert.deepEqual(
      got.map((m) => m.text()),
      ['one', 'two', ''],
      'in order',
    );
    await assert.rejects(publishMultiple(mosquitto.url, []), InvalidArgumentError, 'an empty list');
  });

  it('paho – subscribe.simple → subscribeSimple', T, async () => {
    const base = fresh();
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    await tx.publish(`${base}/kept`, 'old', { qos: 1, retain: true });
    const one = await subscribeSimple(mosquitto.url, `${base}/kept`, { qos: 1, timeout: 5_000 });
    assert.equal(one.text(), 'old', 'count 1: one Message (a retained one counts)');
    // Published once the helper's subscription is in place; one publisher's messages keep their order.
    let sent: Promise<unknown> | undefined;
    const live = await subscribeSimple(mosquitto.url, [`${base}/kept`, `${base}/live`], {
      qos: 1,
      count: 2,
      retained: false,
      timeout: 5_000,
      onClient: (client) =>
        client.once('subscribe', () => {
          sent = Promise.all(['a', 'b'].map((p) => tx.publish(`${base}/live`, p, { qos: 1 })));
        }),
    });
    await sent;
    assert.deepEqual(
      live.map((m) => m.text()),
      ['a', 'b'],
      'count 2: an array; retained: false skips the retained one',
    );
  });

  it('paho – subscribe.callback → subscribeCallback', T, async () => {
    const topic = `${fresh()}/callback`;
    const tx = await pool.connect(mosquitto.url, { reconnect: false });
    const seen: string[] = []; // what paho passed as userdata: a closure
    let sent: Promise<unknown> | undefined;
    await subscribeCallback(
      mosquitto.url,
      topic,
      async (message, client) => {
        seen.push(message.text());
        if (seen.length === 2) await client.end();
      },
      {
        qos: 1,
        onClient: (client) =>
          client.once('subscribe', () => {
            sent = Promise.all(['x', 'y'].map((p) => tx.publish(topic, p, { qos: 1 })));
          }),
      },
    );
    await sent;
    assert.deepEqual(seen, ['x', 'y'], 'resolves once the callback ended the client');
  });
});
