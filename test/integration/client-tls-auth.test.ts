// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client against a real Mosquitto: TLS with server verification and client certificates, and username /
// password authentication, including that a refusal does not start a reconnect storm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConnackError, ConnectionError, type MqttClient } from '../../src/node.js';
import { countEvents, noEvent, take, within } from '../helpers/clients.js';
import { brokerSuite } from '../helpers/suite.js';

const T = { timeout: 10_000 };
const NOT_AUTHORIZED = 0x87;

/** Asserts `e` is a ConnectionError caused by a Node error with a code matching `code`; returns it for chaining. */
function connectionErrorCausedBy(code: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ConnectionError, `expected a ConnectionError, got ${String(e)}`);
    assert.equal(e.code, 'MQTT_ERR_CONNECTION');
    const cause = e.cause as NodeJS.ErrnoException | undefined;
    assert.ok(cause instanceof Error, 'the underlying error is the cause');
    assert.match(cause.code ?? '', code);
    return true;
  };
}

describe('client TLS and authentication', () => {
  const mosquitto = brokerSuite('tls-auth');
  const { pool, prefix } = mosquitto;

  /** Publishes to itself over `client` and checks the message comes back: the connection really works. */
  async function roundTrip(client: MqttClient, tag: string): Promise<void> {
    const topic = `${prefix}/${tag}`;
    const handle = await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, tag, { qos: 1 });
    assert.equal((await take(handle, 1))[0]?.text(), tag);
  }

  describe('TLS', () => {
    test(
      'client – mqtts:// with the CA in tls.ca connects, verifies the server and carries messages',
      T,
      async () => {
        const c = await pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, {
          tls: { ca: mosquitto.broker.certs.ca.cert },
          reconnect: false,
        });
        assert.equal(c.connectInfo.reasonCode, 0);
        await roundTrip(c, 'tls');
      },
    );

    test('client – host and port options with tls (no URL) connect over TLS', T, async () => {
      const c = await pool.connect({
        host: 'localhost',
        port: mosquitto.broker.ports.tls,
        tls: { ca: readFileSync(mosquitto.broker.certs.ca.certPath) },
        reconnect: false,
      });
      await roundTrip(c, 'tls-options');
    });

    test(
      'client – a server certificate from an untrusted CA fails with a ConnectionError caused by the verification error',
      T,
      async () => {
        const closes: (Error | undefined)[] = [];
        await assert.rejects(
          pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, {
            tls: { ca: mosquitto.broker.certs.otherCa.cert },
            // Reconnecting is on, but the first connection failing ends the client.
            reconnect: { minDelay: 20 },
            onClient: (c) => c.on('close', (e) => closes.push(e)),
          }),
          connectionErrorCausedBy(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/),
        );
        assert.equal(closes.length, 1, 'the client ended');
      },
    );

    test(
      'client – certificate verification is on by default: without ca the test CA is not trusted',
      T,
      async () => {
        await assert.rejects(
          pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, { reconnect: false }),
          connectionErrorCausedBy(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/),
        );
        // Even when other TLS options are given without rejectUnauthorized.
        await assert.rejects(
          pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, {
            tls: { minVersion: 'TLSv1.2' },
            reconnect: false,
          }),
          connectionErrorCausedBy(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/),
        );
      },
    );

    test('client – the server name is checked: a certificate for another host is refused', T, async () => {
      await assert.rejects(
        pool.connect(`mqtts://127.0.0.1:${mosquitto.broker.ports.tls}`, {
          tls: { ca: mosquitto.broker.certs.ca.cert, servername: 'broker.example' },
          reconnect: false,
        }),
        connectionErrorCausedBy(/^ERR_TLS_CERT_ALTNAME_INVALID$/),
      );
    });

    test(
      'client – rejectUnauthorized: false turns verification off when asked in so many words',
      T,
      async () => {
        const c = await pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tls}`, {
          tls: { rejectUnauthorized: false },
          reconnect: false,
        });
        await roundTrip(c, 'tls-unverified');
      },
    );

    test('client – the client-certificate listener accepts a client presenting cert and key', T, async () => {
      const { ca, client: id } = mosquitto.broker.certs;
      const c = await pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tlsClientCert}`, {
        tls: { ca: ca.cert, cert: id.cert, key: id.key },
        reconnect: false,
      });
      await roundTrip(c, 'client-cert');
    });

    test(
      'client – the client-certificate listener refuses a client without a certificate: connect() rejects',
      T,
      async () => {
        // TLS 1.3 is pinned: the refusal then arrives as an alert after the handshake, the harder case for the
        // client (a TLS 1.2 server fails the handshake itself).
        await assert.rejects(
          pool.connect(`mqtts://localhost:${mosquitto.broker.ports.tlsClientCert}`, {
            tls: { ca: mosquitto.broker.certs.ca.cert, minVersion: 'TLSv1.3' },
            reconnect: { minDelay: 20 },
          }),
          connectionErrorCausedBy(/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/),
        );
      },
    );
  });

  describe('username and password', () => {
    const authUrl = () => `mqtt://127.0.0.1:${mosquitto.broker.ports.auth}`;

    /** Lines of the broker log about connections to the auth listener. */
    function authConnections(): number {
      const log = readFileSync(mosquitto.broker.logPath, 'utf8');
      return log
        .split('\n')
        .filter((l) => l.includes('New connection') && l.endsWith(`on port ${mosquitto.broker.ports.auth}.`))
        .length;
    }

    /** Refusals in the broker log so far. */
    function refusals(): number {
      return readFileSync(mosquitto.broker.logPath, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('disconnected, not authorised.')).length;
    }

    function passwd(username: string, password: string): void {
      execFileSync('mosquitto_passwd', ['-b', join(mosquitto.broker.dir, 'passwd'), username, password]);
    }

    for (const version of [4, 5] as const) {
      test(`client – v${version}: alice's username and password are accepted`, T, async () => {
        const { username, password } = mosquitto.broker.users.alice;
        const c = await pool.connect(authUrl(), {
          protocolVersion: version,
          username,
          password,
          reconnect: false,
        });
        await roundTrip(c, `alice-v${version}`);
      });

      test(
        `client – v${version}: a wrong password rejects connect() with ConnackError 0x87 and no reconnect storm`,
        T,
        async () => {
          const before = authConnections();
          let client: MqttClient | undefined;
          let counts: Record<'connectFailure' | 'reconnecting' | 'connect', number> | undefined;
          await assert.rejects(
            pool.connect(authUrl(), {
              protocolVersion: version,
              username: 'alice',
              password: 'not-her-password',
              reconnect: { minDelay: 20, maxDelay: 40 },
              onClient: (c) => {
                client = c;
                counts = countEvents(c, ['connectFailure', 'reconnecting', 'connect']);
              },
            }),
            (e: unknown) => {
              assert.ok(e instanceof ConnackError, `expected a ConnackError, got ${String(e)}`);
              assert.equal(e.reasonCode, NOT_AUTHORIZED);
              assert.equal(e.code, 'MQTT_ERR_CONNACK');
              return true;
            },
          );
          assert.ok(client !== undefined && counts !== undefined);
          assert.ok((await client.closed()) instanceof ConnackError, 'the client ended with the refusal');
          // Ten reconnect delays' worth of time: nothing more may happen.
          await noEvent(client, 'reconnecting', 200);
          assert.deepEqual(counts, { connectFailure: 1, reconnecting: 0, connect: 0 });
          assert.equal(
            authConnections() - before,
            1,
            `exactly one connection attempt:\n${mosquitto.broker.logTail(8)}`,
          );
        },
      );
    }

    test(
      'client – a refusal while reconnecting ends the client instead of retrying (retryOnRefusal defaults to false)',
      T,
      async () => {
        const { username, password } = mosquitto.broker.users.alice;
        const c = await pool.connect(authUrl(), {
          username,
          password,
          reconnect: { minDelay: 20, maxDelay: 40, jitter: 0 },
        });
        const events: string[] = [];
        c.on('connectFailure', (e) =>
          events.push(e instanceof ConnackError ? `refused 0x${e.reasonCode.toString(16)}` : 'failed'),
        );
        c.on('reconnecting', () => events.push('reconnecting'));
        c.on('connect', () => events.push('connect'));
        // The broker comes back with alice's password changed: the password the client sends is now wrong.
        passwd('alice', 'changed');
        try {
          const before = refusals();
          await mosquitto.broker.restart();
          const error = await within(c.closed(), 'the client to end');
          assert.ok(error instanceof ConnackError, `ended with ${String(error)}`);
          assert.equal(error.reasonCode, NOT_AUTHORIZED);
          // Attempts while the broker was down fail and are retried; the refusal is the last event.
          assert.equal(events.at(-1), 'refused 0x87', events.join(', '));
          assert.ok(!events.includes('connect'));
          await noEvent(c, 'reconnecting', 200);
          assert.equal(
            refusals() - before,
            1,
            `exactly one refused attempt:\n${mosquitto.broker.logTail(8)}`,
          );
        } finally {
          passwd('alice', password);
          await mosquitto.broker.restart();
        }
      },
    );

    test('client – credentials in the URL (mqtt://alice:alice-secret@host:port) are used', T, async () => {
      const { username, password } = mosquitto.broker.users.alice;
      const c = await pool.connect(
        `mqtt://${username}:${password}@127.0.0.1:${mosquitto.broker.ports.auth}`,
        {
          reconnect: false,
        },
      );
      assert.equal(c.connectInfo.reasonCode, 0);
      await roundTrip(c, 'url-credentials');
    });

    test('client – an anonymous client is refused by the auth listener with 0x87', T, async () => {
      await assert.rejects(pool.connect(authUrl(), { reconnect: false }), { reasonCode: NOT_AUTHORIZED });
    });
  });
});
