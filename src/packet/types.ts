// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The packet model: one MQTT 5-shaped model for every protocol version. MQTT 3.1 and 3.1.1 packets decode into
 * the same shapes, with the MQTT 5-only fields at their defaults (reason code 0, no properties), so that code above
 * the codec handles a single model.
 *
 * @module
 */

/**
 * The protocol level byte of CONNECT: 3 is MQTT 3.1 (protocol name `MQIsdp`), 4 is MQTT 3.1.1 and 5 is MQTT 5.0.
 */
export type ProtocolVersion = 3 | 4 | 5;

/** Named protocol levels, for readability at call sites. */
export const ProtocolVersion = {
  /** MQTT 3.1 (protocol name `MQIsdp`). */
  V3_1: 3,
  /** MQTT 3.1.1. */
  V3_1_1: 4,
  /** MQTT 5.0. */
  V5: 5,
} as const;

/** Quality of service level of a message or subscription. */
export type QoS = 0 | 1 | 2;

/** MQTT 5 User Properties: name/value pairs, in order, names may repeat ([MQTT-3.3.2-18]). */
export type UserProperties = Array<[name: string, value: string]>;

/**
 * Every MQTT 5 property, named after the specification in camelCase. Each packet type accepts a subset, spelled out
 * by the `*Properties` types below; the codec refuses a property in a packet that may not carry it.
 */
export interface AllProperties {
  /** 0x01: 0 = unspecified bytes, 1 = UTF-8 encoded character data. PUBLISH, Will. */
  payloadFormatIndicator?: 0 | 1;
  /** 0x02: lifetime of the message in seconds. PUBLISH, Will. */
  messageExpiryInterval?: number;
  /** 0x03: MIME-like description of the payload. PUBLISH, Will. */
  contentType?: string;
  /** 0x08: topic name for a response message. PUBLISH, Will. */
  responseTopic?: string;
  /** 0x09: correlates a response with its request. PUBLISH, Will. */
  correlationData?: Uint8Array;
  /** 0x0B in SUBSCRIBE: the identifier given to this subscription (1..268,435,455). */
  subscriptionIdentifier?: number;
  /** 0x0B in PUBLISH: the identifiers of every matching subscription (the property may repeat there). */
  subscriptionIdentifiers?: number[];
  /** 0x11: seconds the session outlives the network connection. CONNECT, CONNACK, DISCONNECT. */
  sessionExpiryInterval?: number;
  /** 0x12: client identifier assigned by the server. CONNACK. */
  assignedClientIdentifier?: string;
  /** 0x13: keep-alive the server wants the client to use, in seconds. CONNACK. */
  serverKeepAlive?: number;
  /** 0x15: name of the extended authentication method. CONNECT, CONNACK, AUTH. */
  authenticationMethod?: string;
  /** 0x16: method-specific authentication data. CONNECT, CONNACK, AUTH. */
  authenticationData?: Uint8Array;
  /** 0x17: whether reason strings and user properties may be sent on failures. CONNECT. */
  requestProblemInformation?: boolean;
  /** 0x18: seconds the server waits before publishing the will. Will. */
  willDelayInterval?: number;
  /** 0x19: asks the server for Response Information in CONNACK. CONNECT. */
  requestResponseInformation?: boolean;
  /** 0x1A: basis for response topics. CONNACK. */
  responseInformation?: string;
  /** 0x1C: another server to use. CONNACK, DISCONNECT. */
  serverReference?: string;
  /** 0x1F: human-readable diagnostic. CONNACK, acks, SUBACK, UNSUBACK, DISCONNECT, AUTH. */
  reasonString?: string;
  /** 0x21: how many QoS 1/2 publications the sender of this property accepts at once. CONNECT, CONNACK. */
  receiveMaximum?: number;
  /** 0x22: highest topic alias the sender of this property accepts. CONNECT, CONNACK. */
  topicAliasMaximum?: number;
  /** 0x23: a number standing for the topic name on this connection. PUBLISH. */
  topicAlias?: number;
  /** 0x24: highest QoS the server supports. CONNACK. */
  maximumQoS?: 0 | 1;
  /** 0x25: whether the server supports retained messages. CONNACK. */
  retainAvailable?: boolean;
  /** 0x26: application-defined name/value pairs. Every packet that has properties, and Will. */
  userProperties?: UserProperties;
  /** 0x27: largest packet, in bytes, the sender of this property accepts. CONNECT, CONNACK. */
  maximumPacketSize?: number;
  /** 0x28: whether the server supports wildcard subscriptions. CONNACK. */
  wildcardSubscriptionAvailable?: boolean;
  /** 0x29: whether the server supports subscription identifiers. CONNACK. */
  subscriptionIdentifierAvailable?: boolean;
  /** 0x2A: whether the server supports shared subscriptions. CONNACK. */
  sharedSubscriptionAvailable?: boolean;
}

/** Properties of CONNECT. */
export type ConnectProperties = Pick<
  AllProperties,
  | 'sessionExpiryInterval'
  | 'receiveMaximum'
  | 'maximumPacketSize'
  | 'topicAliasMaximum'
  | 'requestResponseInformation'
  | 'requestProblemInformation'
  | 'userProperties'
  | 'authenticationMethod'
  | 'authenticationData'
>;

/** Properties of the will message, carried in the CONNECT payload. */
export type WillProperties = Pick<
  AllProperties,
  | 'willDelayInterval'
  | 'payloadFormatIndicator'
  | 'messageExpiryInterval'
  | 'contentType'
  | 'responseTopic'
  | 'correlationData'
  | 'userProperties'
>;

/** Properties of CONNACK. */
export type ConnackProperties = Pick<
  AllProperties,
  | 'sessionExpiryInterval'
  | 'receiveMaximum'
  | 'maximumQoS'
  | 'retainAvailable'
  | 'maximumPacketSize'
  | 'assignedClientIdentifier'
  | 'topicAliasMaximum'
  | 'reasonString'
  | 'userProperties'
  | 'wildcardSubscriptionAvailable'
  | 'subscriptionIdentifierAvailable'
  | 'sharedSubscriptionAvailable'
  | 'serverKeepAlive'
  | 'responseInformation'
  | 'serverReference'
  | 'authenticationMethod'
  | 'authenticationData'
>;

/** Properties of PUBLISH. */
export type PublishProperties = Pick<
  AllProperties,
  | 'payloadFormatIndicator'
  | 'messageExpiryInterval'
  | 'topicAlias'
  | 'responseTopic'
  | 'correlationData'
  | 'userProperties'
  | 'subscriptionIdentifiers'
  | 'contentType'
>;

/** Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK. */
export type AckProperties = Pick<AllProperties, 'reasonString' | 'userProperties'>;

/** Properties of SUBSCRIBE. */
export type SubscribeProperties = Pick<AllProperties, 'subscriptionIdentifier' | 'userProperties'>;

/** Properties of UNSUBSCRIBE. */
export type UnsubscribeProperties = Pick<AllProperties, 'userProperties'>;

/** Properties of DISCONNECT. */
export type DisconnectProperties = Pick<
  AllProperties,
  'sessionExpiryInterval' | 'reasonString' | 'userProperties' | 'serverReference'
>;

/** Properties of AUTH. */
export type AuthProperties = Pick<
  AllProperties,
  'authenticationMethod' | 'authenticationData' | 'reasonString' | 'userProperties'
>;

/** The will message of a CONNECT. */
export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** MQTT 5 only. */
  properties?: WillProperties;
}

/** CONNECT (type 1), client to server. */
export interface ConnectPacket {
  type: 'connect';
  /** Also selects the protocol name: `MQIsdp` for 3, `MQTT` for 4 and 5. */
  protocolVersion: ProtocolVersion;
  clientId: string;
  /** Clean Session (3.1, 3.1.1) or Clean Start (5). */
  clean: boolean;
  /** Keep-alive in seconds, 0 to 65,535; 0 turns keep-alive off. */
  keepAlive: number;
  username?: string;
  /** Binary data in 3.1.1 and 5; in 3.1 it is a string on the wire, carried here as its UTF-8 bytes. */
  password?: Uint8Array;
  will?: Will;
  properties?: ConnectProperties;
  /**
   * Bridge mode, MQTT 3.1 and 3.1.1 only: the protocol level goes with its top bit set (0x83, 0x84), a
   * non-standard extension that Mosquitto and RSMB honour — the broker then sends the client none of its own
   * publications and keeps the retain flag as published (what MQTT 5 asks for with No Local and Retain As
   * Published).
   */
  bridge?: boolean;
}

/** CONNACK (type 2), server to client. */
export interface ConnackPacket {
  type: 'connack';
  /** Always false in MQTT 3.1, which has no such flag. */
  sessionPresent: boolean;
  /**
   * MQTT 5 reason code. An MQTT 3 return code is mapped to its MQTT 5 equivalent (1 → 0x84, 2 → 0x85, 3 → 0x88,
   * 4 → 0x86, 5 → 0x87) and back when encoding.
   */
  reasonCode: number;
  properties?: ConnackProperties;
}

/** PUBLISH (type 3), both directions. */
export interface PublishPacket {
  type: 'publish';
  /** May be empty in MQTT 5 when a Topic Alias property stands for it. */
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present exactly when qos > 0; 1..65,535. */
  packetId?: number;
  properties?: PublishProperties;
}

interface AckFields {
  packetId: number;
  /** Always 0 for MQTT 3. */
  reasonCode: number;
  properties?: AckProperties;
}

/** PUBACK (type 4): ends a QoS 1 flow. */
export interface PubackPacket extends AckFields {
  type: 'puback';
}
/** PUBREC (type 5): first answer in a QoS 2 flow. */
export interface PubrecPacket extends AckFields {
  type: 'pubrec';
}
/** PUBREL (type 6): releases a QoS 2 message. */
export interface PubrelPacket extends AckFields {
  type: 'pubrel';
}
/** PUBCOMP (type 7): ends a QoS 2 flow. */
export interface PubcompPacket extends AckFields {
  type: 'pubcomp';
}

/** One topic filter of a SUBSCRIBE with its options. MQTT 3 carries only the filter and QoS. */
export interface Subscription {
  topicFilter: string;
  qos: QoS;
  /** MQTT 5: do not send my own publications back to me. */
  noLocal: boolean;
  /** MQTT 5: keep the retain flag as published instead of clearing it on forwarded messages. */
  retainAsPublished: boolean;
  /** MQTT 5: 0 = send retained on subscribe, 1 = only if the subscription is new, 2 = never. */
  retainHandling: 0 | 1 | 2;
}

/** SUBSCRIBE (type 8), client to server. */
export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: Subscription[];
  properties?: SubscribeProperties;
}

/** SUBACK (type 9): one reason code (granted QoS or failure) per requested filter, in order. */
export interface SubackPacket {
  type: 'suback';
  packetId: number;
  reasonCodes: number[];
  properties?: AckProperties;
}

/** UNSUBSCRIBE (type 10), client to server. */
export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties?: UnsubscribeProperties;
}

/** UNSUBACK (type 11): one reason code per filter in MQTT 5; MQTT 3 has none, so the list is empty. */
export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  reasonCodes: number[];
  properties?: AckProperties;
}

/** PINGREQ (type 12). */
export interface PingreqPacket {
  type: 'pingreq';
}

/** PINGRESP (type 13). */
export interface PingrespPacket {
  type: 'pingresp';
}

/** DISCONNECT (type 14), both directions in MQTT 5, client to server in MQTT 3. */
export interface DisconnectPacket {
  type: 'disconnect';
  /** Always 0 for MQTT 3. */
  reasonCode: number;
  properties?: DisconnectProperties;
}

/** AUTH (type 15), MQTT 5 only: an enhanced authentication exchange. */
export interface AuthPacket {
  type: 'auth';
  reasonCode: number;
  properties?: AuthProperties;
}

/** Any MQTT control packet, discriminated on `type`. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

/** The `type` names of all packets. */
export type PacketTypeName = Packet['type'];

/** The packet type numbers of the fixed header, by name. */
export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const satisfies Record<PacketTypeName, number>;

/** Packet type names indexed by their fixed-header number (index 0 is reserved). */
export const PACKET_TYPE_NAMES: readonly (PacketTypeName | undefined)[] = [
  undefined,
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];
