// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * From the command line to the options of the library's `connect()`: broker address, TLS (reading the
 * certificate files), credentials, session, will and MQTT 5 properties.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  connect,
  type MqttClient,
  type NodeClientOptions,
  socketTransport,
  type TlsOptions,
  type WillOptions,
} from '../node.js';
import type { CliOptions } from './cli-options.js';
import { FatalError } from './errors.js';

/** What `connect()` needs, and where it goes (for debug lines). */
export interface ConnectPlan {
  /**
   * The broker URL for `connect(url, options)` when the connection is over WebSocket or found through DNS SRV
   * (the URL's scheme says so); undefined for plain MQTT and MQTT over TLS, where `options` name the broker.
   */
  url: string | undefined;
  options: NodeClientOptions;
  /** The URL, or `host:port` or the socket path. */
  where: string;
  /** Whether TLS is used. */
  secure: boolean;
}

/** Whether any flag asks for TLS. */
export function wantsTls(o: CliOptions): boolean {
  const t = o.tls;
  return (
    o.secureUrl ||
    t.cafile !== undefined ||
    t.capath !== undefined ||
    t.cert !== undefined ||
    t.useOsCerts ||
    t.psk !== undefined
  );
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FatalError(`Error: Unable to load ${what} "${path}": ${(e as Error).message}`);
  }
}

function caDirectory(path: string): string[] {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (e) {
    throw new FatalError(
      `Error: Unable to load CA certificates, check capath "${path}": ${(e as Error).message}`,
    );
  }
  return names
    .filter((n) => n.endsWith('.crt') || n.endsWith('.pem'))
    .sort()
    .map((n) => readFile(join(path, n), 'CA certificate'));
}

/**
 * Node TLS options from the TLS flags. Verification of the server certificate stays on unless `--insecure` is
 * given.
 *
 * @throws {FatalError} when a certificate or key file cannot be read.
 */
export function tlsOptions(o: CliOptions, _host: string | undefined): TlsOptions {
  const t = o.tls;
  const tls: TlsOptions = {};
  const ca: string[] = [];
  if (t.cafile !== undefined) ca.push(readFile(t.cafile, 'CA certificates, check cafile'));
  if (t.capath !== undefined) ca.push(...caDirectory(t.capath));
  // Node trusts its built-in roots when no `ca` is given; with a CA file, they are added only when asked for.
  if (ca.length > 0) tls.ca = t.useOsCerts ? [...rootCertificates, ...ca] : ca;
  if (t.cert !== undefined) tls.cert = readFile(t.cert, 'client certificate, check certfile');
  if (t.key !== undefined) tls.key = readFile(t.key, 'client key, check keyfile');
  if (t.insecure) tls.rejectUnauthorized = false;
  if (t.ciphers !== undefined) tls.ciphers = t.ciphers;
  if (t.alpn !== undefined) tls.ALPNProtocols = [t.alpn];
  if (t.version !== undefined) {
    tls.minVersion = t.version;
    tls.maxVersion = t.version;
  }
  if (t.psk !== undefined && t.pskIdentity !== undefined) {
    const psk = Buffer.from(t.psk, 'hex');
    const identity = t.pskIdentity;
    tls.pskCallback = () => ({ psk, identity });
    // Node offers TLS-PSK with TLS 1.2 cipher suites only, and none of them by default.
    tls.ciphers ??= 'PSK';
    tls.maxVersion ??= 'TLSv1.2';
    tls.checkServerIdentity = () => undefined;
  }
  return tls;
}

function willOptions(o: CliOptions): WillOptions | undefined {
  const w = o.will;
  if (w.topic === undefined) return undefined;
  const will: WillOptions = { topic: w.topic, payload: w.payload ?? '', qos: w.qos, retain: w.retain };
  if (Object.keys(o.properties.will).length > 0) will.properties = o.properties.will;
  return will;
}

/**
 * The options of `connect()` for the command line `o`. `reconnect` turns automatic reconnection on (sub, and
 * pub -l); the first connection attempt is never retried either way.
 *
 * @throws {FatalError} when a certificate or key file cannot be read.
 */
export function connectPlan(o: CliOptions, reconnect: boolean): ConnectPlan {
  const secure = wantsTls(o);
  const tls = secure ? tlsOptions(o, o.unixPath === undefined ? o.host : undefined) : undefined;
  const options: NodeClientOptions = {
    protocolVersion: o.protocolVersion,
    keepAlive: o.keepAlive,
    clean: o.cleanSession,
    // As mosquitto_sub: identifiers only when asked for with -D subscribe subscription-identifier.
    subscriptionIdentifiers: false,
  };
  if (!reconnect) options.reconnect = false;
  if (o.clientId !== undefined) options.clientId = o.clientId;
  else if (o.idPrefix !== undefined) options.clientId = `${o.idPrefix}${process.pid}`;
  if (o.username !== undefined) options.username = o.username;
  if (o.password !== undefined) options.password = o.password;
  if (o.sessionExpiry !== undefined) options.sessionExpiryInterval = o.sessionExpiry;
  if (o.maxInflight !== undefined) options.maxInflight = o.maxInflight;
  const connectProperties = { ...o.properties.connect };
  if (connectProperties.maximumPacketSize !== undefined) {
    options.maxPacketSize = connectProperties.maximumPacketSize;
  }
  if (Object.keys(connectProperties).length > 0) options.properties = connectProperties;
  const will = willOptions(o);
  if (will !== undefined) options.will = will;
  const host = o.host ?? 'localhost';
  const port = o.port ?? (secure ? 8883 : 1883);
  // parseArgs has refused --unix and -A with a proxy, SRV or WebSocket: those need the library's own sockets.
  if (o.unixPath !== undefined || o.bindAddress !== undefined) {
    const endpoint =
      o.unixPath !== undefined
        ? { path: o.unixPath }
        : { host, port, ...(o.bindAddress !== undefined ? { localAddress: o.bindAddress } : {}) };
    options.transport = socketTransport(tls !== undefined ? { ...endpoint, tls } : endpoint);
    return { url: undefined, options, where: o.unixPath ?? `${host}:${port}`, secure };
  }
  if (tls !== undefined) options.tls = tls;
  if (o.proxy !== undefined) options.proxy = o.proxy;
  if (o.webSocketUrl || o.srv || o.srvUrl) {
    // WebSocket and SRV are the scheme's to say: the library connects as it does for that URL.
    const url = brokerUrl(o, secure);
    return { url, options, where: url, secure };
  }
  // Plain MQTT and MQTT over TLS: the host as given, not through a URL (which would refuse an IPv6 zone, say).
  options.host = host;
  options.port = port;
  return { url: undefined, options, where: `${host}:${port}`, secure };
}

/**
 * The URL of the broker that -h, -p, -L and -S name, for the library to parse: TLS flags make the scheme secure
 * (as mosquitto turns TLS on for `--cafile`); -S makes it an SRV one. Without -p, the scheme's default port.
 */
function brokerUrl(o: CliOptions, secure: boolean): string {
  const scheme = `${o.webSocketUrl ? 'ws' : 'mqtt'}${secure ? 's' : ''}${o.srv || o.srvUrl ? '+srv' : ''}`;
  const host = o.host ?? 'localhost';
  // An IPv6 address goes in brackets, as parseBrokerUrl took it out of them.
  const authority = host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${authority}${o.port !== undefined ? `:${o.port}` : ''}`;
}

/** Connects as `plan` says; `onClient` sees the client before it connects (to attach listeners). */
export function connectWith(plan: ConnectPlan, onClient: (client: MqttClient) => void): Promise<MqttClient> {
  const options = { ...plan.options, onClient };
  return plan.url === undefined ? connect(options) : connect(plan.url, options);
}
