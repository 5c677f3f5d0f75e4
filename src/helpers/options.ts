// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Options shared by the one-shot helpers (`publishSingle`, `publishMultiple`, `subscribeSimple`,
 * `subscribeCallback`), and the checks made before any of them connects.
 *
 * @module
 */
import type { NodeClientOptions } from '../connect.js';
import { InvalidArgumentError } from '../errors.js';
import type { QoS } from '../packet/types.js';

/**
 * The connection options of every one-shot helper: every option of `connect()` (URL credentials, `username` /
 * `password`, `tls`, `will`, `protocolVersion`, `clean`, `sessionExpiryInterval`, MQTT 5 CONNECT `properties`,
 * `authenticator`, `transport`, `reconnect`, `onClient` …) with the same meaning, except `signal`, which covers the
 * whole call rather than the connection attempt only.
 *
 * ```ts
 * const options: HelperConnectionOptions = { protocolVersion: 5, username: 'u', password: 'p' };
 * ```
 */
export interface HelperConnectionOptions extends Omit<NodeClientOptions, 'signal'> {
  /**
   * Aborts the whole call: connecting, subscribing, publishing, waiting for messages. The client is then ended
   * (with DISCONNECT when it is connected) before the call settles.
   */
  signal?: AbortSignal;
}

/**
 * A deadline for a whole one-shot call.
 *
 * ```ts
 * const options: HelperTimeoutOptions = { timeout: 5_000 };
 * ```
 */
export interface HelperTimeoutOptions {
  /**
   * Milliseconds for the whole call, connecting included. When it passes, the client is ended and the call
   * rejects with `TimeoutError` (`MQTT_ERR_TIMEOUT`). Default: no limit (the connection attempt itself is still
   * bounded by `connectTimeout`).
   */
  timeout?: number;
}

// setTimeout fires at once for delays over 2^31 - 1 ms.
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Throws unless `timeout` is undefined or a number of milliseconds setTimeout can wait.
 *
 * ```ts
 * checkTimeout(options.timeout);
 * ```
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT`, naming the option.
 */
export function checkTimeout(timeout: number | undefined): void {
  if (timeout === undefined) return;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`timeout must be from 0 to ${MAX_TIMEOUT_MS} ms, got ${String(timeout)}`);
  }
}

/**
 * Throws unless `qos` is undefined, 0, 1 or 2.
 *
 * ```ts
 * checkQos(message.qos, 'messages[2].qos');
 * ```
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT`, naming `what`.
 */
export function checkQos(qos: QoS | undefined, what: string): void {
  if (qos !== undefined && qos !== 0 && qos !== 1 && qos !== 2) {
    throw new InvalidArgumentError(`${what} must be 0, 1 or 2, got ${String(qos)}`);
  }
}

/**
 * A copy of `source` without the properties whose value is undefined, for option objects under
 * `exactOptionalPropertyTypes`.
 *
 * ```ts
 * const options = defined({ qos: message.qos, retain: message.retain }); // {} when both are undefined
 * ```
 */
export function defined<T extends object>(source: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
