// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The reconnect policy of a client: whether to try again after a connection ended, and when; and the two ways of
 * trying again at once, with an older protocol version or at the server a broker referred the client to.
 *
 * @module
 */
import { ConnackError, ConnectionError } from '../errors.js';
import type { ProtocolVersion } from '../packet/types.js';
import {
  backoffDelay,
  isRetryableRefusal,
  type ResolvedBackoff,
  resolveBackoff,
} from '../session/backoff.js';
import type { ConnectHint } from '../transport/transport.js';
import type { ClientOptions } from './options.js';

/** Backoff state, the one reconnect timer, and where and how the next attempt connects. */
export class Reconnector {
  private readonly backoff: ResolvedBackoff | undefined;
  private readonly retryOnRefusal: boolean;
  private readonly autoVersion: boolean;
  private readonly followServerReference: boolean;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What the next transport attempt is told (a Server Reference to follow); the client clears it once used. */
  hint: ConnectHint | undefined;
  // Redirections followed at once on the first connect.
  private redirects = 0;

  constructor(
    options: Pick<ClientOptions, 'reconnect' | 'protocolVersion' | 'authenticator' | 'followServerReference'>,
  ) {
    const reconnect = options.reconnect;
    this.backoff = reconnect === false ? undefined : resolveBackoff(reconnect);
    this.retryOnRefusal = reconnect !== false && (reconnect?.retryOnRefusal ?? false);
    // Enhanced authentication exists in MQTT 5 only: with an authenticator there is no falling back.
    this.autoVersion = (options.protocolVersion ?? 'auto') === 'auto' && options.authenticator === undefined;
    this.followServerReference = options.followServerReference === true;
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

  /**
   * The version to ask for at once after `failure` of a connection attempt with `version`, under the `auto`
   * protocol version: a broker that refuses 5 as unsupported (0x84) is asked again with 3.1.1, then 3.1.
   * Undefined when there is nothing older to try.
   */
  olderVersion(failure: Error, version: ProtocolVersion): ProtocolVersion | undefined {
    if (
      !this.autoVersion ||
      version === 3 ||
      !(failure instanceof ConnackError) ||
      failure.reasonCode !== 0x84
    )
      return undefined;
    return version === 5 ? 4 : 3;
  }

  /**
   * MQTT 5 Server Reference (0x9C Use another server, 0x9D Server moved): with `followServerReference`, the next
   * attempt goes there (the {@link Reconnector.hint}). Returns the reference, or undefined when `failure` carries
   * none to follow.
   */
  serverReference(failure: Error): string | undefined {
    if (!this.followServerReference) return undefined;
    const code =
      failure instanceof ConnackError || failure instanceof ConnectionError ? failure.reasonCode : undefined;
    const reference = (failure as { properties?: { serverReference?: string } }).properties?.serverReference;
    if ((code !== 0x9c && code !== 0x9d) || reference === undefined || reference === '') return undefined;
    this.hint = { serverReference: reference };
    return reference;
  }

  /**
   * Whether the first connect may follow one more Server Reference at once, as a version fallback does: at most 5
   * in a row, so that brokers pointing at each other cannot keep the client busy.
   */
  redirectAgain(): boolean {
    return ++this.redirects <= 5;
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
