// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A bounded queue read with `for await`: how messages reach an async iterator.
 *
 * @module
 */
import { InvalidArgumentError, MqttError } from '../packet/errors.js';

/**
 * What happens when messages arrive faster than the iterator is read and the buffer is full:
 * `drop-oldest` discards the oldest buffered message (and counts it in `dropped`); `error` ends the iteration with
 * a {@link QueueOverflowError}.
 */
export type OverflowPolicy = 'drop-oldest' | 'error';

/** Options of a message iterator. */
export interface IteratorOptions {
  /** Most messages buffered for a slow reader. Default 1,000. */
  bufferSize?: number;
  /** See {@link OverflowPolicy}. Default `drop-oldest`. */
  overflow?: OverflowPolicy;
}

/** The reader of an async iterator fell behind by more than its buffer and asked to be told. */
export class QueueOverflowError extends MqttError {
  constructor(size: number) {
    super('MQTT_ERR_QUEUE_OVERFLOW', `more than ${size} messages were waiting for the iterator`);
  }
}

/** A bounded, closable async queue. */
export class MessageQueue<T> implements AsyncIterableIterator<T> {
  /** Messages discarded by the `drop-oldest` policy. */
  dropped = 0;
  private items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiter: ((e: Error) => void) | undefined;
  private done = false;
  private error: Error | undefined;
  private readonly size: number;
  private readonly overflow: OverflowPolicy;

  constructor(
    options: IteratorOptions | undefined,
    private readonly onReturn: () => void,
  ) {
    const size = options?.bufferSize ?? 1_000;
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError(`bufferSize must be a positive integer, got ${String(size)}`);
    }
    this.size = size;
    this.overflow = options?.overflow ?? 'drop-oldest';
  }

  /** Offers a message; returns false once the queue has ended. */
  push(item: T): boolean {
    if (this.done) return false;
    if (this.waiter !== undefined) {
      const w = this.waiter;
      this.waiter = undefined;
      this.failWaiter = undefined;
      w({ value: item, done: false });
      return true;
    }
    if (this.items.length - this.head >= this.size) {
      if (this.overflow === 'error') {
        this.end(new QueueOverflowError(this.size));
        return false;
      }
      this.items[this.head++] = undefined as T; // let the dropped message be collected now
      this.dropped++;
    }
    this.items.push(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Ends the iteration after the buffered messages (or at once with `error` when they are read). */
  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiter !== undefined) {
      const w = this.waiter;
      const f = this.failWaiter;
      this.waiter = undefined;
      this.failWaiter = undefined;
      if (error !== undefined && f !== undefined) f(error);
      else w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.items[this.head++] = undefined as T;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items = [];
    this.head = 0;
    this.error = undefined;
    this.end();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
