// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A custom transport over a WHATWG readable/writable pair (Deno's and Bun's sockets, WebTransport streams, a
 * test harness …). Runtime-neutral; Node streams have `duplexTransport` in the Node entry.
 *
 * @module
 */
import { ConnectionError } from '../errors.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** A byte stream in each direction. */
export interface WebStreamPair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/**
 * A transport factory over the pair `open()` returns (or resolves to) for each connection attempt; the
 * connection counts as open once the pair is there.
 */
export function webStreamTransport(open: () => WebStreamPair | Promise<WebStreamPair>): TransportFactory {
  return (handlers) => new WebStreamTransport(open, handlers);
}

class WebStreamTransport implements Transport {
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private closed = false;
  private stopped = false;
  private waitingForDrain = false;

  constructor(
    open: () => WebStreamPair | Promise<WebStreamPair>,
    private readonly handlers: TransportHandlers,
  ) {
    Promise.resolve()
      .then(open)
      .then(
        (pair) => {
          if (this.stopped) {
            void pair.writable.abort().catch(() => {});
            void pair.readable.cancel().catch(() => {});
            this.close(undefined);
            return;
          }
          this.writer = pair.writable.getWriter();
          this.reader = pair.readable.getReader();
          handlers.open();
          void this.readLoop(this.reader);
        },
        (e: unknown) => this.close(asError(e, 'the custom transport could not open')),
      );
  }

  private async readLoop(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value !== undefined && value.length > 0) this.handlers.data(value);
      }
      this.close(undefined);
    } catch (e) {
      this.close(asError(e, 'the custom transport failed'));
    }
  }

  write(bytes: Uint8Array): boolean {
    const w = this.writer;
    if (w === undefined || this.closed) return true;
    w.write(bytes).catch((e: unknown) => this.fail(asError(e, 'writing to the custom transport failed')));
    if ((w.desiredSize ?? 1) > 0) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      w.ready.then(
        () => {
          this.waitingForDrain = false;
          if (!this.closed) this.handlers.drain();
        },
        () => {},
      );
    }
    return false;
  }

  end(): void {
    if (this.writer === undefined) {
      this.stop(undefined);
      return;
    }
    // Closing our side; the readable ends when the peer closes, which reports the close.
    this.writer.close().catch(() => {});
  }

  destroy(error?: Error): void {
    if (this.writer === undefined) {
      this.stop(error);
      return;
    }
    this.fail(error);
  }

  private stop(error: Error | undefined): void {
    this.stopped = true;
    queueMicrotask(() => this.close(error));
  }

  private fail(error: Error | undefined): void {
    this.writer?.abort(error).catch(() => {});
    this.reader?.cancel(error).catch(() => {});
    this.close(error);
  }

  private close(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }
}

function asError(e: unknown, what: string): Error {
  return e instanceof Error ? e : new ConnectionError(`${what}: ${String(e)}`);
}
