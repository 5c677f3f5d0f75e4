// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A test-only MQTT speaker: the codec over a raw `node:net` / `node:tls` socket, with no protocol logic at all.
 * It exists to test the broker harness and the broker's behaviour; the real client lives in src/.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import {
  encode,
  type Packet,
  PacketDecoder,
  type PacketTypeName,
  type ProtocolVersion,
} from '../../src/packet/index.js';

/** Options of {@link RawClient.connect}. */
export interface RawClientOptions {
  port: number;
  host?: string;
  /** Version used to encode and decode every packet. Default 5. */
  protocolVersion?: ProtocolVersion;
  /** Speak TLS with these options (`ca`, `servername`, `cert`, `key` …) instead of plain TCP. */
  tls?: ConnectionOptions;
}

/** A packet of type `T`. */
export type PacketOf<T extends PacketTypeName> = Extract<Packet, { type: T }>;

interface Waiter {
  type: PacketTypeName | undefined;
  resolve: (packet: Packet) => void;
  reject: (error: Error) => void;
}

/** An open connection that sends and receives whole packets. */
export class RawClient {
  /** Resolves when the socket has closed, with the error that closed it, if any. */
  readonly closed: Promise<Error | undefined>;
  private readonly socket: Socket;
  private readonly version: ProtocolVersion;
  private readonly received: Packet[] = [];
  private readonly waiters = new Set<Waiter>();
  private error: Error | undefined;
  private ended = false;

  private constructor(socket: Socket, version: ProtocolVersion) {
    // Ack flows are chains of small writes; Nagle's algorithm would add ~40 ms to each round trip.
    socket.setNoDelay(true);
    this.socket = socket;
    this.version = version;
    const decoder = new PacketDecoder((packet) => this.deliver(packet), { protocolVersion: version });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (e) {
        socket.destroy(e as Error);
      }
    });
    socket.on('error', (e) => {
      this.error ??= e;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        const reason = this.error ?? new Error('connection closed');
        for (const waiter of this.waiters) waiter.reject(reason);
        this.waiters.clear();
        resolve(this.error);
      });
    });
  }

  /**
   * Opens a connection; resolves once TCP (or the TLS handshake) is done. No CONNECT is sent.
   *
   * @throws {Error} the socket or TLS error that prevented the connection.
   */
  static connect(options: RawClientOptions): Promise<RawClient> {
    const host = options.host ?? '127.0.0.1';
    const version = options.protocolVersion ?? 5;
    return new Promise((resolve, reject) => {
      const socket =
        options.tls === undefined
          ? netConnect(options.port, host)
          : tlsConnect({ ...options.tls, port: options.port, host });
      const ready = options.tls === undefined ? 'connect' : 'secureConnect';
      socket.once('error', reject);
      socket.once(ready, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket, version));
      });
    });
  }

  /** Encodes and writes `packet` in this connection's protocol version. */
  send(packet: Packet): void {
    this.socket.write(encode(packet, this.version));
  }

  /**
   * The next received packet of `type` (of any type when omitted); packets of other types stay queued, since a
   * broker may interleave, say, a forwarded PUBLISH and the PUBACK of our own.
   *
   * @throws {Error} when none arrives within `timeoutMs` (default 3,000) or the connection closes first.
   */
  next(): Promise<Packet>;
  next<T extends PacketTypeName>(type: T, timeoutMs?: number): Promise<PacketOf<T>>;
  next(type?: PacketTypeName, timeoutMs = 3_000): Promise<Packet> {
    const index = this.received.findIndex((p) => type === undefined || p.type === type);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0] as Packet);
    if (this.ended)
      return Promise.reject(this.error ?? new Error(`connection closed before ${type ?? 'a packet'}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${type ?? 'packet'} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        type,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Closes the socket at once (no DISCONNECT) and waits for the close. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private deliver(packet: Packet): void {
    for (const waiter of this.waiters) {
      if (waiter.type === undefined || waiter.type === packet.type) {
        this.waiters.delete(waiter);
        waiter.resolve(packet);
        return;
      }
    }
    this.received.push(packet);
  }
}
