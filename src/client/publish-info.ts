// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What `client.publishTracked()` returns: paho's `MQTTMessageInfo` in TypeScript — a publication that can be
 * inspected (`packetId`, `isPublished()`) and awaited with a time limit, and that never hangs: it settles with an
 * error when the message fails, is refused or the client ends.
 *
 * @module
 */
import { TimeoutError } from '../errors.js';
import type { StoredPublish } from '../session/store.js';
import type { PublishResult } from '../session/types.js';

/** A publication in progress. */
export class PublishInfo {
  /** Settles when the flow completes for its QoS, as `client.publish()` does. */
  readonly done: Promise<PublishResult>;
  /** A number unique to this publication within the client (paho's `mid`), known at once. */
  readonly messageId: number;
  #result: PublishResult | undefined;
  #error: Error | undefined;
  readonly #entry: StoredPublish | undefined;

  /** @internal */
  constructor(done: Promise<PublishResult>, messageId: number, entry: StoredPublish | undefined) {
    this.messageId = messageId;
    this.#entry = entry;
    this.done = done;
    done.then(
      (r) => {
        this.#result = r;
      },
      (e: unknown) => {
        this.#error = e instanceof Error ? e : new Error(String(e));
      },
    );
  }

  /**
   * The packet identifier of a QoS 1/2 publication once it has been sent (a queued one has none yet); undefined
   * for QoS 0.
   */
  get packetId(): number | undefined {
    const id = this.#result?.packetId ?? this.#entry?.packetId;
    return id === 0 ? undefined : id;
  }

  /** Whether the flow has completed successfully (written / PUBACK / PUBCOMP). */
  isPublished(): boolean {
    return this.#result !== undefined;
  }

  /** The error the publication failed with, if it has failed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Waits for the publication to complete. Rejects with its error, or with {@link TimeoutError} after
   * `timeoutMs` (the publication itself goes on).
   */
  waitForPublish(timeoutMs?: number): Promise<PublishResult> {
    if (timeoutMs === undefined) return this.done;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`message ${this.messageId} not published within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([this.done, timeout]).finally(() => clearTimeout(timer));
  }
}
