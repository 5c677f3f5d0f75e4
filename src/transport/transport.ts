// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The one small interface every transport implements: bytes in, bytes out. A transport knows nothing of MQTT.
 *
 * @module
 */

/** What a transport reports back. Each callback is called synchronously from the transport's own events. */
export interface TransportHandlers {
  /** The connection is ready for writing (TCP connected, TLS handshake done, WebSocket open). */
  open(): void;
  /** Bytes arrived. The chunk may be reused after the call returns. */
  data(chunk: Uint8Array): void;
  /** The connection is gone; `error` says why when it failed rather than closed. Called once. */
  close(error: Error | undefined): void;
  /** The transport's send buffer, which `write` had reported full, has drained. */
  drain(): void;
}

/** An open (or opening) byte stream to a broker. */
export interface Transport {
  /**
   * Queues bytes; writes made in the same tick leave in one system call where the transport can batch them.
   * Returns false when the send buffer is over its high-water mark: `drain` follows once it has emptied.
   */
  write(bytes: Uint8Array): boolean;
  /** Closes gracefully once queued bytes are written. */
  end(): void;
  /** Closes at once, dropping queued bytes. */
  destroy(error?: Error): void;
}

/**
 * Opens a transport; `handlers` receive its events. Called once per connection attempt. `hint` carries what the
 * client learnt from the last broker (an MQTT 5 Server Reference it was told to follow); a factory with a single
 * destination ignores it.
 */
export type TransportFactory = (handlers: TransportHandlers, hint?: ConnectHint) => Transport;

/** What the client tells the transport about an attempt. */
export interface ConnectHint {
  /**
   * MQTT 5 Server Reference the last broker gave (CONNACK 0x9C / 0x9D, or DISCONNECT), when the application asked
   * to follow it: a space-separated list of `host`, `host:port` or `[v6]:port`.
   */
  serverReference?: string;
  /** The MQTT version the attempt's CONNECT will carry (a WebSocket offers its subprotocol accordingly). */
  protocolVersion?: number;
}
