// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Payload conversion: strings become UTF-8, byte arrays (Buffer included) pass through.
 *
 * @module
 */
import { InvalidArgumentError } from '../packet/errors.js';

const utf8 = new TextEncoder();

/** What a payload may be given as. */
export type Payload = string | Uint8Array;

/** The bytes of `value`. @throws {InvalidArgumentError} for anything but a string or a Uint8Array. */
export function toBytes(value: Payload, what = 'payload'): Uint8Array {
  if (typeof value === 'string') return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${typeof value}`);
}
