// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One test per rule of MQTT 3.1, 3.1.1 and 5.0 that the encoder must refuse to break. Each test builds a packet
 * that breaks exactly one rule, checks the error class, its code, `isMqttError` and that the message names the
 * problem, and (where there is one) encodes the same packet with the one fault repaired, which proves the refusal
 * comes from that fault and nothing else.
 *
 * Statement numbers: [MQTT-x.y.z-n] from 3.1.1 unless marked "v5"; sections as "§" of the version named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  ConnectProperties,
  Packet,
  ProtocolVersion,
  PublishPacket,
  PublishProperties,
  QoS,
  SubscribePacket,
  Subscription,
  UnsubscribePacket,
} from '../../../src/packet/index.js';
import { encode, InvalidArgumentError, isMqttError, PacketTooLargeError } from '../../../src/packet/index.js';

/**
 * Asserts that encoding `bad` for `version` throws an InvalidArgumentError whose message matches `message`, and that
 * `repaired`, when given, encodes.
 */
function refuses(
  bad: Packet,
  version: ProtocolVersion,
  message: RegExp,
  repaired?: Packet,
): InvalidArgumentError {
  let caught: unknown;
  try {
    encode(bad, version);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, 'encode accepted the packet');
  assert.ok(
    caught instanceof InvalidArgumentError,
    `expected an InvalidArgumentError, got ${String(caught)}`,
  );
  assert.equal(isMqttError(caught), true, 'isMqttError');
  assert.equal(caught.code, 'MQTT_ERR_INVALID_ARGUMENT');
  assert.match(caught.message, message);
  if (repaired !== undefined) {
    assert.doesNotThrow(() => encode(repaired, version), 'the repaired packet encodes');
  }
  return caught;
}

function publish(over: Partial<PublishPacket> = {}): PublishPacket {
  return {
    type: 'publish',
    topic: 'a/b',
    payload: new Uint8Array([1, 2]),
    qos: 0,
    retain: false,
    dup: false,
    ...over,
  };
}

function connect(over: Partial<ConnectPacket> = {}): ConnectPacket {
  return { type: 'connect', protocolVersion: 4, clientId: 'client', clean: true, keepAlive: 60, ...over };
}

function sub(topicFilter: string, over: Partial<Subscription> = {}): Subscription {
  return { topicFilter, qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, ...over };
}

function subscribe(subscriptions: Subscription[], over: Partial<SubscribePacket> = {}): SubscribePacket {
  return { type: 'subscribe', packetId: 1, subscriptions, ...over };
}

function unsubscribe(topicFilters: string[]): UnsubscribePacket {
  return { type: 'unsubscribe', packetId: 1, topicFilters };
}

function connack(over: Partial<ConnackPacket> = {}): ConnackPacket {
  return { type: 'connack', sessionPresent: false, reasonCode: 0, ...over };
}

describe('encode refusals', () => {
  // ---------------------------------------------------------------------------------------------------------------
  // PUBLISH topic names and flags (§3.3)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – bridge mode in an MQTT 5 CONNECT (the extension is for 3.1 and 3.1.1)', () => {
    const connect: ConnectPacket = {
      type: 'connect',
      protocolVersion: 5,
      clientId: 'b',
      clean: true,
      keepAlive: 0,
    };
    refuses({ ...connect, bridge: true }, 5, /bridge mode is for MQTT 3\.1 and 3\.1\.1/, connect);
  });

  it('encode – wildcard in a PUBLISH topic', () => {
    // [MQTT-3.3.2-2]: "The Topic Name in the PUBLISH Packet MUST NOT contain wildcard characters".
    for (const topic of ['a/+', 'a/#', '+', '#', 'a+b']) {
      refuses(publish({ topic }), 4, /wildcard/, publish({ topic: 'a/b' }));
    }
  });

  it('encode – empty topic in a v4 PUBLISH', () => {
    // [MQTT-4.7.3-1]: "All Topic Names and Topic Filters MUST be at least one character long".
    refuses(publish({ topic: '' }), 4, /topic must not be empty/, publish({ topic: 'a' }));
    refuses(publish({ topic: '' }), 3, /topic must not be empty/, publish({ topic: 'a' }));
  });

  it('encode – empty topic in a v5 PUBLISH without topicAlias', () => {
    // v5 §3.3.2.3.4: "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias".
    refuses(publish({ topic: '' }), 5, /topicAlias/, publish({ topic: '', properties: { topicAlias: 1 } }));
  });

  it('encode – QoS 3', () => {
    // [MQTT-3.3.1-4]: "A PUBLISH Packet MUST NOT have both QoS bits set to 1".
    refuses(
      publish({ qos: 3 as unknown as QoS, packetId: 1 }),
      4,
      /qos must be 0, 1 or 2/,
      publish({ qos: 2, packetId: 1 }),
    );
  });

  it('encode – packet identifier 0 on a QoS 1 PUBLISH', () => {
    // [MQTT-2.3.1-1] (v5 [MQTT-2.2.1-3]): a PUBLISH with QoS > 0 carries a non-zero packet identifier.
    refuses(
      publish({ qos: 1, packetId: 0 }),
      4,
      /packetId must be an integer from 1 to 65535/,
      publish({ qos: 1, packetId: 1 }),
    );
  });

  it('encode – packet identifier 65536 on a QoS 1 PUBLISH', () => {
    // 3.1.1 §2.3.1: the packet identifier is a Two Byte Integer.
    refuses(
      publish({ qos: 1, packetId: 65_536 }),
      4,
      /packetId must be an integer from 1 to 65535/,
      publish({ qos: 1, packetId: 65_535 }),
    );
  });

  it('encode – packet identifier missing on a QoS 2 PUBLISH', () => {
    // [MQTT-2.3.1-1]
    refuses(publish({ qos: 2 }), 5, /packetId/, publish({ qos: 2, packetId: 7 }));
  });

  it('encode – packet identifier given on a QoS 0 PUBLISH', () => {
    // [MQTT-2.3.1-5] (v5 [MQTT-2.2.1-2]): "A PUBLISH Packet MUST NOT contain a Packet Identifier if its QoS value is
    // set to 0".
    refuses(publish({ qos: 0, packetId: 1 }), 4, /QoS 0 PUBLISH has no packetId/, publish({ qos: 0 }));
  });

  it('encode – DUP on a QoS 0 PUBLISH', () => {
    // [MQTT-3.3.1-2]: "The DUP flag MUST be set to 0 for all QoS 0 messages".
    refuses(
      publish({ qos: 0, dup: true }),
      4,
      /dup must be false for QoS 0/,
      publish({ qos: 1, packetId: 1, dup: true }),
    );
  });

  it('encode – packet identifier 0 in the acknowledgements, SUBSCRIBE and UNSUBSCRIBE', () => {
    // [MQTT-2.3.1-1]: SUBSCRIBE and UNSUBSCRIBE carry a non-zero identifier; the acknowledgements echo one.
    const packets: Packet[] = [
      { type: 'puback', packetId: 0, reasonCode: 0 },
      { type: 'pubrec', packetId: 0, reasonCode: 0 },
      { type: 'pubrel', packetId: 0, reasonCode: 0 },
      { type: 'pubcomp', packetId: 0, reasonCode: 0 },
      subscribe([sub('a')], { packetId: 0 }),
      { type: 'suback', packetId: 0, reasonCodes: [0] },
      { type: 'unsubscribe', packetId: 0, topicFilters: ['a'] },
      { type: 'unsuback', packetId: 0, reasonCodes: [] },
    ];
    for (const p of packets)
      refuses(p, 4, /packetId must be an integer from 1 to 65535/, { ...p, packetId: 1 } as Packet);
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Data types (3.1.1 §1.5.3, v5 §1.5.4 and §1.5.6)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – UTF-8 string over 65,535 bytes', () => {
    // 3.1.1 §1.5.3 / v5 §1.5.4: a string's length prefix is two bytes, so at most 65,535 bytes of UTF-8. The limit is
    // in bytes, not UTF-16 units: 32,768 "é" are 65,536 bytes.
    refuses(publish({ topic: 'a'.repeat(65_536) }), 4, /65,535/, publish({ topic: 'a'.repeat(65_535) }));
    refuses(
      publish({ topic: 'é'.repeat(32_768) }),
      4,
      /65536 bytes.*65,535/,
      publish({ topic: `${'é'.repeat(32_767)}a` }),
    );
  });

  it('encode – U+0000 in a string', () => {
    // [MQTT-1.5.3-2] (v5 [MQTT-1.5.4-2]): "A UTF-8 encoded string MUST NOT include an encoding of the null character
    // U+0000".
    refuses(publish({ topic: 'a\u0000b' }), 4, /U\+0000/, publish({ topic: 'a/b' }));
    refuses(connect({ clientId: 'c\u0000' }), 4, /clientId contains U\+0000/, connect({ clientId: 'c' }));
    refuses(
      publish({ properties: { userProperties: [['k', 'v\u0000']] } }),
      5,
      /user property value contains U\+0000/,
      publish({ properties: { userProperties: [['k', 'v']] } }),
    );
  });

  it('encode – lone surrogate in a string', () => {
    // [MQTT-1.5.3-1] (v5 [MQTT-1.5.4-1]): no encodings of code points between U+D800 and U+DFFF; a lone surrogate
    // has no UTF-8 form at all.
    refuses(publish({ topic: 'a\ud800b' }), 4, /lone surrogate/, publish({ topic: 'a\ud800\udc00b' }));
    refuses(publish({ topic: 'a\udc00' }), 4, /lone surrogate/, publish({ topic: 'a' }));
    refuses(publish({ topic: 'a\ud800' }), 4, /lone surrogate/, publish({ topic: 'a' }));
  });

  it('encode – binary data over 65,535 bytes (correlationData)', () => {
    // v5 §1.5.6: Binary Data has a two-byte length prefix.
    refuses(
      publish({ properties: { correlationData: new Uint8Array(65_536) } }),
      5,
      /correlationData is 65536 bytes, over the limit of 65,535/,
      publish({ properties: { correlationData: new Uint8Array(65_535) } }),
    );
  });

  it('encode – keep alive over 65,535', () => {
    // §3.1.2.10: Keep Alive is a Two Byte Integer.
    refuses(connect({ keepAlive: 65_536 }), 4, /keepAlive/, connect({ keepAlive: 65_535 }));
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Properties (v5 §2.2.2)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – property not allowed in the packet: topicAlias on CONNECT', () => {
    // v5 §3.1.2.11: Topic Alias is not a CONNECT property.
    refuses(
      connect({ protocolVersion: 5, properties: { topicAlias: 1 } as unknown as ConnectProperties }),
      5,
      /topicAlias is not allowed in connect/,
      connect({ protocolVersion: 5, properties: { topicAliasMaximum: 1 } }),
    );
  });

  it('encode – property not allowed in the packet: reasonString on PUBLISH', () => {
    // v5 §3.3.2.3: Reason String is not a PUBLISH property.
    refuses(
      publish({ properties: { reasonString: 'x' } as unknown as PublishProperties }),
      5,
      /reasonString is not allowed in publish/,
      publish({ properties: { contentType: 'x' } }),
    );
  });

  it('encode – property not allowed in the will: willDelayInterval is the only will-only one, topicAlias is not', () => {
    // v5 §3.1.3.2: the Will Properties are a fixed list.
    refuses(
      connect({
        protocolVersion: 5,
        will: {
          topic: 'w',
          payload: new Uint8Array(0),
          qos: 0,
          retain: false,
          properties: { topicAlias: 1 } as unknown as PublishProperties,
        },
      }),
      5,
      /topicAlias is not allowed in will/,
      connect({
        protocolVersion: 5,
        will: {
          topic: 'w',
          payload: new Uint8Array(0),
          qos: 0,
          retain: false,
          properties: { willDelayInterval: 1 },
        },
      }),
    );
  });

  it('encode – unknown property name', () => {
    refuses(
      publish({ properties: { bogusProperty: 1 } as unknown as PublishProperties }),
      5,
      /unknown MQTT 5 property bogusProperty/,
      publish({ properties: {} }),
    );
  });

  it('encode – properties on a v4 packet', () => {
    // MQTT 3.1.1 has no properties.
    refuses(publish({ properties: { contentType: 'x' } }), 4, /need MQTT 5/, publish());
    refuses(connect({ properties: { sessionExpiryInterval: 1 } }), 4, /need MQTT 5/, connect());
    refuses(
      { type: 'puback', packetId: 1, reasonCode: 0, properties: { reasonString: 'x' } },
      4,
      /need MQTT 5/,
    );
    refuses(
      subscribe([sub('a')], { properties: { subscriptionIdentifier: 1 } }),
      4,
      /need MQTT 5/,
      subscribe([sub('a')]),
    );
  });

  it('encode – receiveMaximum 0', () => {
    // v5 §3.1.2.11.3: "It is a Protocol Error to include the Receive Maximum value more than once or for it to have
    // the value 0".
    refuses(
      connect({ protocolVersion: 5, properties: { receiveMaximum: 0 } }),
      5,
      /receiveMaximum must be an integer from 1/,
      connect({ protocolVersion: 5, properties: { receiveMaximum: 1 } }),
    );
  });

  it('encode – maximumPacketSize 0', () => {
    // v5 §3.1.2.11.4: "It is a Protocol Error to include the Maximum Packet Size more than once, or for the value to
    // be set to zero".
    refuses(
      connect({ protocolVersion: 5, properties: { maximumPacketSize: 0 } }),
      5,
      /maximumPacketSize must be an integer from 1/,
      connect({ protocolVersion: 5, properties: { maximumPacketSize: 1 } }),
    );
  });

  it('encode – subscriptionIdentifier 0', () => {
    // v5 §3.8.2.1.2: "It is a Protocol Error if the Subscription Identifier has a value of 0".
    refuses(
      subscribe([sub('a')], { properties: { subscriptionIdentifier: 0 } }),
      5,
      /subscriptionIdentifier must be an integer from 1/,
      subscribe([sub('a')], { properties: { subscriptionIdentifier: 1 } }),
    );
    refuses(
      publish({ properties: { subscriptionIdentifiers: [3, 0] } }),
      5,
      /subscription identifier must be an integer from 1/,
      publish({ properties: { subscriptionIdentifiers: [3, 1] } }),
    );
  });

  it('encode – subscriptionIdentifier over 268,435,455', () => {
    // v5 §3.8.2.1.2: a Variable Byte Integer from 1 to 268,435,455.
    refuses(
      subscribe([sub('a')], { properties: { subscriptionIdentifier: 268_435_456 } }),
      5,
      /subscriptionIdentifier must be an integer from 1 to 268435455/,
      subscribe([sub('a')], { properties: { subscriptionIdentifier: 268_435_455 } }),
    );
  });

  it('encode – topicAlias 0', () => {
    // v5 [MQTT-3.3.2-8]: "A sender MUST NOT send a PUBLISH packet containing a Topic Alias which has the value 0".
    refuses(
      publish({ properties: { topicAlias: 0 } }),
      5,
      /topicAlias must be an integer from 1/,
      publish({ properties: { topicAlias: 1 } }),
    );
  });

  it('encode – maximumQoS 2', () => {
    // v5 §3.2.2.3.4: "It is a Protocol Error to include Maximum QoS more than once, or to have a value other than 0
    // or 1".
    refuses(
      connack({ properties: { maximumQoS: 2 as unknown as 0 } }),
      5,
      /maximumQoS must be an integer from 0 to 1/,
      connack({ properties: { maximumQoS: 1 } }),
    );
  });

  it('encode – payloadFormatIndicator 2', () => {
    // v5 §3.3.2.3.2: 0 (unspecified bytes) or 1 (UTF-8).
    refuses(
      publish({ properties: { payloadFormatIndicator: 2 as unknown as 0 } }),
      5,
      /payloadFormatIndicator must be an integer from 0 to 1/,
      publish({ properties: { payloadFormatIndicator: 1 } }),
    );
  });

  it('encode – responseTopic with a wildcard', () => {
    // v5 [MQTT-3.3.2-14]: "The Response Topic MUST NOT contain wildcard characters".
    refuses(
      publish({ properties: { responseTopic: 'reply/#' } }),
      5,
      /responseTopic.*wildcards/,
      publish({ properties: { responseTopic: 'reply/x' } }),
    );
  });

  it('encode – authenticationData without authenticationMethod', () => {
    // v5 §3.1.2.11.10 (and §3.2.2.3.18, §3.15.2.2.3): "It is a Protocol Error to include Authentication Data if
    // there is no Authentication Method".
    const data = new Uint8Array([1, 2, 3]);
    refuses(
      connect({ protocolVersion: 5, properties: { authenticationData: data } }),
      5,
      /authenticationData.*authenticationMethod/,
      connect({
        protocolVersion: 5,
        properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: data },
      }),
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Reason codes (v5 §2.4)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – MQTT 5 reason code on a v4 PUBACK', () => {
    // 3.1.1 §3.4: a PUBACK is only the packet identifier.
    refuses({ type: 'puback', packetId: 1, reasonCode: 0x10 }, 4, /PUBACK reason codes need MQTT 5/, {
      type: 'puback',
      packetId: 1,
      reasonCode: 0,
    });
  });

  it('encode – reason code not valid for the packet', () => {
    // v5 Table 3-4 (PUBACK), 3-6 (PUBREL), 3-1 (CONNACK), 3-10 (DISCONNECT), 3-8 (SUBACK).
    refuses({ type: 'puback', packetId: 1, reasonCode: 0x04 }, 5, /invalid PUBACK reason code/);
    refuses({ type: 'pubrel', packetId: 1, reasonCode: 0x10 }, 5, /invalid PUBREL reason code/);
    refuses(connack({ reasonCode: 0x04 }), 5, /invalid CONNACK reason code/, connack({ reasonCode: 0x87 }));
    refuses({ type: 'disconnect', reasonCode: 0x05 }, 5, /invalid DISCONNECT reason code/);
    refuses({ type: 'suback', packetId: 1, reasonCodes: [0, 0x03] }, 5, /invalid SUBACK reason code/);
  });

  it('encode – CONNACK reason code with no MQTT 3 return code', () => {
    // 3.1.1 §3.2.2.3, Table 3.1: return codes 0 to 5 only.
    refuses(connack({ reasonCode: 0x80 }), 4, /no MQTT 3 return code/, connack({ reasonCode: 0x87 }));
  });

  it('encode – SUBACK v4 with a reserved return code', () => {
    // [MQTT-3.9.3-2]: "SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved and MUST NOT be used".
    refuses({ type: 'suback', packetId: 1, reasonCodes: [0x87] }, 4, /invalid SUBACK reason code/, {
      type: 'suback',
      packetId: 1,
      reasonCodes: [0x80],
    });
  });

  it('encode – SUBACK without any reason code', () => {
    // §3.9.3: one code per topic filter of the SUBSCRIBE, which has at least one.
    refuses({ type: 'suback', packetId: 1, reasonCodes: [] }, 4, /at least one reason code/);
    refuses({ type: 'suback', packetId: 1, reasonCodes: [] }, 5, /at least one reason code/);
  });

  it('encode – UNSUBACK reason codes on v4', () => {
    // 3.1.1 §3.11: an UNSUBACK has no payload.
    refuses({ type: 'unsuback', packetId: 1, reasonCodes: [0x11] }, 4, /UNSUBACK reason codes need MQTT 5/, {
      type: 'unsuback',
      packetId: 1,
      reasonCodes: [],
    });
  });

  it('encode – DISCONNECT reason code on v4', () => {
    // 3.1.1 §3.14: a DISCONNECT has no variable header.
    refuses({ type: 'disconnect', reasonCode: 0x04 }, 4, /DISCONNECT reason codes need MQTT 5/, {
      type: 'disconnect',
      reasonCode: 0,
    });
  });

  // ---------------------------------------------------------------------------------------------------------------
  // SUBSCRIBE and UNSUBSCRIBE (§3.8, §3.10, §4.7, §4.8)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – topic filter with # not in the last level', () => {
    // [MQTT-4.7.1-2]: "#" MUST be the last character of the filter and stand alone in its level.
    refuses(subscribe([sub('a/#/b')]), 4, /# must be the last level/, subscribe([sub('a/b/#')]));
    refuses(subscribe([sub('a#')]), 5, /# must be the last level/, subscribe([sub('a/#')]));
    refuses(unsubscribe(['a/#/b']), 4, /# must be the last level/, unsubscribe(['a/b/#']));
  });

  it('encode – topic filter with + not alone in its level', () => {
    // [MQTT-4.7.1-3]: "+" MUST occupy an entire level of the filter.
    refuses(subscribe([sub('a+')]), 4, /\+ must stand alone/, subscribe([sub('a/+')]));
    refuses(unsubscribe(['a/+b']), 5, /\+ must stand alone/, unsubscribe(['a/+/b']));
  });

  it('encode – shared subscription without a share name', () => {
    // v5 [MQTT-4.8.2-1]: "$share/" MUST be followed by a ShareName at least one character long.
    refuses(subscribe([sub('$share//x')]), 5, /share name/, subscribe([sub('$share/g/x')]));
  });

  it('encode – shared subscription without a filter after the share name', () => {
    // v5 [MQTT-4.8.2-2]: the ShareName MUST be followed by "/" and a Topic Filter.
    refuses(subscribe([sub('$share/g')]), 5, /filter after the share name/, subscribe([sub('$share/g/x')]));
  });

  it('encode – empty topic filter', () => {
    // [MQTT-4.7.3-1]
    refuses(subscribe([sub('')]), 4, /topic filter must not be empty/, subscribe([sub('a')]));
    refuses(unsubscribe(['']), 4, /topic filter must not be empty/, unsubscribe(['a']));
  });

  it('encode – empty SUBSCRIBE list', () => {
    // [MQTT-3.8.3-3]: the payload MUST contain at least one Topic Filter / QoS pair.
    refuses(subscribe([]), 4, /at least one subscription/, subscribe([sub('a')]));
    refuses(subscribe([]), 5, /at least one subscription/, subscribe([sub('a')]));
  });

  it('encode – empty UNSUBSCRIBE list', () => {
    // [MQTT-3.10.3-2]: the payload MUST contain at least one Topic Filter.
    refuses(unsubscribe([]), 4, /at least one topic filter/, unsubscribe(['a']));
    refuses(unsubscribe([]), 5, /at least one topic filter/, unsubscribe(['a']));
  });

  it('encode – subscription QoS 3', () => {
    // [MQTT-3-8.3-4] / v5 §3.8.3.1: requested (maximum) QoS is 0, 1 or 2.
    refuses(
      subscribe([sub('a', { qos: 3 as unknown as QoS })]),
      4,
      /subscription qos/,
      subscribe([sub('a', { qos: 2 })]),
    );
  });

  it('encode – noLocal, retainAsPublished or retainHandling on a v4 SUBSCRIBE', () => {
    // 3.1.1 §3.8.3.1: bits 7-2 of the requested QoS byte are reserved.
    refuses(subscribe([sub('a', { noLocal: true })]), 4, /need MQTT 5/, subscribe([sub('a')]));
    refuses(subscribe([sub('a', { retainAsPublished: true })]), 4, /need MQTT 5/);
    refuses(subscribe([sub('a', { retainHandling: 1 })]), 4, /need MQTT 5/);
  });

  it('encode – retainHandling 3', () => {
    // v5 §3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3".
    refuses(
      subscribe([sub('a', { retainHandling: 3 as unknown as 0 })]),
      5,
      /retainHandling/,
      subscribe([sub('a', { retainHandling: 2 })]),
    );
  });

  it('encode – noLocal on a shared subscription', () => {
    // v5 [MQTT-3.8.3-4]: "It is a Protocol Error to set the No Local bit to 1 on a Shared Subscription".
    refuses(
      subscribe([sub('$share/g/a', { noLocal: true })]),
      5,
      /noLocal is not allowed on a shared subscription/,
      subscribe([sub('$share/g/a')]),
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // CONNECT, CONNACK and AUTH (§3.1, §3.2, v5 §3.15)
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – password without user name on v4', () => {
    // [MQTT-3.1.2-22]: "If the User Name Flag is set to 0, the Password Flag MUST be set to 0" (lifted in v5).
    const password = new Uint8Array([0x70]);
    refuses(connect({ password }), 4, /password without a username/, connect({ username: 'u', password }));
    assert.doesNotThrow(() => encode(connect({ protocolVersion: 5, password }), 5));
  });

  it('encode – MQTT 3.1 client identifier longer than 23 bytes or empty', () => {
    // MQTT 3.1 §3.1, Client Identifier: "between 1 and 23 characters long".
    const v3 = (clientId: string): ConnectPacket => connect({ protocolVersion: 3, clientId });
    refuses(v3('x'.repeat(24)), 3, /1 to 23 bytes/, v3('x'.repeat(23)));
    refuses(v3(''), 3, /1 to 23 bytes/, v3('x'));
  });

  it('encode – empty client identifier without clean session on v4', () => {
    // [MQTT-3.1.3-7]: "If the Client supplies a zero-byte ClientId, the Client MUST also set CleanSession to 1".
    refuses(
      connect({ clientId: '', clean: false }),
      4,
      /empty clientId needs clean/,
      connect({ clientId: '', clean: true }),
    );
  });

  it('encode – will QoS 3', () => {
    // [MQTT-3.1.2-14]: the Will QoS MUST NOT be 3.
    const will = { topic: 'w', payload: new Uint8Array(0), qos: 3 as unknown as QoS, retain: false };
    refuses(connect({ will }), 4, /will\.qos/, connect({ will: { ...will, qos: 2 } }));
  });

  it('encode – will topic with a wildcard', () => {
    // [MQTT-3.1.3-10] / [MQTT-3.3.2-2]: the will topic is a topic name.
    const will = { topic: 'w/#', payload: new Uint8Array(0), qos: 0 as const, retain: false };
    refuses(
      connect({ will }),
      4,
      /will topic must not contain wildcards/,
      connect({ will: { ...will, topic: 'w/x' } }),
    );
  });

  it('encode – empty will topic', () => {
    // [MQTT-4.7.3-1]
    const will = { topic: '', payload: new Uint8Array(0), qos: 0 as const, retain: false };
    refuses(connect({ will }), 4, /will topic must not be empty/, connect({ will: { ...will, topic: 'w' } }));
  });

  it('encode – will properties on v4', () => {
    const will = { topic: 'w', payload: new Uint8Array(0), qos: 0 as const, retain: false };
    refuses(
      connect({ will: { ...will, properties: { willDelayInterval: 5 } } }),
      4,
      /will properties need MQTT 5/,
      connect({ will }),
    );
  });

  it('encode – unknown protocol version', () => {
    // [MQTT-3.1.2-2]: levels 3 (3.1), 4 (3.1.1) and 5 only.
    refuses(connect({ protocolVersion: 6 as unknown as ProtocolVersion }), 4, /protocolVersion/, connect());
    refuses(publish(), 6 as unknown as ProtocolVersion, /protocol version must be 3, 4 or 5/);
  });

  it('encode – CONNACK session present with a non-zero code', () => {
    // [MQTT-3.2.2-4] (v5 [MQTT-3.2.2-6]): a refusing CONNACK MUST set Session Present to 0.
    refuses(
      connack({ sessionPresent: true, reasonCode: 0x87 }),
      4,
      /session present must be 0/,
      connack({ sessionPresent: false, reasonCode: 0x87 }),
    );
    refuses(connack({ sessionPresent: true, reasonCode: 0x87 }), 5, /session present must be 0/);
  });

  it('encode – CONNACK session present on MQTT 3.1', () => {
    // MQTT 3.1 §3.2: the first byte of the CONNACK variable header is reserved (no Session Present flag).
    refuses(connack({ sessionPresent: true }), 3, /no session present/, connack());
  });

  it('encode – AUTH on v4', () => {
    // AUTH (type 15) is reserved before MQTT 5 (3.1.1 §2.2.1, Table 2.1).
    const auth: AuthPacket = {
      type: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-1' },
    };
    refuses(auth, 4, /AUTH needs MQTT 5/);
    refuses(auth, 3, /AUTH needs MQTT 5/);
    assert.doesNotThrow(() => encode(auth, 5));
  });

  it('encode – AUTH without authenticationMethod', () => {
    // v5 §3.15.2.2.2: "It is a Protocol Error to omit the Authentication Method".
    refuses({ type: 'auth', reasonCode: 0x18 }, 5, /AUTH needs an authenticationMethod/, {
      type: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-1' },
    });
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Packet size
  // ---------------------------------------------------------------------------------------------------------------

  it('encode – packet over the maxPacketSize option', () => {
    // v5 [MQTT-3.1.2-24]: a sender MUST NOT send a packet larger than the Maximum Packet Size the receiver announced.
    // PUBLISH QoS 0, topic "a/b", 100-byte payload, v5: 1 + 1 (remaining length 106) + 5 (topic) + 1 (no properties)
    // + 100 = 108 bytes.
    const p = publish({ payload: new Uint8Array(100) });
    let caught: unknown;
    try {
      encode(p, 5, { maxPacketSize: 107 });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof PacketTooLargeError, `expected a PacketTooLargeError, got ${String(caught)}`);
    assert.equal(isMqttError(caught), true);
    assert.equal(caught.code, 'MQTT_ERR_PACKET_TOO_LARGE');
    assert.equal(caught.size, 108);
    assert.equal(caught.maximum, 107);
    assert.match(caught.message, /PUBLISH would be 108 bytes, over the maximum packet size of 107/);
    assert.equal(encode(p, 5, { maxPacketSize: 108 }).length, 108); // exactly at the limit is fine

    // The limit applies to every packet type, here a 2-byte PINGREQ.
    assert.throws(
      () => encode({ type: 'pingreq' }, 4, { maxPacketSize: 1 }),
      (e) => e instanceof PacketTooLargeError && e.size === 2 && e.maximum === 1 && isMqttError(e),
    );
  });
});
