// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT 5 reason codes (specification section 2.4), which packets may carry each, and their names there.
 *
 * @module
 */
import type { PacketTypeName } from './types.js';

/** Every MQTT 5 reason code, named after the specification. Several numbers have one name per packet. */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** A reason code number. */
export type ReasonCodeValue = (typeof ReasonCode)[keyof typeof ReasonCode];

/** Packets that carry reason codes. */
export type ReasonCodePacket = Extract<
  PacketTypeName,
  'connack' | 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'suback' | 'unsuback' | 'disconnect' | 'auth'
>;

// Names as the specification's table gives them; codes shared by several packets have one entry each.
const COMMON: Record<number, string> = {
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet Identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported',
};

function table(success: Record<number, string>, failures: number[]): ReadonlyMap<number, string> {
  const m = new Map<number, string>();
  for (const [code, name] of Object.entries(success)) m.set(Number(code), name);
  for (const code of failures) m.set(code, COMMON[code] ?? 'Unknown');
  return m;
}

const PUB_FAILURES = [0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];

/** For each packet type, the reason codes it may carry and their names there. */
export const REASON_CODES_BY_PACKET: Readonly<Record<ReasonCodePacket, ReadonlyMap<number, string>>> = {
  connack: table(
    { 0: 'Success' },
    [
      0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a,
      0x9b, 0x9c, 0x9d, 0x9f,
    ],
  ),
  puback: table({ 0: 'Success', 16: 'No matching subscribers' }, PUB_FAILURES),
  pubrec: table({ 0: 'Success', 16: 'No matching subscribers' }, PUB_FAILURES),
  pubrel: table({ 0: 'Success' }, [0x92]),
  pubcomp: table({ 0: 'Success' }, [0x92]),
  suback: table(
    { 0: 'Granted QoS 0', 1: 'Granted QoS 1', 2: 'Granted QoS 2' },
    [0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  ),
  unsuback: table({ 0: 'Success', 17: 'No subscription existed' }, [0x80, 0x83, 0x87, 0x8f, 0x91]),
  disconnect: table(
    { 0: 'Normal disconnection', 4: 'Disconnect with Will Message' },
    [
      0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
      0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
    ],
  ),
  auth: table({ 0: 'Success', 24: 'Continue authentication', 25: 'Re-authenticate' }, []),
};

/** Whether a reason code reports a failure: every code of 0x80 and above ([MQTT-2.4]). */
export function isFailure(reasonCode: number): boolean {
  return reasonCode >= 0x80;
}

/** Whether `packet` may carry `reasonCode`. */
export function isValidReasonCode(packet: ReasonCodePacket, reasonCode: number): boolean {
  return REASON_CODES_BY_PACKET[packet].has(reasonCode);
}

/**
 * The specification's name of a reason code, as used in `packet` when given (0x00 is "Granted QoS 0" in SUBACK but
 * "Normal disconnection" in DISCONNECT). Unknown codes give `"Unknown reason code 0xNN"`.
 */
export function reasonCodeName(reasonCode: number, packet?: ReasonCodePacket): string {
  const name = packet
    ? REASON_CODES_BY_PACKET[packet].get(reasonCode)
    : (COMMON[reasonCode] ?? GENERIC[reasonCode]);
  return name ?? `Unknown reason code 0x${reasonCode.toString(16).padStart(2, '0')}`;
}

const GENERIC: Record<number, string> = {
  0: 'Success',
  1: 'Granted QoS 1',
  2: 'Granted QoS 2',
  4: 'Disconnect with Will Message',
  16: 'No matching subscribers',
  17: 'No subscription existed',
  24: 'Continue authentication',
  25: 'Re-authenticate',
};

/** MQTT 3.1 / 3.1.1 CONNACK return codes 0..5 and the MQTT 5 reason codes that mean the same. */
export const V3_CONNACK_TO_REASON: readonly number[] = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87];

/** The MQTT 3 return code for an MQTT 5 CONNACK reason code, or undefined if MQTT 3 cannot express it. */
export function reasonToV3ConnackCode(reasonCode: number): number | undefined {
  const i = V3_CONNACK_TO_REASON.indexOf(reasonCode);
  return i < 0 ? undefined : i;
}
