// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A promise with its resolve and reject at hand, which an `AbortSignal` can reject early: the token the client
 * gives the engine for each operation.
 *
 * @module
 */

/** Which client event reports the operation's success. */
export type OperationKind = 'publish' | 'subscribe' | 'unsubscribe';

/** A promise and the means to settle it (once; later calls are ignored). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly kind: OperationKind | undefined;
  /** Whether it is settled (by the operation, or by the abort signal). */
  readonly settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A new deferred; if `signal` aborts first, it rejects with the signal's reason. */
export function deferred<T>(kind?: OperationKind, signal?: AbortSignal): Deferred<T> {
  let res!: (v: T) => void;
  let rej!: (e: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    res = resolve;
    rej = reject;
  });
  let onAbort: (() => void) | undefined;
  const d = {
    promise,
    kind,
    settled: false,
    resolve(value: T) {
      if (d.settled) return;
      d.settled = true;
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      res(value);
    },
    reject(error: unknown) {
      if (d.settled) return;
      d.settled = true;
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      rej(error);
    },
  };
  if (signal !== undefined) {
    if (signal.aborted) d.reject(signal.reason);
    else {
      onAbort = () => d.reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }
  return d;
}

/** `promise`, or a rejection with the signal's reason if `signal` aborts first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}
