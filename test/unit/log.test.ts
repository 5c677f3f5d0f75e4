// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  consoleSink,
  createLogger,
  describePacket,
  type EnvironmentScope,
  type LogFields,
  type Logger,
  type LogLevel,
  LogNamespace,
  loggerFromEnvironment,
  NOOP_LOGGER,
  namespaceEnabled,
  objectFirstSink,
  REDACTED,
  readEnvironment,
  redactUrl,
} from '../../src/log.js';
import { InvalidArgumentError } from '../../src/packet/errors.js';
import { type Packet, PacketType } from '../../src/packet/types.js';

type Call = [level: LogLevel, msg: string, fields?: LogFields];

// A sink that records its calls, with the arguments exactly as received.
function recorder(): { sink: Logger; calls: Call[] } {
  const calls: Call[] = [];
  const method =
    (level: LogLevel) =>
    (...args: [string, LogFields?]) =>
      calls.push([level, ...args]);
  return {
    sink: { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') },
    calls,
  };
}

function logAll(log: Logger): void {
  log.error('e');
  log.warn('w');
  log.info('i');
  log.debug('d');
}

const levelsOf = (calls: Call[]) => calls.map((c) => c[0]);

describe('createLogger', () => {
  it('logger – passes the level asked for and the more severe ones, nothing less severe', () => {
    const expected: Record<LogLevel, LogLevel[]> = {
      error: ['error'],
      warn: ['error', 'warn'],
      info: ['error', 'warn', 'info'],
      debug: ['error', 'warn', 'info', 'debug'],
    };
    for (const [level, passed] of Object.entries(expected)) {
      const { sink, calls } = recorder();
      logAll(createLogger({ level: level as LogLevel, sink }));
      assert.deepEqual(levelsOf(calls), passed, `level ${level}`);
    }
  });

  it('logger – defaults to level info', () => {
    const { sink, calls } = recorder();
    logAll(createLogger({ sink }));
    assert.deepEqual(levelsOf(calls), ['error', 'warn', 'info'], 'debug is filtered by default');
  });

  it('logger – prefixes the namespace and passes fields only when given', () => {
    const { sink, calls } = recorder();
    const log = createLogger({ level: 'debug', sink, namespace: LogNamespace.Client });
    log.info('connected', { clientId: 'c1' });
    log.debug('idle');
    assert.deepEqual(calls[0], ['info', 'mqttkit:client connected', { clientId: 'c1' }], 'with fields');
    assert.deepEqual(calls[1], ['debug', 'mqttkit:client idle'], 'no undefined second argument');
    assert.equal(calls[1]?.length, 2, 'the sink was called with one argument');
  });

  it('logger – refuses an unknown level', () => {
    assert.throws(
      () => createLogger({ level: 'verbose' as LogLevel }),
      (e: unknown) => e instanceof InvalidArgumentError && /verbose/.test(e.message),
      'InvalidArgumentError naming the level',
    );
  });

  it('logger – NOOP_LOGGER discards everything and cannot be changed', () => {
    logAll(NOOP_LOGGER);
    assert.ok(Object.isFrozen(NOOP_LOGGER), 'NOOP_LOGGER is frozen');
  });

  it('logger – the console sink writes an ISO timestamp, the level and the message', () => {
    const lines: unknown[][] = [];
    const sink = consoleSink({
      now: () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
      write: (...a) => lines.push(a),
    });
    createLogger({ sink, namespace: 'mqttkit:packet', level: 'debug' }).debug('sent', { type: 'pingreq' });
    sink.warn('plain');
    assert.deepEqual(lines, [
      ['2024-01-02T03:04:05.006Z DEBUG mqttkit:packet sent', { type: 'pingreq' }],
      ['2024-01-02T03:04:05.006Z WARN  plain'],
    ]);
  });

  it('logger – objectFirstSink hands pino-style loggers the fields first', () => {
    const got: unknown[][] = [];
    const pinoLike = {
      error: (...a: unknown[]) => got.push(['error', ...a]),
      warn: (...a: unknown[]) => got.push(['warn', ...a]),
      info: (...a: unknown[]) => got.push(['info', ...a]),
      debug: (...a: unknown[]) => got.push(['debug', ...a]),
    };
    const log = createLogger({ sink: objectFirstSink(pinoLike), namespace: 'ns' });
    log.warn('slow', { ms: 5 });
    log.error('failed');
    assert.deepEqual(got, [
      ['warn', { ms: 5 }, 'ns slow'],
      ['error', {}, 'ns failed'],
    ]);
  });
});

describe('namespace patterns', () => {
  const cases: Array<[patterns: string, namespace: string, enabled: boolean]> = [
    ['mqttkit', 'mqttkit', true],
    ['mqttkit', 'mqttkit:client', false],
    ['mqttkit:*', 'mqttkit:client', true],
    ['mqttkit:*', 'mqttkit:reconnect', true],
    ['mqttkit:*', 'mqttkit', false],
    ['mqttkit*', 'mqttkit', true],
    ['*', 'mqttkit:packet', true],
    ['*:packet', 'mqttkit:packet', true],
    ['mqtt*:pa*et', 'mqttkit:packet', true],
    ['mqtt*:pa*et', 'mqttkit:packets', false],
    ['*,-mqttkit:packet', 'mqttkit:packet', false],
    ['*,-mqttkit:packet', 'mqttkit:client', true],
    ['-mqttkit:packet,*', 'mqttkit:packet', false],
    ['mqttkit:*,-*:reconnect', 'mqttkit:reconnect', false],
    ['express:*,mqttkit:client', 'mqttkit:client', true],
    ['express:*, mqttkit:client', 'mqttkit:packet', false],
    ['express:*  mqttkit:packet', 'mqttkit:packet', true],
    [' ,mqttkit:client, ', 'mqttkit:client', true],
    ['', 'mqttkit', false],
    ['-', 'mqttkit', false],
    ['-mqttkit', 'mqttkit', false],
    ['mqttkit.client', 'mqttkitxclient', false],
  ];
  for (const [patterns, namespace, enabled] of cases) {
    it(`patterns – "${patterns}" ${enabled ? 'enables' : 'does not enable'} ${namespace}`, () => {
      assert.equal(namespaceEnabled(patterns, namespace), enabled, `${patterns} vs ${namespace}`);
    });
  }
});

describe('environment', () => {
  const nodeScope = (env: Record<string, string | undefined>): EnvironmentScope => ({ process: { env } });

  it('environment – reads DEBUG and MQTTKIT_LOG_LEVEL from process.env', () => {
    const s = readEnvironment(nodeScope({ DEBUG: 'mqttkit:*', MQTTKIT_LOG_LEVEL: 'warn' }));
    assert.deepEqual(s, { debug: 'mqttkit:*', level: 'warn' });
  });

  it('environment – reads localStorage in a browser', () => {
    const items: Record<string, string> = { debug: 'mqttkit:client', MQTTKIT_LOG_LEVEL: 'info' };
    const s = readEnvironment({ localStorage: { getItem: (k) => items[k] ?? null } });
    assert.deepEqual(s, { debug: 'mqttkit:client', level: 'info' });
  });

  it('environment – storage that throws, or a forbidden environment, reads as unset', () => {
    const throwing = {
      get localStorage(): never {
        throw new Error('SecurityError');
      },
    };
    assert.deepEqual(readEnvironment(throwing), {}, 'the localStorage getter throws');
    const getItemThrows = {
      localStorage: {
        getItem(): never {
          throw new Error('SecurityError');
        },
      },
    };
    assert.deepEqual(readEnvironment(getItemThrows), {}, 'getItem throws');
    const denoWithoutEnv = {
      process: {
        get env(): never {
          throw new Error('PermissionDenied');
        },
      },
      localStorage: { getItem: (k: string) => (k === 'debug' ? 'mqttkit' : null) },
    };
    assert.deepEqual(readEnvironment(denoWithoutEnv), { debug: 'mqttkit' }, 'falls back to localStorage');
    assert.deepEqual(readEnvironment({}), {}, 'neither exists');
  });

  it('environment – NOOP_LOGGER when DEBUG is unset, empty or does not match', () => {
    for (const env of [{}, { DEBUG: '' }, { DEBUG: 'express:*' }, { DEBUG: '*,-mqttkit:client' }]) {
      const log = loggerFromEnvironment(LogNamespace.Client, { scope: nodeScope(env) });
      assert.equal(log, NOOP_LOGGER, `DEBUG=${JSON.stringify(env)}`);
    }
    const levelOnly = nodeScope({ MQTTKIT_LOG_LEVEL: 'debug' });
    assert.equal(loggerFromEnvironment('mqttkit', { scope: levelOnly }), NOOP_LOGGER, 'the level alone');
  });

  it('environment – an enabled namespace logs at debug level unless MQTTKIT_LOG_LEVEL says otherwise', () => {
    const { sink, calls } = recorder();
    logAll(loggerFromEnvironment(LogNamespace.Packet, { sink, scope: nodeScope({ DEBUG: 'mqttkit:*' }) }));
    assert.deepEqual(levelsOf(calls), ['error', 'warn', 'info', 'debug'], 'everything by default');
    assert.equal(calls[0]?.[1], 'mqttkit:packet e', 'with the namespace');

    const scope = nodeScope({ DEBUG: 'mqttkit', MQTTKIT_LOG_LEVEL: ' WARN ' });
    const warn = recorder();
    logAll(loggerFromEnvironment(undefined, { sink: warn.sink, scope }));
    assert.deepEqual(levelsOf(warn.calls), ['error', 'warn'], 'the default namespace at level warn');

    const typo = recorder();
    const typoScope = nodeScope({ DEBUG: 'mqttkit', MQTTKIT_LOG_LEVEL: 'verbose' });
    logAll(loggerFromEnvironment('mqttkit', { sink: typo.sink, scope: typoScope }));
    assert.equal(typo.calls.length, 4, 'an unknown level falls back to debug');
  });

  describe('the real process.env', () => {
    let saved: { debug: string | undefined; level: string | undefined };
    beforeEach(() => {
      saved = { debug: process.env['DEBUG'], level: process.env['MQTTKIT_LOG_LEVEL'] };
    });
    afterEach(() => {
      for (const [key, value] of [
        ['DEBUG', saved.debug],
        ['MQTTKIT_LOG_LEVEL', saved.level],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('environment – reads globalThis.process by default', () => {
      delete process.env['DEBUG'];
      assert.equal(loggerFromEnvironment(LogNamespace.Reconnect), NOOP_LOGGER, 'off when DEBUG is unset');
      process.env['DEBUG'] = 'mqttkit:reconnect';
      process.env['MQTTKIT_LOG_LEVEL'] = 'info';
      const { sink, calls } = recorder();
      logAll(loggerFromEnvironment(LogNamespace.Reconnect, { sink }));
      assert.deepEqual(levelsOf(calls), ['error', 'warn', 'info'], 'on, at level info');
    });
  });
});

const SECRET = 'S3cr3t-Sw0rdf1sh';
const secret = (tag: string) => new TextEncoder().encode(`${tag}:${SECRET}`);
const userProperties: Array<[string, string]> = [['trace', 'abc']];

// One packet of every type, carrying SECRET in every place that must not be logged.
const PACKETS: Packet[] = [
  {
    type: 'connect',
    protocolVersion: 5,
    clientId: 'c1',
    clean: true,
    keepAlive: 60,
    username: 'alice',
    password: secret('password'),
    will: {
      topic: 'status/c1',
      payload: secret('will'),
      qos: 1,
      retain: true,
      properties: { contentType: 'text/plain', correlationData: new Uint8Array([1, 2]), userProperties },
    },
    properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: secret('auth'), userProperties },
  },
  {
    type: 'connack',
    sessionPresent: false,
    reasonCode: 0x18,
    properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: secret('auth') },
  },
  {
    type: 'publish',
    topic: 'a/b',
    payload: secret('payload'),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 7,
    properties: { correlationData: new Uint8Array([0xca, 0xfe]), userProperties },
  },
  { type: 'puback', packetId: 7, reasonCode: 0, properties: { reasonString: 'ok' } },
  { type: 'pubrec', packetId: 8, reasonCode: 0 },
  { type: 'pubrel', packetId: 8, reasonCode: 0 },
  { type: 'pubcomp', packetId: 8, reasonCode: 0 },
  {
    type: 'subscribe',
    packetId: 9,
    subscriptions: [
      { topicFilter: 'a/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
    properties: { subscriptionIdentifier: 3 },
  },
  { type: 'suback', packetId: 9, reasonCodes: [1] },
  { type: 'unsubscribe', packetId: 10, topicFilters: ['a/#'] },
  { type: 'unsuback', packetId: 10, reasonCodes: [0] },
  { type: 'pingreq' },
  { type: 'pingresp' },
  { type: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'taken over', userProperties } },
  {
    type: 'auth',
    reasonCode: 0x18,
    properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: secret('auth') },
  },
];

// The packet types that have a field that must not be logged.
const SECRET_CARRIERS = new Set(['connect', 'connack', 'publish', 'auth']);

// Bytes rendered as text, so that a Uint8Array left in a summary would show the secret rather than its numbers.
const asText = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) ? new TextDecoder().decode(v) : v));

function assertNoBytes(value: unknown, path: string): void {
  assert.ok(!ArrayBuffer.isView(value), `${path} holds raw bytes`);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) assertNoBytes(v, `${path}.${k}`);
  }
}

describe('describePacket', () => {
  it('describePacket – the fixtures cover every packet type', () => {
    assert.deepEqual(
      PACKETS.map((p) => p.type).sort(),
      Object.keys(PacketType).sort(),
      'one packet per type',
    );
  });

  for (const packet of PACKETS) {
    it(`describePacket – ${packet.type} leaks no password, authentication data or payload`, () => {
      if (SECRET_CARRIERS.has(packet.type)) {
        assert.ok(asText(packet).includes(SECRET), 'the fixture does carry the secret');
      }
      const summary = describePacket(packet);
      assert.ok(!asText(summary).includes(SECRET), `summary of ${packet.type}: ${asText(summary)}`);
      assertNoBytes(summary, packet.type);
      assert.equal(summary['type'], packet.type, 'the type is named');
    });
  }

  it('describePacket – CONNECT shows the user name, hides the password and describes the will', () => {
    const summary = describePacket(PACKETS[0] as Packet);
    assert.deepEqual(summary, {
      type: 'connect',
      protocolVersion: 5,
      clientId: 'c1',
      clean: true,
      keepAlive: 60,
      username: 'alice',
      password: REDACTED,
      will: {
        topic: 'status/c1',
        qos: 1,
        retain: true,
        payloadBytes: 'will:'.length + SECRET.length,
        properties: {
          contentType: 'text/plain',
          correlationData: '0102',
          userProperties: [['trace', 'abc']],
        },
      },
      properties: {
        authenticationMethod: 'SCRAM-SHA-1',
        authenticationData: `[redacted ${'auth:'.length + SECRET.length} bytes]`,
        userProperties: [['trace', 'abc']],
      },
    });
    const hidden = describePacket(PACKETS[0] as Packet, { hideUsername: true });
    assert.equal(hidden['username'], REDACTED, 'hideUsername hides it');
  });

  it('describePacket – PUBLISH keeps topic, flags, packet id and user properties, and counts the payload', () => {
    assert.deepEqual(describePacket(PACKETS[2] as Packet), {
      type: 'publish',
      topic: 'a/b',
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
      payloadBytes: 'payload:'.length + SECRET.length,
      properties: { correlationData: 'cafe', userProperties: [['trace', 'abc']] },
    });
    const qos0 = describePacket({
      type: 'publish',
      topic: 't',
      payload: new Uint8Array(0),
      qos: 0,
      retain: true,
      dup: false,
    });
    assert.deepEqual(qos0, {
      type: 'publish',
      topic: 't',
      qos: 0,
      retain: true,
      dup: false,
      payloadBytes: 0,
    });
  });

  it('describePacket – long correlation data is only counted', () => {
    const correlationData = new Uint8Array(33);
    const p: Packet = {
      type: 'publish',
      topic: 't',
      payload: correlationData,
      qos: 0,
      retain: false,
      dup: false,
    };
    p.properties = { correlationData };
    assert.deepEqual(describePacket(p)['properties'], { correlationData: '[33 bytes]' });
  });

  it('describePacket – the summary shares nothing with the packet', () => {
    const p: Packet = {
      type: 'suback',
      packetId: 1,
      reasonCodes: [0, 1],
      properties: { userProperties: [['k', 'v']] },
    };
    const summary = describePacket(p);
    p.reasonCodes.push(0x80);
    p.properties?.userProperties?.[0]?.splice(1, 1, 'changed');
    assert.deepEqual(summary, {
      type: 'suback',
      packetId: 1,
      reasonCodes: [0, 1],
      properties: { userProperties: [['k', 'v']] },
    });
  });
});

describe('redactUrl', () => {
  const cases: Array<[url: string, expected: string]> = [
    ['mqtt://u:secret@host', 'mqtt://u:***@host'],
    ['mqtts://user:secret@broker.example:8883/path?x=1#f', 'mqtts://user:***@broker.example:8883/path?x=1#f'],
    ['mqtt://broker.example:1883', 'mqtt://broker.example:1883'],
    ['mqtt://broker.example', 'mqtt://broker.example'],
    ['mqtt://u@host:1883', 'mqtt://u@host:1883'],
    ['mqtt://u:@host', 'mqtt://u:@host'],
    ['mqtt://:secret@host', 'mqtt://:***@host'],
    ['mqtt://us%40er:p%40ss%3Aw%2Fd@host', 'mqtt://us%40er:***@host'],
    ['mqtt://u:p@ss:w@host', 'mqtt://u:***@host'],
    ['mqtt://u:pa/ss@host', 'mqtt://u:***@host'],
    ['mqtt://u:pa?ss#x@host', 'mqtt://u:***@host'],
    ['mqtt://u:secret@[::1]:1883', 'mqtt://u:***@[::1]:1883'],
    ['mqtt://[2001:db8::1]:1883', 'mqtt://[2001:db8::1]:1883'],
    ['wss://host:443/mqtt@v1', 'wss://host:443/mqtt@v1'],
    ['ws://host/mqtt?client=a:b@c', 'ws://host/mqtt?client=a:b@c'],
    ['u:secret@host:1883', 'u:***@host:1883'],
    ['not a url', 'not a url'],
    ['', ''],
  ];
  for (const [url, expected] of cases) {
    it(`redactUrl – ${url || '(empty)'}`, () => {
      assert.equal(redactUrl(url), expected, url);
    });
  }

  it('redactUrl – hideUsername hides the user name too', () => {
    assert.equal(redactUrl('mqtt://u:secret@host', { hideUsername: true }), 'mqtt://***:***@host');
    assert.equal(redactUrl('mqtt://token@host', { hideUsername: true }), 'mqtt://***@host');
    assert.equal(redactUrl('mqtt://host', { hideUsername: true }), 'mqtt://host');
  });
});
