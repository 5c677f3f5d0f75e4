// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT over WebSocket (MQTT 5 section 6, 3.1.1 section 6): binary frames carrying the byte stream, the `mqtt`
 * subprotocol (`mqttv3.1` for MQTT 3.1). Runtime-neutral: it drives any object shaped like the WHATWG WebSocket —
 * the browser's own, or the `ws` package in Node (src/transport/node-websocket.ts).
 *
 * @module
 */
import { ConnectionError, isMqttError } from '../errors.js';
import type { ConnectHint, Transport, TransportFactory, TransportHandlers } from './transport.js';

/** The part of the WHATWG WebSocket interface the transport uses. */
export interface WebSocketLike {
  /** How binary messages are handed over: set to `arraybuffer` (or left at Node's `nodebuffer`). */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /** Bytes queued by `send` and not yet sent. */
  readonly bufferedAmount: number;
  /** The upgrade succeeded. */
  onopen: ((event: unknown) => void) | null;
  /** A message arrived (binary: an ArrayBuffer or a Uint8Array). */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** The socket closed. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
  /** Something failed; a close follows. */
  onerror: ((event: unknown) => void) | null;
  /** Sends one binary message. */
  send(data: Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** Creates the socket of one attempt; `protocols` are the subprotocols to offer. */
export type WebSocketCreator = (url: string, protocols: string[]) => WebSocketLike;

/** Options of {@link webSocketTransport}. */
export interface WebSocketTransportOptions {
  /** `ws://` or `wss://` URL, path included (MQTT brokers commonly serve `/mqtt`). */
  url: string;
  /** How to create the socket; default the runtime's global `WebSocket`. */
  create?: WebSocketCreator;
  /** Above this many bytes buffered, `write` reports congestion (default 1 MiB). */
  highWaterMark?: number;
}

const OPEN = 1;

/** The subprotocol for a protocol version: `mqttv3.1` for MQTT 3.1, `mqtt` otherwise. */
export function subprotocolFor(protocolVersion: number | undefined): string {
  return protocolVersion === 3 ? 'mqttv3.1' : 'mqtt';
}

/** A transport factory for MQTT over WebSocket. */
export function webSocketTransport(options: WebSocketTransportOptions): TransportFactory {
  const create =
    options.create ??
    ((url: string, protocols: string[]): WebSocketLike => {
      const ctor = (globalThis as { WebSocket?: new (url: string, protocols: string[]) => WebSocketLike })
        .WebSocket;
      if (ctor === undefined) throw new ConnectionError('this runtime has no WebSocket');
      return new ctor(url, protocols);
    });
  return (handlers, hint) => new WebSocketTransport(options, create, handlers, hint);
}

class WebSocketTransport implements Transport {
  private readonly socket: WebSocketLike;
  private readonly highWaterMark: number;
  // Packets written in one tick leave as one binary frame.
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private congested = false;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    options: WebSocketTransportOptions,
    create: WebSocketCreator,
    private readonly handlers: TransportHandlers,
    hint: ConnectHint | undefined,
  ) {
    this.highWaterMark = options.highWaterMark ?? 1024 * 1024;
    const protocol = subprotocolFor(hint?.protocolVersion);
    const socket = create(options.url, [protocol]);
    this.socket = socket;
    // Node's `ws` hands Buffers over without a copy when left at 'nodebuffer'; browsers need 'arraybuffer'.
    if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      // [MQTT-6.0.0-3] the server must choose the MQTT subprotocol; one that did not is not an MQTT broker.
      if (socket.protocol !== protocol) {
        this.fail(
          new ConnectionError(
            `the WebSocket server at ${options.url} did not accept the "${protocol}" subprotocol` +
              (socket.protocol ? ` (it chose "${socket.protocol}")` : ''),
          ),
        );
        return;
      }
      handlers.open();
    };
    socket.onmessage = (event) => {
      const data = event.data;
      // [MQTT-6.0.0-1] MQTT travels in binary frames only.
      if (typeof data === 'string') {
        this.fail(new ConnectionError('the broker sent a text WebSocket frame; MQTT uses binary frames'));
        return;
      }
      handlers.data(data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer));
    };
    socket.onerror = (event) => {
      // Browsers say nothing more (on purpose); Node's `ws` says why, e.g. "Unexpected server response: 404".
      const why = (event as { message?: unknown }).message;
      const cause = (event as { error?: unknown }).error;
      // An error of ours from below (a proxy that refused, in Node) already says what failed.
      if (isMqttError(cause)) this.failure ??= cause;
      this.failure ??= new ConnectionError(
        `WebSocket connection to ${options.url} failed${typeof why === 'string' && why !== '' ? `: ${why}` : ''}`,
        { cause },
      );
    };
    socket.onclose = (event) => {
      if (this.closed) return;
      this.closed = true;
      const normal = event.code === 1000 || event.code === 1005;
      const error =
        this.failure ??
        (normal
          ? undefined
          : new ConnectionError(
              `the WebSocket to ${options.url} closed with code ${event.code}${event.reason ? `: ${event.reason}` : ''}`,
            ));
      handlers.close(error);
    };
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed || this.socket.readyState !== OPEN) return true;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
    if (this.socket.bufferedAmount + this.pendingBytes > this.highWaterMark && !this.congested) {
      this.congested = true;
      this.watchDrain();
      return false;
    }
    return !this.congested;
  }

  end(): void {
    this.flush();
    if (!this.closed) this.socket.close(1000);
  }

  destroy(error?: Error): void {
    this.failure ??= error;
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.closed) this.socket.close(1000);
  }

  /** Fails the connection: the close event reports `error`. */
  private fail(error: Error): void {
    this.failure ??= error;
    if (!this.closed) this.socket.close(1002);
  }

  private flush(): void {
    this.scheduled = false;
    const chunks = this.pending;
    if (chunks.length === 0 || this.closed || this.socket.readyState !== OPEN) return;
    this.pending = [];
    const total = this.pendingBytes;
    this.pendingBytes = 0;
    if (chunks.length === 1) {
      this.socket.send(chunks[0] as Uint8Array);
      return;
    }
    const frame = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      frame.set(c, at);
      at += c.length;
    }
    this.socket.send(frame);
  }

  // The WebSocket API has no drain event: look again until the buffer is below the mark. Browsers throttle
  // timers in background tabs, which only delays the resolution of QoS 0 publishes there.
  private watchDrain(): void {
    const check = (): void => {
      if (this.closed) return;
      if (this.socket.bufferedAmount + this.pendingBytes <= this.highWaterMark / 2) {
        this.congested = false;
        this.handlers.drain();
        return;
      }
      const t = setTimeout(check, 10);
      (t as { unref?: () => void }).unref?.();
    };
    const t = setTimeout(check, 10);
    (t as { unref?: () => void }).unref?.();
  }
}
