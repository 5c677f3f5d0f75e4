// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// connect() through DNS SRV records, with an injected resolver pointing at real local listeners: the scripted fake
// broker for order, failover, re-resolution on reconnect and the lookup outcomes, and Mosquitto for TLS (the
// certificate checked against the target, a failed handshake and a silent target moving on to the next). No real
// DNS; every step waits for a connection, an event or a settled promise, never for time.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  ConnectionError,
  type MqttClient,
  type NodeClientOptions,
  SrvLookupError,
  type SrvRecord,
  TimeoutError,
} from '../../src/node.js';
import { ClientPool, nextEvent } from '../helpers/clients.js';
import { type FakeBroker, type FakeConnection, startFakeBroker } from '../helpers/fake-broker.js';
import { freePorts } from '../helpers/ports.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 15_000 };
const FAST = { minDelay: 10, maxDelay: 50, jitter: 0 } as const;

function rec(name: string, port: number, priority: number, weight = 0): SrvRecord {
  return { name, port, priority, weight };
}

/** A resolver giving `answers` in turn (the last one again when they run out), recording every query. */
function resolver(...answers: (SrvRecord[] | Error)[]) {
  const queries: string[] = [];
  const resolve = async (name: string): Promise<SrvRecord[]> => {
    queries.push(name);
    const answer = answers[Math.min(queries.length, answers.length) - 1];
    if (answer === undefined) throw new Error('the test gave the resolver no answer');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { queries, resolve };
}

function dnsError(code: string): Error {
  return Object.assign(new Error(`querySrv ${code}`), { code });
}

/** Takes the CONNECT of `conn` and accepts it. */
async function accept(conn: FakeConnection): Promise<void> {
  await conn.expect('connect');
  conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
}

/** Asserts `e` is an SrvLookupError with `reason` for `query`. */
function lookupError(reason: SrvLookupError['reason'], query: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SrvLookupError, `expected an SrvLookupError, got ${String(e)}`);
    assert.equal(e.code, 'MQTT_ERR_SRV_LOOKUP_FAILED', 'the stable code');
    assert.equal(e.reason, reason, 'the reason');
    assert.equal(e.query, query, 'the queried name');
    return true;
  };
}

describe('connect through DNS SRV – fake broker', () => {
  const pool = new ClientPool();
  let a: FakeBroker;
  let b: FakeBroker;

  beforeEach(async () => {
    [a, b] = await Promise.all([startFakeBroker(), startFakeBroker()]);
  });
  afterEach(async () => {
    await pool.cleanup();
    await Promise.all([a.close(), b.close()]);
  });

  /** Starts `connect()`; the brokers' side must accept it. */
  function open(url: string, options: NodeClientOptions) {
    return pool.connect(url, { reconnect: false, ...options });
  }

  test('srv – the target of the lowest priority is used first, whatever the answer order', T, async () => {
    const dns = resolver([rec('127.0.0.1', b.port, 20, 100), rec('127.0.0.1', a.port, 10, 0)]);
    const connecting = open('mqtt+srv://brokers.test', { srv: { resolver: dns.resolve } });
    await accept(await a.nextConnection());
    const client = await connecting;
    assert.equal(client.connectInfo.reasonCode, 0, 'connected through the priority 10 target');
    assert.deepEqual(dns.queries, ['_mqtt._tcp.brokers.test'], 'one lookup of the plain MQTT service');
    assert.equal(b.connections.length, 0, 'the priority 20 target was never dialled');
  });

  test('srv – a dead first target (connection refused) makes the client use the next one', T, async () => {
    const [dead] = (await freePorts(1)) as [number];
    const dns = resolver([rec('127.0.0.1', dead, 0), rec('127.0.0.1', a.port, 1)]);
    const connecting = open('mqtt+srv://brokers.test', { srv: { resolver: dns.resolve } });
    await accept(await a.nextConnection());
    const client = await connecting;
    assert.ok(client.connected, 'connected through the second target');
    assert.equal(dns.queries.length, 1, 'the failover walks the same answer, without a new lookup');
  });

  test(
    'srv – every target dead: ConnectionError naming each, with each failure in the cause',
    T,
    async () => {
      const [d1, d2] = (await freePorts(2)) as [number, number];
      const dns = resolver([rec('127.0.0.1', d1, 0), rec('127.0.0.1', d2, 1)]);
      await assert.rejects(
        open('mqtt+srv://brokers.test', { srv: { resolver: dns.resolve } }),
        (e: unknown) => {
          assert.ok(e instanceof ConnectionError, `a ConnectionError, got ${String(e)}`);
          assert.match(e.message, new RegExp(`brokers\\.test.*:${d1}.*:${d2}`), 'both targets, in order');
          assert.ok(e.cause instanceof AggregateError, 'the failures are the cause');
          assert.equal(e.cause.errors.length, 2, 'one failure per target');
          return true;
        },
        'no target accepts',
      );
    },
  );

  test('srv – a reconnect looks the records up again and walks the new answer', T, async () => {
    const [dead] = (await freePorts(1)) as [number];
    // First lookup: broker a. Second: a dead target first, then broker b.
    const dns = resolver(
      [rec('127.0.0.1', a.port, 0)],
      [rec('127.0.0.1', dead, 0), rec('127.0.0.1', b.port, 5)],
    );
    const connecting = open('mqtt+srv://brokers.test', { srv: { resolver: dns.resolve }, reconnect: FAST });
    const first = await a.nextConnection();
    await accept(first);
    const client = await connecting;
    assert.equal(dns.queries.length, 1, 'one lookup for the first connection');
    const reconnected = nextEvent(client, 'connect');
    first.destroy(); // the broker drops the connection
    await accept(await b.nextConnection());
    await reconnected;
    assert.equal(dns.queries.length, 2, 'the reconnect looked the records up again');
    assert.equal(a.connections.length, 1, 'broker a, gone from the new answer, was not dialled again');
  });

  test('srv – no SRV record (not-found): the domain itself on the URL port', T, async () => {
    for (const answer of [dnsError('ENOTFOUND'), dnsError('ENODATA'), []]) {
      const dns = resolver(answer);
      const connecting = open(`mqtt+srv://localhost:${a.port}`, { srv: { resolver: dns.resolve } });
      await accept(await a.nextConnection());
      const client = await connecting;
      assert.ok(client.connected, `connected to localhost:${a.port} after ${String(answer)}`);
      assert.deepEqual(dns.queries, ['_mqtt._tcp.localhost'], 'the lookup came first');
      await client.end();
    }
  });

  test('srv – no SRV record, host and port options instead of a URL: the same fallback', T, async () => {
    const dns = resolver(dnsError('ENOTFOUND'));
    const connecting = pool.connect({
      host: 'localhost',
      port: a.port,
      srv: { resolver: dns.resolve },
      reconnect: false,
    });
    await accept(await a.nextConnection());
    assert.ok((await connecting).connected, 'connected to the fallback');
    assert.deepEqual(dns.queries, ['_mqtt._tcp.localhost'], 'the host option was looked up');
  });

  test('srv – a "." target rejects with SrvLookupError not-available, without any fallback', T, async () => {
    const dns = resolver([rec('.', 0, 0)]);
    await assert.rejects(
      open(`mqtt+srv://localhost:${a.port}`, { srv: { resolver: dns.resolve } }),
      lookupError('not-available', '_mqtt._tcp.localhost'),
      'the service is decidedly not available',
    );
    assert.equal(a.connections.length, 0, 'the domain itself was not dialled');
  });

  test('srv – a failed lookup (not a missing record) rejects with SrvLookupError failed', T, async () => {
    const dns = resolver(dnsError('ETIMEOUT'));
    await assert.rejects(
      open(`mqtt+srv://localhost:${a.port}`, { srv: { resolver: dns.resolve } }),
      lookupError('failed', '_mqtt._tcp.localhost'),
      'no fallback after a failed lookup',
    );
    assert.equal(a.connections.length, 0, 'the domain itself was not dialled');
  });

  test(
    'srv – aborting while the lookup is pending rejects with the reason and ends the client',
    T,
    async () => {
      const controller = new AbortController();
      let asked!: () => void;
      const lookupStarted = new Promise<void>((resolve) => {
        asked = resolve;
      });
      let client: MqttClient | undefined;
      const connecting = open('mqtt+srv://brokers.test', {
        signal: controller.signal,
        onClient: (c) => {
          client = c;
        },
        srv: {
          resolver: () => {
            asked();
            return new Promise<SrvRecord[]>(() => {}); // never answers
          },
        },
      });
      await lookupStarted;
      const reason = new Error('gave up');
      controller.abort(reason);
      await assert.rejects(connecting, (e: unknown) => e === reason, 'rejects with the signal reason');
      assert.ok(client !== undefined, 'the client was created');
      assert.equal(await client.closed(), reason, 'the client ended with the reason');
    },
  );
});

describe('connect through DNS SRV – TLS against Mosquitto', () => {
  const mosquitto = brokerSuite('srv');
  const { pool } = mosquitto;
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];

  before(async () => {
    // Accepts TCP connections and never says a word: a TLS handshake with it cannot finish.
    silent = createServer((s) => held.push(s)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    silentPort = (silent.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  test('srv tls – SNI and certificate check use the target host, not the SRV domain', T, async () => {
    const dns = resolver([rec('localhost.', mosquitto.broker.ports.tls, 0)]);
    const client = await pool.connect('mqtts+srv://mqtt.example.invalid', {
      srv: { resolver: dns.resolve },
      tls: { ca: mosquitto.broker.certs.ca.cert },
      reconnect: false,
    });
    assert.equal(client.connectInfo.reasonCode, 0, 'the certificate for localhost was accepted');
    assert.deepEqual(dns.queries, ['_secure-mqtt._tcp.mqtt.example.invalid'], 'the secure service name');
  });

  test('srv tls – tls.servername overrides the name the certificate is checked against', T, async () => {
    const dns = resolver([rec('localhost', mosquitto.broker.ports.tls, 0)]);
    await assert.rejects(
      pool.connect('mqtts+srv://mqtt.example.invalid', {
        srv: { resolver: dns.resolve },
        tls: { ca: mosquitto.broker.certs.ca.cert, servername: 'mqtt.example.invalid' },
        reconnect: false,
      }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectionError, `a ConnectionError, got ${String(e)}`);
        const cause = e.cause as NodeJS.ErrnoException | undefined;
        assert.equal(cause?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', `a host name mismatch: ${e.message}`);
        return true;
      },
      'the certificate names localhost, not the SRV domain',
    );
  });

  test('srv tls – a failed TLS handshake on the first target moves on to the next', T, async () => {
    // The first target is Mosquitto's plain listener: the ClientHello is no MQTT, the broker hangs up.
    const dns = resolver([
      rec('localhost', mosquitto.broker.ports.tcp, 0),
      rec('localhost', mosquitto.broker.ports.tls, 1),
    ]);
    const client = await pool.connect('mqtts+srv://mqtt.example.invalid', {
      srv: { resolver: dns.resolve },
      tls: { ca: mosquitto.broker.certs.ca.cert },
      reconnect: false,
    });
    assert.ok(client.connected, 'connected through the TLS listener');
  });

  test(
    'srv tls – a target that does not finish the handshake within connectTimeout is skipped',
    T,
    async () => {
      const dns = resolver([
        rec('localhost', silentPort, 0),
        rec('localhost', mosquitto.broker.ports.tls, 1),
      ]);
      const before = held.length;
      const client = await pool.connect('mqtts+srv://mqtt.example.invalid', {
        srv: { resolver: dns.resolve },
        tls: { ca: mosquitto.broker.certs.ca.cert },
        connectTimeout: 1_000,
        reconnect: false,
      });
      assert.ok(client.connected, 'connected through the second target');
      assert.equal(held.length, before + 1, 'the silent target was dialled first');
    },
  );

  test('srv tls – only silent targets: the attempt fails with the timeout as the cause', T, async () => {
    const dns = resolver([rec('localhost', silentPort, 0)]);
    await assert.rejects(
      pool.connect('mqtts+srv://mqtt.example.invalid', {
        srv: { resolver: dns.resolve },
        tls: { ca: mosquitto.broker.certs.ca.cert },
        connectTimeout: 200,
        reconnect: false,
      }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectionError, `a ConnectionError, got ${String(e)}`);
        assert.ok(e.cause instanceof TimeoutError, `the dial timeout is the cause: ${String(e.cause)}`);
        assert.match(e.message, /within 200 ms/, 'the message says why');
        return true;
      },
      'the only target never completes the handshake',
    );
  });
});
