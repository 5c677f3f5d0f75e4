// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: manual acknowledgement of incoming QoS 1/2 messages (acknowledgements leave in arrival order,
// [MQTT-4.6.0-2] / [MQTT-4.6.0-3]), what a reconnect does to acknowledgements still waiting, the client's own
// Receive Maximum counted with them (MQTT 5.0 §3.1.2.11.3), and Payload Format Indicator validation (0x99).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../../src/errors.js';
import type { ProtocolVersion, PublishPacket, QoS } from '../../../src/packet/types.js';
import type { EngineOptions } from '../../../src/session/types.js';
import { ack, Harness, inbound } from './harness.js';

const MANUAL: Partial<EngineOptions> = { manualAck: true };
const encoder = new TextEncoder();
/** 0xc3 opens a two-byte sequence that 0x28 does not continue: not UTF-8. */
const NOT_UTF8 = new Uint8Array([0x61, 0xc3, 0x28]);

/** A connected engine with manual acknowledgement (and any other options given). */
function manual(overrides: Partial<EngineOptions> = {}): Harness {
  const h = new Harness({ ...MANUAL, ...overrides });
  h.connect();
  return h;
}

/** Acknowledges the message `packetId` of QoS `qos` that arrived on connection `epoch` (default: the current one). */
function acknowledge(h: Harness, packetId: number, qos: 1 | 2, reasonCode = 0, epoch?: number): boolean {
  return h.engine.acknowledge(packetId, qos, epoch ?? h.engine.connection, reasonCode, h.now);
}

/** A PUBLISH from the broker with a given payload and Payload Format Indicator. */
function formatted(qos: QoS, packetId: number | undefined, payload: Uint8Array, pfi?: 0 | 1): PublishPacket {
  const p: PublishPacket = { ...inbound('pfi/t', qos, packetId), payload };
  if (pfi !== undefined) p.properties = { payloadFormatIndicator: pfi };
  return p;
}

describe('session engine: manual acknowledgement', () => {
  for (const version of [4, 5] as ProtocolVersion[]) {
    test(`manual ack – MQTT ${version}: QoS 1 and 2 are delivered at once, acknowledged only by acknowledge()`, () => {
      const h = manual({ protocolVersion: version });
      h.receive(inbound('a', 1, 1));
      h.receive(inbound('b', 2, 2));
      assert.deepEqual(
        h.sink.delivered.map((m) => m.topic),
        ['a', 'b'],
      );
      assert.deepEqual(h.sink.takeSummaries(), [], 'no PUBACK / PUBREC before the application acknowledges');
      assert.equal(acknowledge(h, 1, 1), true, 'acknowledging the QoS 1 message');
      assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00']);
      assert.equal(acknowledge(h, 2, 2), true, 'acknowledging the QoS 2 message');
      assert.deepEqual(h.sink.takeSummaries(), ['pubrec #2 0x00']);
      h.receive(ack('pubrel', 2));
      assert.deepEqual(h.sink.takeSummaries(), ['pubcomp #2 0x00'], 'the QoS 2 flow then ends as usual');
    });
  }

  test('manual ack – acknowledged 3, 1, 2 (QoS 1, 2, 1): PUBACK 1 after the ack of 1, then PUBREC 2 and PUBACK 3 together', () => {
    const h = manual();
    h.receive(inbound('one', 1, 1));
    h.receive(inbound('two', 2, 2));
    h.receive(inbound('three', 1, 3));
    assert.equal(h.sink.delivered.length, 3);
    h.sink.takeSent();

    assert.equal(acknowledge(h, 3, 1), true, 'ack of 3');
    assert.deepEqual(h.sink.takeSummaries(), [], '3 waits for 1 and 2 [MQTT-4.6.0-2]');
    assert.equal(acknowledge(h, 1, 1), true, 'ack of 1');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00'], '1 goes, 3 still waits for 2');
    assert.equal(acknowledge(h, 2, 2), true, 'ack of 2');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #2 0x00', 'puback #3 0x00']);
  });

  test('manual ack – an acknowledgement returns false the second time and sends nothing more', () => {
    const h = manual();
    h.receive(inbound('a', 1, 4));
    h.receive(inbound('b', 2, 5));
    assert.equal(acknowledge(h, 4, 1), true, 'first ack of the QoS 1 message');
    assert.equal(acknowledge(h, 4, 1), false, 'second ack of the QoS 1 message');
    assert.equal(acknowledge(h, 5, 2), true, 'first ack of the QoS 2 message');
    assert.equal(acknowledge(h, 5, 2), false, 'second ack of the QoS 2 message');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #4 0x00', 'pubrec #5 0x00']);
    assert.equal(acknowledge(h, 99, 1), false, 'an id never received');
    assert.equal(acknowledge(h, 4, 2), false, 'the right id with the wrong QoS');
    assert.deepEqual(h.sink.takeSummaries(), []);
  });

  test('manual ack – an early acknowledgement held back is not counted twice: a second ack of it returns false', () => {
    const h = manual();
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 1, 2));
    assert.equal(acknowledge(h, 2, 1), true, 'early ack of 2');
    assert.equal(acknowledge(h, 2, 1), false, 'ack of 2 again while it waits for 1');
    assert.equal(acknowledge(h, 1, 1), true, 'ack of 1');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00', 'puback #2 0x00'], 'each PUBACK goes once');
  });

  test('manual ack – MQTT 5: a refused QoS 2 message gets PUBREC 0x87 and frees its id; the next PUBLISH with it is a new message', () => {
    const h = manual();
    h.receive(inbound('first', 2, 7));
    h.sink.takeSent();
    assert.equal(acknowledge(h, 7, 2, 0x87), true, 'refusal');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #7 0x87']);
    // No PUBREL follows a refusal: a PUBLISH with the same id (not a resend) is a new message.
    h.receive(inbound('second', 2, 7));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['first', 'second'],
    );
    assert.deepEqual(h.sink.takeSummaries(), [], 'the new message waits for its own acknowledgement');
    assert.equal(acknowledge(h, 7, 2), true, 'ack of the new message');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #7 0x00']);
  });

  test('manual ack – MQTT 5: a refused QoS 1 message gets PUBACK with the reason asked for', () => {
    const h = manual();
    h.receive(inbound('a', 1, 3));
    h.sink.takeSent();
    assert.equal(acknowledge(h, 3, 1, 0x80), true, 'refusal');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #3 0x80']);
  });

  test('manual ack – MQTT 3.1.1 sends reason 0 whatever the reason asked, and a "refused" QoS 2 keeps its id', () => {
    const h = manual({ protocolVersion: 4 });
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 2, 2));
    h.sink.takeSent();
    assert.equal(acknowledge(h, 1, 1, 0x87), true, 'ack of 1 with 0x87');
    assert.equal(acknowledge(h, 2, 2, 0x87), true, 'ack of 2 with 0x87');
    assert.deepEqual(h.sink.takeSent(), [
      { type: 'puback', packetId: 1, reasonCode: 0 },
      { type: 'pubrec', packetId: 2, reasonCode: 0 },
    ]);
    // In 3.1.1 the PUBREC accepted the message: a resend before PUBREL is the same message.
    h.receive(inbound('b', 2, 2, true));
    assert.equal(h.sink.delivered.length, 2, 'the resend is not delivered again');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #2 0x00']);
  });

  test('manual ack – a QoS 2 resent with DUP before the application acknowledged it: no second delivery and no PUBREC yet', () => {
    const h = manual();
    h.receive(inbound('q2', 2, 9));
    h.receive(inbound('q2', 2, 9, true));
    assert.equal(h.sink.delivered.length, 1, 'delivered once');
    assert.deepEqual(h.sink.takeSummaries(), [], 'the PUBREC waits for the application');
    assert.equal(acknowledge(h, 9, 2), true, 'ack');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #9 0x00']);
    // Once acknowledged, a resend (our PUBREC lost) is answered at once and still not delivered.
    h.receive(inbound('q2', 2, 9, true));
    assert.equal(h.sink.delivered.length, 1, 'still delivered once');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #9 0x00']);
  });

  test('manual ack – reconnect: QoS 1 acknowledgements of the old connection are void, QoS 2 ones go out on the new one', () => {
    const h = manual({ clean: false });
    h.receive(inbound('q1', 1, 1));
    h.receive(inbound('q2', 2, 2));
    const oldEpoch = h.engine.connection;
    h.sink.takeSent();
    h.drop();
    h.connect({ sessionPresent: true });
    assert.notEqual(h.engine.connection, oldEpoch, 'a new connection has a new number');
    h.sink.takeSent();

    assert.equal(acknowledge(h, 1, 1, 0, oldEpoch), false, 'the QoS 1 message of the old connection');
    assert.deepEqual(h.sink.takeSummaries(), [], 'no PUBACK for a message of another connection');
    assert.equal(acknowledge(h, 2, 2, 0, oldEpoch), true, 'the QoS 2 message is still ours to acknowledge');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #2 0x00']);

    // The broker sends the QoS 1 message again: it is delivered again and acknowledged on this connection.
    h.receive(inbound('q1', 1, 1, true));
    assert.deepEqual(
      h.sink.delivered.map((m) => `${m.topic}${m.dup ? ' dup' : ''}`),
      ['q1', 'q2', 'q1 dup'],
    );
    assert.equal(acknowledge(h, 1, 1), true, 'ack of the resend');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00']);
  });

  test('manual ack – reconnect: an unacknowledged QoS 2 resent with DUP is not delivered again; its PUBREC waits for the ack', () => {
    const h = manual({ clean: false });
    h.receive(inbound('q2', 2, 6));
    const oldEpoch = h.engine.connection;
    h.drop();
    h.connect({ sessionPresent: true });
    h.sink.takeSent();
    h.receive(inbound('q2', 2, 6, true));
    assert.equal(h.sink.delivered.length, 1, 'delivered once across connections');
    assert.deepEqual(h.sink.takeSummaries(), []);
    assert.equal(acknowledge(h, 6, 2, 0, oldEpoch), true, 'ack');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #6 0x00']);
  });

  test('manual ack – an acknowledgement made while offline sends nothing; a QoS 1 one returns false (the broker resends)', () => {
    const h = manual({ clean: false });
    h.receive(inbound('q1', 1, 1));
    const epoch = h.engine.connection;
    h.sink.takeSent();
    h.drop();
    assert.equal(
      acknowledge(h, 1, 1, 0, epoch),
      false,
      'the connection the message came on has dropped: there is nothing to acknowledge',
    );
    assert.deepEqual(h.sink.takeSummaries(), [], 'nothing is sent without a connection');
  });

  test('manual ack – a QoS 2 refused while offline stays refused: its resend after reconnect is not delivered again', () => {
    const h = manual({ clean: false });
    h.receive(inbound('q2', 2, 4));
    const epoch = h.engine.connection;
    h.sink.takeSent();
    h.drop();
    acknowledge(h, 4, 2, 0x87, epoch);
    assert.deepEqual(h.sink.takeSummaries(), [], 'nothing is sent without a connection');
    h.connect({ sessionPresent: true });
    h.sink.takeSent();
    // The broker never saw our PUBREC: it sends the message again.
    h.receive(inbound('q2', 2, 4, true));
    assert.equal(h.sink.delivered.length, 1, 'a QoS 2 message is delivered once only');
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #4 0x87'], 'the refusal reaches the broker');
  });

  test('manual ack – a QoS 2 of a session the broker lost does not block later acknowledgements', () => {
    const h = manual({ clean: false });
    h.receive(inbound('old', 2, 2));
    h.drop();
    h.connect({ sessionPresent: false });
    h.sink.takeSent();
    // A new session: the broker may use id 2 again for a new message.
    h.receive(inbound('new', 2, 2));
    h.receive(inbound('next', 1, 3));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['old', 'new', 'next'],
    );
    assert.equal(acknowledge(h, 2, 2), true, 'ack of the new QoS 2 message');
    assert.equal(acknowledge(h, 3, 1), true, 'ack of the QoS 1 message');
    assert.deepEqual(
      h.sink.takeSummaries(),
      ['pubrec #2 0x00', 'puback #3 0x00'],
      'both acknowledgements of the new session go out',
    );
  });

  test('manual ack – MQTT 5 Receive Maximum 2: a third unacknowledged QoS 1 → DISCONNECT 0x93, not delivered', () => {
    const h = manual({ properties: { receiveMaximum: 2 } });
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 1, 2));
    h.sink.takeSent();
    h.receive(inbound('c', 1, 3));
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x93']);
    const err = h.sink.closeError();
    assert.ok(err instanceof ProtocolError, `got ${String(err)}`);
    assert.equal(err.reasonCode, 0x93);
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a', 'b'],
    );
  });

  test('manual ack – MQTT 5 Receive Maximum 2: mixed QoS 1 and 2 count together; after an ack a third is accepted', () => {
    const h = manual({ properties: { receiveMaximum: 2 } });
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 2, 2));
    assert.equal(acknowledge(h, 1, 1), true, 'ack of 1');
    h.receive(inbound('c', 1, 3));
    assert.deepEqual(h.sink.closes, [], 'two unacknowledged, within the limit');
    assert.equal(h.sink.delivered.length, 3);
    h.sink.takeSent();
    h.receive(inbound('d', 1, 4));
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x93'], 'b (QoS 2) and c still unacknowledged');
  });

  test('manual ack – MQTT 5 Receive Maximum 2: an ack held back behind an earlier message still counts as unacknowledged', () => {
    const h = manual({ properties: { receiveMaximum: 2 } });
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 1, 2));
    assert.equal(acknowledge(h, 2, 1), true, 'early ack of 2');
    assert.deepEqual(h.sink.takeSummaries(), [], 'no PUBACK has gone: the broker has 2 unacknowledged');
    h.receive(inbound('c', 1, 3));
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x93'], 'a third is over the Receive Maximum');
    assert.equal(h.sink.delivered.length, 2);
  });

  test('manual ack – a QoS 2 identifier is stored when the application acknowledges it, so a restart redelivers an unacknowledged one', () => {
    const h = manual();
    h.receive(inbound('a', 2, 7));
    h.receive(inbound('b', 2, 8));
    assert.equal(
      h.store.hasIncoming(7),
      false,
      'not stored on arrival: the application has not processed it',
    );
    assert.equal(acknowledge(h, 7, 2), true, 'ack of 7');
    assert.equal(h.store.hasIncoming(7), true, 'stored once acknowledged');
    assert.equal(acknowledge(h, 8, 2, 0x80), true, 'refusal of 8');
    assert.equal(
      h.store.hasIncoming(8),
      false,
      'a refused message is never stored: its flow ends with the PUBREC',
    );
  });

  test('manual ack – MQTT 5 Receive Maximum 3: a QoS 2 message acknowledged but held back is counted once, not twice', () => {
    const h = manual({ properties: { receiveMaximum: 3 } });
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 2, 2));
    assert.equal(acknowledge(h, 2, 2), true, 'ack of 2, held behind 1');
    h.receive(inbound('c', 1, 3));
    assert.deepEqual(
      h.sink.closes,
      [],
      'three unacknowledged would be the limit; these are 1, 2 (stored) and 3',
    );
    h.sink.takeSent();
    h.receive(inbound('d', 1, 4));
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x93'], 'a fourth is one too many');
  });

  test('manual ack – off (the default): PUBACK and PUBREC go at once, and acknowledge() returns false', () => {
    const h = new Harness();
    h.connect();
    h.receive(inbound('a', 1, 1));
    h.receive(inbound('b', 2, 2));
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00', 'pubrec #2 0x00']);
    assert.equal(acknowledge(h, 1, 1), false, 'QoS 1');
    assert.equal(acknowledge(h, 2, 2), false, 'QoS 2');
    assert.deepEqual(h.sink.takeSummaries(), []);
  });

  test('manual ack – QoS 0 is delivered and nothing is ever sent for it', () => {
    const h = manual();
    h.receive(inbound('z', 0));
    assert.equal(h.sink.delivered.length, 1);
    assert.deepEqual(h.sink.takeSummaries(), []);
  });
});

describe('session engine: Payload Format Indicator validation', () => {
  test('payload format – PFI 1 with invalid UTF-8, QoS 1: PUBACK 0x99, not delivered, reported as rejected', () => {
    const h = new Harness({ validatePayloadFormat: true });
    h.connect();
    const p = formatted(1, 11, NOT_UTF8, 1);
    h.receive(p);
    assert.deepEqual(h.sink.takeSummaries(), ['puback #11 0x99']);
    assert.deepEqual(h.sink.delivered, []);
    assert.equal(h.sink.rejections.length, 1);
    assert.equal(h.sink.rejections[0]?.message, p);
    assert.match(h.sink.rejections[0]?.why ?? '', /UTF-8/);
    assert.deepEqual(h.sink.closes, [], 'the connection stays up');
  });

  test('payload format – PFI 1 with invalid UTF-8, QoS 2: PUBREC 0x99, not delivered, and the id stays free', () => {
    const h = new Harness({ validatePayloadFormat: true });
    h.connect();
    h.receive(formatted(2, 12, NOT_UTF8, 1));
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #12 0x99']);
    assert.deepEqual(h.sink.delivered, []);
    assert.equal(h.sink.rejections.length, 1);
    // The refusal ended the flow: a valid message with the same id is a new one.
    h.receive(formatted(2, 12, encoder.encode('ok'), 1));
    assert.equal(h.sink.delivered.length, 1);
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #12 0x00']);
  });

  test('payload format – PFI 1 with invalid UTF-8, QoS 0: not delivered, nothing sent, reported', () => {
    const h = new Harness({ validatePayloadFormat: true });
    h.connect();
    h.receive(formatted(0, undefined, NOT_UTF8, 1));
    assert.deepEqual(h.sink.delivered, []);
    assert.deepEqual(h.sink.takeSummaries(), []);
    assert.equal(h.sink.rejections.length, 1);
  });

  const invalid: Array<[string, number[]]> = [
    ['an overlong encoding', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a lone continuation byte', [0x80]],
  ];
  for (const [what, bytes] of invalid) {
    test(`payload format – ${what} is not UTF-8: PUBACK 0x99`, () => {
      const h = new Harness({ validatePayloadFormat: true });
      h.connect();
      h.receive(formatted(1, 1, new Uint8Array(bytes), 1));
      assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x99']);
      assert.deepEqual(h.sink.delivered, []);
    });
  }

  test('payload format – PFI 1 with valid UTF-8 (multi-byte, empty) is delivered and acknowledged with 0', () => {
    const h = new Harness({ validatePayloadFormat: true });
    h.connect();
    h.receive(formatted(1, 1, encoder.encode('héllo wörld €𝄞'), 1));
    h.receive(formatted(2, 2, new Uint8Array(0), 1));
    assert.equal(h.sink.delivered.length, 2);
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00', 'pubrec #2 0x00']);
    assert.deepEqual(h.sink.rejections, []);
  });

  test('payload format – PFI 0 or absent with binary payload is delivered', () => {
    const h = new Harness({ validatePayloadFormat: true });
    h.connect();
    h.receive(formatted(1, 1, NOT_UTF8, 0));
    h.receive(formatted(1, 2, NOT_UTF8));
    assert.equal(h.sink.delivered.length, 2);
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00', 'puback #2 0x00']);
    assert.deepEqual(h.sink.rejections, []);
  });

  test('payload format – validation off (the default): PFI 1 with invalid UTF-8 is delivered', () => {
    const h = new Harness();
    h.connect();
    h.receive(formatted(1, 1, NOT_UTF8, 1));
    assert.equal(h.sink.delivered.length, 1);
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00']);
    assert.deepEqual(h.sink.rejections, []);
  });

  test('payload format – with manual ack, a refusal 0x99 waits for earlier unacknowledged messages (arrival order)', () => {
    const h = new Harness({ validatePayloadFormat: true, manualAck: true });
    h.connect();
    h.receive(formatted(1, 1, encoder.encode('fine'), 1));
    h.receive(formatted(1, 2, NOT_UTF8, 1));
    assert.deepEqual(h.sink.takeSummaries(), [], 'PUBACK 2 may not overtake PUBACK 1 [MQTT-4.6.0-2]');
    assert.equal(acknowledge(h, 1, 1), true, 'ack of 1');
    assert.deepEqual(h.sink.takeSummaries(), ['puback #1 0x00', 'puback #2 0x99']);
    assert.equal(h.sink.delivered.length, 1, 'the invalid message is not delivered');
  });
});
