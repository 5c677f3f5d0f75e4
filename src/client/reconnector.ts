// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The reconnect policy of a client: whether to try again after a connection ended, and when.
 *
 * @module
 */
import { ConnackError } from '../errors.js';
import {
  backoffDelay,
  isRetryableRefusal,
  type ResolvedBackoff,
  resolveBackoff,
} from '../session/backoff.js';
import type { ReconnectOptions } from './options.js';

/** Backoff state and the one reconnect timer. */
export class Reconnector {
  private readonly backoff: ResolvedBackoff | undefined;
  private readonly retryOnRefusal: boolean;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ReconnectOptions | false | undefined) {
    this.backoff = options === false ? undefined : resolveBackoff(options);
    this.retryOnRefusal = options !== false && (options?.retryOnRefusal ?? false);
  }

  /** A connection that lasted `connectedFor` ms ended: a stable one starts the backoff over. */
  connectionEnded(connectedFor: number): void {
    if (this.backoff !== undefined && connectedFor >= this.backoff.stableAfter) this.attempt = 0;
  }

  /**
   * Whether to reconnect after `failure`: never when reconnecting is off, and not after a refusal that cannot
   * succeed on retry (bad credentials, not authorised, banned …) unless `retryOnRefusal` is set.
   */
  shouldRetry(failure: Error): boolean {
    if (this.backoff === undefined) return false;
    if (failure instanceof ConnackError && !isRetryableRefusal(failure.reasonCode))
      return this.retryOnRefusal;
    return true;
  }

  /** Arms the timer for the next attempt; returns the attempt number and its delay. */
  schedule(fire: () => void): { attempt: number; delay: number } {
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.backoff as ResolvedBackoff);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fire();
    }, delay);
    return { attempt: this.attempt, delay };
  }

  /** Disarms the timer. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
