// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * TCP and TLS transports on Node's `net` and `tls` modules.
 *
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConnectionError } from '../errors.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** TLS settings, as Node's `tls.connect` takes them; `rejectUnauthorized` is true unless set to false. */
export type TlsOptions = Omit<ConnectionOptions, 'host' | 'port' | 'path' | 'socket'>;

/** Where and how to open a socket. */
export interface SocketOptions {
  host: string;
  port: number;
  /** Use TLS with these settings (an empty object for the defaults). */
  tls?: TlsOptions;
}

/** A transport factory for a TCP or TLS connection. */
export function socketTransport(options: SocketOptions): TransportFactory {
  return (handlers) => new SocketTransport(options, handlers);
}

class SocketTransport implements Transport {
  private readonly socket: Socket;
  private corked = false;
  private closed = false;

  constructor(options: SocketOptions, handlers: TransportHandlers) {
    const where = `${options.host}:${options.port}`;
    if (options.tls !== undefined) {
      // SNI carries host names only (RFC 6066); the certificate is still checked against an IP address.
      const sni = isIP(options.host) === 0 ? { servername: options.host } : {};
      const tlsOptions: ConnectionOptions = { ...sni, ...options.tls };
      // Verification stays on unless the caller turned it off in so many words.
      if (options.tls.rejectUnauthorized !== false) tlsOptions.rejectUnauthorized = true;
      this.socket = tlsConnect({ ...tlsOptions, host: options.host, port: options.port });
      this.socket.once('secureConnect', () => handlers.open());
    } else {
      this.socket = netConnect({ host: options.host, port: options.port });
      this.socket.once('connect', () => handlers.open());
    }
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Uint8Array) => handlers.data(chunk));
    let failure: Error | undefined;
    socket.on('error', (e) => {
      failure ??= new ConnectionError(`connection to ${where} failed: ${e.message}`, { cause: e });
    });
    socket.once('close', () => {
      this.closed = true;
      handlers.close(failure);
    });
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    // Cork for the rest of this tick: every packet written meanwhile leaves in one writev.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
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
