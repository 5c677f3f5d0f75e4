// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `connect()` for Node: a client over TCP or TLS from a URL or host/port options.
 *
 * @module
 */
import { MqttClient } from './client/client.js';
import type { ConnectInfo } from './client/events.js';
import type { ClientOptions } from './client/options.js';
import { parseBrokerUrl } from './client/url.js';
import { InvalidArgumentError } from './packet/errors.js';
import { socketTransport, type TlsOptions } from './transport/node-socket.js';

/** Options of the Node `connect()`: the client's options plus where the broker is. */
export interface NodeClientOptions extends ClientOptions {
  /** Broker host, when no URL is given (default `localhost`). */
  host?: string;
  /** Broker port, when no URL is given (default 1883, or 8883 with `tls`). */
  port?: number;
  /**
   * TLS settings (`ca`, `cert`, `key`, `passphrase`, `servername`, `ALPNProtocols`, `minVersion`,
   * `secureContext` …, as Node's `tls.connect` takes them). Certificate verification stays on unless
   * `rejectUnauthorized: false` is given. Given without a URL, turns TLS on.
   */
  tls?: TlsOptions;
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
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong option or URL.
 * @throws {ConnackError} when the broker refuses the connection (with its reason code).
 * @throws {TimeoutError} when no CONNACK comes within `connectTimeout`.
 * @throws {ConnectionError} when the network connection fails.
 */
export async function connect(
  url: string | NodeClientOptions,
  options?: NodeClientOptions,
): Promise<MqttClient & { connectInfo: ConnectInfo }> {
  const o: NodeClientOptions = typeof url === 'string' ? { ...options } : { ...url };
  let secure = o.tls !== undefined;
  let host = o.host ?? 'localhost';
  let port = o.port;
  if (typeof url === 'string') {
    const a = parseBrokerUrl(url);
    if (a.secure !== secure && o.tls !== undefined && !a.secure) {
      throw new InvalidArgumentError(`tls options given for a plain ${url.split(':')[0]}:// URL`);
    }
    secure = a.secure;
    host = a.host;
    port = a.port;
    if (a.username !== undefined) o.username ??= a.username;
    if (a.password !== undefined) o.password ??= a.password;
  }
  const p = port ?? (secure ? 8883 : 1883);
  if (!Number.isInteger(p) || p < 1 || p > 65_535)
    throw new InvalidArgumentError(`invalid port ${String(port)}`);
  const socket = secure ? { host, port: p, tls: o.tls ?? {} } : { host, port: p };
  const client = new MqttClient({ ...o, transport: o.transport ?? socketTransport(socket) });
  o.onClient?.(client);
  const info = await client.connect(o.signal !== undefined ? { signal: o.signal } : undefined);
  return Object.assign(client, { connectInfo: info });
}
