// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Reconnect policy: exponential backoff with jitter, and which refusals are worth retrying.
 *
 * @module
 */
import { ReasonCode } from '../packet/reason-codes.js';

/** Reconnect delays. */
export interface BackoffOptions {
  /** First delay, in ms. Default 1,000. */
  minDelay?: number;
  /** Largest delay, in ms. Default 60,000. */
  maxDelay?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay drawn at random (0 = none, 1 = anywhere from 0 to the delay). Default 0.5. */
  jitter?: number;
  /** A connection that lasted this long (ms) resets the delay to `minDelay`. Default 10,000. */
  stableAfter?: number;
}

/** Backoff settings with every field filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** Fills in the defaults. */
export function resolveBackoff(options: BackoffOptions | undefined): ResolvedBackoff {
  return {
    minDelay: options?.minDelay ?? 1_000,
    maxDelay: options?.maxDelay ?? 60_000,
    factor: options?.factor ?? 2,
    jitter: options?.jitter ?? 0.5,
    stableAfter: options?.stableAfter ?? 10_000,
  };
}

/**
 * Delay before reconnect attempt `attempt` (1 for the first), in ms: `minDelay * factor^(attempt-1)` capped at
 * `maxDelay`, of which the `jitter` fraction is drawn at random so that many clients cut off together do not come
 * back together. `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  b: ResolvedBackoff,
  random: () => number = Math.random,
): number {
  const base = Math.min(b.maxDelay, b.minDelay * b.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - b.jitter) + base * b.jitter * random());
}

/**
 * Whether a CONNACK refusal can succeed on a plain retry. Bad credentials, not authorised, banned, a client
 * identifier or protocol version the broker rejects, or a bad authentication method will fail again the same way;
 * retrying them only hammers the broker (a reconnect storm).
 */
export function isRetryableRefusal(reasonCode: number): boolean {
  switch (reasonCode) {
    case ReasonCode.BadUserNameOrPassword:
    case ReasonCode.NotAuthorized:
    case ReasonCode.Banned:
    case ReasonCode.ClientIdentifierNotValid:
    case ReasonCode.UnsupportedProtocolVersion:
    case ReasonCode.BadAuthenticationMethod:
    case ReasonCode.MalformedPacket:
    case ReasonCode.ProtocolError:
    case ReasonCode.PacketTooLarge:
    case ReasonCode.PayloadFormatInvalid:
    case ReasonCode.RetainNotSupported:
    case ReasonCode.QoSNotSupported:
    case ReasonCode.TopicNameInvalid:
      return false;
    default:
      return true;
  }
}
