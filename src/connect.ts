// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `connect()` for Node: a client over TCP, TLS or WebSocket from a URL or host/port options, optionally to the
 * brokers that a domain lists in DNS SRV records, optionally through a proxy.
 *
 * @module
 */
import { MqttClient } from './client/client.js';
import type { ConnectInfo } from './client/events.js';
import { type ClientOptions, DEFAULT_MAX_PACKET_SIZE } from './client/options.js';
import { parseBrokerUrl } from './client/url.js';
import { InvalidArgumentError } from './packet/errors.js';
import { failoverTransport, parseServerReference, type Target } from './transport/failover.js';
import { socketTransport, type TlsOptions } from './transport/node-socket.js';
import { type NodeWebSocketOptions, nodeWebSocketTransport } from './transport/node-websocket.js';
import { type ProxyOptions, type ProxyRoute, proxyFor, proxyRoute } from './transport/proxy-route.js';
import type { SrvRecord } from './transport/srv.js';
import { referenced, type SrvPlan, srvTransport } from './transport/srv-transport.js';
import type { TransportFactory } from './transport/transport.js';

/** DNS SRV settings of the Node `connect()` (see {@link NodeClientOptions.srv}). */
export interface SrvConnectOptions {
  /**
   * Resolves one SRV name such as `_mqtt._tcp.example.com` to its records; default `resolveSrv` of
   * `node:dns/promises`. Reject with an error whose `code` is `ENOTFOUND` or `ENODATA` for "no such record".
   */
  resolver?: (name: string) => Promise<SrvRecord[]>;
}

/** Options of the Node `connect()`: the client's options plus where the broker is. */
export interface NodeClientOptions extends ClientOptions, ProxyOptions {
  /** Broker host, when no URL is given (default `localhost`). With `srv`, the domain to look up. */
  host?: string;
  /**
   * Broker port, when no URL is given (default 1883, or 8883 with `tls`). With `srv`, only the port of the
   * fallback to the domain itself when it has no SRV record.
   */
  port?: number;
  /**
   * TLS settings (`ca`, `cert`, `key`, `passphrase`, `servername`, `ALPNProtocols`, `minVersion`,
   * `secureContext` …, as Node's `tls.connect` takes them). Certificate verification stays on unless
   * `rejectUnauthorized: false` is given. Given without a URL, turns TLS on. With `srv`, the server name (SNI) and
   * the name the certificate must match are the SRV target's host name unless `servername` is given.
   */
  tls?: TlsOptions;
  /**
   * Find the brokers through DNS SRV records of the host (implied by `mqtt+srv://` and `mqtts+srv://` URLs):
   * `_mqtt._tcp.{host}`, or `_secure-mqtt._tcp.{host}` with TLS. Every connection attempt (the first and each
   * reconnect) looks the records up again and tries the targets in RFC 2782 order (priority, then weight), moving
   * to the next one when a target refuses, fails the TLS handshake or does not connect within `connectTimeout`.
   * Without any SRV record, the host itself is used on `port` (default 1883 / 8883); a record with target `.`
   * makes the attempt fail with {@link SrvLookupError}, as does a failed lookup.
   */
  srv?: boolean | SrvConnectOptions;
  /**
   * More brokers to fail over to (host names or `host:port`, or `{ host, port }`), all with the scheme and TLS
   * settings of the main one. An attempt tries the main broker, then each of these in order, until one accepts
   * the connection; with `serverOrder: 'round-robin'` each attempt starts one broker further along. Between
   * attempts the reconnect backoff applies.
   */
  servers?: Array<string | { host: string; port?: number }>;
  /** `in-order` (default): every attempt starts with the first broker; `round-robin`: the next one each time. */
  serverOrder?: 'in-order' | 'round-robin';
  /** `ws://` / `wss://` URLs: extra handshake headers, further options of the `ws` package. */
  webSocket?: NodeWebSocketOptions;
  /** Called once the client exists, before it connects (to attach event listeners early). */
  onClient?: (client: MqttClient) => void;
  /** Aborts the connection attempt (not the connection once made): `connect` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Creates a client and connects it; resolves with the connected client.
 *
 * ```ts
 * const client = await connect('mqtts://broker.example', { username: 'u', password: 'p' });
 * const viaSrv = await connect('mqtts+srv://example.com'); // the brokers of _secure-mqtt._tcp.example.com
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong option or URL.
 * @throws {ConnackError} when the broker refuses the connection (with its reason code).
 * @throws {TimeoutError} when no CONNACK comes within `connectTimeout`.
 * @throws {ConnectionError} when the network connection fails (with `srv`: to every target).
 * @throws {SrvLookupError} `MQTT_ERR_SRV_LOOKUP_FAILED` with `srv`, when the lookup failed or the domain says the
 *   service is not available (target `.`).
 * @throws {ProxyError} `MQTT_ERR_PROXY` when the proxy cannot be reached or refuses the connection.
 */
export async function connect(
  url: string | NodeClientOptions,
  options?: NodeClientOptions,
): Promise<MqttClient & { connectInfo: ConnectInfo }> {
  const o: NodeClientOptions = typeof url === 'string' ? { ...options } : { ...url };
  const client = createClient(url, options);
  o.onClient?.(client);
  const info = await client.connect(o.signal !== undefined ? { signal: o.signal } : undefined);
  return Object.assign(client, { connectInfo: info });
}

/**
 * Creates a client without connecting it ("lazy connect"): publish, subscribe and attach listeners at once —
 * everything waits in the session (bounded by `maxQueued`) — then call `client.connect()`.
 *
 * ```ts
 * const client = createClient('mqtt://broker.example', { clean: false, sessionExpiryInterval: 3600 });
 * const sub = client.subscribe('commands/#', { qos: 1 });   // sent after CONNACK
 * void client.publish('status', 'online', { qos: 1, retain: true });
 * await client.connect();
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong option or URL (a proxy URL in the environment included).
 */
export function createClient(url: string | NodeClientOptions, options?: NodeClientOptions): MqttClient {
  const o: NodeClientOptions = typeof url === 'string' ? { ...options } : { ...url };
  let secure = o.tls !== undefined;
  let host = o.host ?? 'localhost';
  let port = o.port;
  let srv = o.srv !== undefined && o.srv !== false;
  let webSocketPath: string | undefined;
  if (typeof url === 'string') {
    const a = parseBrokerUrl(url);
    if (a.secure !== secure && o.tls !== undefined && !a.secure) {
      throw new InvalidArgumentError(`tls options given for a plain ${url.split(':')[0]}:// URL`);
    }
    if (a.srv === true && o.srv === false) {
      throw new InvalidArgumentError(`srv: false given for an ${url.split(':')[0]}:// URL`);
    }
    secure = a.secure;
    host = a.host;
    port = a.port;
    srv ||= a.srv === true;
    webSocketPath = a.path;
    if (a.socketPath !== undefined) {
      if (o.transport !== undefined || srv || o.servers !== undefined || o.tls !== undefined)
        throw new InvalidArgumentError('a unix:// URL excludes the transport, srv, servers and tls options');
      return new MqttClient({ ...o, transport: socketTransport({ path: a.socketPath }) });
    }
    if (a.username !== undefined) o.username ??= a.username;
    if (a.password !== undefined) o.password ??= a.password;
    if (a.clientId !== undefined) o.clientId ??= a.clientId;
  }
  const p = port ?? (secure ? 8883 : 1883);
  if (!Number.isInteger(p) || p < 1 || p > 65_535)
    throw new InvalidArgumentError(`invalid port ${String(port)}`);
  const tls = secure ? { tls: o.tls ?? {} } : {};
  let transport = o.transport;
  if (transport !== undefined && o.proxy !== undefined && o.proxy !== false)
    throw new InvalidArgumentError('the proxy and transport options exclude each other');
  const scheme = webSocketPath === undefined ? (secure ? 'mqtts' : 'mqtt') : secure ? 'wss' : 'ws';
  // A custom transport dials on its own: the environment's proxy is not for it.
  const route = transport === undefined ? proxyRoute(o.proxy, scheme) : undefined;
  // The client checks connectTimeout itself; an invalid one never reaches a dial.
  const connectTimeout = o.connectTimeout ?? 30_000;
  if (webSocketPath !== undefined) {
    if (transport !== undefined || srv || o.servers !== undefined)
      throw new InvalidArgumentError('a ws:// or wss:// URL excludes the transport, srv and servers options');
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const target = `${secure ? 'wss' : 'ws'}://${hostPart}:${p}${webSocketPath}`;
    const ws: Parameters<typeof nodeWebSocketTransport>[1] = {
      maxPayload: (o.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE) + 1024,
      ...(secure && { tls: o.tls ?? {} }),
      ...(o.webSocket?.headers !== undefined && { headers: o.webSocket.headers }),
      ...(o.webSocket?.ws !== undefined && { ws: o.webSocket.ws }),
      ...proxyFor(route, { host, port: p }, connectTimeout),
    };
    transport = nodeWebSocketTransport(target, ws);
  }
  if (srv) {
    if (transport !== undefined)
      throw new InvalidArgumentError('the srv and transport options exclude each other');
    if (o.servers !== undefined)
      throw new InvalidArgumentError('the srv and servers options exclude each other');
    const proxy = route === undefined ? {} : { proxy: route };
    transport = srvTransport({
      domain: host,
      fallbackPort: p,
      secure,
      ...srvSettings(o),
      dial: tls,
      ...proxy,
    });
  } else if (o.servers !== undefined || o.followServerReference === true) {
    if (transport !== undefined)
      throw new InvalidArgumentError(
        'the servers / followServerReference and transport options exclude each other',
      );
    transport = serversTransport([{ host, port: p }, ...serverList(o.servers ?? [], p)], o, tls, route);
  }
  transport ??= socketTransport({
    host,
    port: p,
    ...tls,
    ...proxyFor(route, { host, port: p }, connectTimeout),
  });
  return new MqttClient({ ...o, transport });
}

/** The `servers` option, checked. */
function serverList(servers: NonNullable<NodeClientOptions['servers']>, defaultPort: number): Target[] {
  if (!Array.isArray(servers)) throw new InvalidArgumentError('servers must be an array');
  return servers.map((s) => {
    if (typeof s === 'string') {
      const [target] = parseServerReference(s, defaultPort);
      if (target === undefined) throw new InvalidArgumentError(`servers: not a host or host:port: ${s}`);
      return target;
    }
    if (typeof s !== 'object' || s === null || typeof s.host !== 'string' || s.host === '')
      throw new InvalidArgumentError('servers: each entry needs a host');
    const port = s.port ?? defaultPort;
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new InvalidArgumentError(`servers: invalid port ${String(s.port)}`);
    return { host: s.host, port };
  });
}

/** A failover transport over a fixed list of brokers (and a Server Reference to follow, first). */
function serversTransport(
  list: Target[],
  o: NodeClientOptions,
  tls: { tls?: TlsOptions },
  route: ProxyRoute | undefined,
): TransportFactory {
  const order = o.serverOrder ?? 'in-order';
  if (order !== 'in-order' && order !== 'round-robin')
    throw new InvalidArgumentError(`serverOrder must be 'in-order' or 'round-robin', got ${String(order)}`);
  let next = 0;
  return failoverTransport({
    label: list.length === 1 ? `${list[0]?.host}:${list[0]?.port}` : 'the servers',
    dialTimeout: o.connectTimeout ?? 30_000,
    targets: (_signal, hint) => {
      const start = order === 'round-robin' ? next++ % list.length : 0;
      const rotated = [...list.slice(start), ...list.slice(0, start)];
      return [...referenced(hint, list[0]?.port ?? 1883), ...rotated];
    },
    // Each host is checked in TLS under its own name (SNI too), unless `tls.servername` says otherwise.
    dial: (target, handlers) =>
      socketTransport({ ...target, ...tls, ...proxyFor(route, target, o.connectTimeout ?? 30_000) })(
        handlers,
      ),
  });
}

/** The resolver and the per-target dial timeout, checked. */
function srvSettings(o: NodeClientOptions): Pick<SrvPlan, 'resolver' | 'dialTimeout'> {
  const s = o.srv;
  if (s !== undefined && typeof s !== 'boolean' && (typeof s !== 'object' || s === null))
    throw new InvalidArgumentError('srv must be a boolean or an object');
  const resolver = typeof s === 'object' ? s.resolver : undefined;
  if (resolver !== undefined && typeof resolver !== 'function')
    throw new InvalidArgumentError('srv.resolver must be a function');
  // The client checks connectTimeout itself; an invalid one never reaches a dial.
  const dialTimeout = o.connectTimeout ?? 30_000;
  return resolver === undefined ? { dialTimeout } : { resolver, dialTimeout };
}
