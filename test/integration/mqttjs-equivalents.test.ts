// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The tests behind docs/migrating-from-mqttjs.md: each row of its tables names one of these tests, which exercises
// the mqttkit equivalent of an MQTT.js symbol (or shows that there is none yet). test/unit/docs-mqttjs-table.test.ts
// checks that every name in the document exists here and that every test here is named by a row.
//
// One Mosquitto for the whole file, one long-lived observer client that receives what the others publish, and a
// fault proxy or a scripted fake broker where the behaviour needs a connection to drop, an acknowledgement to be
// withheld or a broker answer that Mosquitto does not give. Every wait is for an event, a packet or a message,
// bounded by a timeout; none waits for time to pass.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Authenticator,
  backoffDelay,
  ClientClosedError,
  type ClientEvents,
  ConnackError,
  ConnectionError,
  connect,
  createClient,
  type DisconnectInfo,
  FileSessionStore,
  generateClientId,
  InvalidArgumentError,
  isMqttError,
  type LogFields,
  type Logger,
  MemorySessionStore,
  type Message,
  MqttClient,
  type NodeClientOptions,
  PublishError,
  type PublishOptions,
  parseBrokerUrl,
  reasonCodeName,
  type SrvRecord,
  type SubscribeOptions,
  socketTransport,
  TimeoutError,
  topicFilterProblem,
  topicNameProblem,
  validateTopicFilter,
  validateTopicName,
} from '../../src/node.js';
import { type Connected, clientId, nextEvent, take, within } from '../helpers/clients.js';
import { acceptedClient, type FakeBroker, startFakeBroker } from '../helpers/fake-broker.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { freePorts } from '../helpers/ports.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };
const utf8 = new TextEncoder();
const text = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? '' : new TextDecoder().decode(bytes);

interface Line {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that records every line, and the summaries of the packets sent or received of one type. */
function recorder() {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
  const packets = (direction: 'sent' | 'received', type: string): LogFields[] =>
    lines.filter((l) => l.message === `${direction} ${type}`).map((l) => l.fields ?? {});
  return { logger, lines, packets };
}

/** Resolves with the arguments of the next `count` `event`s of `client`; rejects after `timeoutMs`. */
function nextEvents<K extends keyof ClientEvents & string>(
  client: MqttClient,
  event: K,
  count: number,
  timeoutMs = 5_000,
): Promise<Parameters<ClientEvents[K]>[]> {
  return new Promise((resolve, reject) => {
    const seen: Parameters<ClientEvents[K]>[] = [];
    const listener = ((...args: Parameters<ClientEvents[K]>) => {
      seen.push(args);
      if (seen.length < count) return;
      clearTimeout(timer);
      client.off(event, listener);
      resolve(seen);
    }) as ClientEvents[K];
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`only ${seen.length} of ${count} '${event}' events within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on(event, listener);
  });
}

describe('MQTT.js equivalents (docs/migrating-from-mqttjs.md)', () => {
  const socketDir = mkdtempSync(join(tmpdir(), 'mqttkit-mqttjs-'));
  const socketPath = join(socketDir, 'mqtt.sock');
  // A Unix socket listener besides the harness's TCP, TLS and password listeners, for mqtt+unix://.
  const mosquitto = brokerSuite('mqttjs', { extraConfig: `listener 0 ${socketPath}\nallow_anonymous true` });
  const { pool, fresh } = mosquitto;
  let authUrl: string;
  let observer: Connected;

  before(async () => {
    const { host, ports } = mosquitto.broker;
    authUrl = `mqtt://${host}:${ports.auth}`;
    observer = await connect(mosquitto.url, { clientId: clientId('observer'), reconnect: false });
  });
  after(() => {
    observer?.destroy();
    rmSync(socketDir, { recursive: true, force: true });
  });

  /** A fake broker for the duration of `run`, closed afterwards with every client of the test. */
  async function withFakeBroker(run: (fb: FakeBroker, fbUrl: string) => Promise<void>): Promise<void> {
    const fb = await startFakeBroker();
    try {
      await run(fb, `mqtt://127.0.0.1:${fb.port}`);
    } finally {
      await pool.cleanup();
      await fb.close();
    }
  }

  /** A fault proxy in front of the broker for the duration of `run`. */
  async function withProxy(run: (proxy: FaultProxy, proxyUrl: string) => Promise<void>): Promise<void> {
    const proxy = await startFaultProxy(mosquitto.broker.ports.tcp);
    try {
      await run(proxy, `mqtt://127.0.0.1:${proxy.port}`);
    } finally {
      await pool.cleanup();
      await proxy.close();
    }
  }

  // --- connecting -------------------------------------------------------------------------------------------

  it('mqttjs – connectAsync → connect()', T, async () => {
    const connects: unknown[] = [];
    const client = await pool.connect(mosquitto.url, {
      onClient: (c) => c.on('connect', (info) => connects.push(info)),
    });
    assert.equal(client.connected, true, 'connected once connect() has resolved');
    assert.equal(connects.length, 1, 'the connect event fired once, before connect() resolved');
    assert.equal(connects[0], client.connectInfo, 'with the same ConnectInfo that connect() returns');
    assert.equal(client.connectInfo.reasonCode, 0, 'CONNACK success');
    assert.equal(client.connectInfo.sessionPresent, false, 'a clean start finds no session');
    assert.equal(client.connectInfo.protocolVersion, 5, "'auto' settles on MQTT 5 with Mosquitto");
    // MQTT.js's client.serverProperties: the CONNACK properties.
    assert.equal(client.connectInfo.properties?.topicAliasMaximum, 10, "Mosquitto's Topic Alias Maximum");
  });

  it(
    'mqttjs – connectAsync(url, opts, false) → connect() (the first attempt is never retried)',
    T,
    async () => {
      const [dead] = await freePorts(1);
      const events: string[] = [];
      let client: MqttClient | undefined;
      await assert.rejects(
        pool.connect(`mqtt://127.0.0.1:${dead}`, {
          reconnect: { minDelay: 10 },
          onClient: (c) => {
            client = c;
            for (const e of ['error', 'connectFailure', 'reconnecting', 'close'] as const)
              c.on(e, () => events.push(e));
          },
        }),
        ConnectionError,
      );
      assert.ok(client !== undefined, 'onClient saw the client');
      const ended = await within(client.closed(), 'closed()');
      assert.ok(
        ended instanceof ConnectionError,
        `the client ended with the connection error, got ${String(ended)}`,
      );
      assert.deepEqual(
        events,
        ['error', 'connectFailure', 'close'],
        'no reconnecting event: the client ended',
      );
    },
  );

  it('mqttjs – connect() and manualConnect → createClient() + client.connect()', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 1 });
    const client = pool.add(createClient(mosquitto.url));
    // Everything waits in the session until the connection is up, as with MQTT.js before its first CONNACK.
    const subscribed = client.subscribe(`${topic}/echo`, { qos: 1 });
    const published = client.publish(topic, 'sent after CONNACK', { qos: 1 });
    assert.equal(client.connected, false, 'not connected before connect()');
    const info = await client.connect();
    assert.equal(info.reasonCode, 0, 'connect() resolves on CONNACK');
    const result = await within(published, 'the early publish');
    assert.ok(result.packetId !== undefined, 'the QoS 1 publish completed with a PUBACK');
    assert.deepEqual(
      (await within(subscribed, 'the early subscribe')).reasonCodes,
      [1],
      'the early SUBSCRIBE',
    );
    const [m] = await take(seen, 1);
    assert.equal(m?.text(), 'sent after CONNACK');
  });

  it('mqttjs – new MqttClient(streamBuilder) → new MqttClient({ transport })', T, async () => {
    const client = pool.add(
      new MqttClient({
        transport: socketTransport({ host: mosquitto.broker.host, port: mosquitto.broker.ports.tcp }),
      }),
    );
    const info = await client.connect();
    assert.equal(info.reasonCode, 0, 'the client connects over the transport it was given');
    assert.equal(client.connected, true, 'connected');
  });

  it('mqttjs – URL schemes and default ports → parseBrokerUrl()', T, () => {
    const cases: [string, boolean, number][] = [
      ['mqtt://h', false, 1883],
      ['tcp://h', false, 1883],
      ['mqtts://h', true, 8883],
      ['tls://h', true, 8883],
      ['ssl://h', true, 8883],
      ['mqtt://h:1884', false, 1884],
      ['mqtts://h:8884', true, 8884],
    ];
    for (const [u, secure, port] of cases) {
      const a = parseBrokerUrl(u);
      assert.equal(a.secure, secure, `${u}: TLS ${secure}`);
      assert.equal(a.port, port, `${u}: port ${port}`);
      assert.equal(a.host, 'h', `${u}: host`);
    }
    const withAuth = parseBrokerUrl('mqtt://us%40er:p%3Ass@h');
    assert.equal(withAuth.username, 'us@er', 'user name, percent-decoded');
    assert.equal(withAuth.password, 'p:ss', 'password, percent-decoded');
    assert.deepEqual(parseBrokerUrl('mqtts+srv://example.com').srv, true, 'an SRV URL');
  });

  it('mqttjs – TLS options → tls: { ca, cert, key, servername, rejectUnauthorized }', T, async () => {
    const { ca, client: cc } = mosquitto.broker.certs;
    // Client certificate, CA and SNI name: nested under tls, not at the top level as in MQTT.js.
    const withCert = await pool.connect(`mqtts://127.0.0.1:${mosquitto.broker.ports.tlsClientCert}`, {
      tls: { ca: ca.cert, cert: cc.cert, key: cc.key, servername: 'localhost', ALPNProtocols: ['mqtt'] },
    });
    assert.equal(withCert.connected, true, 'connected with a client certificate');
    // Verification is on by default: without the CA the handshake fails.
    await assert.rejects(
      pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, { reconnect: false }),
      ConnectionError,
    );
    const unverified = await pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, {
      tls: { rejectUnauthorized: false },
    });
    assert.equal(unverified.connected, true, 'connected without verification when asked in so many words');
    // MQTT.js turns mqtt:// into mqtts:// when given a certificate; mqttkit refuses the contradiction.
    assert.throws(
      () => createClient(`mqtt://127.0.0.1:${mosquitto.broker.ports.tls}`, { tls: { ca: ca.cert } }),
      InvalidArgumentError,
    );
  });

  it(
    'mqttjs – ws://, wss:// and wsOptions → ws:// and wss:// URLs, webSocket { headers, ws }',
    T,
    async () => {
      const client = await pool.connect(`ws://127.0.0.1:${mosquitto.broker.ports.ws}`, {
        webSocket: { headers: { 'X-Trace': 'migration' }, ws: { handshakeTimeout: 5_000 } },
      });
      const topic = fresh();
      const sub = await client.subscribe(topic, { qos: 1 });
      await client.publish(topic, 'over a WebSocket', { qos: 1 });
      const [m] = await take(sub, 1);
      assert.equal(m?.text(), 'over a WebSocket', 'a round trip over ws://');
    },
  );

  it('mqttjs – wx://, ali:// and the mini-program transports → not yet (refused)', T, () => {
    for (const scheme of ['wx', 'wxs', 'ali', 'alis']) {
      assert.throws(
        () => createClient(`${scheme}://127.0.0.1:${mosquitto.broker.ports.ws}/mqtt`),
        (e: unknown) => e instanceof InvalidArgumentError && /unsupported URL scheme/.test(e.message),
        `${scheme}:// is refused`,
      );
    }
  });

  it(
    'mqttjs – mqtt+unix:// and unixSocket → unix:// or mqtt+unix:// URLs, socketTransport({ path })',
    T,
    async () => {
      for (const client of [
        await pool.connect(`unix://${socketPath}`),
        await pool.connect(`mqtt+unix://${socketPath}`),
        await pool.connect({ transport: socketTransport({ path: socketPath }) }),
      ]) {
        const topic = fresh();
        const sub = await client.subscribe(topic, { qos: 1 });
        await client.publish(topic, 'over a Unix socket', { qos: 1 });
        const [m] = await take(sub, 1);
        assert.equal(m?.text(), 'over a Unix socket');
      }
    },
  );

  it('mqttjs – auth and user:pass@ → URL user info, username, password', T, async () => {
    const { username, password } = mosquitto.broker.users.alice;
    const fromUrl = await pool.connect(
      `mqtt://${username}:${password}@${mosquitto.broker.host}:${mosquitto.broker.ports.auth}`,
    );
    assert.equal(fromUrl.connected, true, 'credentials from the URL');
    // The options win over the URL; a password may be bytes.
    const fromOptions = await pool.connect(
      `mqtt://${username}:wrong@${mosquitto.broker.host}:${mosquitto.broker.ports.auth}`,
      {
        password: utf8.encode(password),
      },
    );
    assert.equal(fromOptions.connected, true, 'credentials from the options');
  });

  it(
    'mqttjs – query ?clientId= → clientId from the URL (the option wins; other parameters refused)',
    T,
    async () => {
      const id = clientId('from-url');
      const fromQuery = await pool.connect(`${mosquitto.url}/?clientId=${encodeURIComponent(id)}`);
      assert.equal(fromQuery.clientId, id, 'the client id from the query');
      assert.equal(fromQuery.connected, true, 'and the broker accepted it');
      const both = pool.add(
        createClient(`${mosquitto.url}/?clientId=from-the-url`, { clientId: 'from-the-options' }),
      );
      assert.equal(both.clientId, 'from-the-options', 'the clientId option wins over the URL');
      assert.throws(
        () => createClient(`${mosquitto.url}/?keepalive=30`),
        /unknown broker URL parameter keepalive/,
        'a parameter that means nothing here is refused, not ignored',
      );
    },
  );

  it('mqttjs – servers → servers and serverOrder (or srv through DNS)', T, async () => {
    const [dead] = await freePorts(1);
    const listed = await pool.connect(`mqtt://127.0.0.1:${dead}`, {
      servers: [{ host: '127.0.0.1', port: mosquitto.broker.ports.tcp }],
    });
    assert.equal(listed.connected, true, 'the second server took over from the dead first one');
    const asked: string[] = [];
    const resolver = async (name: string): Promise<SrvRecord[]> => {
      asked.push(name);
      return [
        { name: '127.0.0.1', port: dead as number, priority: 0, weight: 0 },
        { name: '127.0.0.1', port: mosquitto.broker.ports.tcp, priority: 1, weight: 0 },
      ];
    };
    const client = await pool.connect('mqtt+srv://brokers.test', { srv: { resolver } });
    assert.equal(client.connected, true, 'the second target took over from the dead first one');
    assert.deepEqual(asked, ['_mqtt._tcp.brokers.test'], 'one SRV lookup');
  });

  // --- options: the CONNECT packet ------------------------------------------------------------------------------

  it('mqttjs – clientId and MqttClient.defaultId() → clientId and generateClientId()', T, async () => {
    const id = generateClientId();
    assert.match(id, /^mqttkit_[0-9a-f]{12}$/, `a generated identifier: ${id}`);
    assert.ok(id.length <= 23, 'within the MQTT 3.1 limit of 23 characters');
    const named = await pool.connect(mosquitto.url, { clientId: clientId('named') });
    assert.match(named.clientId, /^named-/, 'the given identifier is used');
    // An empty identifier lets an MQTT 5 broker assign one; the client reports the broker's choice.
    const assigned = await pool.connect(mosquitto.url, { clientId: '', protocolVersion: 5 });
    const chosen = assigned.connectInfo.properties?.assignedClientIdentifier;
    assert.ok(chosen !== undefined && chosen !== '', 'Mosquitto assigned an identifier');
    assert.equal(assigned.clientId, chosen, 'client.clientId is the assigned one');
    // MQTT.js throws for clean: false without a clientId; mqttkit generates one (pass your own to resume it later).
    assert.match(pool.add(createClient(mosquitto.url, { clean: false })).clientId, /^mqttkit_/, 'generated');
  });

  it('mqttjs – protocolVersion and protocolId → protocolVersion 3, 4, 5 or auto', T, async () => {
    for (const version of [3, 4, 5] as const) {
      const client = await pool.connect(mosquitto.url, { protocolVersion: version });
      assert.equal(client.protocolVersion, version, `MQTT level ${version}`);
      assert.equal(client.connectInfo.protocolVersion, version, `ConnectInfo says ${version}`);
    }
    const auto = await pool.connect(mosquitto.url, { protocolVersion: 'auto' });
    assert.equal(auto.protocolVersion, 5, "'auto' starts with MQTT 5");
  });

  it('mqttjs – clean: false → clean: false with sessionExpiryInterval', T, async () => {
    const id = clientId('persist');
    const topic = fresh();
    const options: NodeClientOptions = {
      clientId: id,
      clean: false,
      sessionExpiryInterval: 60,
      reconnect: false,
    };
    const first = await pool.connect(mosquitto.url, options);
    await first.subscribe(topic, { qos: 1 });
    first.destroy();
    await first.closed();
    await observer.publish(topic, 'while away', { qos: 1 });
    let inbox: AsyncIterableIterator<Message> | undefined;
    // The broker sends the stored message right after CONNACK: listen before connecting.
    const second = await pool.connect(mosquitto.url, { ...options, onClient: (c) => (inbox = c.messages()) });
    assert.equal(second.connectInfo.sessionPresent, true, 'the broker kept the session');
    assert.ok(inbox !== undefined, 'the iterator exists');
    const [m] = await take(inbox, 1);
    assert.equal(m?.text(), 'while away', 'the message published while the client was away');
    // MQTT 5 (what 'auto' picks) without a Session Expiry Interval: the session ends with the connection.
    const shortId = clientId('short');
    const short: NodeClientOptions = { clientId: shortId, clean: false, reconnect: false };
    const once = await pool.connect(mosquitto.url, short);
    assert.equal(once.protocolVersion, 5, 'MQTT 5');
    await once.end();
    const again = await pool.connect(mosquitto.url, short);
    assert.equal(again.connectInfo.sessionPresent, false, 'clean: false alone kept nothing in MQTT 5');
  });

  it('mqttjs – keepalive and keepalive timeout → keepAlive, pingTimeout, Server Keep Alive', T, async () => {
    await withFakeBroker(async (fb, fbUrl) => {
      const connecting = pool.connect(fbUrl, {
        protocolVersion: 5,
        keepAlive: 60,
        pingTimeout: 100,
        reconnect: false,
      });
      const conn = await fb.nextConnection();
      const c = await conn.expect('connect');
      assert.equal(c.keepAlive, 60, 'CONNECT asks for 60 s');
      // An MQTT 5 broker may impose its own keep-alive; the client then uses it.
      conn.send({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { serverKeepAlive: 1 },
      });
      const client = await connecting;
      assert.equal(client.connectInfo.properties?.serverKeepAlive, 1, 'Server Keep Alive in ConnectInfo');
      const lost = nextEvent(client, 'disconnect', 5_000);
      await conn.expect('pingreq', 3_000);
      // No PINGRESP: the connection is declared dead after pingTimeout.
      const [info] = await lost;
      assert.ok(info.error instanceof TimeoutError, `a TimeoutError, got ${String(info.error)}`);
      assert.match(info.error.message, /PINGREQ/, 'naming the unanswered PINGREQ');
    });
  });

  it('mqttjs – will and end(true) → will, destroy(), end({ reasonCode: 0x04 })', T, async () => {
    const topic = fresh();
    const wills = await observer.subscribe(topic, { qos: 1 });
    const a = await pool.connect(mosquitto.url, { will: { topic, payload: 'a is gone', qos: 1 } });
    a.destroy(); // MQTT.js end(true): no DISCONNECT, so the broker publishes the will
    await a.closed();
    const [first] = await take(wills, 1);
    assert.equal(first?.text(), 'a is gone', 'the will of a destroyed client');
    const b = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      will: { topic, payload: 'b is gone', qos: 1 },
    });
    await b.end({ reasonCode: 0x04 }); // Disconnect with Will Message
    const [second] = await take(wills, 1);
    assert.equal(second?.text(), 'b is gone', 'the will of a client that ended with reason 0x04');
  });

  it(
    'mqttjs – properties (CONNECT) → properties, sessionExpiryInterval, topicAliasMaximum, maxPacketSize',
    T,
    async () => {
      const { logger, packets } = recorder();
      await pool.connect(mosquitto.url, {
        protocolVersion: 5,
        logger,
        logPackets: true,
        sessionExpiryInterval: 30,
        topicAliasMaximum: 5,
        maxPacketSize: 65_536,
        properties: {
          receiveMaximum: 50,
          requestProblemInformation: true,
          userProperties: [['app', 'migration']],
        },
      });
      const [connectPacket] = packets('sent', 'CONNECT');
      assert.deepEqual(
        connectPacket?.['properties'],
        {
          receiveMaximum: 50,
          requestProblemInformation: true,
          userProperties: [['app', 'migration']],
          sessionExpiryInterval: 30,
          topicAliasMaximum: 5,
          maximumPacketSize: 65_536,
        },
        'the CONNECT properties, with the top-level options folded in',
      );
    },
  );

  it('mqttjs – authPacket and handleAuth → authenticator', T, async () => {
    await withFakeBroker(async (fb, fbUrl) => {
      const calls: string[] = [];
      const authenticator: Authenticator = {
        method: 'DEMO',
        start: () => {
          calls.push('start');
          return utf8.encode('client-first');
        },
        challenge: (data) => {
          calls.push(`challenge ${text(data)}`);
          return utf8.encode('client-final');
        },
        complete: (data) => {
          calls.push(`complete ${text(data)}`);
        },
      };
      const connecting = pool.connect(fbUrl, { authenticator, reconnect: false });
      const conn = await fb.nextConnection();
      const c = await conn.expect('connect');
      assert.equal(c.protocolVersion, 5, 'enhanced authentication is MQTT 5');
      assert.equal(c.properties?.authenticationMethod, 'DEMO', 'the method in CONNECT');
      assert.equal(text(c.properties?.authenticationData), 'client-first', 'the data of start()');
      const method = { authenticationMethod: 'DEMO' };
      conn.send({
        type: 'auth',
        reasonCode: 0x18,
        properties: { ...method, authenticationData: utf8.encode('challenge') },
      });
      const answer = await conn.expect('auth');
      assert.equal(answer.reasonCode, 0x18, 'AUTH Continue Authentication');
      assert.equal(text(answer.properties?.authenticationData), 'client-final', 'the data of challenge()');
      conn.send({
        type: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: { ...method, authenticationData: utf8.encode('server-final') },
      });
      const client = await connecting;
      assert.equal(client.connected, true, 'connected after the exchange');
      assert.deepEqual(calls, ['start', 'challenge challenge', 'complete server-final'], 'the exchange');
    });
  });

  // --- options: reconnecting and timing -------------------------------------------------------------------------

  it(
    'mqttjs – reconnectPeriod, reconnect and offline events → reconnect backoff, reconnecting and disconnect events',
    T,
    async () => {
      await withProxy(async (proxy, proxyUrl) => {
        const delays: number[] = [];
        const lost: DisconnectInfo[] = [];
        const client = await pool.connect(proxyUrl, {
          reconnect: { minDelay: 10, maxDelay: 40, factor: 2, jitter: 0 },
          onClient: (c) => {
            c.on('reconnecting', ({ delay }) => delays.push(delay));
            c.on('disconnect', (info) => lost.push(info));
          },
        });
        const back = nextEvent(client, 'connect');
        proxy.drop();
        const [info] = await back;
        assert.equal(info.reasonCode, 0, 'the connect event fires again on reconnecting');
        assert.equal(client.connected, true, 'connected again');
        assert.equal(lost.length, 1, 'one disconnect event (MQTT.js: close, then offline)');
        assert.equal(lost[0]?.willReconnect, true, 'willReconnect says a reconnect follows');
        // Now nothing answers: the delays grow by `factor` up to `maxDelay`.
        const attempts = nextEvents(client, 'reconnecting', 3);
        await proxy.close();
        await attempts;
        assert.equal(client.connected, false, 'not connected while reconnecting');
        assert.deepEqual(delays, [10, 20, 40, 40], 'exponential backoff, capped');
      });
    },
  );

  it('mqttjs – fixed reconnectPeriod → reconnect { minDelay, maxDelay, jitter: 0 }', T, () => {
    const fixed = { minDelay: 5_000, maxDelay: 5_000, factor: 2, jitter: 0, stableAfter: 10_000 };
    for (let attempt = 1; attempt <= 6; attempt++)
      assert.equal(backoffDelay(attempt, fixed), 5_000, `attempt ${attempt}: always 5 s`);
    const defaults = { minDelay: 1_000, maxDelay: 60_000, factor: 2, jitter: 0, stableAfter: 10_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8].map((n) => backoffDelay(n, defaults)),
      [1_000, 2_000, 4_000, 8_000, 60_000, 60_000],
      'the default curve without jitter',
    );
    const jittered = { ...defaults, jitter: 0.5 };
    assert.equal(
      backoffDelay(3, jittered, () => 0),
      2_000,
      'jitter draws from half to all of the delay',
    );
  });

  it(
    'mqttjs – reconnectPeriod: 0, close and disconnect events → reconnect: false, disconnect and close events',
    T,
    async () => {
      await withFakeBroker(async (fb) => {
        const events: string[] = [];
        const { client, conn } = await acceptedClient(fb, { protocolVersion: 5, reconnect: false });
        pool.add(client);
        client.on('disconnect', (i) =>
          events.push(`disconnect 0x${i.reasonCode?.toString(16)} ${i.willReconnect}`),
        );
        client.on('close', (e) => events.push(`close ${e?.constructor.name}`));
        // MQTT.js emits 'disconnect' only for this: a DISCONNECT packet from the broker.
        conn.send({ type: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'taken over' } });
        const ended = await within(client.closed(), 'the client ends');
        assert.ok(ended instanceof ConnectionError, `ended by a ConnectionError, got ${String(ended)}`);
        assert.equal(ended.reasonCode, 0x8e, 'carrying the DISCONNECT reason code (Session taken over)');
        assert.equal(ended.properties?.reasonString, 'taken over', 'and its properties');
        assert.deepEqual(
          events,
          ['disconnect 0x8e false', 'close ConnectionError'],
          'disconnect, then close',
        );
      });
    },
  );

  it('mqttjs – reconnectOnConnackError → reconnect.retryOnRefusal', T, async () => {
    const cases = [
      [0x87, false, 'ends'], // Not authorized: retrying cannot help, unless retryOnRefusal
      [0x87, true, 'retries'],
      [0x88, false, 'retries'], // Server unavailable: retried without asking
    ] as const;
    for (const [code, retryOnRefusal, outcome] of cases) {
      await withFakeBroker(async (fb, fbUrl) => {
        const what = `refusal 0x${code.toString(16)} with retryOnRefusal ${retryOnRefusal}`;
        const connecting = pool.connect(fbUrl, { reconnect: { minDelay: 5, jitter: 0, retryOnRefusal } });
        const first = await fb.nextConnection();
        await first.expect('connect');
        first.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
        const client = await connecting;
        first.destroy();
        const second = await fb.nextConnection();
        await second.expect('connect');
        second.send({ type: 'connack', sessionPresent: false, reasonCode: code });
        if (outcome === 'retries') {
          const third = await fb.nextConnection();
          assert.equal((await third.expect('connect')).type, 'connect', `${what}: tried again`);
        } else {
          const ended = await within(client.closed(), `${what}: the client ends`);
          assert.ok(ended instanceof ConnackError, `${what}: ended by ConnackError, got ${String(ended)}`);
          assert.equal(ended.reasonCode, code, `${what}: with its reason code`);
        }
      });
    }
  });

  it('mqttjs – connectTimeout → connectTimeout (TimeoutError)', T, async () => {
    await withFakeBroker(async (fb, fbUrl) => {
      const connecting = pool.connect(fbUrl, { connectTimeout: 100 });
      await (await fb.nextConnection()).expect('connect'); // and no CONNACK
      await assert.rejects(
        connecting,
        (e: unknown) => e instanceof TimeoutError && /CONNACK/.test(e.message),
      );
    });
  });

  it('mqttjs – resubscribe → resubscribe', T, async () => {
    await withProxy(async (proxy, proxyUrl) => {
      const topic = fresh();
      const client = await pool.connect(proxyUrl, { reconnect: { minDelay: 10, jitter: 0 } });
      const sub = await client.subscribe(topic, { qos: 1 });
      const back = nextEvent(client, 'connect');
      proxy.drop();
      const [info] = await back;
      assert.equal(info.sessionPresent, false, 'a clean session: the broker forgot the subscription');
      // The SUBSCRIBE went out on CONNACK, before this PUBLISH on the same connection.
      await client.publish(topic, 'after the reconnect', { qos: 1 });
      const [m] = await take(sub, 1);
      assert.equal(m?.text(), 'after the reconnect', 'the subscription handle works again');
    });
  });

  it(
    'mqttjs – subscribeBatchSize and already-subscribed filters → not yet (one SUBSCRIBE per call)',
    T,
    async () => {
      const { logger, packets } = recorder();
      const client = await pool.connect(mosquitto.url, { logger, logPackets: true });
      const base = fresh();
      await client.subscribe([`${base}/a`, `${base}/b`, `${base}/c`], { qos: 1 });
      await client.subscribe(`${base}/a`, { qos: 1 });
      const sent = packets('sent', 'SUBSCRIBE');
      assert.equal(sent.length, 2, 'one SUBSCRIBE per call, and again for a filter already subscribed');
      assert.equal(
        (sent[0]?.['subscriptions'] as unknown[] | undefined)?.length,
        3,
        'three filters in the first',
      );
    },
  );

  it('mqttjs – queueQoSZero → queueQoS0', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic);
    const strict = pool.add(createClient(mosquitto.url, { queueQoS0: false }));
    await assert.rejects(strict.publish(topic, 'never sent'), ConnectionError);
    const queued = pool.add(createClient(mosquitto.url));
    const publishing = queued.publish(topic, 'queued while offline');
    await queued.connect();
    await within(publishing, 'the queued QoS 0 publish');
    const [m] = await take(seen, 1);
    assert.equal(m?.text(), 'queued while offline');
  });

  // --- options without a counterpart ------------------------------------------------------------------------

  it('mqttjs – options without a counterpart → none (ignored at run time)', T, async () => {
    // Compile-time half: none of these MQTT.js names is an option here. If one becomes an option, `Clash` is no
    // longer `never` and this stops type-checking, so that its row in the document gets updated.
    const absent = [
      ...['keepalive', 'reconnectPeriod', 'reconnectOnConnackError', 'queueQoSZero', 'manualConnect'],
      ...['protocolId', 'reschedulePings', 'subscribeBatchSize', 'timerVariant', 'protocol', 'hostname'],
      ...['path', 'unixSocket', 'defaultProtocol', 'query', 'auth', 'socksProxy', 'socksTimeout'],
      ...['wsOptions', 'transformWsUrl', 'createWebsocket', 'forceNativeWebSocket', 'browserBufferSize'],
      ...['browserBufferTimeout', 'objectMode', 'binary', 'writeCache', 'my', 'ca', 'cert', 'key', 'pfx'],
      ...[
        'passphrase',
        'rejectUnauthorized',
        'ALPNProtocols',
        'servername',
        'keyPath',
        'certPath',
        'caPaths',
      ],
      ...['incomingStore', 'outgoingStore', 'messageIdProvider', 'customHandleAcks', 'autoUseTopicAlias'],
      ...['autoAssignTopicAlias', 'authPacket', 'log', 'encoding'],
    ] as const;
    type Clash =
      | Extract<(typeof absent)[number], keyof NodeClientOptions>
      | Extract<'dup' | 'cbStorePut', keyof PublishOptions>
      | Extract<'nl' | 'rap' | 'rh', keyof SubscribeOptions>;
    const noClash: [Clash] extends [never] ? true : false = true;
    assert.equal(noClash, true, 'no MQTT.js option name is an mqttkit option');
    const lenient = pool.add(
      createClient(mosquitto.url, Object.fromEntries(absent.map((k) => [k, 1])) as NodeClientOptions),
    );
    assert.equal(lenient.connected, false, 'createClient() accepts unknown options without a word');
    // Run-time half: from JavaScript, MQTT.js spellings are ignored without a word. keepalive (lower case) leaves
    // keepAlive at 60 s, reconnectPeriod: 0 leaves reconnecting on.
    const { logger, packets } = recorder();
    const mqttJsStyle = {
      keepalive: 5,
      reconnectPeriod: 0,
      logger,
      logPackets: true,
    } as unknown as NodeClientOptions;
    const client = await pool.connect(mosquitto.url, mqttJsStyle);
    assert.equal(packets('sent', 'CONNECT')[0]?.['keepAlive'], 60, 'keepalive was ignored');
    assert.equal(client.connected, true, 'and the client connected as if it had not been given');
  });

  it('mqttjs – host, port, hostname → host, port', T, async () => {
    const client = await pool.connect({ host: mosquitto.broker.host, port: mosquitto.broker.ports.tcp });
    assert.equal(client.connected, true, 'connected with host and port, no URL');
  });

  // --- stores, identifiers, hooks, logging ----------------------------------------------------------------------

  it('mqttjs – mqtt-level-store and other persistent stores → FileSessionStore', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 1 });
    const directory = mkdtempSync(join(tmpdir(), 'mqttkit-mqttjs-store-'));
    try {
      const id = clientId('level-store');
      const opts = { clientId: id, sessionExpiryInterval: 60 };
      const before = new FileSessionStore({ directory, clientId: id });
      const first = pool.add(createClient(mosquitto.url, { ...opts, session: before }));
      first.publish(topic, 'survives the process', { qos: 1 }).catch(() => {});
      first.destroy();
      before.close(); // as if the process ended here
      const after = new FileSessionStore({ directory, clientId: id });
      assert.equal(after.recovered.length, 1, 'the message is on disk for the next process');
      await pool.connect(mosquitto.url, { ...opts, session: after });
      const [m] = await take(seen, 1);
      assert.equal(m?.text(), 'survives the process', 'the next process sent it');
      after.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it(
    'mqttjs – Store, incomingStore, outgoingStore, reconnect() → session (MemorySessionStore)',
    T,
    async () => {
      const topic = fresh();
      const seen = await observer.subscribe(topic, { qos: 1 });
      const session = new MemorySessionStore();
      const first = pool.add(createClient(mosquitto.url, { session }));
      const abandoned = first.publish(topic, 'carried over', { qos: 1 });
      assert.equal(session.queueLength, 1, 'in the store as soon as publish() returns (MQTT.js cbStorePut)');
      first.destroy();
      await assert.rejects(abandoned, ClientClosedError);
      assert.equal(session.queueLength, 1, 'the message outlives the client in its store');
      // MQTT.js reconnect() after end(): here a new client, given the same session store.
      const second = await pool.connect(mosquitto.url, { session });
      const [m] = await take(seen, 1);
      assert.equal(m?.text(), 'carried over', 'the new client sent what the old one left');
      // Acknowledgements come in order: once a later message is acknowledged, the carried-over one is too.
      await second.publish(topic, 'later', { qos: 1 });
      assert.equal(session.queueLength + session.inflightCount, 0, 'nothing left in the store');
    },
  );

  it(
    'mqttjs – getLastMessageId and messageIdProvider → PublishResult.packetId and publishTracked()',
    T,
    async () => {
      const client = await pool.connect(mosquitto.url);
      const topic = fresh();
      const results = await Promise.all([1, 2, 3].map((i) => client.publish(topic, `m${i}`, { qos: 1 })));
      const ids = results.map((r) => r.packetId);
      assert.ok(
        ids.every((id) => id !== undefined && id > 0),
        `packet identifiers in the results: ${ids.join(', ')}`,
      );
      assert.equal(new Set(ids).size, 3, 'never one in use twice');
      const info = client.publishTracked(topic, 'tracked', { qos: 1 });
      assert.equal(typeof info.messageId, 'number', 'a message id at once');
      const r = await info.waitForPublish(5_000);
      assert.equal(info.packetId, r.packetId, 'the packet identifier, once sent');
    },
  );

  it('mqttjs – customHandleAcks and handleMessage → manualAck and message.ack()', T, async () => {
    const client = await pool.connect(mosquitto.url, { protocolVersion: 5, manualAck: true });
    const topic = fresh();
    const sub = await client.subscribe(topic, { qos: 1 });
    await observer.publish(topic, 'ack me', { qos: 1 });
    await observer.publish(topic, 'qos 0');
    const [m1, m0] = await take(sub, 2);
    assert.ok(m1 !== undefined && m0 !== undefined, 'two messages');
    assert.equal(m1.ack(), true, 'PUBACK sent when the application says so');
    assert.equal(m1.ack(), false, 'only once');
    assert.equal(m0.ack(), false, 'nothing to acknowledge for QoS 0');
  });

  it('mqttjs – autoAssignTopicAlias and autoUseTopicAlias → autoTopicAlias', T, async () => {
    const { logger, packets } = recorder();
    const client = await pool.connect(mosquitto.url, {
      protocolVersion: 5,
      autoTopicAlias: true,
      logger,
      logPackets: true,
    });
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 1 });
    await client.publish(topic, 'one', { qos: 1 });
    await client.publish(topic, 'two', { qos: 1 });
    const sent = packets('sent', 'PUBLISH').map((p) => [
      p['topic'],
      (p['properties'] as LogFields)['topicAlias'],
    ]);
    assert.deepEqual(sent, [
      [topic, 1],
      ['', 1],
    ]);
    const got = await take(seen, 2);
    assert.deepEqual(
      got.map((m) => m.topic),
      [topic, topic],
      'receivers see the full topic',
    );
  });

  it('mqttjs – log, packetsend and packetreceive → logger and logPackets', T, async () => {
    const { logger, lines, packets } = recorder();
    const client = await pool.connect(mosquitto.url, { logger, logPackets: true });
    await client.publish(fresh(), 'payload', { qos: 1 });
    const messages = lines.map((l) => l.message);
    for (const m of ['sent CONNECT', 'received CONNACK', 'sent PUBLISH', 'received PUBACK'])
      assert.ok(messages.includes(m), `"${m}" in ${JSON.stringify(messages)}`);
    assert.ok(
      lines.some((l) => l.level === 'info' && /connected/.test(l.message)),
      'the connection is logged at info',
    );
    const [publish] = packets('sent', 'PUBLISH');
    assert.equal(publish?.['payloadBytes'], 7, 'a summary: the payload size, not the payload');
  });

  // --- methods ----------------------------------------------------------------------------------------------

  it('mqttjs – publish and publishAsync → publish()', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 2 });
    const client = await pool.connect(mosquitto.url);
    const completed: unknown[] = [];
    client.on('publish', (r) => completed.push(r));
    const r0 = await client.publish(topic, 'q0');
    assert.deepEqual(r0, { packetId: undefined, reasonCode: 0, properties: undefined }, 'QoS 0: written');
    const r1 = await client.publish(topic, 'q1', { qos: 1 });
    assert.ok(r1.packetId !== undefined, 'QoS 1: on PUBACK, with its packet identifier');
    const r2 = await client.publish(topic, 'q2', { qos: 2, retain: true });
    assert.ok(r2.packetId !== undefined, 'QoS 2: on PUBCOMP');
    assert.equal(completed.length, 3, 'a publish event for each');
    const got = await take(seen, 3);
    assert.deepEqual(
      got.map((m) => [m.text(), m.qos]),
      [
        ['q0', 0],
        ['q1', 1],
        ['q2', 2],
      ],
    );
    await client.publish(topic, new Uint8Array(0), { qos: 1, retain: true }); // clears the retained message
  });

  it('mqttjs – publish properties → properties (userProperties as pairs)', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 1 });
    const client = await pool.connect(mosquitto.url, { protocolVersion: 5 });
    await client.publish(topic, '{"ok":true}', {
      qos: 1,
      properties: {
        userProperties: [
          ['k', 'v1'],
          ['k', 'v2'],
        ],
        correlationData: new Uint8Array([1, 2, 3]),
        contentType: 'application/json',
        responseTopic: `${topic}/reply`,
        payloadFormatIndicator: 1,
        messageExpiryInterval: 60,
      },
    });
    const [m] = await take(seen, 1);
    const p = m?.properties;
    assert.deepEqual(
      p?.userProperties,
      [
        ['k', 'v1'],
        ['k', 'v2'],
      ],
      'user properties as ordered pairs, names may repeat',
    );
    assert.deepEqual([...(p?.correlationData ?? [])], [1, 2, 3], 'correlation data as bytes');
    assert.equal(p?.contentType, 'application/json');
    assert.equal(p?.responseTopic, `${topic}/reply`);
    assert.equal(p?.payloadFormatIndicator, 1);
    assert.ok((p?.messageExpiryInterval ?? 0) > 0, 'message expiry passed on');
    // The MQTT.js shape is refused at the call, not silently dropped.
    await assert.rejects(
      client.publish(topic, 'x', { properties: { userProperties: { k: 'v' } as never } }),
      InvalidArgumentError,
    );
  });

  it('mqttjs – message event → message event with a Message', T, async () => {
    const client = await pool.connect(mosquitto.url);
    const topic = fresh();
    const sub = await client.subscribe(topic, { qos: 1 });
    const events: Message[] = [];
    client.on('message', (m) => events.push(m));
    await client.publish(topic, Buffer.from('{"t":21.5}'), { qos: 1 });
    const [m] = await take(sub, 1);
    assert.ok(m !== undefined, 'a message');
    assert.equal(events[0], m, 'the same Message reaches the event and the subscription');
    assert.equal(m.topic, topic);
    assert.equal(m.qos, 1);
    assert.equal(m.retain, false);
    assert.equal(m.dup, false);
    assert.equal(typeof m.packetId, 'number', 'the packet identifier of a QoS 1 message');
    assert.ok(m.payload instanceof Uint8Array, 'the payload is bytes');
    assert.equal(m.text(), '{"t":21.5}', 'text() decodes UTF-8');
    assert.deepEqual(m.json(), { t: 21.5 }, 'json() parses');
    assert.notEqual(String(m.payload), m.text(), 'String(payload) is not the text, unlike a Buffer');
  });

  it('mqttjs – ErrorWithReasonCode → ConnackError and PublishError', T, async () => {
    await assert.rejects(
      pool.connect(authUrl, { username: 'alice', password: 'wrong' }),
      (e: unknown) =>
        e instanceof ConnackError && e.reasonCode === 0x87 && isMqttError(e) && e.code === 'MQTT_ERR_CONNACK',
    );
    const bob = await pool.connect(authUrl, {
      protocolVersion: 5,
      ...mosquitto.broker.users.bob,
      reconnect: false,
    });
    await assert.rejects(
      bob.publish('private/x', 'denied', { qos: 1 }),
      (e: unknown) => e instanceof PublishError && e.reasonCode === 0x87 && e.code === 'MQTT_ERR_PUBLISH',
    );
  });

  it('mqttjs – subscribe and subscribeAsync → subscribe() and SubscriptionHandle', T, async () => {
    const client = await pool.connect(mosquitto.url);
    const base = fresh();
    const handle = await client.subscribe([`${base}/a`, `${base}/b/+`], { qos: 1 });
    assert.deepEqual(handle.topicFilters, [`${base}/a`, `${base}/b/+`]);
    assert.deepEqual(handle.reasonCodes, [1, 1], 'granted QoS per filter');
    assert.equal(handle.granted, true, 'all granted');
    // MQTT.js's ISubscriptionMap: one call per set of options.
    const other = await client.subscribe(`${base}/c`, { qos: 2 });
    assert.deepEqual(other.reasonCodes, [2]);
    await observer.publish(`${base}/b/x`, 'hello', { qos: 1 });
    const [m] = await take(handle, 1);
    assert.equal(m?.topic, `${base}/b/x`, 'the handle iterates its messages');
    await assert.rejects(client.subscribe(`${base}/#/x`), InvalidArgumentError);
  });

  it('mqttjs – nl, rap, rh → noLocal, retainAsPublished, retainHandling', T, async () => {
    const base = fresh();
    const client = await pool.connect(mosquitto.url, { protocolVersion: 5 });
    // noLocal: the client's own message is not sent back; the observer's, published after it, is.
    const nl = await client.subscribe(`${base}/nl`, { qos: 1, noLocal: true });
    await client.publish(`${base}/nl`, 'own', { qos: 1 });
    await observer.publish(`${base}/nl`, 'other', { qos: 1 });
    assert.equal((await take(nl, 1))[0]?.text(), 'other', 'noLocal');
    // retainHandling 2: no retained message on subscribing.
    await observer.publish(`${base}/rh`, 'old', { qos: 1, retain: true });
    const rh = await client.subscribe(`${base}/rh`, { qos: 1, retainHandling: 2 });
    await observer.publish(`${base}/rh`, 'new', { qos: 1 });
    assert.equal((await take(rh, 1))[0]?.text(), 'new', 'retainHandling 2');
    // retainAsPublished: the retain flag of a live message is kept.
    const rap = await client.subscribe(`${base}/rap`, { qos: 1, retainAsPublished: true });
    const plain = await client.subscribe(`${base}/plain`, { qos: 1 });
    await observer.publish(`${base}/rap`, 'live', { qos: 1, retain: true });
    await observer.publish(`${base}/plain`, 'live', { qos: 1, retain: true });
    assert.equal((await take(rap, 1))[0]?.retain, true, 'retainAsPublished keeps the flag');
    assert.equal((await take(plain, 1))[0]?.retain, false, 'without it the flag is cleared');
    for (const t of ['rh', 'rap', 'plain'])
      await observer.publish(`${base}/${t}`, '', { qos: 1, retain: true });
  });

  it('mqttjs – ErrorWithSubackPacket → handle.reasonCodes and handle.granted', T, async () => {
    await withFakeBroker(async (fb) => {
      const { client, conn } = await acceptedClient(fb, { protocolVersion: 5 });
      pool.add(client);
      const subscribing = client.subscribe(['allowed/#', 'denied/#'], { qos: 1 });
      const s = await conn.expect('subscribe');
      conn.send({ type: 'suback', packetId: s.packetId, reasonCodes: [1, 0x87] });
      const handle = await within(subscribing, 'subscribe() resolves');
      assert.deepEqual(handle.reasonCodes, [1, 0x87], 'a failure code for the refused filter');
      assert.equal(handle.granted, false, 'not everything was granted');
    });
  });

  it('mqttjs – unsubscribe and unsubscribeAsync → unsubscribe() and handle.unsubscribe()', T, async () => {
    const client = await pool.connect(mosquitto.url, { protocolVersion: 5 });
    const base = fresh();
    const handle = await client.subscribe(`${base}/a`, { qos: 1 });
    const r = await handle.unsubscribe();
    assert.deepEqual(r.reasonCodes, [0], 'UNSUBACK success');
    const next = await handle[Symbol.asyncIterator]().next();
    assert.equal(next.done, true, 'the handle ends');
    await client.subscribe(`${base}/b`);
    assert.deepEqual((await client.unsubscribe(`${base}/b`)).reasonCodes, [0], 'by filter');
    assert.deepEqual(
      (await client.unsubscribe(`${base}/none`)).reasonCodes,
      [0x11],
      'No subscription existed',
    );
  });

  it(
    'mqttjs – end, endAsync, outgoingEmpty, end event → end({ flush }), closed(), close event',
    T,
    async () => {
      const topic = fresh();
      const client = await pool.connect(mosquitto.url);
      const closes: (Error | undefined)[] = [];
      client.on('close', (e) => closes.push(e));
      const pending = Array.from({ length: 20 }, (_, i) => client.publish(topic, `m${i}`, { qos: 1 }));
      await client.end({ flush: true }); // MQTT.js end() waits for acknowledgements by default
      const results = await Promise.all(pending);
      assert.ok(
        results.every((r) => r.packetId !== undefined),
        'every QoS 1 publish was acknowledged before DISCONNECT',
      );
      assert.deepEqual(closes, [undefined], 'one close event, without an error (MQTT.js end event)');
      assert.equal(await client.closed(), undefined, 'closed() resolves without an error');
      await assert.rejects(client.publish(topic, 'late'), ClientClosedError);
      // Without flush, end() does not wait: what is still unacknowledged fails.
      await withFakeBroker(async (fb) => {
        const { client: c, conn } = await acceptedClient(fb);
        pool.add(c);
        const unacknowledged = c.publish('t', 'x', { qos: 1 });
        await conn.expect('publish');
        await c.end();
        await assert.rejects(unacknowledged, ClientClosedError);
        assert.equal((await conn.expect('disconnect')).type, 'disconnect', 'a DISCONNECT was sent');
      });
    },
  );

  it('mqttjs – removeOutgoingMessage → the publish signal (a queued message is withdrawn)', T, async () => {
    const topic = fresh();
    const seen = await observer.subscribe(topic, { qos: 1 });
    const client = pool.add(createClient(mosquitto.url));
    const ac = new AbortController();
    const withdrawn = client.publish(topic, 'withdrawn', { qos: 1, signal: ac.signal });
    const kept = client.publish(topic, 'kept', { qos: 1 });
    ac.abort(new Error('changed my mind'));
    await assert.rejects(withdrawn, /changed my mind/);
    await client.connect();
    await kept;
    const [m] = await take(seen, 1);
    assert.equal(m?.text(), 'kept', 'the withdrawn message never went out; the next one did');
  });

  it('mqttjs – client fields and methods without a counterpart → not on MqttClient', T, () => {
    const client = pool.add(createClient(mosquitto.url));
    const missing = [
      'reconnecting',
      'disconnecting',
      'disconnected',
      'options',
      'stream',
      'queue',
      'outgoing',
      'keepalive',
      'serverProperties',
      'incomingStore',
      'outgoingStore',
      'messageIdProvider',
      'reconnect',
      'removeOutgoingMessage',
      'getLastMessageId',
      'handleMessage',
      'handleAuth',
      'sendPing',
      'reschedulePing',
      'publishAsync',
      'subscribeAsync',
      'unsubscribeAsync',
      'endAsync',
      'removeListener',
      'prependListener',
    ];
    for (const name of missing) assert.equal(name in client, false, `client.${name} does not exist`);
    assert.equal('VERSION' in MqttClient, false, 'no MqttClient.VERSION');
    assert.equal('defaultId' in MqttClient, false, 'no MqttClient.defaultId (generateClientId instead)');
  });

  it(
    'mqttjs – EventEmitter API → on, off, once, hasListeners, listenerCount, removeAllListeners',
    T,
    async () => {
      const [dead] = await freePorts(1);
      const client = pool.add(createClient(`mqtt://127.0.0.1:${dead}`));
      let errors = 0;
      const onError = () => {
        errors++;
      };
      client.on('error', onError);
      assert.equal(client.hasListeners('error'), true, 'on() adds');
      client.off('error', onError);
      assert.equal(client.hasListeners('error'), false, 'off() removes');
      const failed = new Promise((resolve) => client.once('connectFailure', resolve));
      // No error listener, and nothing is thrown: the failure is the rejection.
      await assert.rejects(client.connect(), ConnectionError);
      assert.ok((await within(failed, 'once(connectFailure)')) instanceof ConnectionError, 'once() fired');
      assert.equal(client.hasListeners('connectFailure'), false, 'and removed itself');
      assert.equal(errors, 0, 'the removed listener was not called');

      const never = () => assert.fail('a listener removed before it ran');
      client.once('close', never);
      client.on('log', () => {});
      client.on('log', () => {});
      assert.equal(client.listenerCount('log'), 2, 'listenerCount counts');
      client.off('close', never);
      assert.equal(
        client.listenerCount('close'),
        0,
        'off() also removes a once() listener by the function given',
      );
      client.removeAllListeners('log');
      assert.equal(client.listenerCount('log'), 0, 'removeAllListeners(event)');
      client.on('log', () => {}).on('message', () => {});
      client.removeAllListeners();
      assert.equal(client.listenerCount('log') + client.listenerCount('message'), 0, 'removeAllListeners()');
    },
  );

  it('mqttjs – message event with per-topic routing → addMessageHandler()', T, async () => {
    const client = await pool.connect(mosquitto.url);
    const base = fresh();
    const inbox = client.messages();
    await client.subscribe(`${base}/#`, { qos: 1 });
    const handled: string[] = [];
    const unhandled: string[] = [];
    client.addMessageHandler(`${base}/alerts/+`, (m) => handled.push(m.text()));
    client.on('message', (m) => unhandled.push(m.text()));
    await client.publish(`${base}/alerts/fire`, 'alert', { qos: 1 });
    await client.publish(`${base}/other`, 'other', { qos: 1 });
    // messages() sees every message, after the handlers and the event have run.
    const all = await take(inbox, 2);
    assert.deepEqual(
      all.map((m) => m.text()),
      ['alert', 'other'],
    );
    assert.deepEqual(handled, ['alert'], 'the handler took its message');
    assert.deepEqual(unhandled, ['other'], 'the message event got only what no handler took');
  });

  it(
    'mqttjs – ReasonCodes, validateTopic, validateTopics → reasonCodeName(), topicFilterProblem(), validateTopicFilter()',
    T,
    () => {
      assert.equal(reasonCodeName(0x87), 'Not authorized');
      assert.equal(reasonCodeName(0x80, 'suback'), 'Unspecified error');
      assert.equal(topicFilterProblem('a/+/b'), undefined, 'a valid filter');
      assert.match(topicFilterProblem('a/#/b') ?? '', /#/, 'the problem in words');
      assert.match(topicNameProblem('a/+') ?? '', /\+/, 'topic names take no wildcards');
      assert.throws(() => validateTopicFilter('a/b#'), InvalidArgumentError);
      assert.throws(() => validateTopicName('a/#'), InvalidArgumentError);
      const filters = ['ok/+', 'bad/#/x', 'ok/#'];
      assert.equal(
        filters.find((f) => topicFilterProblem(f) !== undefined),
        'bad/#/x',
        'validateTopics: the first invalid one',
      );
    },
  );
});
