// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT over WebSocket in Node, with the `ws` package (Node 20 has no WebSocket client of its own): TLS options as
 * for `mqtts://`, extra handshake headers, a bounded frame size.
 *
 * @module
 */
import WebSocket, { type ClientOptions as WsClientOptions } from 'ws';

import type { TlsOptions } from './node-socket.js';
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

/** A transport factory for `ws://` / `wss://` URLs in Node. */
export function nodeWebSocketTransport(
  url: string,
  options: NodeWebSocketOptions & { tls?: TlsOptions; maxPayload: number },
): TransportFactory {
  const tls = options.tls === undefined ? {} : { ...options.tls };
  // Verification stays on unless the caller turned it off in so many words.
  if (options.tls !== undefined && options.tls.rejectUnauthorized !== false)
    (tls as { rejectUnauthorized?: boolean }).rejectUnauthorized = true;
  return webSocketTransport({
    url,
    create: (target, protocols) => {
      const settings = {
        perMessageDeflate: false,
        // A frame holds at most a few packets; bounded so that a peer cannot make the client buffer without limit.
        maxPayload: options.maxPayload,
        ...(options.headers !== undefined && { headers: options.headers }),
        ...tls,
        ...options.ws,
      } as unknown as WsClientOptions;
      const socket = new WebSocket(target, protocols, settings);
      socket.binaryType = 'nodebuffer';
      return socket as unknown as WebSocketLike;
    },
  });
}
