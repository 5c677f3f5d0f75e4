// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The MQTT 3.1 / 3.1.1 / 5.0 codec: pure functions over `Uint8Array`, no I/O, usable in any JavaScript runtime.
 *
 * @module
 */
export { type DecoderOptions, decode, PacketDecoder } from './decoder.js';
export { type EncodeOptions, encode } from './encode.js';
export {
  InvalidArgumentError,
  isMqttError,
  MqttError,
  PacketTooLargeError,
  ProtocolError,
} from './errors.js';
export {
  isPropertyAllowed,
  PROPERTIES,
  type PropertyContext,
  type PropertySpec,
  type PropertyType,
  propertyById,
} from './properties.js';
export {
  isFailure,
  isValidReasonCode,
  REASON_CODES_BY_PACKET,
  ReasonCode,
  type ReasonCodePacket,
  type ReasonCodeValue,
  reasonCodeName,
  reasonToV3ConnackCode,
  V3_CONNACK_TO_REASON,
} from './reason-codes.js';
export { isSharedFilter, topicFilterProblem, topicNameProblem } from './topic-rules.js';
export * from './types.js';
export { MAX_PACKET_SIZE } from './writer.js';
