// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Encode and decode rates of a QoS 1 PUBLISH for mqttkit and for mqtt-packet (the codec of MQTT.js), side by side
 * in one process, for MQTT 3.1.1 and for MQTT 5 (with a Message Expiry Interval, a Content Type and two User
 * Properties).
 *
 *   npm run bench:codec                 full run (about half a minute)
 *   npm run bench:codec -- --quick      short run, for smoke tests; its figures are rough
 *   npm run bench:codec -- --json       the last line of stdout is one JSON object with every figure
 *
 * Method: every case of both libraries is first warmed up (so that the JIT has compiled them, and compiled them
 * having seen all four cases, as a long-running process would), which also calibrates how many operations fill
 * one round. Then several timed rounds run, the two libraries alternating which goes first from round to round
 * so that machine noise hits both alike, and the median rate of each is reported. Every operation feeds a sink
 * that is printed, so none of the work can be optimised away.
 *
 * Equivalent work on both sides: encoding yields the complete packet bytes; decoding gets one whole packet per
 * call (mqttkit's `push`, mqtt-packet's `parse`) and yields a packet object with its topic and property strings
 * decoded and its payload as bytes. One difference is inherent to the designs and left in: mqtt-packet's payload
 * is a view into the buffer given to `parse` (which the caller then must not reuse), mqttkit's is a copy (its
 * caller may reuse the chunk as soon as `push` returns).
 *
 * @module
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt-packet';
import { encode, type Packet, PacketDecoder, type PublishPacket } from '../src/packet/index.js';

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (a !== '--quick' && a !== '--json') {
    process.stderr.write(`usage: node --import tsx bench/codec.ts [--quick] [--json]\nunknown option ${a}\n`);
    process.exit(2);
  }
}
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
/** Warm-up time of each case of each library, in ms. */
const WARMUP_MS = QUICK ? 30 : 400;
/** Timed rounds per case and library; the median is reported. */
const ROUNDS = QUICK ? 3 : 7;
/** Target duration of one round, in ms. */
const ROUND_MS = QUICK ? 15 : 400;

// ---------------------------------------------------------------------------------------------------------------
// The packets

const TOPIC = 'sensors/room-12/temperature';
const PACKET_ID = 42;
const payloadBytes = new Uint8Array(64);
for (let i = 0; i < payloadBytes.length; i++) payloadBytes[i] = (i * 37 + 11) & 0xff;

const kitV311: PublishPacket = {
  type: 'publish',
  topic: TOPIC,
  payload: payloadBytes,
  qos: 1,
  retain: false,
  dup: false,
  packetId: PACKET_ID,
};
// Both encoders write properties in the order of the object's keys, so the same order gives the same bytes.
const kitV5: PublishPacket = {
  ...kitV311,
  properties: {
    messageExpiryInterval: 3600,
    contentType: 'application/json',
    userProperties: [
      ['unit', 'celsius'],
      ['sensor-id', 'th-0042'],
    ],
  },
};

// mqtt-packet takes Buffers (it calls `.copy` on the payload) and user properties as a name → value object.
const mpV311: mqtt.IPublishPacket = {
  cmd: 'publish',
  topic: TOPIC,
  payload: Buffer.from(payloadBytes),
  qos: 1,
  retain: false,
  dup: false,
  messageId: PACKET_ID,
};
const mpV5: mqtt.IPublishPacket = {
  ...mpV311,
  properties: {
    messageExpiryInterval: 3600,
    contentType: 'application/json',
    userProperties: { unit: 'celsius', 'sensor-id': 'th-0042' },
  },
};
const MP_V311 = { protocolVersion: 4 };
const MP_V5 = { protocolVersion: 5 };

// ---------------------------------------------------------------------------------------------------------------
// Verification, before any timing: same bytes out of both encoders, same packet out of both decoders.

function check(): void {
  for (const [version, kit, mp] of [
    [4, kitV311, mpV311],
    [5, kitV5, mpV5],
  ] as const) {
    const kitBytes = encode(kit, version);
    const mpBytes = mqtt.generate(mp, { protocolVersion: version });
    assert.deepEqual(
      Buffer.from(kitBytes),
      mpBytes,
      `MQTT ${version}: mqttkit and mqtt-packet encode different bytes`,
    );

    const kitPackets: Packet[] = [];
    new PacketDecoder((p) => kitPackets.push(p), { protocolVersion: version }).push(Buffer.from(mpBytes));
    const mpPackets: mqtt.Packet[] = [];
    const parser = mqtt.parser({ protocolVersion: version });
    parser.on('packet', (p) => mpPackets.push(p));
    parser.on('error', (e) => assert.fail(`mqtt-packet failed to decode: ${String(e)}`));
    parser.parse(Buffer.from(kitBytes));
    assert.equal(kitPackets.length, 1);
    assert.equal(mpPackets.length, 1);
    const k = kitPackets[0] as PublishPacket;
    const m = mpPackets[0] as mqtt.IPublishPacket;
    assert.equal(k.type, 'publish');
    assert.equal(m.cmd, 'publish');
    assert.equal(k.topic, TOPIC);
    assert.equal(m.topic, TOPIC);
    assert.equal(k.packetId, PACKET_ID);
    assert.equal(m.messageId, PACKET_ID);
    assert.equal(k.qos, 1);
    assert.equal(m.qos, 1);
    assert.deepEqual(Buffer.from(k.payload), Buffer.from(payloadBytes));
    assert.deepEqual(m.payload, Buffer.from(payloadBytes));
    if (version === 4) {
      assert.equal(k.properties, undefined);
      assert.equal(m.properties, undefined);
    } else {
      assert.deepEqual(k.properties, kitV5.properties);
      assert.equal(m.properties?.messageExpiryInterval, 3600);
      assert.equal(m.properties?.contentType, 'application/json');
      assert.deepEqual({ ...m.properties?.userProperties }, mpV5.properties?.userProperties);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The timed loops. Each is written out on its own rather than made by a shared higher-order helper, so that every
// loop has a call site of its own that the JIT can inline into (closures from one literal share type feedback).

/** Runs an operation `n` times; returns a value that depends on every result. */
type Loop = (n: number) => number;

let kitLast: Packet | undefined;
let mpLast: mqtt.Packet | undefined;
// Reading the decoded packet in the callback is what an application does, and keeps the decoders honest.
function touchKit(p: Packet): void {
  kitLast = p;
}
function touchMp(p: mqtt.Packet): void {
  mpLast = p;
}
// One reader per library, so that neither's property loads see the other's object shapes.
function kitSum(p: Packet | undefined): number {
  if (p?.type !== 'publish') return -1;
  return p.topic.length + p.payload.length + (p.payload[p.payload.length - 1] as number);
}
function mpSum(p: mqtt.Packet | undefined): number {
  if (p?.cmd !== 'publish') return -1;
  const payload = p.payload as Buffer;
  return p.topic.length + payload.length + (payload[payload.length - 1] as number);
}

const v311Bytes = Buffer.from(encode(kitV311, 4));
const v5Bytes = Buffer.from(encode(kitV5, 5));
const kitDecoder311 = new PacketDecoder(touchKit, { protocolVersion: 4 });
const kitDecoder5 = new PacketDecoder(touchKit, { protocolVersion: 5 });
const mpParser311 = mqtt.parser(MP_V311);
const mpParser5 = mqtt.parser(MP_V5);
mpParser311.on('packet', touchMp);
mpParser5.on('packet', touchMp);
for (const p of [mpParser311, mpParser5]) p.on('error', (e) => assert.fail(String(e)));

const kitEncode311: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const out = encode(kitV311, 4);
    s = (s + (out[out.length - 1] as number) + out.length) | 0;
  }
  return s;
};
const mpEncode311: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const out = mqtt.generate(mpV311, MP_V311);
    s = (s + (out[out.length - 1] as number) + out.length) | 0;
  }
  return s;
};
const kitEncode5: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const out = encode(kitV5, 5);
    s = (s + (out[out.length - 1] as number) + out.length) | 0;
  }
  return s;
};
const mpEncode5: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const out = mqtt.generate(mpV5, MP_V5);
    s = (s + (out[out.length - 1] as number) + out.length) | 0;
  }
  return s;
};
const kitDecode311: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    kitDecoder311.push(v311Bytes);
    s = (s + kitSum(kitLast)) | 0;
  }
  return s;
};
const mpDecode311: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    mpParser311.parse(v311Bytes);
    s = (s + mpSum(mpLast)) | 0;
  }
  return s;
};
const kitDecode5: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    kitDecoder5.push(v5Bytes);
    s = (s + kitSum(kitLast)) | 0;
  }
  return s;
};
const mpDecode5: Loop = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) {
    mpParser5.parse(v5Bytes);
    s = (s + mpSum(mpLast)) | 0;
  }
  return s;
};

interface Case {
  name: 'encode_v311' | 'decode_v311' | 'encode_v5' | 'decode_v5';
  label: string;
  kit: Loop;
  mp: Loop;
}
const CASES: Case[] = [
  { name: 'encode_v311', label: 'encode PUBLISH QoS 1, MQTT 3.1.1', kit: kitEncode311, mp: mpEncode311 },
  { name: 'decode_v311', label: 'decode PUBLISH QoS 1, MQTT 3.1.1', kit: kitDecode311, mp: mpDecode311 },
  { name: 'encode_v5', label: 'encode PUBLISH QoS 1, MQTT 5 + props', kit: kitEncode5, mp: mpEncode5 },
  { name: 'decode_v5', label: 'decode PUBLISH QoS 1, MQTT 5 + props', kit: kitDecode5, mp: mpDecode5 },
];

// ---------------------------------------------------------------------------------------------------------------
// Timing

let sink = 0;

/** Runs `loop` in growing batches for about `ms` milliseconds; returns the rate of the last batches in ops/s. */
function warm(loop: Loop, ms: number): number {
  let n = 64;
  const until = performance.now() + ms;
  let rate = 0;
  for (;;) {
    const t0 = performance.now();
    sink ^= loop(n);
    const dt = performance.now() - t0;
    if (dt > 0) rate = (n * 1000) / dt;
    if (performance.now() >= until) return rate;
    if (dt < 5) n *= 2;
  }
}

/** Ops/s of one timed round of `n` operations. */
function round(loop: Loop, n: number): number {
  const t0 = performance.now();
  sink ^= loop(n);
  return (n * 1000) / (performance.now() - t0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Result {
  mqttkit: number;
  mqttPacket: number;
  ratio: number;
}

/** Half the range of the samples, relative to their median: how noisy a figure is. */
const spreads = new Map<string, number>();
function spread(xs: number[]): number {
  return (Math.max(...xs) - Math.min(...xs)) / 2 / median(xs);
}

function run(): Record<Case['name'], Result> {
  if (process.env['DEBUG'] !== undefined) {
    process.stderr.write('warning: DEBUG is set, which slows mqtt-packet (it logs through `debug`)\n');
  }
  // Warm every case of both libraries before timing any, twice, and size the rounds from the second pass.
  const sizes = new Map<Loop, number>();
  for (let pass = 0; pass < 2; pass++) {
    for (const c of CASES) {
      for (const loop of [c.kit, c.mp]) {
        const rate = warm(loop, WARMUP_MS / 2);
        sizes.set(loop, Math.max(1, Math.round((rate * ROUND_MS) / 1000)));
      }
    }
  }
  const samples = new Map<Loop, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of CASES) {
      const order = r % 2 === 0 ? [c.kit, c.mp] : [c.mp, c.kit];
      for (const loop of order) {
        const list = samples.get(loop) ?? [];
        list.push(round(loop, sizes.get(loop) as number));
        samples.set(loop, list);
      }
    }
    if (process.stderr.isTTY) process.stderr.write(`round ${r + 1}/${ROUNDS}\r`);
  }
  const out = {} as Record<Case['name'], Result>;
  for (const c of CASES) {
    const kitSamples = samples.get(c.kit) as number[];
    const mpSamples = samples.get(c.mp) as number[];
    const kit = Math.round(median(kitSamples));
    const mp = Math.round(median(mpSamples));
    spreads.set(`${c.name} kit`, spread(kitSamples));
    spreads.set(`${c.name} mp`, spread(mpSamples));
    out[c.name] = { mqttkit: kit, mqttPacket: mp, ratio: Math.round((kit / mp) * 100) / 100 };
  }
  return out;
}

function table(results: Record<Case['name'], Result>): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const pct = (key: string): string => `±${((spreads.get(key) ?? 0) * 100).toFixed(1)}%`;
  const rows = [
    ['case', 'mqttkit ops/s', '', 'mqtt-packet ops/s', '', 'mqttkit/mqtt-packet'],
    ...CASES.map((c) => {
      const r = results[c.name];
      return [
        `${c.name}  (${c.label})`,
        fmt(r.mqttkit),
        pct(`${c.name} kit`),
        fmt(r.mqttPacket),
        pct(`${c.name} mp`),
        `${r.ratio.toFixed(2)}x`,
      ];
    }),
  ];
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  const header = line(rows[0] as string[]);
  return [header, '-'.repeat(header.length), ...rows.slice(1).map(line)].join('\n');
}

check();
const results = run();
if (process.stderr.isTTY) process.stderr.write(`${' '.repeat(20)}\r`);
console.log(
  `PUBLISH QoS 1, topic "${TOPIC}", ${payloadBytes.length}-byte payload; Node ${process.version}, ` +
    `median of ${ROUNDS} rounds of ~${ROUND_MS} ms${QUICK ? ' (--quick: rough figures)' : ''}`,
);
console.log(table(results));
console.log('(± is half the range of the rounds around the median)');
console.log(`(sink ${sink})`);
if (JSON_OUT) console.log(JSON.stringify(results));
