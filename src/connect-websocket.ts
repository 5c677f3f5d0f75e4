// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `connect()` and `createClient()` of the runtime-neutral entry: MQTT over the runtime's own WebSocket (browsers,
 * Deno, Bun, Node 22+). The Node entry replaces them with versions that also speak TCP and TLS.
 *
 * @module
 */
import { MqttClient } from './client/client.js';
import type { ConnectInfo } from './client/events.js';
import type { ClientOptions } from './client/options.js';
import { parseBrokerUrl } from './client/url.js';
import { redactUrl } from './log.js';
import { InvalidArgumentError } from './packet/errors.js';
import { type WebSocketCreator, webSocketTransport } from './transport/websocket.js';

/** Options of the WebSocket `connect()`: the client's options, and how to create the socket. */
export interface WebSocketClientOptions extends ClientOptions {
  /** Creates the socket; default the runtime's global `WebSocket`. */
  createWebSocket?: WebSocketCreator;
  /** Called once the client exists, before it connects (to attach event listeners early). */
  onClient?: (client: MqttClient) => void;
  /** Aborts the connection attempt (not the connection once made). */
  signal?: AbortSignal;
}

/**
 * Creates a client for a `ws://` or `wss://` broker URL without connecting it.
 *
 * @throws {InvalidArgumentError} for another scheme (TCP and TLS need the Node entry) or a malformed URL.
 */
export function createClient(url: string, options: WebSocketClientOptions = {}): MqttClient {
  const a = parseBrokerUrl(url);
  if (a.websocket !== true) {
    throw new InvalidArgumentError(
      `${redactUrl(url)}: this runtime connects over WebSocket only (ws:// or wss://); TCP and TLS need Node`,
    );
  }
  const o: WebSocketClientOptions = { ...options };
  if (a.username !== undefined) o.username ??= a.username;
  if (a.password !== undefined) o.password ??= a.password;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  const target = `${a.secure ? 'wss' : 'ws'}://${host}:${a.port}${a.path ?? '/mqtt'}`;
  const transport = webSocketTransport(
    o.createWebSocket === undefined ? { url: target } : { url: target, create: o.createWebSocket },
  );
  return new MqttClient({ ...o, transport });
}

/**
 * Creates a client for a `ws://` or `wss://` URL and connects it; resolves with the connected client.
 *
 * ```ts
 * const client = await connect('wss://broker.example/mqtt', { username: 'u', password: 'p' });
 * ```
 *
 * @throws {InvalidArgumentError} for a wrong option or URL.
 * @throws {ConnackError} when the broker refuses the connection; {@link TimeoutError} without CONNACK;
 *   {@link ConnectionError} when the WebSocket fails.
 */
export async function connect(
  url: string,
  options: WebSocketClientOptions = {},
): Promise<MqttClient & { connectInfo: ConnectInfo }> {
  const client = createClient(url, options);
  options.onClient?.(client);
  const info = await client.connect(options.signal !== undefined ? { signal: options.signal } : undefined);
  return Object.assign(client, { connectInfo: info });
}
