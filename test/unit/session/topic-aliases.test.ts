// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: MQTT 5 Topic Aliases in both directions (section 3.3.2.3.4, [MQTT-3.3.2-7..12], section 3.3.4)
// and the broker's Maximum Packet Size at send time ([MQTT-3.1.2-24]).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from '../../../src/errors.js';
import { encode } from '../../../src/packet/encode.js';
import { PacketTooLargeError } from '../../../src/packet/errors.js';
import type { Packet, PublishPacket, PublishProperties, QoS } from '../../../src/packet/types.js';
import type { OutgoingMessage } from '../../../src/session/store.js';
import type { EngineOptions } from '../../../src/session/types.js';
import { ack, Harness, idOf, inbound, message } from './harness.js';

const encoder = new TextEncoder();

/** A PUBLISH from the broker using `alias` (topic '' when it relies on the alias alone). */
function aliased(topic: string, alias: number, qos: QoS = 0, packetId?: number): PublishPacket {
  const p = inbound(topic, qos, packetId);
  p.payload = encoder.encode(`${topic}@${alias}`);
  p.properties = { topicAlias: alias };
  return p;
}

/** An outgoing message with properties. */
function withProps(topic: string, qos: QoS, properties: PublishProperties): OutgoingMessage {
  return { ...message(topic, qos), properties };
}

/** An outgoing message with a payload of `size` bytes. */
function sized(topic: string, qos: QoS, size: number): OutgoingMessage {
  return { topic, payload: new Uint8Array(size).fill(0x61), qos, retain: false };
}

/** The sent PUBLISH packets, as `[topic on the wire, alias or undefined]`. */
function wire(packets: Packet[]): Array<[string, number | undefined]> {
  return packets.map((p) => {
    assert.equal(p.type, 'publish', `expected a PUBLISH, got ${p.type}`);
    const pub = p as PublishPacket;
    return [pub.topic, pub.properties?.topicAlias];
  });
}

/**
 * What a broker accepting `max` aliases makes of the PUBLISH packets sent on one connection: the topic each one
 * is published to. Fails on what a broker would treat as a Protocol Error or Topic Alias Invalid.
 */
function brokerTopics(packets: Packet[], max: number): string[] {
  const table = new Map<number, string>();
  return packets.map((p, i) => {
    assert.equal(p.type, 'publish', `packet ${i}: expected a PUBLISH, got ${p.type}`);
    const pub = p as PublishPacket;
    const alias = pub.properties?.topicAlias;
    if (alias === undefined) {
      assert.notEqual(pub.topic, '', `packet ${i}: an empty topic without an alias`);
      return pub.topic;
    }
    assert.ok(alias >= 1 && alias <= max, `packet ${i}: alias ${alias} outside 1..${max}`);
    if (pub.topic !== '') {
      table.set(alias, pub.topic);
      return pub.topic;
    }
    const topic = table.get(alias);
    assert.ok(topic !== undefined, `packet ${i}: alias ${alias} used before it was set up`);
    return topic;
  });
}

/** A connected MQTT 5 engine announcing `announced` inbound aliases in CONNECT. */
function inboundHarness(announced: number | undefined, overrides: Partial<EngineOptions> = {}): Harness {
  const h = new Harness({
    ...overrides,
    ...(announced === undefined ? {} : { properties: { topicAliasMaximum: announced } }),
  });
  h.connect();
  h.sink.takeSent();
  return h;
}

/** Asserts that the engine sent DISCONNECT `code` and closed with a ProtocolError carrying it. */
function assertAliasFault(h: Harness, code: number): void {
  assert.deepEqual(h.sink.takeSent(), [{ type: 'disconnect', reasonCode: code }]);
  const err = h.sink.closeError();
  assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
  assert.equal(err.reasonCode, code);
  assert.equal(h.sink.calls.at(-1)?.kind, 'close', 'DISCONNECT goes before close');
}

/** A connected engine with automatic aliases whose broker accepts `max` of them. */
function autoHarness(max: number, overrides: Partial<EngineOptions> = {}): Harness {
  const h = new Harness({ autoTopicAlias: true, ...overrides });
  h.connect({ properties: { topicAliasMaximum: max } });
  h.sink.takeSent();
  return h;
}

describe('session engine: inbound topic aliases', () => {
  test('inbound aliases – a PUBLISH with topic and alias is delivered with its topic; a later one with only the alias gets the full topic', () => {
    const h = inboundHarness(5);
    h.receive(aliased('sensors/kitchen', 1, 1, 10));
    h.receive(aliased('', 1, 1, 11));
    h.receive(aliased('', 1, 0));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['sensors/kitchen', 'sensors/kitchen', 'sensors/kitchen'],
    );
    assert.deepEqual(h.sink.takeSummaries(), ['puback #10 0x00', 'puback #11 0x00']);
    assert.deepEqual(h.sink.closes, [], 'the connection stays up');
  });

  test('inbound aliases – the announced maximum itself is a valid alias, and aliases map independently', () => {
    const h = inboundHarness(3);
    h.receive(aliased('a', 1));
    h.receive(aliased('c', 3));
    h.receive(aliased('', 3));
    h.receive(aliased('', 1));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a', 'c', 'c', 'a'],
    );
    assert.deepEqual(h.sink.closes, []);
  });

  test('inbound aliases – a PUBLISH with a new topic for a known alias remaps it', () => {
    const h = inboundHarness(5);
    h.receive(aliased('first', 2));
    h.receive(aliased('', 2));
    h.receive(aliased('second', 2));
    h.receive(aliased('', 2));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['first', 'first', 'second', 'second'],
    );
  });

  test('inbound aliases – a QoS 2 message with only an alias is delivered once with the full topic', () => {
    const h = inboundHarness(5);
    h.receive(aliased('q2/topic', 4, 2, 7));
    h.receive(aliased('', 4, 2, 8));
    h.receive(aliased('', 4, 2, 8)); // the broker sends it again before our PUBREC arrived
    assert.deepEqual(
      h.sink.delivered.map((m) => [m.topic, m.packetId]),
      [
        ['q2/topic', 7],
        ['q2/topic', 8],
      ],
    );
    assert.deepEqual(h.sink.takeSummaries(), ['pubrec #7 0x00', 'pubrec #8 0x00', 'pubrec #8 0x00']);
  });

  test('inbound aliases – alias 0 is Topic Alias Invalid: DISCONNECT 0x94 and a ProtocolError, nothing delivered', () => {
    const h = inboundHarness(5);
    h.receive(aliased('t', 0, 1, 3));
    assertAliasFault(h, 0x94);
    assert.deepEqual(h.sink.delivered, []);
  });

  test('inbound aliases – an alias above the announced maximum is Topic Alias Invalid (0x94)', () => {
    const h = inboundHarness(5);
    h.receive(aliased('t', 6, 1, 3));
    assertAliasFault(h, 0x94);
    assert.deepEqual(h.sink.delivered, []);
  });

  test('inbound aliases – any alias when the client announced none (no property) is Topic Alias Invalid (0x94)', () => {
    const h = inboundHarness(undefined);
    h.receive(aliased('t', 1));
    assertAliasFault(h, 0x94);
    assert.deepEqual(h.sink.delivered, []);
  });

  test('inbound aliases – any alias when the client announced 0 is Topic Alias Invalid (0x94)', () => {
    const h = inboundHarness(0);
    h.receive(aliased('t', 1));
    assertAliasFault(h, 0x94);
  });

  test('inbound aliases – an empty topic with an alias never set up is a Protocol Error (0x82)', () => {
    const h = inboundHarness(5);
    h.receive(aliased('a', 1));
    h.receive(aliased('', 2, 1, 9));
    assertAliasFault(h, 0x82);
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['a'],
      'the faulty message is not delivered',
    );
  });

  test('inbound aliases – aliases the client set up towards the broker mean nothing in the other direction', () => {
    const h = inboundHarness(5, { autoTopicAlias: true });
    h.drop();
    h.connect({ properties: { topicAliasMaximum: 5 } });
    h.publish(undefined, message('out/topic', 0));
    assert.deepEqual(wire(h.sink.takeSent()), [['out/topic', 1]]);
    h.receive(aliased('', 1));
    assertAliasFault(h, 0x82);
  });

  test('inbound aliases – mappings do not survive a reconnect: the same alias with an empty topic is then a Protocol Error', () => {
    const h = inboundHarness(5, { clean: false });
    h.receive(aliased('kept/not', 1));
    assert.equal(h.sink.delivered.length, 1);
    h.drop();
    h.connect({ sessionPresent: true });
    h.sink.takeSent();
    h.receive(aliased('', 1));
    assertAliasFault(h, 0x82);
    assert.equal(h.sink.delivered.length, 1, 'nothing more delivered');
  });

  test('inbound aliases – after a reconnect an alias can be set up again', () => {
    const h = inboundHarness(5);
    h.receive(aliased('one', 1));
    h.drop();
    h.connect();
    h.receive(aliased('two', 1));
    h.receive(aliased('', 1));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['one', 'two', 'two'],
    );
  });
});

describe('session engine: automatic outbound topic aliases', () => {
  test('auto aliases – the first PUBLISH of a topic carries topic and alias 1, the next one only the alias', () => {
    const h = autoHarness(2);
    h.publish(undefined, message('t/a', 1));
    h.publish(undefined, message('t/a', 1));
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['t/a', 1],
      ['', 1],
    ]);
    assert.deepEqual(brokerTopics(sent, 2), ['t/a', 't/a']);
    assert.deepEqual(
      sent.map((p) => idOf(p)),
      [1, 2],
      'aliases do not change the QoS flow',
    );
  });

  test('auto aliases – other PUBLISH properties are kept next to the alias', () => {
    const h = autoHarness(2);
    h.publish(undefined, withProps('t/p', 0, { contentType: 'text/plain', messageExpiryInterval: 60 }));
    h.publish(undefined, withProps('t/p', 0, { contentType: 'text/plain' }));
    const [first, second] = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(first?.properties, {
      contentType: 'text/plain',
      messageExpiryInterval: 60,
      topicAlias: 1,
    });
    assert.deepEqual(second?.properties, { contentType: 'text/plain', topicAlias: 1 });
    assert.equal(second?.topic, '');
  });

  test('auto aliases – when all are taken, the least recently used alias goes to the new topic, sent with its full name', () => {
    const h = autoHarness(2);
    for (const t of ['a', 'b', 'a', 'c', 'b', 'c', 'a']) h.publish(undefined, message(t, 0));
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['a', 1],
      ['b', 2],
      ['', 1], // a used: b is now the least recently used
      ['c', 2], // c takes b's alias
      ['b', 1], // b takes a's alias (a was used before c)
      ['', 2], // c still has 2
      ['a', 1], // a lost its alias to b: full topic; b (used before c) gives up 1
    ]);
    assert.deepEqual(brokerTopics(sent, 2), ['a', 'b', 'a', 'c', 'b', 'c', 'a']);
  });

  test('auto aliases – many topics through few aliases always reach the broker under the right topic', () => {
    const h = autoHarness(3);
    const topics: string[] = [];
    for (let i = 0; i < 200; i++) topics.push(`t/${(i * 7 + (i >> 3)) % 5}`);
    for (const t of topics) h.publish(undefined, message(t, 0));
    const sent = h.sink.takeSent();
    assert.deepEqual(brokerTopics(sent, 3), topics);
    assert.ok(
      sent.some((p) => (p as PublishPacket).topic === ''),
      'some PUBLISH packets use the alias alone',
    );
  });

  test('auto aliases – none when the broker announced no Topic Alias Maximum', () => {
    const h = new Harness({ autoTopicAlias: true });
    h.connect();
    h.publish(undefined, message('t/a', 0));
    h.publish(undefined, message('t/a', 1));
    assert.deepEqual(wire(h.sink.takeSent()), [
      ['t/a', undefined],
      ['t/a', undefined],
    ]);
  });

  test('auto aliases – none when the broker announced a Topic Alias Maximum of 0', () => {
    const h = autoHarness(0);
    h.publish(undefined, message('t/a', 0));
    h.publish(undefined, message('t/a', 0));
    assert.deepEqual(wire(h.sink.takeSent()), [
      ['t/a', undefined],
      ['t/a', undefined],
    ]);
  });

  test('auto aliases – none in MQTT 3.1.1', () => {
    const h = new Harness({ autoTopicAlias: true, protocolVersion: 4 });
    h.connect();
    h.publish(undefined, message('t/a', 0));
    h.publish(undefined, message('t/a', 1));
    const sent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(
      sent.map((p) => [p.topic, p.properties]),
      [
        ['t/a', undefined],
        ['t/a', undefined],
      ],
    );
  });

  test('auto aliases – none when autoTopicAlias is off, whatever the broker allows', () => {
    const h = autoHarness(10, { autoTopicAlias: false });
    h.publish(undefined, message('t/a', 0));
    h.publish(undefined, message('t/a', 0));
    assert.deepEqual(wire(h.sink.takeSent()), [
      ['t/a', undefined],
      ['t/a', undefined],
    ]);
  });

  test('auto aliases – messages queued while offline get aliases from the CONNACK of the connection that sends them', () => {
    const h = new Harness({ autoTopicAlias: true });
    h.publish(undefined, message('q/a', 1));
    h.publish(undefined, message('q/a', 0));
    h.connect({ properties: { topicAliasMaximum: 4 } });
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['q/a', 1],
      ['', 1],
    ]);
  });

  test('auto aliases – a QoS 1 message resent with session present carries DUP, the full topic and no alias', () => {
    const h = autoHarness(2, { clean: false });
    h.publish('first', message('r/a', 1));
    h.publish('second', withProps('r/a', 1, { contentType: 'x' }));
    const before = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(wire(before), [
      ['r/a', 1],
      ['', 1],
    ]);
    h.receive(ack('puback', 1));
    h.drop();
    h.connect({ sessionPresent: true, properties: { topicAliasMaximum: 2 } });
    const resent = h.sink.takeSent() as PublishPacket[];
    assert.equal(resent.length, 1, `resent: ${resent.map((p) => p.type).join(', ')}`);
    const p = resent[0] as PublishPacket;
    assert.equal(p.dup, true, 'DUP is set');
    assert.equal(p.packetId, 2, 'with its packet identifier');
    assert.equal(p.topic, 'r/a', 'with its full topic');
    assert.equal(p.properties?.topicAlias, undefined, 'without a topic alias');
    assert.equal(p.properties?.contentType, 'x', 'other properties stay');
    h.receive(ack('puback', 2));
    assert.equal(h.sink.settlement('second').error, undefined);
  });

  test('auto aliases – after a reconnect the first PUBLISH of a known topic carries the full topic again', () => {
    const h = autoHarness(2);
    h.publish(undefined, message('k/a', 0));
    h.publish(undefined, message('k/b', 0));
    h.publish(undefined, message('k/a', 0));
    assert.deepEqual(wire(h.sink.takeSent()), [
      ['k/a', 1],
      ['k/b', 2],
      ['', 1],
    ]);
    h.drop();
    h.connect({ properties: { topicAliasMaximum: 2 } });
    h.publish(undefined, message('k/b', 0));
    h.publish(undefined, message('k/b', 0));
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['k/b', 1],
      ['', 1],
    ]);
    assert.deepEqual(brokerTopics(sent, 2), ['k/b', 'k/b']);
  });

  test('auto aliases – after a reconnect to a broker with a smaller maximum, only aliases within it are used', () => {
    const h = autoHarness(5);
    for (const t of ['a', 'b', 'c', 'd']) h.publish(undefined, message(t, 0));
    h.sink.takeSent();
    h.drop();
    h.connect({ properties: { topicAliasMaximum: 1 } });
    for (const t of ['d', 'c', 'd', 'd']) h.publish(undefined, message(t, 0));
    const sent = h.sink.takeSent();
    assert.deepEqual(brokerTopics(sent, 1), ['d', 'c', 'd', 'd']);
  });

  test('auto aliases – a message resent as new after the broker lost the session still reaches the right topic', () => {
    const h = autoHarness(2, { clean: false });
    h.publish('a', message('s/a', 1));
    h.publish('b', message('s/a', 1));
    h.sink.takeSent();
    h.drop();
    h.connect({ sessionPresent: false, properties: { topicAliasMaximum: 2 } });
    const sent = h.sink.takeSent();
    assert.deepEqual(brokerTopics(sent, 2), ['s/a', 's/a']);
    assert.deepEqual(
      sent.map((p) => (p as PublishPacket).dup),
      [false, false],
    );
  });
});

describe('session engine: manual outbound topic aliases', () => {
  test('manual aliases – the first PUBLISH with alias 3 carries the topic, the next one to the same topic only the alias', () => {
    const h = autoHarness(5, { autoTopicAlias: false });
    h.publish(undefined, withProps('m/a', 1, { topicAlias: 3 }));
    h.publish(undefined, withProps('m/a', 1, { topicAlias: 3 }));
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['m/a', 3],
      ['', 3],
    ]);
    assert.equal(h.engine.aliasedTopic(3), 'm/a', 'the alias is known for this connection');
    assert.equal(h.engine.aliasedTopic(2), undefined);
  });

  test('manual aliases – the same alias for another topic remaps it with the full topic', () => {
    const h = autoHarness(5, { autoTopicAlias: false });
    for (const t of ['m/a', 'm/b', 'm/b', 'm/a']) h.publish(undefined, withProps(t, 0, { topicAlias: 3 }));
    const sent = h.sink.takeSent();
    assert.deepEqual(wire(sent), [
      ['m/a', 3],
      ['m/b', 3],
      ['', 3],
      ['m/a', 3],
    ]);
    assert.deepEqual(brokerTopics(sent, 5), ['m/a', 'm/b', 'm/b', 'm/a']);
  });

  test('manual aliases – an alias above the broker maximum of the current connection is dropped: full topic, no alias', () => {
    const h = autoHarness(2, { autoTopicAlias: false });
    h.publish(undefined, withProps('m/x', 0, { topicAlias: 3, contentType: 'c' }));
    h.publish(undefined, withProps('m/x', 0, { topicAlias: 3 }));
    const sent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(wire(sent), [
      ['m/x', undefined],
      ['m/x', undefined],
    ]);
    assert.equal(sent[0]?.properties?.contentType, 'c', 'other properties stay');
    assert.equal(h.engine.aliasedTopic(3), undefined);
  });

  test('manual aliases – a message queued offline with an alias goes without it to a broker that accepts none', () => {
    const h = new Harness();
    h.publish('m', withProps('m/q', 1, { topicAlias: 1 }));
    h.connect();
    assert.deepEqual(wire(h.sink.takeSent()), [['m/q', undefined]]);
  });

  test('manual aliases – maps are per connection: after a reconnect the alias is set up again with the full topic', () => {
    const h = autoHarness(5, { autoTopicAlias: false });
    h.publish(undefined, withProps('m/r', 0, { topicAlias: 1 }));
    h.sink.takeSent();
    h.drop();
    assert.equal(h.engine.aliasedTopic(1), undefined, 'nothing is known while offline');
    h.connect({ properties: { topicAliasMaximum: 5 } });
    h.publish(undefined, withProps('m/r', 0, { topicAlias: 1 }));
    assert.deepEqual(wire(h.sink.takeSent()), [['m/r', 1]]);
  });

  test('manual aliases – a resent message with a manual alias carries DUP, the full topic and no alias', () => {
    const h = autoHarness(5, { autoTopicAlias: false, clean: false });
    h.publish('x', withProps('m/d', 1, { topicAlias: 2 }));
    h.publish('y', withProps('m/d', 1, { topicAlias: 2 }));
    assert.deepEqual(wire(h.sink.takeSent()), [
      ['m/d', 2],
      ['', 2],
    ]);
    h.drop();
    h.connect({ sessionPresent: true, properties: { topicAliasMaximum: 5 } });
    const resent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(
      resent.map((p) => [p.topic, p.properties?.topicAlias, p.dup]),
      [
        ['m/d', undefined, true],
        ['m/d', undefined, true],
      ],
    );
  });

  test('mixed aliases – with manual and automatic aliases together, every PUBLISH reaches the broker under its own topic', () => {
    const h = autoHarness(2);
    const plan: Array<[string, number | undefined]> = [
      ['x', 2], // manual alias 2
      ['a', undefined], // automatic: must not take alias 2 from x without forgetting that x had it
      ['x', undefined], // automatic for the topic that has the manual alias: alias-only PUBLISH must mean x
      ['a', undefined],
      ['x', 2],
      ['a', undefined],
    ];
    for (const [t, alias] of plan) {
      h.publish(undefined, alias === undefined ? message(t, 0) : withProps(t, 0, { topicAlias: alias }));
    }
    const sent = h.sink.takeSent();
    assert.deepEqual(
      brokerTopics(sent, 2),
      plan.map(([t]) => t),
      `on the wire: ${JSON.stringify(wire(sent))}`,
    );
  });
});

describe('session engine: the broker Maximum Packet Size at send time', () => {
  const MAX = 100;

  test('maximum packet size – a queued QoS 1 message over it fails with PacketTooLargeError, is not sent, and the next one goes', () => {
    const h = new Harness();
    h.publish('big', sized('big', 1, 200));
    h.publish('small', sized('small', 1, 10));
    h.connect({ properties: { maximumPacketSize: MAX } });
    const sent = h.sink.takeSent() as PublishPacket[];
    assert.deepEqual(
      sent.map((p) => p.topic),
      ['small'],
      'only the small message is sent',
    );
    const err = h.sink.settlement('big').error;
    assert.ok(err instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(err)}`);
    const wouldBe = encode({ type: 'publish', ...sized('big', 1, 200), dup: false, packetId: 1 }, 5).length;
    assert.equal(err.size, wouldBe, 'size is what the PUBLISH would have been');
    assert.equal(err.maximum, MAX);
    h.receive(ack('puback', idOf(sent[0])));
    assert.equal(h.sink.settlement('small').error, undefined);
    assert.deepEqual(h.sink.closes, [], 'the connection is not closed');
    assert.equal(h.engine.state, 'connected');
    assert.equal(h.engine.pendingCount, 0, 'the failed message is not kept');
  });

  test('maximum packet size – a queued QoS 0 message over it fails with PacketTooLargeError and the next one goes', () => {
    const h = new Harness();
    h.publish('big', sized('big', 0, 200));
    h.publish('small', sized('small', 0, 10));
    h.connect({ properties: { maximumPacketSize: MAX } });
    assert.deepEqual(h.sink.takeSummaries(), ['publish small q0']);
    const err = h.sink.settlement('big').error;
    assert.ok(err instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(err)}`);
    assert.equal(err.maximum, MAX);
    assert.ok(err.size > MAX, `size ${err.size}`);
    assert.equal(h.sink.settlement('small').error, undefined);
    assert.deepEqual(h.sink.closes, []);
  });

  test('maximum packet size – a QoS 0 message over it published while connected fails and nothing is sent', () => {
    const h = new Harness();
    h.connect({ properties: { maximumPacketSize: MAX } });
    h.sink.takeSent();
    h.publish('big', sized('big', 0, 200));
    h.publish('small', sized('small', 0, 10));
    assert.deepEqual(h.sink.takeSummaries(), ['publish small q0']);
    const err = h.sink.settlement('big').error;
    assert.ok(err instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(err)}`);
    assert.equal(err.maximum, MAX);
    assert.deepEqual(h.sink.closes, []);
  });

  test('maximum packet size – a message of exactly the maximum is sent, one byte more is not', () => {
    const h = new Harness();
    const exact = encode({ type: 'publish', ...sized('e', 1, 50), dup: false, packetId: 1 }, 5).length;
    h.connect({ properties: { maximumPacketSize: exact } });
    h.sink.takeSent();
    h.publish('fits', sized('e', 1, 50));
    h.publish('over', sized('e', 1, 51));
    assert.deepEqual(h.sink.takeSummaries(), ['publish e q1 #1']);
    assert.equal(h.sink.isSettled('fits'), false, 'the fitting one awaits its PUBACK');
    const err = h.sink.settlement('over').error;
    assert.ok(err instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(err)}`);
    assert.equal(err.size, exact + 1);
  });

  test('maximum packet size – an in-flight message too large for the broker of the next connection fails and frees its id', () => {
    const h = new Harness({ clean: false });
    h.connect();
    h.publish('big', sized('big', 1, 200));
    h.publish('small', sized('small', 1, 10));
    assert.deepEqual(h.sink.takeSummaries(), ['publish big q1 #1', 'publish small q1 #2']);
    h.drop();
    h.connect({ sessionPresent: true, properties: { maximumPacketSize: MAX } });
    assert.deepEqual(h.sink.takeSummaries(), ['publish small q1 #2 dup'], 'only the small one is resent');
    const err = h.sink.settlement('big').error;
    assert.ok(err instanceof PacketTooLargeError, `expected PacketTooLargeError, got ${String(err)}`);
    assert.equal(err.maximum, MAX);
    assert.equal(h.engine.idInUse(1), false, 'packet identifier 1 is free again');
    assert.equal(h.engine.idInUse(2), true, 'packet identifier 2 is still in flight');
    assert.deepEqual(h.sink.closes, []);
    h.receive(ack('puback', 2));
    assert.equal(h.sink.settlement('small').error, undefined);
    assert.equal(h.engine.pendingCount, 0);
  });

  test('maximum packet size – a failed resend does not use a place in the in-flight window', () => {
    const h = new Harness({ clean: false, maxInflight: 1 });
    h.connect();
    h.publish('big', sized('big', 1, 200));
    h.publish('next', sized('next', 1, 10));
    assert.deepEqual(h.sink.takeSummaries(), ['publish big q1 #1']);
    h.drop();
    h.connect({ sessionPresent: true, properties: { maximumPacketSize: MAX } });
    assert.deepEqual(h.sink.takeSummaries(), ['publish next q1 #2']);
    assert.ok(h.sink.settlement('big').error instanceof PacketTooLargeError, 'big fails');
  });
});
