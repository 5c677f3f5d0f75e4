// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Proves the integration harness: the broker it starts speaks MQTT 3.1, 3.1.1 and 5.0 on every listener, TLS and
// authentication behave as configured, and restart/stop do what they promise. Talks to the broker with the codec
// over raw sockets, so that these facts hold independently of the client library.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import type {
  ConnackPacket,
  ConnectPacket,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubscribePacket,
} from '../../src/packet/index.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { canConnect } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';

const VERSIONS = [
  [3, 'MQTT 3.1'],
  [4, 'MQTT 3.1.1'],
  [5, 'MQTT 5.0'],
] as const;
const T = { timeout: 5_000 };
const text = new TextEncoder();
const NOT_AUTHORIZED = 0x87;
let ids = 0;

interface Session {
  client: RawClient;
  connack: ConnackPacket;
}

interface Dial {
  port: number;
  version: ProtocolVersion;
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
}

/** Opens a connection, sends CONNECT and waits for the CONNACK, whatever its reason code. */
async function dial(options: Dial): Promise<Session> {
  const { port, version, tls, username, password } = options;
  const client = await RawClient.connect({ port, protocolVersion: version, ...(tls ? { tls } : {}) });
  // MQTT 3.1 allows client identifiers of at most 23 characters.
  const connect: ConnectPacket = {
    type: 'connect',
    protocolVersion: version,
    clientId: `h${version}-${++ids}`,
    clean: true,
    keepAlive: 30,
  };
  if (username !== undefined) connect.username = username;
  if (password !== undefined) connect.password = text.encode(password);
  client.send(connect);
  return { client, connack: await client.next('connack') };
}

function publish(topic: string, payload: string, qos: QoS, packetId?: number): PublishPacket {
  const packet: PublishPacket = {
    type: 'publish',
    topic,
    payload: text.encode(payload),
    qos,
    retain: false,
    dup: false,
  };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

function subscribe(packetId: number, topicFilter: string, qos: QoS): SubscribePacket {
  const options = { noLocal: false, retainAsPublished: false, retainHandling: 0 } as const;
  return { type: 'subscribe', packetId, subscriptions: [{ topicFilter, qos, ...options }] };
}

/** Fails unless the broker closes the connection within `ms`, and checks nothing (no DISCONNECT) came first. */
async function closedByBroker(client: RawClient, ms = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`broker kept the connection open for ${ms} ms`)), ms);
  });
  await Promise.race([client.closed, timeout]).finally(() => clearTimeout(timer));
  await assert.rejects(client.next(), /closed/, 'no packet arrived before the close');
}

describe('harness', () => {
  let broker: Broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.stop();
  });

  for (const [version, name] of VERSIONS) {
    test(`harness – ${name}: CONNECT is accepted on the TCP listener`, T, async () => {
      const { client, connack } = await dial({ port: broker.ports.tcp, version });
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.sessionPresent, false);
      await client.close();
    });

    test(`harness – ${name}: QoS 0, 1 and 2 to itself with the full acknowledgement flows`, T, async () => {
      const { client } = await dial({ port: broker.ports.tcp, version });
      const topic = `harness/v${version}/self`;
      client.send(subscribe(1, topic, 2));
      assert.deepEqual((await client.next('suback')).reasonCodes, [2]);

      client.send(publish(topic, 'qos0', 0));
      const m0 = await client.next('publish');
      assert.deepEqual([m0.topic, m0.qos, new TextDecoder().decode(m0.payload)], [topic, 0, 'qos0']);

      client.send(publish(topic, 'qos1', 1, 10));
      assert.deepEqual(await client.next('puback'), { type: 'puback', packetId: 10, reasonCode: 0 });
      const m1 = await client.next('publish');
      assert.deepEqual([m1.qos, new TextDecoder().decode(m1.payload)], [1, 'qos1']);
      client.send({ type: 'puback', packetId: m1.packetId ?? 0, reasonCode: 0 });

      client.send(publish(topic, 'qos2', 2, 20));
      assert.equal((await client.next('pubrec')).packetId, 20);
      client.send({ type: 'pubrel', packetId: 20, reasonCode: 0 });
      assert.equal((await client.next('pubcomp')).packetId, 20);
      const m2 = await client.next('publish');
      assert.deepEqual([m2.qos, new TextDecoder().decode(m2.payload)], [2, 'qos2']);
      const incoming = m2.packetId ?? 0;
      client.send({ type: 'pubrec', packetId: incoming, reasonCode: 0 });
      assert.equal((await client.next('pubrel')).packetId, incoming);
      client.send({ type: 'pubcomp', packetId: incoming, reasonCode: 0 });

      // A ping answered after our last ack shows the broker accepted every ack without closing the connection.
      client.send({ type: 'pingreq' });
      await client.next('pingresp');
      await client.close();
    });
  }

  describe('TLS', () => {
    test('harness – TLS: connects when trusting the test CA', T, async () => {
      const tls = { ca: broker.certs.ca.cert, servername: 'localhost' };
      const { client, connack } = await dial({ port: broker.ports.tls, version: 4, tls });
      assert.equal(connack.reasonCode, 0);
      await client.close();
    });

    test('harness – TLS: certificate verification fails when trusting an unrelated CA', T, async () => {
      const tls = { ca: broker.certs.otherCa.cert, servername: 'localhost' };
      // OpenSSL completes the server's chain from its cafile, so the client sees our (untrusted) CA in the chain;
      // a broker sending the leaf alone would fail with UNABLE_TO_VERIFY_LEAF_SIGNATURE instead.
      await assert.rejects(RawClient.connect({ port: broker.ports.tls, tls }), (e: NodeJS.ErrnoException) => {
        assert.match(e.code ?? '', /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
        return true;
      });
    });

    test('harness – TLS: the client-certificate listener accepts a client with cert and key', T, async () => {
      const { ca, client: id } = broker.certs;
      const tls = { ca: ca.cert, servername: 'localhost', cert: id.cert, key: id.key };
      const { client, connack } = await dial({ port: broker.ports.tlsClientCert, version: 5, tls });
      assert.equal(connack.reasonCode, 0);
      await client.close();
    });

    test(
      'harness – TLS: the client-certificate listener rejects a client without a certificate',
      T,
      async () => {
        // In TLS 1.3 (pinned, so that the outcome does not depend on negotiation) the client finishes its
        // handshake before the server has checked the client's certificate, so the refusal arrives as an alert on
        // the first read: the CONNACK never comes.
        const tls = { ca: broker.certs.ca.cert, servername: 'localhost', minVersion: 'TLSv1.3' } as const;
        const client = await RawClient.connect({ port: broker.ports.tlsClientCert, tls, protocolVersion: 5 });
        client.send({ type: 'connect', protocolVersion: 5, clientId: 'no-cert', clean: true, keepAlive: 30 });
        await assert.rejects(client.next('connack'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
      },
    );
  });

  describe('auth listener', () => {
    const auth = (version: ProtocolVersion, username?: string, password?: string) =>
      dial({
        port: broker.ports.auth,
        version,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
      });

    for (const version of [4, 5] as const) {
      test(`harness – auth: alice's password is accepted (v${version})`, T, async () => {
        const { client, connack } = await auth(version, 'alice', broker.users.alice.password);
        assert.equal(connack.reasonCode, 0);
        await client.close();
      });

      // Mosquitto 2.0.11 answers a wrong password with "not authorised" (v5 0x87, v3 return code 5, which the
      // codec maps to 0x87), not "bad user name or password" (0x86 / 4), then closes the connection.
      test(`harness – auth: a wrong password is refused as not authorised (v${version})`, T, async () => {
        const { client, connack } = await auth(version, 'alice', 'wrong');
        assert.equal(connack.reasonCode, NOT_AUTHORIZED);
        await closedByBroker(client);
      });

      test(`harness – auth: an anonymous client is refused (v${version})`, T, async () => {
        const { client, connack } = await auth(version);
        assert.equal(connack.reasonCode, NOT_AUTHORIZED);
        await closedByBroker(client);
      });

      // Mosquitto 2.0.11 acknowledges a PUBLISH the ACL denies (v5: reason 0x87; v3: a plain ack), drops it, and
      // then closes the connection without a DISCONNECT, at every QoS.
      for (const qos of [0, 1, 2] as const) {
        const acked = qos === 0 ? '' : 'acknowledged, ';
        test(
          `harness – auth: bob's QoS ${qos} publish to private/x is ${acked}dropped, and he is cut off (v${version})`,
          T,
          async () => {
            const { client: alice } = await auth(version, 'alice', broker.users.alice.password);
            alice.send(subscribe(1, 'private/#', 1));
            await alice.next('suback');
            const { client: bob } = await auth(version, 'bob', broker.users.bob.password);
            bob.send(publish('private/x', 'denied', qos, qos === 0 ? undefined : 7));
            const ack = { packetId: 7, reasonCode: version === 5 ? NOT_AUTHORIZED : 0 };
            if (qos === 1) assert.deepEqual(await bob.next('puback'), { type: 'puback', ...ack });
            if (qos === 2) assert.deepEqual(await bob.next('pubrec'), { type: 'pubrec', ...ack });
            await closedByBroker(bob);
            // Mosquitto handles packets one at a time, so alice's publication, sent after bob was cut off, is routed
            // after his: her receiving it first shows his never went out.
            alice.send(publish('private/marker', 'marker', 1, 2));
            await alice.next('puback');
            assert.equal((await alice.next('publish')).topic, 'private/marker');
            await alice.close();
          },
        );
      }

      // The acl_file plugin of 2.0.11 does not check subscriptions: the SUBACK grants the QoS and the read rule is
      // applied per message instead.
      test(
        `harness – auth: bob's subscription to private/# is granted, but private messages never reach him (v${version})`,
        T,
        async () => {
          const { client: bob } = await auth(version, 'bob', broker.users.bob.password);
          bob.send(subscribe(1, 'private/#', 1));
          assert.deepEqual((await bob.next('suback')).reasonCodes, [1]);
          bob.send(subscribe(2, 'public/#', 1));
          assert.deepEqual((await bob.next('suback')).reasonCodes, [1]);

          const { client: alice } = await auth(version, 'alice', broker.users.alice.password);
          alice.send(publish('private/secret', 'secret', 1, 1));
          await alice.next('puback');
          alice.send(publish('public/news', 'news', 1, 2));
          await alice.next('puback');
          // The broker keeps one publisher's messages in order, so receiving the second first means the first
          // was withheld.
          const first = await bob.next('publish');
          assert.equal(first.topic, 'public/news');
          bob.send({ type: 'puback', packetId: first.packetId ?? 0, reasonCode: 0 });
          bob.send({ type: 'pingreq' });
          await bob.next('pingresp');
          await assert.rejects(bob.next('publish', 0), /no publish/);
          await Promise.all([alice.close(), bob.close()]);
        },
      );
    }
  });

  test('harness – WebSocket: the listener upgrades an HTTP request for the mqtt subprotocol', T, async () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const socket = connect(broker.ports.ws, '127.0.0.1');
    socket.write(
      [
        'GET /mqtt HTTP/1.1',
        `Host: 127.0.0.1:${broker.ports.ws}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: mqtt',
        '',
        '',
      ].join('\r\n'),
    );
    let head = '';
    for await (const chunk of socket) {
      head += String(chunk);
      if (head.includes('\r\n\r\n')) break;
    }
    socket.destroy();
    const [status, ...lines] = head.split('\r\n');
    assert.match(status ?? '', /^HTTP\/1\.1 101 /);
    const headers = new Map(
      lines.map((l) => [l.split(':')[0]?.toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    assert.equal(headers.get('sec-websocket-protocol'), 'mqtt');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    assert.equal(headers.get('sec-websocket-accept'), accept);
  });

  describe('lifecycle', () => {
    test('harness – restart() keeps the ports and the broker accepts connections again', T, async () => {
      const ports = { ...broker.ports };
      const pid = broker.pid;
      const { client: old } = await dial({ port: broker.ports.tcp, version: 4 });
      await broker.restart();
      await old.closed; // the old process took its connections with it
      assert.deepEqual(broker.ports, ports);
      assert.notEqual(broker.pid, pid);
      for (const version of [4, 5] as const) {
        const { client, connack } = await dial({ port: broker.ports.tcp, version });
        assert.equal(connack.reasonCode, 0);
        await client.close();
      }
    });

    test('harness – stop() leaves no process and no listener, and may be called again', T, async () => {
      const pid = broker.pid;
      assert.ok(pid !== undefined);
      await broker.stop();
      assert.equal(broker.pid, undefined);
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
      assert.equal(await canConnect(broker.ports.tcp), false);
      await broker.stop();
    });
  });
});
