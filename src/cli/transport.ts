// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A socket transport for what the library's `socketTransport` does not offer: a Unix domain socket (`--unix`) and
 * a bound local address (`-A`). Plain TCP and TLS without these go through the library's `connect()`.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConnectionError, type TlsOptions, type Transport, type TransportFactory } from '../node.js';

/** Where to connect: a TCP address (optionally from a local address) or a Unix socket path. */
export type Endpoint = { host: string; port: number; localAddress?: string } | { path: string };

/** A transport factory for `endpoint`, with TLS when `tls` is given. */
export function endpointTransport(endpoint: Endpoint, tls: TlsOptions | undefined): TransportFactory {
  return (handlers) => {
    const where = 'path' in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
    let socket: Socket;
    if (tls !== undefined) {
      const options: ConnectionOptions = { ...tls, ...endpoint };
      if ('host' in endpoint && options.servername === undefined) options.servername = endpoint.host;
      if (tls.rejectUnauthorized !== false) options.rejectUnauthorized = true;
      socket = tlsConnect(options);
      socket.once('secureConnect', () => handlers.open());
    } else {
      socket = netConnect(endpoint);
      socket.once('connect', () => handlers.open());
    }
    if (!('path' in endpoint)) socket.setNoDelay(true);
    let failure: Error | undefined;
    socket.on('data', (chunk: Uint8Array) => handlers.data(chunk));
    socket.on('error', (e) => {
      failure ??= new ConnectionError(`connection to ${where} failed: ${e.message}`, { cause: e });
    });
    socket.once('close', () => handlers.close(failure));
    const transport: Transport = {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      end: () => socket.end(),
      destroy: (error) => socket.destroy(error),
    };
    return transport;
  };
}
