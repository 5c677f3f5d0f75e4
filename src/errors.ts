// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The error classes of mqttkit. Every error the library throws or rejects with is an {@link MqttError} with a
 * stable `code`; docs/errors.md lists them all.
 *
 * @module
 */
export {
  InvalidArgumentError,
  isMqttError,
  MqttError,
  PacketTooLargeError,
  ProtocolError,
} from './packet/errors.js';
