// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * CONNECT (MQTT 3.1 section 3.1, 3.1.1 section 3.1, 5.0 section 3.1).
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';
import { decodeProperties, measureProperties, sectionSize, writeProperties } from './properties.js';
import { MALFORMED, PROTOCOL_ERROR, type Reader } from './reader.js';
import type { ConnectPacket, ProtocolVersion, QoS, Will } from './types.js';
import { utf8Length } from './utf8.js';
import { checkInt, measureBinary, measureString, WRITER } from './writer.js';

const USERNAME = 0x80;
const PASSWORD = 0x40;
const WILL_RETAIN = 0x20;
const WILL_QOS = 0x18;
const WILL = 0x04;
const CLEAN = 0x02;
const RESERVED = 0x01;

const UNSUPPORTED_PROTOCOL_VERSION = 0x84;
// The top bit of the protocol level: a bridge, in the MQTT 3.1 / 3.1.1 bridge mode Mosquitto and RSMB know.
const BRIDGE = 0x80;

function protocolName(v: ProtocolVersion): string {
  return v === 3 ? 'MQIsdp' : 'MQTT';
}

function checkVersion(v: unknown): asserts v is ProtocolVersion {
  if (v !== 3 && v !== 4 && v !== 5) {
    throw new InvalidArgumentError(`protocolVersion must be 3 (MQTT 3.1), 4 (3.1.1) or 5, got ${String(v)}`);
  }
}

/** Encodes a CONNECT in the protocol version it names. */
export function encodeConnect(p: ConnectPacket, maxPacketSize: number): Uint8Array {
  const v = p.protocolVersion;
  checkVersion(v);
  checkInt(p.keepAlive, 0, 65_535, 'keepAlive');
  const v5 = v === 5;
  if (v5 && p.bridge === true)
    throw new InvalidArgumentError(
      'bridge mode is for MQTT 3.1 and 3.1.1 (MQTT 5 has No Local and Retain As Published)',
    );
  if (!v5 && p.properties !== undefined && Object.keys(p.properties).length > 0) {
    throw new InvalidArgumentError('CONNECT properties need MQTT 5');
  }
  const propSize = v5 ? measureProperties(p.properties, 'connect') : 0;
  const clientIdSize = measureString(p.clientId, 'clientId');
  if (v === 4 && p.clientId === '' && !p.clean) {
    throw new InvalidArgumentError('an empty clientId needs clean: true before MQTT 5'); // [MQTT-3.1.3-7]
  }
  if (v === 3 && (p.clientId === '' || utf8Length(p.clientId) > 23)) {
    throw new InvalidArgumentError('MQTT 3.1 requires a client identifier of 1 to 23 bytes');
  }
  let size = 2 + protocolName(v).length + 1 + 1 + 2 + (v5 ? sectionSize(propSize) : 0) + clientIdSize;
  const will = p.will;
  let willPropSize = 0;
  if (will !== undefined) {
    checkInt(will.qos, 0, 2, 'will.qos');
    willPropSize = v5 ? measureProperties(will.properties, 'will') : 0;
    if (!v5 && will.properties !== undefined && Object.keys(will.properties).length > 0) {
      throw new InvalidArgumentError('will properties need MQTT 5');
    }
    if (hasWildcard(will.topic))
      throw new InvalidArgumentError(`will topic must not contain wildcards: ${will.topic}`);
    if (will.topic === '') throw new InvalidArgumentError('will topic must not be empty');
    size += (v5 ? sectionSize(willPropSize) : 0) + measureString(will.topic, 'will topic');
    size += measureBinary(will.payload, 'will payload');
  }
  if (p.username !== undefined) size += measureString(p.username, 'username');
  if (p.password !== undefined) {
    // [MQTT-3.1.2-22] before MQTT 5 a password needs a user name.
    if (!v5 && p.username === undefined)
      throw new InvalidArgumentError(`a password without a username needs MQTT 5`);
    size += measureBinary(p.password, 'password');
  }

  const w = WRITER.begin(size);
  w.string(protocolName(v), 'protocol name');
  w.u8(p.bridge === true ? v | BRIDGE : v);
  let flags = p.clean ? CLEAN : 0;
  if (will !== undefined) flags |= WILL | (will.qos << 3) | (will.retain ? WILL_RETAIN : 0);
  if (p.username !== undefined) flags |= USERNAME;
  if (p.password !== undefined) flags |= PASSWORD;
  w.u8(flags);
  w.u16(p.keepAlive);
  if (v5) writeProperties(w, p.properties, propSize);
  w.string(p.clientId, 'clientId');
  if (will !== undefined) {
    if (v5) writeProperties(w, will.properties, willPropSize);
    w.string(will.topic, 'will topic', true);
    w.binary(will.payload);
  }
  if (p.username !== undefined) w.string(p.username, 'username');
  if (p.password !== undefined) w.binary(p.password);
  return w.finish(0x10, maxPacketSize, 'CONNECT');
}

function hasWildcard(s: string): boolean {
  return s.includes('+') || s.includes('#');
}

/** Decodes a CONNECT body; the protocol version comes from the packet itself. */
export function decodeConnect(r: Reader): ConnectPacket {
  const nameAt = r.pos;
  const name = r.utf8('protocol name');
  if (name !== 'MQTT' && name !== 'MQIsdp') {
    r.fail(UNSUPPORTED_PROTOCOL_VERSION, `unknown protocol name "${name}"`, nameAt);
  }
  const levelByte = r.u8('protocol level');
  // The top bit marks a bridge (MQTT 3.1 and 3.1.1 only).
  const bridge = (levelByte & BRIDGE) !== 0 && (levelByte & ~BRIDGE) !== 5;
  const level = bridge ? levelByte & ~BRIDGE : levelByte;
  if ((name === 'MQIsdp' && level !== 3) || (name === 'MQTT' && level !== 4 && level !== 5)) {
    r.fail(
      UNSUPPORTED_PROTOCOL_VERSION,
      `protocol ${name} level ${level} is not MQTT 3.1, 3.1.1 or 5.0`,
      r.pos - 1,
    );
  }
  const v = level as ProtocolVersion;
  const flagsAt = r.pos;
  const flags = r.u8('connect flags');
  if (flags & RESERVED) r.fail(MALFORMED, 'reserved bit 0 of the connect flags is set', flagsAt); // [MQTT-3.1.2-3]
  const willQos = (flags & WILL_QOS) >> 3;
  if (willQos === 3) r.fail(MALFORMED, 'will QoS is 3', flagsAt); // [MQTT-3.1.2-14]
  if (!(flags & WILL) && (flags & (WILL_QOS | WILL_RETAIN)) !== 0) {
    r.fail(MALFORMED, 'will QoS or will retain set without the will flag', flagsAt); // [MQTT-3.1.2-11, -13, -15]
  }
  if (v !== 5 && flags & PASSWORD && !(flags & USERNAME)) {
    r.fail(MALFORMED, 'password flag set without the user name flag', flagsAt); // [MQTT-3.1.2-22]
  }
  const keepAlive = r.u16('keep alive');
  const properties = v === 5 ? decodeProperties(r, 'connect') : undefined;
  const clientId = r.utf8('client identifier');
  const packet: ConnectPacket = {
    type: 'connect',
    protocolVersion: v,
    clientId,
    clean: (flags & CLEAN) !== 0,
    keepAlive,
  };
  if (bridge) packet.bridge = true;
  if (flags & WILL) packet.will = decodeWill(r, v, willQos as QoS, (flags & WILL_RETAIN) !== 0);
  // MQTT 3.1 (section 3.1, payload) lets the remaining length win over the user name and password flags: a flag
  // set with its field missing is valid there.
  const lenient = v === 3;
  if (flags & USERNAME && !(lenient && r.remaining() === 0)) packet.username = r.utf8('user name');
  if (flags & PASSWORD && !(lenient && r.remaining() === 0)) packet.password = r.binary('password');
  if (properties !== undefined) packet.properties = properties;
  r.expectEnd('CONNECT payload');
  return packet;
}

function decodeWill(r: Reader, v: ProtocolVersion, qos: QoS, retain: boolean): Will {
  const properties = v === 5 ? decodeProperties(r, 'will') : undefined;
  const topicAt = r.pos;
  const topic = r.utf8('will topic');
  if (topic === '') r.fail(PROTOCOL_ERROR, 'will topic is empty', topicAt);
  if (hasWildcard(topic)) r.fail(MALFORMED, 'will topic contains a wildcard', topicAt);
  const payload = r.binary('will payload');
  const will: Will = { topic, payload, qos, retain };
  if (properties !== undefined) will.properties = properties;
  return will;
}
