// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A custom transport over a Node duplex stream (a socket made elsewhere, a child process's stdio, an SSH channel,
 * an in-memory pair in tests …).
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { ConnectionError } from '../errors.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/**
 * A transport factory over the duplex stream `open()` returns (or resolves to) for each connection attempt; the
 * connection counts as open once the stream is there (a `net.Socket` still connecting is waited for).
 */
export function duplexTransport(open: () => Duplex | Promise<Duplex>): TransportFactory {
  return (handlers) => new DuplexTransport(open, handlers);
}

class DuplexTransport implements Transport {
  private stream: Duplex | undefined;
  private closed = false;
  private stopped: { error: Error | undefined } | undefined;
  private failure: Error | undefined;

  constructor(
    open: () => Duplex | Promise<Duplex>,
    private readonly handlers: TransportHandlers,
  ) {
    Promise.resolve()
      .then(open)
      .then(
        (stream) => this.attach(stream),
        (e: unknown) =>
          this.close(
            e instanceof Error ? e : new ConnectionError(`the custom transport could not open: ${String(e)}`),
          ),
      );
  }

  private attach(stream: Duplex): void {
    if (this.stopped !== undefined) {
      stream.destroy();
      this.close(this.stopped.error);
      return;
    }
    this.stream = stream;
    stream.on('data', (chunk: Uint8Array | string) => {
      this.handlers.data(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    });
    stream.on('drain', () => this.handlers.drain());
    stream.on('error', (e: Error) => {
      this.failure ??= new ConnectionError(`the custom transport failed: ${e.message}`, { cause: e });
    });
    stream.on('close', () => this.close(this.failure));
    // A socket made by the caller may still be connecting: open once it is.
    const connecting = (stream as { connecting?: boolean; pending?: boolean }).connecting === true;
    if (connecting) stream.once('connect', () => this.handlers.open());
    else queueMicrotask(() => this.handlers.open());
  }

  write(bytes: Uint8Array): boolean {
    const s = this.stream;
    if (s === undefined || this.closed || s.destroyed) return true;
    return s.write(bytes);
  }

  end(): void {
    if (this.stream === undefined) this.stop(undefined);
    else this.stream.end();
  }

  destroy(error?: Error): void {
    if (this.stream === undefined) this.stop(error);
    else {
      this.failure ??= error;
      this.stream.destroy();
    }
  }

  private stop(error: Error | undefined): void {
    this.stopped = { error };
    queueMicrotask(() => this.close(error));
  }

  private close(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }
}
