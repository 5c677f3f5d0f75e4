// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT over WebSocket in Node, with the `ws` package (Node 20 has no WebSocket client of its own): TLS options as
 * for `mqtts://`, extra handshake headers, a bounded frame size, optionally through a proxy.
 *
 * @module
 */
import type { Socket } from 'node:net';
import WebSocket, { type ClientOptions as WsClientOptions } from 'ws';

import { type TlsOptions, tlsOverSocket } from './node-socket.js';
import { openProxiedSocket, type ProxyEndpoint } from './proxy.js';
import type { TransportFactory } from './transport.js';
import { type WebSocketLike, webSocketTransport } from './websocket.js';

/** WebSocket settings of the Node `connect()`. */
export interface NodeWebSocketOptions {
  /** Extra HTTP headers of the upgrade request (e.g. an `Authorization` a gateway wants). */
  headers?: Record<string, string>;
  /**
   * Further options of the `ws` package's client (`handshakeTimeout`, `origin`, `agent` …). `perMessageDeflate`
   * stays off unless set here: MQTT payloads are often small and compression costs CPU on both sides.
   */
  // Typed loosely on purpose: the package's declarations then need no @types/ws.
  ws?: Record<string, unknown>;
}

/**
 * A transport factory for `ws://` / `wss://` URLs in Node; with `proxy`, the upgrade (and TLS, end to end) goes
 * through that proxy, which gets `proxyTimeout` milliseconds (default 30,000) to open the tunnel, unless `ws`
 * options bring their own `agent` or `createConnection`.
 */
export function nodeWebSocketTransport(
  url: string,
  options: NodeWebSocketOptions & {
    tls?: TlsOptions;
    maxPayload: number;
    proxy?: ProxyEndpoint;
    proxyTimeout?: number;
  },
): TransportFactory {
  const proxyTimeout = options.proxyTimeout ?? 30_000;
  const tls = options.tls === undefined ? {} : { ...options.tls };
  // Verification stays on unless the caller turned it off in so many words.
  if (options.tls !== undefined && options.tls.rejectUnauthorized !== false)
    (tls as { rejectUnauthorized?: boolean }).rejectUnauthorized = true;
  return webSocketTransport({
    url,
    create: (target, protocols) => {
      const opening = new AbortController();
      const settings = {
        perMessageDeflate: false,
        // A frame holds at most a few packets; bounded so that a peer cannot make the client buffer without limit.
        maxPayload: options.maxPayload,
        ...(options.headers !== undefined && { headers: options.headers }),
        ...tls,
        ...(options.proxy !== undefined && {
          createConnection: throughProxy(target, options.proxy, tls, opening.signal, proxyTimeout),
        }),
        ...options.ws,
      } as unknown as WsClientOptions;
      const socket = new WebSocket(target, protocols, settings);
      socket.binaryType = 'nodebuffer';
      // A socket closed during the upgrade stops a proxy handshake still under way.
      socket.once('close', () => opening.abort());
      return socket as unknown as WebSocketLike;
    },
  });
}

type ConnectionCallback = (error: Error | null, socket?: Socket) => void;

/**
 * The `createConnection` of `ws` (handed on to `http.request`) for a connection through `proxy`: it calls back
 * with the tunnelled socket, wrapped in TLS for `wss://`.
 */
function throughProxy(
  url: string,
  proxy: ProxyEndpoint,
  tls: TlsOptions,
  signal: AbortSignal,
  timeoutMs: number,
) {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = u.protocol === 'wss:';
  const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
  return (_settings: unknown, callback: ConnectionCallback): undefined => {
    openProxiedSocket({ host, port }, proxy, signal, timeoutMs).then(
      (raw) => callback(null, secure ? tlsOverSocket(raw, host, tls) : raw),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
    return undefined;
  };
}
