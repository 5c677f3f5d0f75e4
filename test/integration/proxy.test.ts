// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Connecting through real proxy servers started by the test: Dante (SOCKS4, SOCKS5), MicroSocks (SOCKS5 with a
// user name and password) and tinyproxy (HTTP CONNECT, with and without basic authentication), each for mqtt://,
// mqtts:// and ws:// to a real Mosquitto, with a publish / subscribe round trip and the proxy's log showing the
// relayed connection; typed errors for a wrong proxy password, a proxy that is down and a silent proxy cut off
// after connectTimeout (an in-process server that accepts and never answers); the proxy environment
// variables (ALL_PROXY, NO_PROXY) and the option winning over them; servers and SRV targets through the proxy.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { type NodeClientOptions, ProxyError } from '../../src/node.js';
import { ClientPool, clientId, take, topicPrefix, within } from '../helpers/clients.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { freePorts } from '../helpers/ports.js';
import {
  type ProxyCredentials,
  type ProxyServer,
  startDante,
  startMicrosocks,
  startTinyproxy,
} from '../helpers/proxies.js';

const USER: ProxyCredentials = { username: 'proxy-user', password: 'pr0xy-s3cret' };
const ENV_NAMES = ['ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'MQTT_PROXY', 'mqtt_proxy'];

describe('proxies', () => {
  let broker: Broker;
  let dante: ProxyServer;
  let microsocks: ProxyServer;
  let tinyproxy: ProxyServer;
  let tinyproxyAuth: ProxyServer;
  /** A loopback port nothing listens on. */
  let downPort: number;
  const pool = new ClientPool();
  const prefix = topicPrefix('proxy');
  const savedEnv = new Map(ENV_NAMES.map((n) => [n, process.env[n]]));

  before(async () => {
    [broker, dante, microsocks, tinyproxy, tinyproxyAuth, [downPort = 0]] = await Promise.all([
      startBroker(),
      startDante(),
      startMicrosocks(USER),
      startTinyproxy(),
      startTinyproxy(USER),
      freePorts(1),
    ]);
  });
  afterEach(async () => {
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await pool.cleanup();
  });
  after(async () => {
    await pool.cleanup();
    await Promise.all([broker, dante, microsocks, tinyproxy, tinyproxyAuth].map((s) => s?.stop()));
  });

  const credentials = `${USER.username}:${USER.password}@`;
  const proxies: Array<{ name: string; server: () => ProxyServer; url: () => string }> = [
    { name: 'SOCKS5', server: () => dante, url: () => `socks5://127.0.0.1:${dante.port}` },
    {
      name: 'SOCKS5 with user name and password',
      server: () => microsocks,
      url: () => `socks5://${credentials}127.0.0.1:${microsocks.port}`,
    },
    { name: 'SOCKS4', server: () => dante, url: () => `socks4://127.0.0.1:${dante.port}` },
    { name: 'HTTP CONNECT', server: () => tinyproxy, url: () => `http://127.0.0.1:${tinyproxy.port}` },
    {
      name: 'HTTP CONNECT with basic authentication',
      server: () => tinyproxyAuth,
      url: () => `http://${credentials}127.0.0.1:${tinyproxyAuth.port}`,
    },
  ];
  const brokers: Array<{
    scheme: string;
    port: () => number;
    url: () => string;
    options: () => NodeClientOptions;
  }> = [
    {
      scheme: 'mqtt',
      port: () => broker.ports.tcp,
      url: () => `mqtt://127.0.0.1:${broker.ports.tcp}`,
      options: () => ({}),
    },
    {
      scheme: 'mqtts',
      port: () => broker.ports.tls,
      url: () => `mqtts://127.0.0.1:${broker.ports.tls}`,
      options: () => ({ tls: { ca: broker.certs.ca.cert } }),
    },
    {
      scheme: 'ws',
      port: () => broker.ports.ws,
      url: () => `ws://127.0.0.1:${broker.ports.ws}`,
      options: () => ({}),
    },
  ];

  /** Connects, subscribes and publishes a QoS 1 message to itself; checks it arrives. */
  async function roundTrip(url: string, options: NodeClientOptions, label: string): Promise<void> {
    const client = await pool.connect(url, { reconnect: false, clientId: clientId('px'), ...options });
    const topic = `${prefix}/${clientId('t')}`;
    const sub = await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, `through ${label}`, { qos: 1 });
    const [message] = await take(sub, 1);
    assert.equal(message?.text(), `through ${label}`, `the message went round through ${label}`);
  }

  /** The round trip, and the proxy's log showing one more connection to the broker's port. */
  async function throughProxy(server: ProxyServer, port: number, url: string, options: NodeClientOptions) {
    const before = server.relayed(port);
    await roundTrip(url, options, String(options.proxy ?? 'the environment'));
    await server.waitForRelayed(port, before);
  }

  for (const proxy of proxies) {
    for (const target of brokers) {
      it(`proxy – ${proxy.name}: ${target.scheme}:// publish / subscribe round trip`, async () => {
        await throughProxy(proxy.server(), target.port(), target.url(), {
          ...target.options(),
          proxy: proxy.url(),
        });
      });
    }
  }

  it('proxy – wss:// through HTTP CONNECT with basic authentication, TLS end to end', async () => {
    const url = `wss://127.0.0.1:${broker.ports.wss}`;
    const proxy = `http://${credentials}127.0.0.1:${tinyproxyAuth.port}`;
    const options = { tls: { ca: broker.certs.ca.cert }, proxy };
    await throughProxy(tinyproxyAuth, broker.ports.wss, url, options);
  });

  it('proxy – mqtts://localhost through SOCKS4: SNI and the certificate check are for the broker name', async () => {
    // SOCKS4 carries an IPv4 address, resolved here; TLS still names `localhost`, which the certificate holds.
    const url = `mqtts://localhost:${broker.ports.tls}`;
    const options = { tls: { ca: broker.certs.ca.cert }, proxy: `socks4://127.0.0.1:${dante.port}` };
    await throughProxy(dante, broker.ports.tls, url, options);
  });

  // With an address rather than a name, so as not to depend on how the proxy resolves `localhost` (::1 first?).
  it('proxy – socks5h:// (resolution by the proxy): round trip', async () => {
    await throughProxy(dante, broker.ports.tcp, `mqtt://127.0.0.1:${broker.ports.tcp}`, {
      proxy: `socks5h://127.0.0.1:${dante.port}`,
    });
  });

  async function refusal(url: string, options: NodeClientOptions): Promise<ProxyError> {
    const error = await pool.connect(url, { reconnect: false, ...options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProxyError, `a ProxyError, got ${String(error)}`);
    assert.equal(error.code, 'MQTT_ERR_PROXY', 'the stable code');
    return error;
  }

  it('proxy – a wrong SOCKS5 password: ProxyError naming the proxy, password redacted', async () => {
    const e = await refusal(`mqtt://127.0.0.1:${broker.ports.tcp}`, {
      proxy: `socks5://${USER.username}:wrong-secret@127.0.0.1:${microsocks.port}`,
    });
    const named = `socks5://${USER.username}:***@127.0.0.1:${microsocks.port}`;
    assert.equal(e.proxy, named, 'the proxy, password redacted');
    assert.ok(e.message.includes(named), `the message names the proxy: ${e.message}`);
    assert.ok(!e.message.includes('wrong-secret'), `no password in the message: ${e.message}`);
    assert.ok(e.reason !== undefined && /auth/i.test(e.reason), `the SOCKS reason: ${e.reason}`);
  });

  for (const target of brokers.filter((b) => b.scheme !== 'mqtts')) {
    it(`proxy – a wrong HTTP proxy password over ${target.scheme}://: ProxyError with the HTTP status`, async () => {
      const e = await refusal(target.url(), {
        proxy: `http://${USER.username}:wrong-secret@127.0.0.1:${tinyproxyAuth.port}`,
      });
      // RFC 9110 says 407 Proxy Authentication Required; tinyproxy answers a CONNECT with 401. Either is the proxy's.
      assert.ok(e.status === 407 || e.status === 401, `the HTTP status of the refusal: ${e.status}`);
      assert.ok(e.message.includes(`http://${USER.username}:***@127.0.0.1:${tinyproxyAuth.port}`), e.message);
      assert.ok(!e.message.includes('wrong-secret'), `no password in the message: ${e.message}`);
    });
  }

  for (const scheme of ['socks5', 'http']) {
    it(`proxy – a ${scheme} proxy that is down: ProxyError naming it`, async () => {
      const proxy = `${scheme}://${credentials}127.0.0.1:${downPort}`;
      const e = await refusal(`mqtt://127.0.0.1:${broker.ports.tcp}`, { proxy });
      assert.ok(e.message.includes(`${scheme}://${USER.username}:***@127.0.0.1:${downPort}`), e.message);
      assert.ok(/ECONNREFUSED/.test(e.message), `says why: ${e.message}`);
      assert.ok(!e.message.includes(USER.password), `no password in the message: ${e.message}`);
    });
  }

  it('proxy – ALL_PROXY is honoured', async () => {
    process.env['ALL_PROXY'] = `http://127.0.0.1:${tinyproxy.port}`;
    await throughProxy(tinyproxy, broker.ports.tcp, `mqtt://127.0.0.1:${broker.ports.tcp}`, {});
    process.env['ALL_PROXY'] = `socks5://127.0.0.1:${downPort}`;
    const e = await refusal(`mqtt://127.0.0.1:${broker.ports.tcp}`, {});
    assert.equal(e.proxy, `socks5://127.0.0.1:${downPort}`, 'the proxy from the environment');
  });

  it('proxy – NO_PROXY excludes 127.0.0.1; the option wins over the environment; proxy: false goes direct', async () => {
    const url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
    process.env['ALL_PROXY'] = `socks5://127.0.0.1:${downPort}`;
    process.env['NO_PROXY'] = 'localhost,127.0.0.1';
    await roundTrip(url, {}, 'NO_PROXY');
    delete process.env['NO_PROXY'];
    await roundTrip(url, { proxy: false }, 'proxy: false');
    await throughProxy(dante, broker.ports.tcp, url, { proxy: `socks5://127.0.0.1:${dante.port}` });
  });

  it('proxy – every target of servers and of DNS SRV goes through the proxy', async () => {
    const proxy = `socks5://127.0.0.1:${dante.port}`;
    const before = dante.relayed(downPort);
    await throughProxy(dante, broker.ports.tcp, `mqtt://127.0.0.1:${downPort}`, {
      servers: [`127.0.0.1:${broker.ports.tcp}`],
      proxy,
    });
    assert.ok(
      dante.relayed(downPort) > before,
      'the first server, which is down, was tried through the proxy',
    );
    const resolver = async () => [{ name: '127.0.0.1', port: broker.ports.tcp, priority: 0, weight: 0 }];
    await throughProxy(dante, broker.ports.tcp, 'mqtt+srv://brokers.example', { srv: { resolver }, proxy });
  });

  for (const [scheme, url] of [
    ['socks5', () => `mqtt://127.0.0.1:${broker.ports.tcp}`],
    ['http', () => `ws://127.0.0.1:${broker.ports.ws}`],
  ] as const) {
    it(`proxy – a ${scheme} proxy that never answers: ProxyError after connectTimeout, the socket closed`, async () => {
      const silent = createServer();
      const accepted: Socket[] = [];
      // Reads (and drops) what comes, so that the client's close is seen; answers nothing.
      silent.on('connection', (socket) => accepted.push(socket.resume()));
      silent.listen(0, '127.0.0.1');
      await once(silent, 'listening');
      try {
        const port = (silent.address() as AddressInfo).port;
        const options: NodeClientOptions = {
          proxy: `${scheme}://127.0.0.1:${port}`,
          connectTimeout: 300,
          reconnect: false,
        };
        const error = await pool.connect(url(), options).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(error instanceof ProxyError, `a ProxyError, got ${String(error)}`);
        assert.match(error.message, /did not open a tunnel to 127\.0\.0\.1:\d+ within 300 ms/);
        const [socket] = accepted;
        assert.ok(socket !== undefined, 'the client reached the proxy');
        if (!socket.closed) await within(once(socket, 'close'), 'the client closing its proxy connection');
      } finally {
        for (const socket of accepted) socket.destroy();
        silent.close();
      }
    });
  }
});
