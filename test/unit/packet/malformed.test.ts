// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One test per well-formedness rule of MQTT 3.1.1 and 5.0 that a decoder must enforce. Each test spells out a bad
 * packet byte by byte (one comment per field), built from a valid packet with exactly one thing broken, and checks
 * the error class, the MQTT 5 reason code, the byte offset and that the message names the problem. Where the break
 * is a same-length change, `fix` puts the valid byte(s) back and the test also checks that the repaired packet
 * decodes, which proves the error comes from the broken field and nothing else.
 *
 * Statement numbers: [MQTT-x.y.z-n] from 3.1.1 unless marked "v5"; sections as "§" of the version named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Packet, ProtocolVersion } from '../../../src/packet/index.js';
import { decode, isMqttError, PacketDecoder, ProtocolError } from '../../../src/packet/index.js';

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const UNSUPPORTED_VERSION = 0x84;
const TOPIC_ALIAS_INVALID = 0x94;
const PACKET_TOO_LARGE = 0x95;

/** Bytes from hex; whitespace is ignored so that each field can sit on its own line with a comment. */
function h(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(s)) throw new Error(`bad hex in test: ${s}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

interface Expected {
  reasonCode: number;
  /** The byte offset the error must report; left out only where no single byte is to blame. */
  offset?: number;
  /** A distinctive word or phrase of the message. */
  message: RegExp;
  /** `[at, hex]`: writing these bytes at `at` repairs the packet, which must then decode. */
  fix?: [at: number, hex: string];
}

function checkProtocolError(e: unknown, expected: Expected): ProtocolError {
  assert.ok(e instanceof ProtocolError, `expected a ProtocolError, got ${String(e)}`);
  assert.equal(isMqttError(e), true, 'isMqttError');
  assert.equal(e.code, 'MQTT_ERR_PROTOCOL');
  assert.equal(hex(e.reasonCode), hex(expected.reasonCode), `reason code of "${e.message}"`);
  assert.match(e.message, expected.message);
  if (expected.offset !== undefined) {
    assert.equal(e.offset, expected.offset, `offset of "${e.message}"`);
    assert.ok(
      e.message.endsWith(`(at byte ${expected.offset})`),
      `message ends with the offset: ${e.message}`,
    );
  }
  return e;
}

/** Asserts that `decode` refuses `bytes` as described, and (with `fix`) accepts them once repaired. */
function malformed(
  bytes: Uint8Array,
  version: ProtocolVersion,
  expected: Expected,
  options?: { maxPacketSize: number },
): ProtocolError {
  let caught: unknown;
  try {
    const p = decode(bytes, version, options);
    assert.fail(
      `decode accepted the bytes as ${JSON.stringify(p, (_k, v) => (v instanceof Uint8Array ? [...v] : v))}`,
    );
  } catch (e) {
    caught = e;
  }
  if (caught instanceof assert.AssertionError) throw caught;
  const err = checkProtocolError(caught, expected);
  if (expected.fix !== undefined) {
    const [at, fix] = expected.fix;
    const repaired = bytes.slice();
    repaired.set(h(fix), at);
    assert.doesNotThrow(() => decode(repaired, version, options), 'the repaired packet decodes');
  }
  return err;
}

/** Decodes bytes that must be accepted. */
function accepts(bytes: Uint8Array, version: ProtocolVersion): Packet {
  return decode(bytes, version);
}

describe('decoding malformed packets', () => {
  // ---------------------------------------------------------------------------------------------------------------
  // Fixed header
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – packet type 0 is reserved', () => {
    // 3.1.1 §2.2.1 and v5 §2.1.2, Table 2.1: type 0 is "Reserved / Forbidden".
    for (const v of [3, 4, 5] as const) {
      malformed(
        h(
          '00', // type 0, flags 0
          '00', // remaining length 0
        ),
        v,
        { reasonCode: MALFORMED, offset: 0, message: /type 0 is reserved/, fix: [0, 'c0'] },
      );
    }
  });

  it('decode – packet type 15 (AUTH) before MQTT 5', () => {
    // 3.1.1 §2.2.1 Table 2.1: type 15 is "Reserved / Forbidden"; AUTH exists from v5 only.
    for (const v of [3, 4] as const) {
      malformed(
        h(
          'f0', // AUTH
          '00', // remaining length 0
        ),
        v,
        { reasonCode: MALFORMED, offset: 0, message: /AUTH/, fix: [0, 'c0'] },
      );
    }
    accepts(h('f0 00'), 5);
  });

  // [MQTT-2.2.2-1] [MQTT-2.2.2-2] (v5: [MQTT-2.1.3-1]): a reserved flag bit must have the value listed in Table 2.2,
  // and a packet with other flags is malformed. Each row: a valid packet with its first byte changed.
  const reservedFlags: Array<{
    name: string;
    v: ProtocolVersion;
    bytes: string;
    good: string;
    rule: string;
  }> = [
    // CONNECT v4: protocol name "MQTT", level 4, flags clean, keep alive 60, empty client id.
    { name: 'CONNECT', v: 4, bytes: '11 0c 0004 4d515454 04 02 003c 0000', good: '10', rule: '0b0000' },
    { name: 'CONNACK', v: 4, bytes: '21 02 00 00', good: '20', rule: '0b0000' }, // flags, return code
    { name: 'PUBACK', v: 4, bytes: '41 02 0001', good: '40', rule: '0b0000' }, // packet id 1
    { name: 'PUBREC', v: 4, bytes: '58 02 0001', good: '50', rule: '0b0000' },
    // [MQTT-3.6.1-1] PUBREL flags must be 0b0010.
    { name: 'PUBREL', v: 4, bytes: '60 02 0001', good: '62', rule: '0b0010' },
    { name: 'PUBCOMP', v: 4, bytes: '72 02 0001', good: '70', rule: '0b0000' },
    // [MQTT-3.8.1-1] SUBSCRIBE flags must be 0b0010: packet id 1, filter "a", QoS 0.
    { name: 'SUBSCRIBE', v: 4, bytes: '80 06 0001 0001 61 00', good: '82', rule: '0b0010' },
    { name: 'SUBACK', v: 4, bytes: '92 03 0001 00', good: '90', rule: '0b0000' }, // packet id 1, granted QoS 0
    // [MQTT-3.10.1-1] UNSUBSCRIBE flags must be 0b0010: packet id 1, filter "a".
    { name: 'UNSUBSCRIBE', v: 4, bytes: 'a3 05 0001 0001 61', good: 'a2', rule: '0b0010' },
    { name: 'UNSUBACK', v: 4, bytes: 'b2 02 0001', good: 'b0', rule: '0b0000' },
    { name: 'PINGREQ', v: 4, bytes: 'c8 00', good: 'c0', rule: '0b0000' },
    { name: 'PINGRESP', v: 4, bytes: 'd1 00', good: 'd0', rule: '0b0000' },
    { name: 'DISCONNECT', v: 4, bytes: 'e2 00', good: 'e0', rule: '0b0000' },
    { name: 'AUTH', v: 5, bytes: 'f1 00', good: 'f0', rule: '0b0000' },
  ];
  for (const row of reservedFlags) {
    it(`decode – reserved fixed-header flags of ${row.name} must be ${row.rule}`, () => {
      malformed(h(row.bytes), row.v, {
        reasonCode: MALFORMED,
        offset: 0,
        message: new RegExp(`reserved flags of ${row.name}.*must be ${row.rule}`),
        fix: [0, row.good],
      });
    });
  }

  it('decode – remaining length longer than 4 bytes', () => {
    // 3.1.1 §2.2.3 / v5 §1.5.5: a Variable Byte Integer has at most four bytes. The streaming decoder fails on the
    // fourth length byte (offset 4) because it still has the continuation bit, before any further byte arrives.
    const d = new PacketDecoder(() => assert.fail('no packet expected'), { protocolVersion: 4 });
    assert.throws(
      () =>
        d.push(
          h(
            '30', // PUBLISH
            'ff ff ff ff', // four length bytes, the last one still continued
          ),
        ),
      (e) => !!checkProtocolError(e, { reasonCode: MALFORMED, offset: 4, message: /longer than 4 bytes/ }),
    );
    malformed(
      h(
        'c0', // PINGREQ
        '80 80 80 80 01', // five length bytes
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /longer than 4 bytes/ },
    );
  });

  it('decode – remaining length not encoded in the fewest bytes', () => {
    // v5 [MQTT-1.5.5-1]: a Variable Byte Integer uses the minimum number of bytes; 0x80 0x00 is a two-byte zero.
    malformed(
      h(
        'c0', // PINGREQ
        '80 00', // remaining length 0 in two bytes
      ),
      4,
      { reasonCode: MALFORMED, offset: 2, message: /fewest bytes/ },
    );
    malformed(
      h(
        '40', // PUBACK
        '82 00', // remaining length 2 in two bytes
        '0001', // packet id 1
      ),
      4,
      { reasonCode: MALFORMED, offset: 2, message: /fewest bytes/ },
    );
  });

  // Remaining length larger than the packet's content: bytes left over after the last field the packet has.
  // 3.1.1 §2.2.3 / v5 §2.1.4: the remaining length counts exactly the variable header and payload.
  const trailing: Array<{ name: string; v: ProtocolVersion; bytes: string; offset: number; what: RegExp }> = [
    // PINGREQ has no variable header or payload ([MQTT-3.12], §3.12.2/3.12.3).
    { name: 'PINGREQ with remaining length 1', v: 4, bytes: 'c0 01 00', offset: 2, what: /after PINGREQ/ },
    { name: 'PINGRESP with remaining length 1', v: 4, bytes: 'd0 01 00', offset: 2, what: /after PINGRESP/ },
    // A 3.1.1 PUBACK is exactly the packet id: remaining length 2 (§3.4.1).
    {
      name: 'PUBACK v4 with remaining length 3',
      v: 4,
      bytes: '40 03 0001 00',
      offset: 4,
      what: /after PUBACK/,
    },
    {
      name: 'PUBREL v4 with remaining length 3',
      v: 4,
      bytes: '62 03 0001 00',
      offset: 4,
      what: /after PUBREL/,
    },
    // A 3.1.1 CONNACK is exactly flags + return code (§3.2.1).
    {
      name: 'CONNACK v4 with remaining length 3',
      v: 4,
      bytes: '20 03 00 00 00',
      offset: 4,
      what: /after CONNACK/,
    },
    // A 3.1.1 UNSUBACK has only the packet id (§3.11.1).
    {
      name: 'UNSUBACK v4 with remaining length 3',
      v: 4,
      bytes: 'b0 03 0001 00',
      offset: 4,
      what: /after UNSUBACK/,
    },
    // A 3.1.1 DISCONNECT has no content (§3.14.1).
    {
      name: 'DISCONNECT v4 with remaining length 1',
      v: 4,
      bytes: 'e0 01 00',
      offset: 2,
      what: /after DISCONNECT/,
    },
    // A CONNECT with a byte after its last payload field (v4, empty client id, then one extra byte).
    {
      name: 'CONNECT v4 with a byte after the payload',
      v: 4,
      bytes: '10 0d 0004 4d515454 04 02 003c 0000 ff',
      offset: 14,
      what: /after CONNECT/,
    },
    // A v5 PUBACK with reason code and empty properties, then one byte more.
    {
      name: 'PUBACK v5 with a byte after the properties',
      v: 5,
      bytes: '40 05 0001 10 00 00',
      offset: 6,
      what: /after PUBACK/,
    },
  ];
  for (const row of trailing) {
    it(`decode – remaining length larger than the content: ${row.name}`, () => {
      malformed(h(row.bytes), row.v, {
        reasonCode: MALFORMED,
        offset: row.offset,
        message: new RegExp(`unexpected bytes? ${row.what.source}`),
      });
    });
  }

  // Content longer than the remaining length: a field the packet must have runs past its end.
  const cutShort: Array<{
    name: string;
    v: ProtocolVersion;
    bytes: string;
    offset: number;
    message: RegExp;
  }> = [
    // Remaining length 1 holds one byte of the two-byte packet id; the byte after it is not part of the packet.
    {
      name: 'PUBACK with remaining length 1',
      v: 4,
      bytes: '40 01 00 01',
      offset: 2,
      message: /packet identifier needs 2 bytes but only 1 remain/,
    },
    // Remaining length 1: no room for the return code.
    {
      name: 'CONNACK with remaining length 1',
      v: 4,
      bytes: '20 01 00 00',
      offset: 3,
      message: /reason code needs 1 bytes but only 0 remain/,
    },
    // v5 SUBACK whose remaining length 2 holds only the packet id: the property length is missing.
    {
      name: 'SUBACK v5 without property length',
      v: 5,
      bytes: '90 02 0001 00',
      offset: 4,
      message: /property length is cut short/,
    },
    // CONNECT whose remaining length 9 stops inside the keep alive.
    {
      name: 'CONNECT cut inside keep alive',
      v: 4,
      bytes: '10 09 0004 4d515454 04 02 00 3c 0000',
      offset: 10,
      message: /keep alive needs 2 bytes but only 1 remain/,
    },
  ];
  for (const row of cutShort) {
    it(`decode – content longer than the remaining length: ${row.name}`, () => {
      malformed(h(row.bytes), row.v, { reasonCode: MALFORMED, offset: row.offset, message: row.message });
    });
  }

  it('decode – bytes end before the remaining length is reached', () => {
    // decode() wants exactly one whole packet; remaining length 3 announces a byte that never comes.
    malformed(
      h(
        '40', // PUBACK
        '03', // remaining length 3
        '0001', // packet id 1; reason code missing
      ),
      5,
      { reasonCode: MALFORMED, offset: 4, message: /incomplete/ },
    );
  });

  it('decode – decode() given bytes past the end of the packet', () => {
    malformed(
      h(
        'c0 00', // PINGREQ, remaining length 0
        'c0', // first byte of another packet
      ),
      4,
      { reasonCode: MALFORMED, message: /more than one packet/ }, // no single byte is to blame: no offset
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Properties (MQTT 5 §2.2.2). An error in a property's value is reported at the property's identifier byte.
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – property length not encoded in the fewest bytes', () => {
    // v5 [MQTT-1.5.5-1]: the property length is a Variable Byte Integer.
    malformed(
      h(
        '40', // PUBACK
        '05', // remaining length 5
        '0001', // packet id 1
        '10', // reason code No matching subscribers
        '80 00', // property length 0 in two bytes
      ),
      5,
      { reasonCode: MALFORMED, offset: 5, message: /property length is not encoded in the fewest bytes/ },
    );
  });

  it('decode – property length beyond the end of the packet', () => {
    malformed(
      h(
        '40', // PUBACK
        '04', // remaining length 4
        '0001', // packet id 1
        '10', // reason code No matching subscribers
        '05', // property length 5, but no byte follows
      ),
      5,
      { reasonCode: MALFORMED, offset: 6, message: /property length 5 exceeds/, fix: [5, '00'] },
    );
  });

  it('decode – unknown property identifier', () => {
    // v5 §2.2.2.2: an identifier not valid for the packet type makes it a Malformed Packet.
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '06', // remaining length 6
        '0001 61', // topic "a"
        '02', // property length 2
        '04 00', // identifier 0x04 (unassigned), one byte
      ),
      5,
      { reasonCode: MALFORMED, offset: 6, message: /unknown property identifier 0x04/, fix: [6, '01'] },
    );
  });

  it('decode – property not allowed in that packet: topicAlias in CONNECT', () => {
    // v5 §2.2.2.2 and §3.1.2.11: Topic Alias (0x23) belongs to PUBLISH only.
    malformed(
      h(
        '10', // CONNECT
        '10', // remaining length 16
        '0004 4d515454', // protocol name "MQTT"
        '05', // level 5
        '02', // flags: clean start
        '003c', // keep alive 60
        '03', // property length 3
        '23 0001', // topic alias 1
        '0000', // client id ""
      ),
      5,
      { reasonCode: MALFORMED, offset: 13, message: /topicAlias.*not allowed in connect/, fix: [13, '21'] },
    );
  });

  it('decode – property not allowed in that packet: sessionExpiryInterval in PUBLISH', () => {
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '09', // remaining length 9
        '0001 61', // topic "a"
        '05', // property length 5
        '11 0000003c', // session expiry interval 60
      ),
      5,
      {
        reasonCode: MALFORMED,
        offset: 6,
        message: /sessionExpiryInterval.*not allowed in publish/,
        fix: [6, '02'],
      },
    );
  });

  it('decode – property not allowed in that packet: willDelayInterval in the CONNECT properties', () => {
    // v5 §3.1.3.2.2: Will Delay Interval is a Will Property, not a CONNECT property.
    malformed(
      h(
        '10', // CONNECT
        '12', // remaining length 18
        '0004 4d515454', // protocol name "MQTT"
        '05', // level 5
        '02', // flags: clean start
        '003c', // keep alive 60
        '05', // property length 5
        '18 0000000a', // will delay interval 10
        '0000', // client id ""
      ),
      5,
      {
        reasonCode: MALFORMED,
        offset: 13,
        message: /willDelayInterval.*not allowed in connect/,
        fix: [13, '11'],
      },
    );
  });

  it('decode – single-valued property repeated (two contentType)', () => {
    // v5 §3.3.2.3.9: "It is a Protocol Error to include the Content Type more than once".
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '0c', // remaining length 12
        '0001 61', // topic "a"
        '08', // property length 8
        '03 0001 78', // content type "x"
        '03 0001 79', // content type "y" again
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 10,
        message: /contentType appears more than once/,
        fix: [10, '08'],
      },
    );
  });

  it('decode – user property repeated, even with the same name, is allowed', () => {
    // v5 [MQTT-3.3.2-18] / §3.3.2.3.7: "The User Property is allowed to appear multiple times ... the same name is
    // allowed to appear more than once".
    const p = accepts(
      h(
        '30', // PUBLISH QoS 0
        '12', // remaining length 18
        '0001 61', // topic "a"
        '0e', // property length 14
        '26 0001 6b 0001 31', // user property k=1
        '26 0001 6b 0001 32', // user property k=2
      ),
      5,
    );
    assert.equal(p.type, 'publish');
    assert.deepEqual(p.type === 'publish' ? p.properties?.userProperties : undefined, [
      ['k', '1'],
      ['k', '2'],
    ]);
  });

  it('decode – subscription identifier repeated in PUBLISH is allowed', () => {
    // v5 §3.3.2.3.8: "Multiple Subscription Identifiers will be included if the publication is the result of a match
    // to more than one subscription".
    const p = accepts(
      h(
        '30', // PUBLISH QoS 0
        '08', // remaining length 8
        '0001 61', // topic "a"
        '04', // property length 4
        '0b 01', // subscription identifier 1
        '0b 02', // subscription identifier 2
      ),
      5,
    );
    assert.deepEqual(p.type === 'publish' ? p.properties?.subscriptionIdentifiers : undefined, [1, 2]);
  });

  it('decode – subscription identifier twice in SUBSCRIBE', () => {
    // v5 §3.8.2.1.2: "It is a Protocol Error to include the Subscription Identifier more than once".
    malformed(
      h(
        '82', // SUBSCRIBE
        '0b', // remaining length 11
        '0001', // packet id 1
        '04', // property length 4
        '0b 01', // subscription identifier 1
        '0b 02', // subscription identifier 2 (again)
        '0001 61', // filter "a"
        '00', // options: QoS 0
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 7, message: /subscriptionIdentifier appears more than once/ },
    );
    accepts(h('82 09 0001 02 0b01 0001 61 00'), 5); // the same with one identifier
  });

  it('decode – subscription identifier 0', () => {
    // v5 §3.8.2.1.2: "It is a Protocol Error if the Subscription Identifier has a value of 0".
    malformed(
      h(
        '82', // SUBSCRIBE
        '09', // remaining length 9
        '0001', // packet id 1
        '02', // property length 2
        '0b 00', // subscription identifier 0
        '0001 61', // filter "a"
        '00', // options: QoS 0
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 5,
        message: /subscription identifier must not be 0/,
        fix: [6, '01'],
      },
    );
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '06', // remaining length 6
        '0001 61', // topic "a"
        '02', // property length 2
        '0b 00', // subscription identifier 0
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 6,
        message: /subscription identifier must not be 0/,
        fix: [7, '05'],
      },
    );
  });

  it('decode – topic alias 0', () => {
    // v5 [MQTT-3.3.2-8] and §3.3.2.3.4: a Topic Alias of 0 is answered with 0x94 Topic Alias invalid.
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '07', // remaining length 7
        '0001 61', // topic "a"
        '03', // property length 3
        '23 0000', // topic alias 0
      ),
      5,
      { reasonCode: TOPIC_ALIAS_INVALID, offset: 6, message: /topic alias must not be 0/, fix: [8, '01'] },
    );
  });

  it('decode – receive maximum 0', () => {
    // v5 §3.1.2.11.3: "It is a Protocol Error to include the Receive Maximum value more than once or for it to have
    // the value 0".
    malformed(
      h(
        '10', // CONNECT
        '10', // remaining length 16
        '0004 4d515454', // protocol name "MQTT"
        '05', // level 5
        '02', // flags: clean start
        '003c', // keep alive 60
        '03', // property length 3
        '21 0000', // receive maximum 0
        '0000', // client id ""
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 13, message: /receiveMaximum must not be 0/, fix: [15, '0a'] },
    );
  });

  it('decode – maximum packet size 0', () => {
    // v5 §3.2.2.3.6: "It is a Protocol Error to include the Maximum Packet Size more than once, or for the value to
    // be set to zero".
    malformed(
      h(
        '20', // CONNACK
        '08', // remaining length 8
        '00', // acknowledge flags
        '00', // reason code Success
        '05', // property length 5
        '27 00000000', // maximum packet size 0
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /maximumPacketSize must not be 0/, fix: [7, '01'] },
    );
  });

  it('decode – flag property retainAvailable with value 2', () => {
    // v5 §3.2.2.3.5: "It is a Protocol Error to include Retain Available more than once or to use a value other than
    // 0 or 1".
    malformed(
      h(
        '20', // CONNACK
        '05', // remaining length 5
        '00', // acknowledge flags
        '00', // reason code Success
        '02', // property length 2
        '25 02', // retain available 2
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /retainAvailable must be 0 or 1/, fix: [6, '01'] },
    );
  });

  it('decode – flag property requestProblemInformation with value 2', () => {
    // v5 §3.1.2.11.7: "It is a Protocol Error to include Request Problem Information more than once, or to have a
    // value other than 0 or 1".
    malformed(
      h(
        '10', // CONNECT
        '0f', // remaining length 15
        '0004 4d515454', // protocol name "MQTT"
        '05', // level 5
        '02', // flags: clean start
        '003c', // keep alive 60
        '02', // property length 2
        '17 02', // request problem information 2
        '0000', // client id ""
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 13,
        message: /requestProblemInformation must be 0 or 1/,
        fix: [14, '00'],
      },
    );
  });

  it('decode – maximumQoS 2', () => {
    // v5 §3.2.2.3.4: "It is a Protocol Error to include Maximum QoS more than once, or to have a value other than 0
    // or 1".
    malformed(
      h(
        '20', // CONNACK
        '05', // remaining length 5
        '00', // acknowledge flags
        '00', // reason code Success
        '02', // property length 2
        '24 02', // maximum QoS 2
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /maximumQoS must be 0 or 1/, fix: [6, '01'] },
    );
  });

  it('decode – payloadFormatIndicator 2', () => {
    // v5 §3.3.2.3.2: the only values are 0 (unspecified bytes) and 1 (UTF-8).
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '06', // remaining length 6
        '0001 61', // topic "a"
        '02', // property length 2
        '01 02', // payload format indicator 2
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 6,
        message: /payloadFormatIndicator must be 0 or 1/,
        fix: [7, '01'],
      },
    );
  });

  it('decode – authenticationData without authenticationMethod', () => {
    // v5 §3.1.2.11.10: "It is a Protocol Error to include Authentication Data if there is no Authentication Method".
    malformed(
      h(
        '10', // CONNECT
        '11', // remaining length 17
        '0004 4d515454', // protocol name "MQTT"
        '05', // level 5
        '02', // flags: clean start
        '003c', // keep alive 60
        '04', // property length 4
        '16 0001 aa', // authentication data 0xaa, and no authentication method
        '0000', // client id ""
      ),
      5,
      // The fault is the absence of a property, found at the end of the section: no offset is checked.
      { reasonCode: PROTOCOL_ERROR, message: /authenticationData without authenticationMethod/ },
    );
  });

  it('decode – responseTopic with a wildcard', () => {
    // v5 [MQTT-3.3.2-14]: "The Response Topic MUST NOT contain wildcard characters".
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '09', // remaining length 9
        '0001 61', // topic "a"
        '05', // property length 5
        '08 0002 6123', // response topic "a#"
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 6, message: /responseTopic.*wildcards/, fix: [10, '62'] },
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Data types: UTF-8 Encoded Strings and Binary Data (3.1.1 §1.5.3, v5 §1.5.4 and §1.5.6)
  // ---------------------------------------------------------------------------------------------------------------

  // [MQTT-1.5.3-1] (v5 [MQTT-1.5.4-1]): strings MUST be well-formed UTF-8; no surrogate code points. A PUBLISH v4
  // whose topic is "a" followed by the bad sequence; `at` is the first byte that cannot be part of valid UTF-8.
  const illFormed: Array<{ name: string; bytes: string; at: number; fix: [number, string] }> = [
    // topic "a" C0 80: overlong encoding of U+0000
    { name: 'overlong encoding 0xC0 0x80', bytes: '30 05 0003 61 c080', at: 5, fix: [5, 'c280'] },
    // topic "a" 80 "b": a continuation byte with no lead byte
    { name: 'lone continuation byte 0x80', bytes: '30 05 0003 61 80 62', at: 5, fix: [5, '7a'] },
    // topic "a" ED A0 80: U+D800, a surrogate
    { name: 'surrogate 0xED 0xA0 0x80 (U+D800)', bytes: '30 06 0004 61 eda080', at: 6, fix: [6, '9f'] },
    // topic "ab" E2 82: the first two bytes of the three-byte "€", cut off by the end of the string
    {
      name: 'truncated sequence 0xE2 0x82 at the end',
      bytes: '30 06 0004 61 62 e282',
      at: 6,
      fix: [6, '6364'],
    },
    // topic "a" F4 90 80 80: U+110000, beyond U+10FFFF
    {
      name: 'code point above U+10FFFF (0xF4 0x90 0x80 0x80)',
      bytes: '30 07 0005 61 f4908080',
      at: 6,
      fix: [6, '8f'],
    },
  ];
  for (const row of illFormed) {
    it(`decode – ill-formed UTF-8: ${row.name}`, () => {
      malformed(h(row.bytes), 4, {
        reasonCode: MALFORMED,
        offset: row.at,
        message: /topic name is not well-formed UTF-8/,
        fix: row.fix,
      });
    });
  }

  it('decode – U+0000 in a topic', () => {
    // [MQTT-1.5.3-2] (v5 [MQTT-1.5.4-2]): a UTF-8 Encoded String MUST NOT include an encoding of U+0000.
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '05', // remaining length 5
        '0003 61 00 62', // topic "a\0b"
      ),
      4,
      { reasonCode: MALFORMED, offset: 5, message: /topic name contains U\+0000/, fix: [5, '2f'] },
    );
  });

  it('decode – string length beyond the end of the packet', () => {
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '05', // remaining length 5
        '0009', // topic length 9, but only 3 bytes are left
        '612f62', // "a/b"
      ),
      4,
      {
        reasonCode: MALFORMED,
        offset: 4,
        message: /topic name needs 9 bytes but only 3 remain/,
        fix: [3, '03'],
      },
    );
  });

  it('decode – binary data length beyond the end of the packet', () => {
    // v5 §1.5.6: Binary Data is a two-byte length then that many bytes.
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '0a', // remaining length 10
        '0001 61', // topic "a"
        '06', // property length 6
        '09', // correlation data
        '0008', // length 8, but 3 bytes are left
        '010203', // three bytes
      ),
      5,
      {
        reasonCode: MALFORMED,
        offset: 9,
        message: /correlationData needs 8 bytes but only 3 remain/,
        fix: [8, '03'],
      },
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // PUBLISH (§3.3)
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – PUBLISH QoS 3', () => {
    // [MQTT-3.3.1-4]: "A PUBLISH Packet MUST NOT have both QoS bits set to 1"; v5 makes it a Malformed Packet.
    malformed(
      h(
        '36', // PUBLISH, QoS bits 11
        '07', // remaining length 7
        '0003 612f62', // topic "a/b"
        '0001', // packet id 1
      ),
      4,
      { reasonCode: MALFORMED, offset: 0, message: /QoS is 3/, fix: [0, '32'] },
    );
  });

  it('decode – DUP flag on a QoS 0 PUBLISH', () => {
    // [MQTT-3.3.1-2]: "The DUP flag MUST be set to 0 for all QoS 0 messages".
    malformed(
      h(
        '38', // PUBLISH, DUP, QoS 0
        '05', // remaining length 5
        '0003 612f62', // topic "a/b"
      ),
      4,
      { reasonCode: MALFORMED, offset: 0, message: /DUP/, fix: [0, '30'] },
    );
  });

  it('decode – wildcard + in a PUBLISH topic', () => {
    // [MQTT-3.3.2-2]: "The Topic Name in the PUBLISH Packet MUST NOT contain wildcard characters".
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '05', // remaining length 5
        '0003 612f2b', // topic "a/+"
      ),
      4,
      { reasonCode: MALFORMED, offset: 2, message: /wildcard/, fix: [6, '62'] },
    );
  });

  it('decode – wildcard # in a PUBLISH topic', () => {
    // [MQTT-3.3.2-2]
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '05', // remaining length 5
        '0003 612f23', // topic "a/#"
      ),
      4,
      { reasonCode: MALFORMED, offset: 2, message: /wildcard/, fix: [6, '62'] },
    );
  });

  it('decode – empty topic in a v4 PUBLISH', () => {
    // [MQTT-4.7.3-1]: "All Topic Names and Topic Filters MUST be at least one character long".
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '03', // remaining length 3
        '0000', // topic ""
        '41', // payload "A"
      ),
      4,
      { reasonCode: PROTOCOL_ERROR, offset: 2, message: /topic name is empty/ },
    );
  });

  it('decode – empty topic in a v5 PUBLISH without a topic alias', () => {
    // v5 §3.3.2.3.4: "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias".
    malformed(
      h(
        '30', // PUBLISH QoS 0
        '03', // remaining length 3
        '0000', // topic ""
        '00', // property length 0
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 2, message: /empty and there is no topic alias/ },
    );
    accepts(h('30 06 0000 03 230001'), 5); // the same with topic alias 1
  });

  // [MQTT-2.3.1-1] (v5 [MQTT-2.2.1-3]): SUBSCRIBE, UNSUBSCRIBE and PUBLISH with QoS > 0 carry a non-zero packet
  // identifier; the acknowledgements echo it, so 0 cannot appear there either. `at` is the identifier's offset.
  const zeroId: Array<{ name: string; bytes: string; at: number }> = [
    { name: 'PUBLISH QoS 1', bytes: '32 07 0003 612f62 0000', at: 7 }, // topic "a/b", packet id 0
    { name: 'PUBACK', bytes: '40 02 0000', at: 2 },
    { name: 'PUBREC', bytes: '50 02 0000', at: 2 },
    { name: 'PUBREL', bytes: '62 02 0000', at: 2 },
    { name: 'PUBCOMP', bytes: '70 02 0000', at: 2 },
    { name: 'SUBSCRIBE', bytes: '82 06 0000 0001 61 00', at: 2 }, // filter "a", QoS 0
    { name: 'SUBACK', bytes: '90 03 0000 00', at: 2 }, // granted QoS 0
    { name: 'UNSUBSCRIBE', bytes: 'a2 05 0000 0001 61', at: 2 }, // filter "a"
    { name: 'UNSUBACK', bytes: 'b0 02 0000', at: 2 },
  ];
  for (const row of zeroId) {
    it(`decode – packet identifier 0 in ${row.name}`, () => {
      malformed(h(row.bytes), 4, {
        reasonCode: PROTOCOL_ERROR,
        offset: row.at,
        message: /packet identifier is 0/,
        fix: [row.at, '0001'],
      });
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8 to §3.11)
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – SUBSCRIBE without any topic filter', () => {
    // [MQTT-3.8.3-3]: the payload MUST contain at least one Topic Filter / QoS pair; v5 §3.8.3: "A SUBSCRIBE packet
    // with no Payload is a Protocol Error".
    malformed(
      h(
        '82', // SUBSCRIBE
        '02', // remaining length 2
        '0001', // packet id 1; no payload
      ),
      4,
      { reasonCode: PROTOCOL_ERROR, offset: 4, message: /no topic filters/ },
    );
    malformed(
      h(
        '82', // SUBSCRIBE
        '03', // remaining length 3
        '0001', // packet id 1
        '00', // property length 0; no payload
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /no topic filters/ },
    );
  });

  it('decode – UNSUBSCRIBE without any topic filter', () => {
    // [MQTT-3.10.3-2]: the payload MUST contain at least one Topic Filter; v5: no payload is a Protocol Error.
    malformed(
      h(
        'a2', // UNSUBSCRIBE
        '02', // remaining length 2
        '0001', // packet id 1; no payload
      ),
      4,
      { reasonCode: PROTOCOL_ERROR, offset: 4, message: /no topic filters/ },
    );
    malformed(
      h(
        'a2', // UNSUBSCRIBE
        '03', // remaining length 3
        '0001', // packet id 1
        '00', // property length 0; no payload
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /no topic filters/ },
    );
  });

  it('decode – SUBSCRIBE v5 options with reserved bits 6-7 set', () => {
    // v5 [MQTT-3.8.3-5]: "The Server MUST treat a SUBSCRIBE packet as malformed if any of Reserved bits in the
    // Payload are non-zero".
    malformed(
      h(
        '82', // SUBSCRIBE
        '07', // remaining length 7
        '0001', // packet id 1
        '00', // property length 0
        '0001 61', // filter "a"
        '40', // options: reserved bit 6
      ),
      5,
      { reasonCode: MALFORMED, offset: 8, message: /reserved bits 7-6/, fix: [8, '00'] },
    );
  });

  it('decode – SUBSCRIBE v5 retain handling 3', () => {
    // v5 §3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3".
    malformed(
      h(
        '82', // SUBSCRIBE
        '07', // remaining length 7
        '0001', // packet id 1
        '00', // property length 0
        '0001 61', // filter "a"
        '30', // options: retain handling 3
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 8, message: /retain handling is 3/, fix: [8, '20'] },
    );
  });

  it('decode – SUBSCRIBE v5 maximum QoS 3', () => {
    // v5 §3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3".
    malformed(
      h(
        '82', // SUBSCRIBE
        '07', // remaining length 7
        '0001', // packet id 1
        '00', // property length 0
        '0001 61', // filter "a"
        '03', // options: QoS 3
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 8, message: /QoS.*3/, fix: [8, '02'] },
    );
  });

  it('decode – SUBSCRIBE v4 requested QoS 3', () => {
    // [MQTT-3-8.3-4]: malformed if "QoS is not 0, 1 or 2".
    malformed(
      h(
        '82', // SUBSCRIBE
        '06', // remaining length 6
        '0001', // packet id 1
        '0001 61', // filter "a"
        '03', // requested QoS 3
      ),
      4,
      { reasonCode: MALFORMED, offset: 7, message: /requested QoS is 3/, fix: [7, '02'] },
    );
  });

  it('decode – SUBSCRIBE v4 reserved upper bits of the requested QoS byte', () => {
    // [MQTT-3-8.3-4]: malformed "if any of Reserved bits in the payload are non-zero" (bits 7-2 of requested QoS).
    malformed(
      h(
        '82', // SUBSCRIBE
        '06', // remaining length 6
        '0001', // packet id 1
        '0001 61', // filter "a"
        '04', // requested QoS byte with bit 2 set (No Local in v5, reserved in 3.1.1)
      ),
      4,
      { reasonCode: MALFORMED, offset: 7, message: /reserved bits 7-2/, fix: [7, '00'] },
    );
  });

  it('decode – noLocal on a shared subscription', () => {
    // v5 [MQTT-3.8.3-4]: "It is a Protocol Error to set the No Local bit to 1 on a Shared Subscription".
    malformed(
      h(
        '82', // SUBSCRIBE
        '10', // remaining length 16
        '0001', // packet id 1
        '00', // property length 0
        '000a 2473686172652f672f61', // filter "$share/g/a"
        '04', // options: No Local
      ),
      5,
      {
        reasonCode: PROTOCOL_ERROR,
        offset: 17,
        message: /no local set on a shared subscription/i,
        fix: [17, '00'],
      },
    );
  });

  it('decode – empty topic filter in SUBSCRIBE', () => {
    // [MQTT-4.7.3-1]: topic filters MUST be at least one character long.
    malformed(
      h(
        '82', // SUBSCRIBE
        '05', // remaining length 5
        '0001', // packet id 1
        '0000', // filter ""
        '00', // QoS 0
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /topic filter is empty/ },
    );
  });

  it('decode – empty topic filter in UNSUBSCRIBE', () => {
    // [MQTT-4.7.3-1]
    malformed(
      h(
        'a2', // UNSUBSCRIBE
        '04', // remaining length 4
        '0001', // packet id 1
        '0000', // filter ""
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /topic filter is empty/ },
    );
  });

  it('decode – SUBSCRIBE topic filter with # not in the last level', () => {
    // [MQTT-4.7.1-2]: "#" MUST be the last character of the filter and stand alone in its level. The spec does not
    // name the reason code; a filter that breaks the syntax cannot be parsed as one, like a wildcard in a topic name.
    malformed(
      h(
        '82', // SUBSCRIBE
        '08', // remaining length 8
        '0001', // packet id 1
        '0003 232f62', // filter "#/b"
        '00', // QoS 0
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /#/, fix: [6, '61'] },
    );
  });

  it('decode – SUBSCRIBE topic filter with + not alone in its level', () => {
    // [MQTT-4.7.1-3]: "+" MUST occupy an entire level of the filter.
    malformed(
      h(
        '82', // SUBSCRIBE
        '07', // remaining length 7
        '0001', // packet id 1
        '0002 612b', // filter "a+"
        '00', // QoS 0
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /\+/, fix: [7, '62'] },
    );
  });

  it('decode – UNSUBSCRIBE topic filter with # not in the last level', () => {
    // [MQTT-4.7.1-2] applies to every topic filter, UNSUBSCRIBE's included.
    malformed(
      h(
        'a2', // UNSUBSCRIBE
        '07', // remaining length 7
        '0001', // packet id 1
        '0003 232f62', // filter "#/b"
      ),
      4,
      { reasonCode: MALFORMED, offset: 4, message: /#/, fix: [6, '61'] },
    );
  });

  it('decode – shared subscription without a share name', () => {
    // v5 [MQTT-4.8.2-1]: a Shared Subscription's filter MUST contain a ShareName at least one character long.
    malformed(
      h(
        '82', // SUBSCRIBE
        '0f', // remaining length 15
        '0001', // packet id 1
        '00', // property length 0
        '0009 2473686172652f2f61', // filter "$share//a"
        '00', // options: QoS 0
      ),
      5,
      { reasonCode: MALFORMED, offset: 5, message: /share name/, fix: [13, '67'] },
    );
  });

  it('decode – SUBACK v4 with a reserved return code', () => {
    // [MQTT-3.9.3-2]: "SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved and MUST NOT be used".
    malformed(
      h(
        '90', // SUBACK
        '03', // remaining length 3
        '0001', // packet id 1
        '03', // return code 3
      ),
      4,
      { reasonCode: PROTOCOL_ERROR, offset: 4, message: /invalid SUBACK reason code/, fix: [4, '80'] },
    );
  });

  it('decode – SUBACK v5 with an invalid reason code', () => {
    // v5 §3.9.3, Table 3-8: 0x04 is not a SUBACK reason code.
    malformed(
      h(
        '90', // SUBACK
        '04', // remaining length 4
        '0001', // packet id 1
        '00', // property length 0
        '04', // reason code 0x04
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /invalid SUBACK reason code/, fix: [5, 'a2'] },
    );
  });

  it('decode – UNSUBACK v5 with an invalid reason code', () => {
    // v5 §3.11.3, Table 3-9: 0x01 is not an UNSUBACK reason code.
    malformed(
      h(
        'b0', // UNSUBACK
        '04', // remaining length 4
        '0001', // packet id 1
        '00', // property length 0
        '01', // reason code 0x01
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /invalid UNSUBACK reason code/, fix: [5, '11'] },
    );
  });

  it('decode – SUBACK without any reason code', () => {
    // §3.9.3: the payload has one return/reason code per topic filter of the SUBSCRIBE, and a SUBSCRIBE has at least one.
    malformed(h('90 02 0001'), 4, {
      reasonCode: PROTOCOL_ERROR,
      offset: 4,
      message: /SUBACK has no reason codes/,
    });
    malformed(
      h(
        '90', // SUBACK
        '03', // remaining length 3
        '0001', // packet id 1
        '00', // property length 0; no reason codes
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /SUBACK has no reason codes/ },
    );
  });

  it('decode – UNSUBACK v5 without any reason code', () => {
    // v5 §3.11.3: one reason code per topic filter of the UNSUBSCRIBE.
    malformed(
      h(
        'b0', // UNSUBACK
        '03', // remaining length 3
        '0001', // packet id 1
        '00', // property length 0; no reason codes
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 5, message: /UNSUBACK has no reason codes/ },
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // CONNACK (§3.2)
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – CONNACK acknowledge flags with reserved bits set', () => {
    // 3.1.1 §3.2.2.1 / v5 §3.2.2.1: bits 7-1 are reserved and MUST be set to 0.
    malformed(
      h(
        '20', // CONNACK
        '02', // remaining length 2
        '02', // acknowledge flags: reserved bit 1
        '00', // return code 0
      ),
      4,
      {
        reasonCode: MALFORMED,
        offset: 2,
        message: /reserved bits of the connect acknowledge flags/,
        fix: [2, '00'],
      },
    );
    malformed(
      h(
        '20', // CONNACK
        '03', // remaining length 3
        '80', // acknowledge flags: reserved bit 7
        '00', // reason code Success
        '00', // property length 0
      ),
      5,
      { reasonCode: MALFORMED, offset: 2, message: /reserved bits/, fix: [2, '01'] },
    );
  });

  it('decode – CONNACK v5 with an invalid reason code', () => {
    // v5 §3.2.2.2, Table 3-1: 0x01 is not a CONNACK reason code.
    malformed(
      h(
        '20', // CONNACK
        '03', // remaining length 3
        '00', // acknowledge flags
        '01', // reason code 0x01
        '00', // property length 0
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 3, message: /invalid CONNACK reason code/, fix: [3, '80'] },
    );
  });

  it('decode – CONNACK v3/v4 with reserved return code 6', () => {
    // 3.1.1 §3.2.2.3, Table 3.1: return codes 6-255 are reserved.
    for (const v of [3, 4] as const) {
      malformed(
        h(
          '20', // CONNACK
          '02', // remaining length 2
          '00', // acknowledge flags
          '06', // return code 6
        ),
        v,
        { reasonCode: PROTOCOL_ERROR, offset: 3, message: /invalid CONNACK return code 6/, fix: [3, '05'] },
      );
    }
  });

  it('decode – CONNACK session present with a non-zero code reports the refusal', () => {
    // [MQTT-3.2.2-4] (v5 [MQTT-3.2.2-6]) bind the broker: a refusing CONNACK MUST set Session Present to 0. A broker
    // that breaks it still refused the connection; the refusal is what the client must report, so the decoder
    // keeps the reason code and clears the flag rather than hiding the refusal behind a Protocol Error.
    assert.deepEqual(decode(h('20', '02', '01', '05'), 4), {
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x87, // return code 5 (not authorized)
    });
    assert.deepEqual(decode(h('20', '03', '01', '87', '00'), 5), {
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x87,
    });
  });

  it('decode – CONNACK of an MQTT 3.1.1 broker refusing a version 5 CONNECT', () => {
    // A 3.1.1 broker answers an unknown protocol level with return code 1 and no properties ([MQTT-3.1.2-2] of
    // 3.1.1); a client expecting MQTT 5 must read it as Unsupported Protocol Version to fall back.
    assert.deepEqual(decode(h('20', '02', '00', '01'), 5), {
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x84,
    });
  });

  // ---------------------------------------------------------------------------------------------------------------
  // CONNECT (§3.1). A v4 CONNECT: name "MQTT" at 2-7, level at 8, flags at 9, keep alive at 10-11, payload from 12.
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – CONNECT reserved flag bit 0 set', () => {
    // [MQTT-3.1.2-3]: the Server MUST validate that the reserved flag is 0; v5: otherwise a Malformed Packet.
    malformed(
      h(
        '10', // CONNECT
        '0c', // remaining length 12
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '03', // flags: clean session + reserved bit 0
        '003c', // keep alive 60
        '0000', // client id ""
      ),
      4,
      { reasonCode: MALFORMED, offset: 9, message: /reserved bit 0/, fix: [9, '02'] },
    );
  });

  it('decode – CONNECT will QoS 3', () => {
    // [MQTT-3.1.2-14]: will QoS MUST be 0, 1 or 2; v5 §3.1.2.6: "A value of 3 (0x03) is a Malformed Packet".
    malformed(
      h(
        '10', // CONNECT
        '11', // remaining length 17
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '1e', // flags: will QoS 3, will flag, clean session
        '003c', // keep alive 60
        '0000', // client id ""
        '0001 77', // will topic "w"
        '0000', // will payload (empty)
      ),
      4,
      { reasonCode: MALFORMED, offset: 9, message: /will QoS is 3/, fix: [9, '0e'] },
    );
  });

  it('decode – CONNECT will QoS without the will flag', () => {
    // [MQTT-3.1.2-13] (v5 [MQTT-3.1.2-11]): if the Will Flag is 0, the Will QoS MUST be 0.
    malformed(
      h(
        '10', // CONNECT
        '0c', // remaining length 12
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '0a', // flags: will QoS 1, no will flag, clean session
        '003c', // keep alive 60
        '0000', // client id ""
      ),
      4,
      { reasonCode: MALFORMED, offset: 9, message: /without the will flag/, fix: [9, '02'] },
    );
  });

  it('decode – CONNECT will retain without the will flag', () => {
    // [MQTT-3.1.2-15] (v5 [MQTT-3.1.2-13]): if the Will Flag is 0, Will Retain MUST be 0.
    malformed(
      h(
        '10', // CONNECT
        '0c', // remaining length 12
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '22', // flags: will retain, no will flag, clean session
        '003c', // keep alive 60
        '0000', // client id ""
      ),
      4,
      { reasonCode: MALFORMED, offset: 9, message: /without the will flag/, fix: [9, '02'] },
    );
  });

  it('decode – CONNECT will topic with a wildcard', () => {
    // [MQTT-3.1.3-10] / [MQTT-3.3.2-2]: the will topic is a topic name, so no wildcards.
    malformed(
      h(
        '10', // CONNECT
        '11', // remaining length 17
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '06', // flags: will flag (QoS 0), clean session
        '003c', // keep alive 60
        '0000', // client id ""
        '0001 23', // will topic "#"
        '0000', // will payload (empty)
      ),
      4,
      { reasonCode: MALFORMED, offset: 14, message: /will topic contains a wildcard/, fix: [16, '77'] },
    );
  });

  it('decode – CONNECT v4 password flag without the user name flag', () => {
    // [MQTT-3.1.2-22]: "If the User Name Flag is set to 0, the Password Flag MUST be set to 0" (lifted in v5).
    malformed(
      h(
        '10', // CONNECT
        '0f', // remaining length 15
        '0004 4d515454', // protocol name "MQTT"
        '04', // level 4
        '42', // flags: password, clean session
        '003c', // keep alive 60
        '0000', // client id ""
        '0001 70', // password "p"
      ),
      4,
      { reasonCode: MALFORMED, offset: 9, message: /password flag set without the user name flag/ },
    );
    accepts(h('10 10 0004 4d515454 05 42 003c 00 0000 0001 70'), 5); // MQTT 5 allows it ([MQTT-3.1.2-18], -19)
  });

  it('decode – CONNECT with an unknown protocol name', () => {
    // [MQTT-3.1.2-1]: a wrong protocol name may be refused with 0x84 Unsupported Protocol Version (v5 §3.1.2.1).
    malformed(
      h(
        '10', // CONNECT
        '0c', // remaining length 12
        '0004 4d515458', // protocol name "MQTX"
        '04', // level 4
        '02', // flags: clean session
        '003c', // keep alive 60
        '0000', // client id ""
      ),
      4,
      { reasonCode: UNSUPPORTED_VERSION, offset: 2, message: /unknown protocol name "MQTX"/, fix: [7, '54'] },
    );
  });

  it('decode – CONNECT with an unsupported protocol level', () => {
    // [MQTT-3.1.2-2]: an unsupported level is answered with return code 1 / reason code 0x84.
    malformed(
      h(
        '10', // CONNECT
        '0c', // remaining length 12
        '0004 4d515454', // protocol name "MQTT"
        '06', // level 6
        '02', // flags: clean session
        '003c', // keep alive 60
        '0000', // client id ""
      ),
      4,
      { reasonCode: UNSUPPORTED_VERSION, offset: 8, message: /level 6/, fix: [8, '04'] },
    );
    // "MQIsdp" is MQTT 3.1, level 3 only.
    malformed(
      h(
        '10', // CONNECT
        '0e', // remaining length 14
        '0006 4d5149736470', // protocol name "MQIsdp"
        '04', // level 4
        '02', // flags: clean session
        '003c', // keep alive 60
        '0000', // client id "" (refused later by a 3.1 server, but well-formed)
      ),
      3,
      { reasonCode: UNSUPPORTED_VERSION, offset: 10, message: /MQIsdp level 4/, fix: [10, '03'] },
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Acknowledgements, DISCONNECT and AUTH with MQTT 5 reason codes (§2.4)
  // ---------------------------------------------------------------------------------------------------------------

  const badAckCodes: Array<{ name: string; first: string; code: string; good: string }> = [
    { name: 'PUBACK', first: '40', code: '01', good: '10' }, // Table 3-4
    { name: 'PUBREC', first: '50', code: '92', good: '91' }, // Table 3-5: 0x92 belongs to PUBREL/PUBCOMP
    { name: 'PUBREL', first: '62', code: '10', good: '92' }, // Table 3-6: only 0x00 and 0x92
    { name: 'PUBCOMP', first: '70', code: '80', good: '92' }, // Table 3-7: only 0x00 and 0x92
  ];
  for (const row of badAckCodes) {
    it(`decode – ${row.name} v5 with an invalid reason code`, () => {
      malformed(
        h(
          row.first, // packet type and flags
          '03', // remaining length 3
          '0001', // packet id 1
          row.code, // reason code not in the packet's table
        ),
        5,
        {
          reasonCode: PROTOCOL_ERROR,
          offset: 4,
          message: new RegExp(`invalid ${row.name} reason code`),
          fix: [4, row.good],
        },
      );
    });
  }

  it('decode – DISCONNECT v5 with an invalid reason code', () => {
    // v5 §3.14.2.1, Table 3-10: 0x05 is not a DISCONNECT reason code.
    malformed(
      h(
        'e0', // DISCONNECT
        '01', // remaining length 1
        '05', // reason code 0x05
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 2, message: /invalid DISCONNECT reason code/, fix: [2, '04'] },
    );
  });

  it('decode – AUTH with an invalid reason code', () => {
    // v5 §3.15.2.1, Table 3-11: only 0x00, 0x18 and 0x19.
    malformed(
      h(
        'f0', // AUTH
        '07', // remaining length 7
        '01', // reason code 0x01
        '05', // property length 5
        '15 0002 6162', // authentication method "ab"
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 2, message: /invalid AUTH reason code/, fix: [2, '18'] },
    );
  });

  it('decode – AUTH without an authentication method', () => {
    // v5 §3.15.2.2.2: "It is a Protocol Error to omit the Authentication Method".
    malformed(
      h(
        'f0', // AUTH
        '02', // remaining length 2
        '18', // reason code Continue authentication
        '00', // property length 0
      ),
      5,
      { reasonCode: PROTOCOL_ERROR, offset: 2, message: /AUTH without an authentication method/ },
    );
  });

  // ---------------------------------------------------------------------------------------------------------------
  // The streaming decoder
  // ---------------------------------------------------------------------------------------------------------------

  it('decode – packet over maxPacketSize is refused as soon as its remaining length is read', () => {
    // v5 [MQTT-3.1.2-24] / §3.1.2.11.4: a packet larger than the Maximum Packet Size announced is answered with
    // 0x95 Packet too large. Only the fixed header is pushed: no body byte is needed to refuse it.
    const got: Packet[] = [];
    const d = new PacketDecoder((p) => got.push(p), { protocolVersion: 4, maxPacketSize: 1024 });
    let caught: unknown;
    try {
      d.push(
        h(
          '30', // PUBLISH QoS 0
          'ff ff 7f', // remaining length 2,097,151
        ),
      );
    } catch (e) {
      caught = e;
    }
    // Refused at the second length byte: its continuation bit already promises a packet of at least 32,771 bytes.
    const e = checkProtocolError(caught, {
      reasonCode: PACKET_TOO_LARGE,
      offset: 2,
      message: /maximum packet size of 1024/,
    });
    assert.match(e.message, /at least 32771 bytes/);
    assert.equal(got.length, 0);

    // A complete length under the 4-byte form is checked as a whole: 3 header bytes + 16,383 = 16,386.
    const exact = new PacketDecoder(() => {}, { protocolVersion: 4, maxPacketSize: 1024 });
    assert.throws(
      () => exact.push(h('30 ff 7f')),
      (err: unknown) =>
        checkProtocolError(err, { reasonCode: PACKET_TOO_LARGE, offset: 2, message: /16386 bytes/ }) !==
        undefined,
    );

    // The limit counts the whole packet, fixed header included: a 4-byte PUBACK fits 4 and not 3.
    const fits = new PacketDecoder((p) => got.push(p), { protocolVersion: 4, maxPacketSize: 4 });
    fits.push(h('40 02 0001'));
    assert.equal(got.length, 1);
    const tooSmall = new PacketDecoder((p) => got.push(p), { protocolVersion: 4, maxPacketSize: 3 });
    assert.throws(
      () => tooSmall.push(h('40 02')), // PUBACK header only
      (err) =>
        !!checkProtocolError(err, {
          reasonCode: PACKET_TOO_LARGE,
          offset: 1,
          message: /maximum packet size/,
        }),
    );
    // decode() takes the same limit.
    malformed(
      h('40 02 0001'),
      4,
      { reasonCode: PACKET_TOO_LARGE, offset: 1, message: /maximum packet size/ },
      { maxPacketSize: 3 },
    );
  });

  it('decode – after an error every push throws the same error until reset()', () => {
    const got: Packet[] = [];
    const d = new PacketDecoder((p) => got.push(p), { protocolVersion: 4 });
    let first: unknown;
    try {
      d.push(h('00 00')); // reserved packet type 0
    } catch (e) {
      first = e;
    }
    checkProtocolError(first, { reasonCode: MALFORMED, offset: 0, message: /type 0 is reserved/ });
    for (const chunk of [h('c0 00'), h(''), h('d0 00 c0 00')]) {
      assert.throws(
        () => d.push(chunk),
        (e) => e === first,
      );
    }
    assert.equal(got.length, 0, 'nothing is decoded after the error');
    d.reset();
    d.push(h('c0 00')); // PINGREQ
    assert.deepEqual(got, [{ type: 'pingreq' }]);
  });

  it('decode – packets before the bad one in the same chunk are delivered', () => {
    const got: Packet[] = [];
    const d = new PacketDecoder((p) => got.push(p), { protocolVersion: 4 });
    assert.throws(
      () =>
        d.push(
          h(
            'c0 00', // PINGREQ
            'd0 00', // PINGRESP
            '40 02 0001', // PUBACK packet id 1
            'c1 00', // PINGREQ with a reserved flag set: bad
            'c0 00', // PINGREQ after the bad packet: never delivered
          ),
        ),
      (e) =>
        !!checkProtocolError(e, { reasonCode: MALFORMED, offset: 0, message: /reserved flags of PINGREQ/ }),
    );
    assert.deepEqual(got, [
      { type: 'pingreq' },
      { type: 'pingresp' },
      { type: 'puback', packetId: 1, reasonCode: 0 },
    ]);
  });

  it('decode – offsets count from the first byte of the bad packet, however the bytes arrive', () => {
    const got: Packet[] = [];
    const d = new PacketDecoder((p) => got.push(p), { protocolVersion: 4 });
    d.push(h('d0 00 40')); // PINGRESP, then the first byte of a PUBACK
    d.push(h('02 00')); // its remaining length and the first byte of its packet id
    assert.throws(
      () => d.push(h('00')), // the second byte of packet id 0
      (e) =>
        !!checkProtocolError(e, { reasonCode: PROTOCOL_ERROR, offset: 2, message: /packet identifier is 0/ }),
    );
    assert.deepEqual(got, [{ type: 'pingresp' }]);
  });
});
