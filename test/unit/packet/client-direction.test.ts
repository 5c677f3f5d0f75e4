// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The client's half of the codec: its decoder accepts exactly the packets a server sends and its encoder exactly
 * those a client sends (the rest is left out of a browser bundle). A broker sending CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE or PINGREQ breaks the protocol and must be refused as malformed, naming the packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeServerBody } from '../../../src/packet/decode-body.js';
import { StreamDecoder } from '../../../src/packet/decoder.js';
import { encodeClientPacket } from '../../../src/packet/encode.js';
import {
  encode,
  InvalidArgumentError,
  type Packet,
  ProtocolError,
  type ProtocolVersion,
} from '../../../src/packet/index.js';

function decodeAsClient(bytes: Uint8Array, version: ProtocolVersion): Packet[] {
  const packets: Packet[] = [];
  new StreamDecoder((p) => packets.push(p), { protocolVersion: version }, decodeServerBody).push(bytes);
  return packets;
}

const FROM_CLIENTS: { name: string; packet: Packet }[] = [
  {
    name: 'CONNECT',
    packet: { type: 'connect', protocolVersion: 5, clientId: 'c', clean: true, keepAlive: 0 },
  },
  {
    name: 'SUBSCRIBE',
    packet: {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topicFilter: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
    },
  },
  { name: 'UNSUBSCRIBE', packet: { type: 'unsubscribe', packetId: 1, topicFilters: ['a'] } },
  { name: 'PINGREQ', packet: { type: 'pingreq' } },
];

const FROM_SERVERS: { name: string; packet: Packet }[] = [
  { name: 'CONNACK', packet: { type: 'connack', sessionPresent: false, reasonCode: 0 } },
  { name: 'SUBACK', packet: { type: 'suback', packetId: 1, reasonCodes: [0] } },
  { name: 'UNSUBACK', packet: { type: 'unsuback', packetId: 1, reasonCodes: [0] } },
  { name: 'PINGRESP', packet: { type: 'pingresp' } },
];

describe('client-direction codec', () => {
  for (const { name, packet } of FROM_CLIENTS) {
    it(`the client's decoder refuses a ${name} from the broker as malformed`, () => {
      const bytes = encode(packet, 5);
      assert.throws(
        () => decodeAsClient(bytes, 5),
        (e: unknown) =>
          e instanceof ProtocolError &&
          e.reasonCode === 0x81 &&
          e.message.includes(`${name} is sent by clients only`),
        `${name} must be refused`,
      );
    });

    it(`the client's encoder writes ${name} exactly as the full encoder does`, () => {
      assert.deepEqual(encodeClientPacket(packet, 5), encode(packet, 5), `${name} bytes differ`);
    });
  }

  for (const { name, packet } of FROM_SERVERS) {
    it(`the client's decoder reads a ${name} as the full decoder does`, () => {
      const packets = decodeAsClient(encode(packet, 5), 5);
      assert.equal(packets.length, 1, `one ${name} expected`);
      assert.equal(packets[0]?.type, packet.type, `${name} decoded as another type`);
    });

    it(`the client's encoder refuses ${name}, which only servers send`, () => {
      assert.throws(
        () => encodeClientPacket(packet, 5),
        (e: unknown) =>
          e instanceof InvalidArgumentError && e.message.includes(`${name} is sent by servers only`),
        `${name} must be refused`,
      );
    });
  }

  it('the full encoder still refuses an unknown packet type and a bad protocol version', () => {
    assert.throws(() => encode({ type: 'nonsense' } as unknown as Packet, 5), /unknown packet type nonsense/);
    assert.throws(
      () => encode({ type: 'pingresp' }, 6 as ProtocolVersion),
      /protocol version must be 3, 4 or 5/,
    );
    assert.throws(
      () => encode({ type: 'pingreq' }, 6 as ProtocolVersion),
      /protocol version must be 3, 4 or 5/,
    );
  });
});
