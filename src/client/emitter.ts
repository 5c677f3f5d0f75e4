// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A small typed event emitter that runs everywhere (Node's `events` module does not exist in browsers).
 *
 * @module
 */

/** Listener functions by event name. */
export type EventMap = { [event: string]: (...args: never[]) => void };

// What `once` registers: the wrapper remembers the listener it runs, so that `off(event, listener)` finds it.
type OnceWrapper = ((...args: never[]) => void) & { listener?: unknown };

/**
 * Typed `on` / `off` / `once` / `emit`, with `listenerCount` and `removeAllListeners`. A listener that throws does
 * not stop the others; its error is reported.
 */
export class Emitter<E extends EventMap> {
  // Created on the first `on`: an idle client with no listeners should cost as little memory as possible.
  private listeners: Map<keyof E, Set<E[keyof E]>> | undefined;

  /** Adds a listener. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    this.listeners ??= new Map();
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  /** Removes a listener (also one added with `once` that has not run yet). */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const set = this.listeners?.get(event);
    if (set === undefined || set.delete(listener)) return this;
    for (const l of set) {
      if ((l as OnceWrapper).listener === listener) {
        set.delete(l);
        break;
      }
    }
    return this;
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.listeners?.clear();
    else this.listeners?.delete(event);
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof E): number {
    return this.listeners?.get(event)?.size ?? 0;
  }

  /** Adds a listener that runs once. */
  once<K extends keyof E>(event: K, listener: E[K]): this {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(event, wrapper);
      (listener as (...a: Parameters<E[K]>) => void)(...args);
    }) as E[K] & OnceWrapper;
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** Whether anyone listens to `event`. */
  hasListeners(event: keyof E): boolean {
    return (this.listeners?.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; returns whether there was one. */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const set = this.listeners?.get(event);
    if (set === undefined || set.size === 0) return false;
    for (const listener of set) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (e) {
        this.listenerFailed(e);
      }
    }
    return true;
  }

  /** Called when a listener throws; by default rethrows on a fresh stack so the error is not lost. */
  protected listenerFailed(error: unknown): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
