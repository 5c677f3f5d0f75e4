// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * fast-check arbitraries for valid MQTT packets of every type and protocol version, following the model
 * conventions of src/packet/types.ts. Property sets are driven by the codec's own `PROPERTIES` table, so every
 * property allowed in a context is generated there (and a new table row without a value arbitrary fails to
 * type-check below). Packets are built as fresh plain objects: fast-check records may have a null prototype,
 * which would not deep-equal what the decoder produces.
 */
import fc from 'fast-check';
import {
  type AllProperties,
  type AuthPacket,
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  PACKET_TYPE_NAMES,
  type Packet,
  type PacketTypeName,
  PROPERTIES,
  type PropertyContext,
  type ProtocolVersion,
  type PubackPacket,
  type PubcompPacket,
  type PublishPacket,
  type PubrecPacket,
  type PubrelPacket,
  type QoS,
  REASON_CODES_BY_PACKET,
  type ReasonCodePacket,
  type SubackPacket,
  type SubscribePacket,
  type Subscription,
  type UnsubackPacket,
  type UnsubscribePacket,
  type UserProperties,
  V3_CONNACK_TO_REASON,
  type Will,
} from '../../../src/packet/index.js';

// ---------------------------------------------------------------------------------------------------------------
// Strings

/** Whether MQTT can carry `s`: no U+0000 and no lone surrogate (which has no UTF-8 form). */
export function isMqttString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

const textEncoder = new TextEncoder();

/** UTF-8 length of a well-formed string. */
export function utf8Length(s: string): number {
  return textEncoder.encode(s).length;
}

/** The longest prefix of `s`, cut at a code point boundary, of at most `maxBytes` bytes of UTF-8. */
export function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const cp of s) {
    const n = utf8Length(cp);
    if (bytes + n > maxBytes) break;
    out += cp;
    bytes += n;
  }
  return out;
}

/** Strings at the edges of UTF-8: every encoded length, the BOM, the highest code points, noncharacters. */
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0001',
  '\u007f',
  '\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\ufeff',
  '\ufefftopic',
  'a\ufeff',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{10000}',
  '\u{1f600}',
  '\u{10ffff}',
  'e\u0301',
  '\u{1f469}\u200d\u{1f4bb}',
  'Ünïcödé ✓ 中文 🚀',
];

/** Strings of exactly 65,535 bytes of UTF-8, the longest an MQTT string may be. */
const MAX_STRINGS = ['a'.repeat(65_535), `${'é'.repeat(32_767)}a`, `${'€'.repeat(21_845)}`];

/**
 * Any string MQTT can carry: ASCII, printable graphemes, any code point (U+0000 and lone surrogates filtered
 * out), edge strings, and now and then one of the maximum length when `long` is set.
 */
export function mqttString(options: { maxLength?: number; long?: boolean } = {}): fc.Arbitrary<string> {
  const maxLength = options.maxLength ?? 16;
  const arbs: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength }).filter(isMqttString) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength }).filter(isMqttString) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
    {
      weight: 1,
      arbitrary: fc.string({ unit: 'grapheme', maxLength }).map((s) => `\ufeff${s}`),
    },
  ];
  if (options.long) arbs.push({ weight: 1, arbitrary: fc.constantFrom(...MAX_STRINGS) });
  return fc.oneof(...arbs);
}

/** One level of a topic: any MQTT string without '/', '+' or '#' (possibly empty). */
export function topicLevel(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mqttString({ maxLength: 8 }).map((s) => s.replace(/[/+#]/g, '')) },
    { weight: 1, arbitrary: fc.constantFrom('$SYS', 'sport', 'tennis', 'player1', '$share', ' ', '\ufeff') },
  );
}

/** A valid topic name: non-empty, no wildcards; levels may be empty ('a//b', '/x', 'x/'). */
export function topicName(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .array(topicLevel(), { minLength: 1, maxLength: 5 })
        .map((levels) => levels.join('/'))
        .filter((t) => t.length > 0),
    },
    { weight: 1, arbitrary: fc.constantFrom('/', '//', 'a', 'a/b/c', '$SYS/broker/load', '\ufeffa/b', ' ') },
    { weight: 1, arbitrary: fc.constantFrom(...MAX_STRINGS.slice(0, 1)) },
  );
}

/** A valid topic filter that is not a shared subscription. */
export function topicFilter(): fc.Arbitrary<string> {
  const level = fc.oneof({ weight: 3, arbitrary: topicLevel() }, { weight: 1, arbitrary: fc.constant('+') });
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.array(level, { minLength: 1, maxLength: 5 }), fc.boolean())
        .map(([levels, multi]) => (multi ? [...levels, '#'] : levels))
        // '$share' as a first level would make it a (malformed) shared subscription in MQTT 5.
        .filter((levels) => levels[0] !== '$share')
        .map((levels) => levels.join('/'))
        .filter((f) => f.length > 0),
    },
    { weight: 2, arbitrary: fc.constantFrom('#', '+', '+/+', '/#', '/', 'a/+/b', 'x/#', '$SYS/#', '+/#') },
  );
}

/** An MQTT 5 shared subscription filter: `$share/{group}/{filter}`. */
export function sharedFilter(): fc.Arbitrary<string> {
  const group = topicLevel().filter((g) => g.length > 0);
  return fc.tuple(group, topicFilter()).map(([g, f]) => `$share/${g}/${f}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers and bytes

function withEdges(edges: number[], min: number, max: number): fc.Arbitrary<number> {
  const inRange = edges.filter((n) => n >= min && n <= max);
  // fc.integer stops at 2^31 - 1, so wider ranges are built from two 16-bit halves.
  const any =
    max <= 0x7fff_ffff
      ? fc.integer({ min, max })
      : fc
          .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
          .map(([hi, lo]) => Math.min(max, Math.max(min, hi * 0x1_0000 + lo)));
  return fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...inRange) }, { weight: 2, arbitrary: any });
}

/** Boundaries of the Variable Byte Integer encoding lengths. */
export const VARINT_EDGES = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455];
const U16_EDGES = [0, 1, 127, 128, 255, 256, 32_767, 32_768, 65_534, 65_535];
const U32_EDGES = [
  ...VARINT_EDGES,
  65_535,
  65_536,
  0x7fff_ffff,
  0x8000_0000,
  0xffff_fffe,
  0xffff_ffff, // 2^32 - 1
];

/** A Two Byte Integer from `min`. */
export function u16(min = 0): fc.Arbitrary<number> {
  return withEdges(U16_EDGES, min, 65_535);
}

/** A Four Byte Integer from `min`. */
export function u32(min = 0): fc.Arbitrary<number> {
  return withEdges(U32_EDGES, min, 0xffff_ffff);
}

/** A Variable Byte Integer from 1 (subscription identifiers). */
export function varint(): fc.Arbitrary<number> {
  return withEdges(VARINT_EDGES, 1, 268_435_455);
}

/** A packet identifier, 1..65,535. */
export function packetId(): fc.Arbitrary<number> {
  return u16(1);
}

export function qos(): fc.Arbitrary<QoS> {
  return fc.constantFrom<QoS>(0, 1, 2);
}

function filled(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Binary Data (at most 65,535 bytes), mostly short, sometimes empty or of the maximum length. */
export function binaryData(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 65_535).map(filled) },
  );
}

/**
 * A payload: mostly short, sometimes sized around the 1- and 2-byte remaining length boundaries (127/128 and
 * 16,383/16,384 bytes), so that packets cross them.
 */
export function payload(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 3, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 160 }) },
    { weight: 1, arbitrary: fc.integer({ min: 16_340, max: 16_400 }).map(filled) },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

type PropertyValues = { [K in keyof AllProperties]-?: fc.Arbitrary<NonNullable<AllProperties[K]>> };

/** A non-empty list of user properties: any strings, names may repeat. */
export function userProperties(): fc.Arbitrary<UserProperties> {
  const s = mqttString({ maxLength: 10, long: true });
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(fc.tuple(s, s), { minLength: 1, maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.constant<UserProperties>([
        ['', ''],
        ['dup', '1'],
        ['dup', '2'],
        ['\ufeff', '\u{10ffff}'],
      ]),
    },
  );
}

/** A value arbitrary for every MQTT 5 property, obeying the value rules of properties.ts. */
export const PROPERTY_VALUES: PropertyValues = {
  payloadFormatIndicator: fc.constantFrom<0 | 1>(0, 1),
  messageExpiryInterval: u32(),
  contentType: mqttString({ long: true }),
  // A topic name: not empty, no wildcards.
  responseTopic: topicName(),
  correlationData: binaryData(),
  subscriptionIdentifier: varint(),
  subscriptionIdentifiers: fc.array(varint(), { minLength: 1, maxLength: 4 }),
  sessionExpiryInterval: u32(),
  assignedClientIdentifier: mqttString(),
  serverKeepAlive: u16(),
  authenticationMethod: mqttString(),
  authenticationData: binaryData(),
  requestProblemInformation: fc.boolean(),
  willDelayInterval: u32(),
  requestResponseInformation: fc.boolean(),
  responseInformation: mqttString(),
  serverReference: mqttString(),
  reasonString: mqttString({ long: true }),
  receiveMaximum: u16(1),
  topicAliasMaximum: u16(),
  topicAlias: u16(1),
  maximumQoS: fc.constantFrom<0 | 1>(0, 1),
  retainAvailable: fc.boolean(),
  userProperties: userProperties(),
  maximumPacketSize: u32(1),
  wildcardSubscriptionAvailable: fc.boolean(),
  subscriptionIdentifierAvailable: fc.boolean(),
  sharedSubscriptionAvailable: fc.boolean(),
};

/** Names of the properties the codec's table allows in `context`, in table order. */
export function propertyNames(context: PropertyContext): (keyof AllProperties)[] {
  return PROPERTIES.filter((p) => p.contexts.includes(context)).map((p) => p.name);
}

/**
 * MQTT 5 properties for `context`: a random subset of the allowed ones (a quarter of the time all of them), in
 * random key order, or undefined when the subset is empty. authenticationData always comes with
 * authenticationMethod.
 */
export function properties(context: PropertyContext): fc.Arbitrary<AllProperties | undefined> {
  const names = propertyNames(context);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of names) model[n] = PROPERTY_VALUES[n];
  const chosen = fc.oneof(
    { weight: 3, arbitrary: fc.shuffledSubarray(names) },
    { weight: 1, arbitrary: fc.shuffledSubarray(names, { minLength: names.length }) },
  );
  return fc.tuple(fc.record(model), chosen).map(([values, keys]) => {
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = values[k];
    if (out['authenticationData'] !== undefined && out['authenticationMethod'] === undefined) {
      out['authenticationMethod'] = values['authenticationMethod'];
    }
    return keys.length === 0 ? undefined : (out as AllProperties);
  });
}

function noProperties(): fc.Arbitrary<undefined> {
  return fc.constant(undefined);
}

function propsFor(context: PropertyContext, v: ProtocolVersion): fc.Arbitrary<AllProperties | undefined> {
  return v === 5 ? properties(context) : noProperties();
}

function reasonCode(packet: ReasonCodePacket): fc.Arbitrary<number> {
  return fc.constantFrom(...REASON_CODES_BY_PACKET[packet].keys());
}

// ---------------------------------------------------------------------------------------------------------------
// Packets

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

/** A will message: MQTT 5 wills carry will properties. */
export function will(v: ProtocolVersion): fc.Arbitrary<Will> {
  return fc
    .tuple(topicName(), binaryData(), qos(), fc.boolean(), propsFor('will', v))
    .map(([topic, payload, qos, retain, props]) => {
      const w: Will = { topic, payload, qos, retain };
      if (props !== undefined) w.properties = props;
      return w;
    });
}

/** An MQTT 3.1 client identifier: 1 to 23 bytes of UTF-8. */
function clientIdV31(): fc.Arbitrary<string> {
  return fc.oneof(
    mqttString({ maxLength: 23 }).map((s) => truncateUtf8(s, 23) || 'c'),
    fc.constantFrom('a', 'x'.repeat(23), `${'é'.repeat(11)}a`, '\u{10ffff}'.repeat(5)),
  );
}

export function connect(v: ProtocolVersion): fc.Arbitrary<ConnectPacket> {
  return fc
    .record({
      clientId: v === 3 ? clientIdV31() : mqttString({ long: true }),
      clean: fc.boolean(),
      keepAlive: u16(),
      username: optional(mqttString({ long: true })),
      password: optional(binaryData()),
      will: optional(will(v)),
      properties: propsFor('connect', v),
    })
    .map((r) => {
      const p: ConnectPacket = {
        type: 'connect',
        protocolVersion: v,
        clientId: r.clientId,
        // [MQTT-3.1.3-7] An empty client identifier needs Clean Session in 3.1.1.
        clean: r.clean || (v === 4 && r.clientId === ''),
        keepAlive: r.keepAlive,
      };
      // Before MQTT 5 a password needs a user name.
      const username = r.password !== undefined && v !== 5 ? (r.username ?? '') : r.username;
      if (username !== undefined) p.username = username;
      if (r.password !== undefined) p.password = r.password;
      if (r.will !== undefined) p.will = r.will;
      if (r.properties !== undefined) p.properties = r.properties;
      return p;
    });
}

export function connack(v: ProtocolVersion): fc.Arbitrary<ConnackPacket> {
  const code = v === 5 ? reasonCode('connack') : fc.constantFrom(...V3_CONNACK_TO_REASON);
  return fc.tuple(fc.boolean(), code, propsFor('connack', v)).map(([present, reasonCode, props]) => {
    // 3.1 has no session present flag; 3.1.1 sets it only on success, 5 never on a failure code.
    const sessionPresent =
      v === 3 ? false : v === 4 ? present && reasonCode === 0 : present && reasonCode < 0x80;
    const p: ConnackPacket = { type: 'connack', sessionPresent, reasonCode };
    if (props !== undefined) p.properties = props;
    return p;
  });
}

export function publish(v: ProtocolVersion): fc.Arbitrary<PublishPacket> {
  const topic =
    v === 5
      ? fc.oneof({ weight: 5, arbitrary: topicName() }, { weight: 1, arbitrary: fc.constant('') })
      : topicName();
  return fc
    .record({
      topic,
      payload: payload(),
      qos: qos(),
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId: packetId(),
      properties: propsFor('publish', v),
      alias: u16(1),
    })
    .map((r) => {
      const p: PublishPacket = {
        type: 'publish',
        topic: r.topic,
        payload: r.payload,
        qos: r.qos,
        retain: r.retain,
        dup: r.qos > 0 && r.dup,
      };
      if (r.qos > 0) p.packetId = r.packetId;
      let props = r.properties;
      // An empty topic name stands for the topic of a Topic Alias.
      if (r.topic === '' && props?.topicAlias === undefined) props = { ...props, topicAlias: r.alias };
      if (props !== undefined) p.properties = props;
      return p;
    });
}

type PubAckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';
type PubAck = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket;

export function pubAck<T extends PubAckType>(
  type: T,
  v: ProtocolVersion,
): fc.Arbitrary<Extract<PubAck, { type: T }>> {
  const code = v === 5 ? reasonCode(type) : fc.constant(0);
  return fc.tuple(packetId(), code, propsFor(type, v)).map(([packetId, reasonCode, props]) => {
    const p = { type, packetId, reasonCode } as Extract<PubAck, { type: T }>;
    if (props !== undefined) p.properties = props;
    return p;
  });
}

function subscription(v: ProtocolVersion): fc.Arbitrary<Subscription> {
  if (v !== 5) {
    return fc.tuple(topicFilter(), qos()).map(([topicFilter, qos]) => ({
      topicFilter,
      qos,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
    }));
  }
  return fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: topicFilter() }, { weight: 1, arbitrary: sharedFilter() }),
      qos(),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    )
    .map(([topicFilter, qos, noLocal, retainAsPublished, retainHandling]) => ({
      topicFilter,
      qos,
      // [MQTT-3.8.3-4] No Local is not allowed on a shared subscription.
      noLocal: noLocal && !topicFilter.startsWith('$share/'),
      retainAsPublished,
      retainHandling,
    }));
}

/** A list length: mostly short, now and then long enough to cross the 128-byte remaining length boundary. */
function listOf<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(arb, { minLength: 1, maxLength: 5 }) },
    { weight: 1, arbitrary: fc.array(arb, { minLength: 40, maxLength: 140 }) },
  );
}

export function subscribe(v: ProtocolVersion): fc.Arbitrary<SubscribePacket> {
  return fc
    .tuple(packetId(), listOf(subscription(v)), propsFor('subscribe', v))
    .map(([packetId, subscriptions, props]) => {
      const p: SubscribePacket = { type: 'subscribe', packetId, subscriptions };
      if (props !== undefined) p.properties = props;
      return p;
    });
}

export function suback(v: ProtocolVersion): fc.Arbitrary<SubackPacket> {
  const code = v === 5 ? reasonCode('suback') : fc.constantFrom(0x00, 0x01, 0x02, 0x80);
  return fc.tuple(packetId(), listOf(code), propsFor('suback', v)).map(([packetId, reasonCodes, props]) => {
    const p: SubackPacket = { type: 'suback', packetId, reasonCodes };
    if (props !== undefined) p.properties = props;
    return p;
  });
}

export function unsubscribe(v: ProtocolVersion): fc.Arbitrary<UnsubscribePacket> {
  const filter = v === 5 ? fc.oneof({ weight: 4, arbitrary: topicFilter() }, sharedFilter()) : topicFilter();
  return fc
    .tuple(packetId(), listOf(filter), propsFor('unsubscribe', v))
    .map(([packetId, topicFilters, props]) => {
      const p: UnsubscribePacket = { type: 'unsubscribe', packetId, topicFilters };
      if (props !== undefined) p.properties = props;
      return p;
    });
}

export function unsuback(v: ProtocolVersion): fc.Arbitrary<UnsubackPacket> {
  // MQTT 3 UNSUBACK has no reason codes.
  const codes = v === 5 ? listOf(reasonCode('unsuback')) : fc.constant<number[]>([]);
  return fc.tuple(packetId(), codes, propsFor('unsuback', v)).map(([packetId, reasonCodes, props]) => {
    const p: UnsubackPacket = { type: 'unsuback', packetId, reasonCodes: [...reasonCodes] };
    if (props !== undefined) p.properties = props;
    return p;
  });
}

export function disconnect(v: ProtocolVersion): fc.Arbitrary<DisconnectPacket> {
  const code = v === 5 ? reasonCode('disconnect') : fc.constant(0);
  return fc.tuple(code, propsFor('disconnect', v)).map(([reasonCode, props]) => {
    const p: DisconnectPacket = { type: 'disconnect', reasonCode };
    if (props !== undefined) p.properties = props;
    return p;
  });
}

/** AUTH (MQTT 5 only): a non-zero reason code or any property needs an authenticationMethod. */
export function auth(): fc.Arbitrary<AuthPacket> {
  return fc.tuple(reasonCode('auth'), properties('auth'), mqttString()).map(([reasonCode, props, method]) => {
    const p: AuthPacket = { type: 'auth', reasonCode };
    let ps = props;
    if ((reasonCode !== 0 || ps !== undefined) && ps?.authenticationMethod === undefined) {
      ps = { authenticationMethod: method, ...ps };
    }
    if (ps !== undefined) p.properties = ps;
    return p;
  });
}

/** Packet types that exist in `v` (AUTH only in MQTT 5). */
export function packetTypes(v: ProtocolVersion): PacketTypeName[] {
  const all = PACKET_TYPE_NAMES.filter((t): t is PacketTypeName => t !== undefined);
  return v === 5 ? all : all.filter((t) => t !== 'auth');
}

/** The arbitrary of valid packets of `type` in protocol version `v`. */
export function packetOfType(type: PacketTypeName, v: ProtocolVersion): fc.Arbitrary<Packet> {
  switch (type) {
    case 'connect':
      return connect(v);
    case 'connack':
      return connack(v);
    case 'publish':
      return publish(v);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return pubAck(type, v);
    case 'subscribe':
      return subscribe(v);
    case 'suback':
      return suback(v);
    case 'unsubscribe':
      return unsubscribe(v);
    case 'unsuback':
      return unsuback(v);
    case 'pingreq':
      return fc.constant(null).map((): Packet => ({ type: 'pingreq' }));
    case 'pingresp':
      return fc.constant(null).map((): Packet => ({ type: 'pingresp' }));
    case 'disconnect':
      return disconnect(v);
    case 'auth':
      if (v !== 5) throw new Error('AUTH exists only in MQTT 5');
      return auth();
  }
}

/** Any valid packet of protocol version `v`. */
export function packet(v: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.oneof(...packetTypes(v).map((t) => packetOfType(t, v)));
}
