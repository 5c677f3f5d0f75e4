// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Connections through a proxy (Node only): SOCKS4, SOCKS4a, SOCKS5 (optionally with a user name and password,
 * names resolved here or by the proxy) with the `socks` package, and HTTP CONNECT (optionally with basic
 * authentication) on `node:http`. The result is a raw TCP socket to the broker, over which TLS, MQTT or a WebSocket
 * run as they would over a direct connection. Which proxy a connection takes is decided in proxy-route.ts.
 *
 * @module
 */
import { lookup } from 'node:dns/promises';
import { request } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { ConnectionError } from '../errors.js';
import { redactUrl } from '../log.js';
import { InvalidArgumentError, MqttError } from '../packet/errors.js';

/**
 * The kinds of proxy: `socks4` and `socks5` resolve the broker's name here and hand the proxy an address,
 * `socks4a` and `socks5h` hand it the name; `http` is HTTP CONNECT (the proxy resolves the name).
 */
export type ProxyProtocol = 'socks4' | 'socks4a' | 'socks5' | 'socks5h' | 'http';

/** A proxy, parsed from its URL by {@link parseProxyUrl}. */
export interface ProxyEndpoint {
  readonly protocol: ProxyProtocol;
  /** Host name or address (an IPv6 address without brackets). */
  readonly host: string;
  readonly port: number;
  /** SOCKS5 / HTTP user name; for SOCKS4, the user id. */
  readonly username?: string;
  readonly password?: string;
  /** The URL as given, with its password redacted: how errors and logs name the proxy. */
  readonly url: string;
}

/** Where to go through the proxy. */
export interface ProxyTarget {
  host: string;
  port: number;
}

/** Stable code of {@link ProxyError}. */
export const PROXY_ERROR = 'MQTT_ERR_PROXY';

/**
 * The proxy could not be reached, refused the connection (wrong credentials, a destination it does not allow, a
 * broker it cannot reach), or broke the handshake. The message names the proxy, password redacted.
 */
export class ProxyError extends MqttError {
  /** The proxy's URL, password redacted. */
  readonly proxy: string;
  /** The HTTP status of a refused CONNECT (407 for wrong or missing credentials). */
  readonly status: number | undefined;
  /** Why the proxy refused: the SOCKS reply (`ConnectionRefused`, `Authentication failed` …) or HTTP status text. */
  readonly reason: string | undefined;

  constructor(
    message: string,
    details: { proxy: string; status?: number; reason?: string },
    options?: { cause?: unknown },
  ) {
    super(PROXY_ERROR, message, options);
    this.proxy = details.proxy;
    this.status = details.status;
    this.reason = details.reason;
  }
}

const PROTOCOLS: readonly string[] = ['socks4', 'socks4a', 'socks5', 'socks5h', 'http'];

/**
 * Parses a proxy URL: `socks5://user:pass@host:1080`, `socks5h://…`, `socks4://…`, `socks4a://…` (default port
 * 1080), `http://user:pass@host:3128` (default port 80). Percent-encoded user names and passwords are decoded. A
 * value without a scheme (`host:3128`, as environment variables often hold) is taken as `http://`.
 *
 * @param source what the value came from, for the error message (an environment variable's name).
 * @throws {InvalidArgumentError} for anything else (an `https://` proxy included).
 */
export function parseProxyUrl(value: string, source = 'proxy'): ProxyEndpoint {
  const text = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new InvalidArgumentError(`${source}: not a valid proxy URL: ${redactUrl(value)}`, { cause: e });
  }
  const protocol = url.protocol.slice(0, -1).toLowerCase();
  if (!PROTOCOLS.includes(protocol))
    throw new InvalidArgumentError(
      `${source}: unsupported proxy scheme ${protocol}:// (socks5, socks5h, socks4, socks4a or http)`,
    );
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '')
    throw new InvalidArgumentError(`${source}: the proxy URL has no host: ${redactUrl(value)}`);
  const port = url.port === '' ? (protocol === 'http' ? 80 : 1080) : Number(url.port);
  const credentials = {
    ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
    ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
  };
  return { protocol: protocol as ProxyProtocol, host, port, ...credentials, url: redactUrl(value) };
}

/**
 * Opens a TCP connection to `target` through `proxy` (a URL or a parsed endpoint) and resolves with the socket,
 * connected and past the proxy's handshake: from there on it carries the broker's bytes. `signal` aborts it (the
 * promise then rejects with the signal's reason); `timeoutMs` bounds it (reaching the proxy and its handshake;
 * SOCKS handshakes are also bounded at 30 s by the `socks` package).
 *
 * @throws {ProxyError} `MQTT_ERR_PROXY` when the proxy cannot be reached, refuses, breaks the handshake, or does
 *   not open the tunnel within `timeoutMs`.
 * @throws {ConnectionError} when the broker's name cannot be resolved (`socks4`, `socks5`).
 * @throws {InvalidArgumentError} for an invalid proxy URL.
 */
export async function openProxiedSocket(
  target: ProxyTarget,
  proxy: string | ProxyEndpoint,
  signal?: AbortSignal,
  timeoutMs?: number,
): Promise<Socket> {
  const p = typeof proxy === 'string' ? parseProxyUrl(proxy) : proxy;
  signal?.throwIfAborted();
  const where = `${target.host}:${target.port}`;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const message = `the proxy ${p.url} did not open a tunnel to ${where} within ${timeoutMs} ms`;
          stop.abort(new ProxyError(message, { proxy: p.url }));
        }, timeoutMs);
  timer?.unref();
  try {
    return await tunnel(target, p, where, stop.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function tunnel(
  target: ProxyTarget,
  p: ProxyEndpoint,
  where: string,
  signal: AbortSignal,
): Promise<Socket> {
  // Loaded on first use: a client that never meets a SOCKS proxy never loads the package.
  const socks = p.protocol === 'http' ? undefined : (await import('socks')).SocksClient;
  const destination = await abortable(destinationFor(target, p.protocol), signal);
  const socket = netConnect({ host: p.host, port: p.port });
  socket.setNoDelay(true);
  const onAbort = (): void => {
    socket.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await reached(socket, p);
    if (socks === undefined) await httpConnect(socket, destination, p, where);
    else await socksConnect(socks, socket, destination, p, where);
    return socket;
  } catch (e) {
    socket.destroy();
    throw signal.aborted ? signal.reason : e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** `promise`, or the signal's reason as soon as it aborts (a name lookup cannot be cancelled, only left). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

// socks4 and socks5 (unlike socks4a and socks5h) leave name resolution to the client; SOCKS4 carries IPv4 only.
async function destinationFor(target: ProxyTarget, protocol: ProxyProtocol): Promise<ProxyTarget> {
  if ((protocol !== 'socks4' && protocol !== 'socks5') || isIP(target.host) !== 0) return target;
  try {
    const { address } = await lookup(target.host, protocol === 'socks4' ? { family: 4 } : {});
    return { host: address, port: target.port };
  } catch (e) {
    throw new ConnectionError(
      `cannot resolve ${target.host} for the ${protocol} proxy: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** Resolves once `socket` is connected to the proxy. */
function reached(socket: Socket, p: ProxyEndpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.off('connect', onConnect);
      reject(new ProxyError(`cannot reach the proxy ${p.url}: ${e.message}`, { proxy: p.url }, { cause: e }));
    };
    const onConnect = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

type SocksClientClass = typeof import('socks').SocksClient;

async function socksConnect(
  socks: SocksClientClass,
  socket: Socket,
  destination: ProxyTarget,
  p: ProxyEndpoint,
  where: string,
): Promise<void> {
  const v4 = p.protocol === 'socks4' || p.protocol === 'socks4a';
  const auth = {
    ...(p.username !== undefined && { userId: p.username }),
    ...(p.username !== undefined && !v4 && { password: p.password ?? '' }),
  };
  try {
    await socks.createConnection({
      command: 'connect',
      destination,
      proxy: { host: p.host, port: p.port, type: v4 ? 4 : 5, ...auth },
      existing_socket: socket,
    });
  } catch (e) {
    // The package's error holds its options, password included: keep only the message.
    const message = e instanceof Error ? e.message : String(e);
    const reason = /- \(?([A-Za-z]+)\)?$/.exec(message)?.[1] ?? message;
    throw new ProxyError(`the proxy ${p.url} refused the connection to ${where}: ${message}`, {
      proxy: p.url,
      reason,
    });
  }
}

/** `CONNECT host:port` over `socket`, already connected to the proxy; resolves once the tunnel is open. */
function httpConnect(
  socket: Socket,
  destination: ProxyTarget,
  p: ProxyEndpoint,
  where: string,
): Promise<void> {
  const host = isIP(destination.host) === 6 ? `[${destination.host}]` : destination.host;
  const authority = `${host}:${destination.port}`;
  const headers: Record<string, string> = { Host: authority };
  if (p.username !== undefined) {
    const basic = Buffer.from(`${p.username}:${p.password ?? ''}`).toString('base64');
    headers['Proxy-Authorization'] = `Basic ${basic}`;
  }
  return new Promise((resolve, reject) => {
    const req = request({
      method: 'CONNECT',
      path: authority,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    // Node hands every answer to CONNECT, whatever its status, to 'connect' with the socket detached.
    req.once('connect', (res, _socket, head) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        if (head.length > 0) socket.unshift(head);
        resolve();
        return;
      }
      const text = res.statusMessage ?? '';
      reject(
        new ProxyError(`the proxy ${p.url} refused the connection to ${where}: ${status} ${text}`.trimEnd(), {
          proxy: p.url,
          status,
          reason: text,
        }),
      );
    });
    req.once('error', (e) => {
      reject(new ProxyError(`the proxy ${p.url} failed: ${e.message}`, { proxy: p.url }, { cause: e }));
    });
    req.end();
  });
}
