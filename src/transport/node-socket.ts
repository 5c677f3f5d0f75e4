// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * TCP, TLS and Unix domain socket transports on Node's `net` and `tls` modules, directly or through a proxy.
 *
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConnectionError } from '../errors.js';
import { InvalidArgumentError } from '../packet/errors.js';
import { openProxiedSocket, type ProxyEndpoint, parseProxyUrl } from './proxy.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** TLS settings, as Node's `tls.connect` takes them; `rejectUnauthorized` is true unless set to false. */
export type TlsOptions = Omit<ConnectionOptions, 'host' | 'port' | 'path' | 'socket'>;

/**
 * Where and how to open a socket: a TCP address (optionally from a given local address, or through a proxy: a URL
 * such as `socks5://user:pass@proxy:1080` or `http://proxy:3128`, see {@link parseProxyUrl}, which gets
 * `proxyTimeout` milliseconds to open the tunnel, default 30,000) or a Unix socket path. Through a proxy, TLS runs
 * end to end to the broker, checked against `host`.
 */
export type SocketOptions = (
  | {
      host: string;
      port: number;
      localAddress?: string;
      /** Bind the socket to this local port (paho's `bind_port`); a port in use fails the attempt. */
      localPort?: number;
      proxy?: string | ProxyEndpoint;
      proxyTimeout?: number;
    }
  | { path: string }
) & {
  /** Use TLS with these settings (an empty object for the defaults). */
  tls?: TlsOptions;
};

const READ_BUFFER_SIZE = 64 * 1024;
// Where a plain socket reports its send buffer full (Node's default is 16 KiB). Writes are corked for a tick, so
// a burst of small publishes fills 16 KiB before a byte has left, and every burst would send the rest through
// the session queue; 1 MiB (the WebSocket transport's mark too) still bounds the buffer. TLS sockets do not take
// the option and keep Node's default.
const WRITE_HIGH_WATER_MARK = 1024 * 1024;
let readBuffer: Uint8Array | undefined;

/**
 * A transport factory for a TCP, TLS or Unix socket connection.
 *
 * @throws {InvalidArgumentError} for an invalid proxy URL or local port, or a proxy together with `localAddress` or
 *   `localPort`.
 */
export function socketTransport(options: SocketOptions): TransportFactory {
  const localPort = 'localPort' in options ? options.localPort : undefined;
  if (localPort !== undefined && !(Number.isInteger(localPort) && localPort >= 1 && localPort <= 65_535))
    throw new InvalidArgumentError(`localPort must be a port number (1-65535), got ${String(localPort)}`);
  if ('path' in options || options.proxy === undefined) {
    const where = 'path' in options ? options.path : `${options.host}:${options.port}`;
    return (handlers) => {
      const socket = openSocket(options, handlers);
      if (!('path' in options)) socket.setNoDelay(true);
      // Plain sockets deliver through `onread` (see openSocket); TLS sockets through 'data'.
      return new SocketTransport(socket, where, handlers, options.tls !== undefined);
    };
  }
  if (options.localAddress !== undefined || localPort !== undefined)
    throw new InvalidArgumentError('the localAddress and localPort options exclude the proxy option');
  const proxy = typeof options.proxy === 'string' ? parseProxyUrl(options.proxy) : options.proxy;
  const { host, port, tls, proxyTimeout = 30_000 } = options;
  const settings = { host, port, proxy, proxyTimeout, ...(tls && { tls }) };
  return (handlers) => new ProxiedSocketTransport(settings, handlers);
}

/** The settings of a TLS connection to `host`: SNI for a host name, verification on unless turned off. */
function tlsSettings(host: string | undefined, tls: TlsOptions): ConnectionOptions {
  // SNI carries host names only (RFC 6066); the certificate is still checked against an IP address.
  const sni = host !== undefined && isIP(host) === 0 ? { servername: host } : {};
  const settings: ConnectionOptions = { ...sni, ...tls };
  // Verification stays on unless the caller turned it off in so many words.
  if (tls.rejectUnauthorized !== false) settings.rejectUnauthorized = true;
  return settings;
}

/**
 * TLS over a socket already connected to `host` (through a proxy): SNI and the certificate check are for `host`,
 * not for whatever the socket is connected to.
 */
export function tlsOverSocket(socket: Socket, host: string, tls: TlsOptions): Socket {
  return tlsConnect({ ...tlsSettings(host, tls), host, socket });
}

function openSocket(options: SocketOptions, handlers: TransportHandlers): Socket {
  const { tls, ...endpoint } = options;
  if (tls === undefined) {
    // Reads land in one buffer shared by every socket instead of a new Buffer per read, and skip the stream's
    // 'data' machinery: with many small packets that per-read cost is most of the receiving side's work. Safe
    // because each read is handed over synchronously, before the next read of any socket, and the decoder copies
    // whatever it keeps out of a chunk before `data` returns; shared, so an idle connection costs no buffer.
    readBuffer ??= new Uint8Array(READ_BUFFER_SIZE);
    const buffer = readBuffer;
    const socket = netConnect({
      ...endpoint,
      // Taken by net.connect (it builds the Socket from these options), though not in its option types.
      ...({ writableHighWaterMark: WRITE_HIGH_WATER_MARK } as object),
      onread: {
        buffer,
        callback: (n: number) => {
          handlers.data(buffer.subarray(0, n));
          return true;
        },
      },
    });
    socket.once('connect', () => handlers.open());
    return socket;
  }
  const socket = tlsConnect({
    ...tlsSettings('host' in endpoint ? endpoint.host : undefined, tls),
    ...endpoint,
  });
  socket.once('secureConnect', () => handlers.open());
  return socket;
}

/** A transport over one socket, opened (or opening) elsewhere; `where` names the peer in errors. */
class SocketTransport implements Transport {
  private corked = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    where: string,
    handlers: TransportHandlers,
    dataEvents: boolean,
  ) {
    if (dataEvents) socket.on('data', (chunk: Uint8Array) => handlers.data(chunk));
    socket.on('drain', () => handlers.drain());
    let failure: Error | undefined;
    socket.on('error', (e) => {
      failure ??= new ConnectionError(`connection to ${where} failed: ${e.message}`, { cause: e });
    });
    socket.once('close', () => {
      this.closed = true;
      handlers.close(failure);
    });
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed) return true;
    // Cork for the rest of this tick: every packet written meanwhile leaves in one writev.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(bytes);
  }

  end(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
    this.socket.end();
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}

/** A TCP or TLS transport through a proxy: the proxy's handshake first, then a {@link SocketTransport}. */
class ProxiedSocketTransport implements Transport {
  private inner: SocketTransport | undefined;
  private readonly opening = new AbortController();
  /** Ended or destroyed while the proxy was still connecting: the error to report, if any. */
  private stopped: { error: Error | undefined } | undefined;

  constructor(
    options: { host: string; port: number; proxy: ProxyEndpoint; proxyTimeout: number; tls?: TlsOptions },
    handlers: TransportHandlers,
  ) {
    const { host, port, proxy, proxyTimeout, tls } = options;
    const where = `${host}:${port} (through the proxy ${proxy.url})`;
    openProxiedSocket({ host, port }, proxy, this.opening.signal, proxyTimeout).then(
      (raw) => {
        if (this.stopped !== undefined) {
          raw.destroy();
          handlers.close(this.stopped.error);
          return;
        }
        if (tls === undefined) {
          this.inner = new SocketTransport(raw, where, handlers, true);
          handlers.open(); // connected already: the proxy has opened the tunnel
          return;
        }
        const secure = tlsOverSocket(raw, host, tls);
        secure.once('secureConnect', () => handlers.open());
        this.inner = new SocketTransport(secure, where, handlers, true);
      },
      (e: unknown) => {
        const error =
          e instanceof Error ? e : new ConnectionError(`connection to ${where} failed: ${String(e)}`);
        handlers.close(this.stopped === undefined ? error : this.stopped.error);
      },
    );
  }

  // The client writes only after `open`, which comes from the inner transport.
  write(bytes: Uint8Array): boolean {
    return this.inner === undefined ? true : this.inner.write(bytes);
  }

  end(): void {
    if (this.inner !== undefined) this.inner.end();
    else this.stop(undefined);
  }

  destroy(error?: Error): void {
    if (this.inner !== undefined) this.inner.destroy(error);
    else this.stop(error);
  }

  // The pending handshake ends with a rejection (or a socket to drop), which reports the close.
  private stop(error: Error | undefined): void {
    if (this.stopped !== undefined) return;
    this.stopped = { error };
    this.opening.abort(error);
  }
}
