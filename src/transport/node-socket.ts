// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * TCP, TLS and Unix domain socket transports on Node's `net` and `tls` modules.
 *
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConnectionError } from '../errors.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** TLS settings, as Node's `tls.connect` takes them; `rejectUnauthorized` is true unless set to false. */
export type TlsOptions = Omit<ConnectionOptions, 'host' | 'port' | 'path' | 'socket'>;

/** Where and how to open a socket: a TCP address (optionally from a given local address) or a Unix socket path. */
export type SocketOptions = ({ host: string; port: number; localAddress?: string } | { path: string }) & {
  /** Use TLS with these settings (an empty object for the defaults). */
  tls?: TlsOptions;
};

const READ_BUFFER_SIZE = 64 * 1024;
let readBuffer: Uint8Array | undefined;

/** A transport factory for a TCP, TLS or Unix socket connection. */
export function socketTransport(options: SocketOptions): TransportFactory {
  return (handlers) => new SocketTransport(options, handlers);
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
  // SNI carries host names only (RFC 6066); the certificate is still checked against an IP address.
  const sni = 'host' in endpoint && isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {};
  const tlsOptions: ConnectionOptions = { ...sni, ...tls, ...endpoint };
  // Verification stays on unless the caller turned it off in so many words.
  if (tls.rejectUnauthorized !== false) tlsOptions.rejectUnauthorized = true;
  const socket = tlsConnect(tlsOptions);
  socket.once('secureConnect', () => handlers.open());
  return socket;
}

class SocketTransport implements Transport {
  private readonly socket: Socket;
  private corked = false;
  private closed = false;

  constructor(options: SocketOptions, handlers: TransportHandlers) {
    const where = 'path' in options ? options.path : `${options.host}:${options.port}`;
    const socket = openSocket(options, handlers);
    this.socket = socket;
    if (!('path' in options)) socket.setNoDelay(true);
    // Plain sockets deliver through `onread` (see openSocket); TLS sockets through 'data'.
    if (options.tls !== undefined) socket.on('data', (chunk: Uint8Array) => handlers.data(chunk));
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
