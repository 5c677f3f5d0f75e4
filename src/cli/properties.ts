// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `-D command identifier value` (and `-D command user-property name value`): MQTT 5 properties named as in
 * mosquitto_pub / mosquitto_sub, collected per packet into the property types of the client API.
 *
 * @module
 */
import type {
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  WillProperties,
} from '../index.js';
import { UsageError } from './errors.js';

/** The properties given with `-D`, per packet they go into. */
export interface CliProperties {
  connect: ConnectProperties;
  publish: PublishProperties;
  subscribe: SubscribeProperties;
  unsubscribe: UnsubscribeProperties;
  disconnect: DisconnectProperties;
  will: WillProperties;
}

/** A packet (or the will) that `-D` can add properties to. */
export type PropertyCommand = keyof CliProperties;

type Kind = 'flag' | 'indicator' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair';

interface Spec {
  /** The field of the client API's property types. */
  key: string;
  kind: Kind;
  /** Smallest allowed value of a number (default 0). */
  min?: number;
  commands: readonly PropertyCommand[];
}

const PUBLISH_AND_WILL = ['publish', 'will'] as const;

/** The properties a client may send, by their mosquitto name (the specification's, with '-' between words). */
const SPECS: Readonly<Record<string, Spec>> = {
  'payload-format-indicator': {
    key: 'payloadFormatIndicator',
    kind: 'indicator',
    commands: PUBLISH_AND_WILL,
  },
  'message-expiry-interval': { key: 'messageExpiryInterval', kind: 'u32', commands: PUBLISH_AND_WILL },
  'content-type': { key: 'contentType', kind: 'string', commands: PUBLISH_AND_WILL },
  'response-topic': { key: 'responseTopic', kind: 'string', commands: PUBLISH_AND_WILL },
  'correlation-data': { key: 'correlationData', kind: 'binary', commands: PUBLISH_AND_WILL },
  'subscription-identifier': {
    key: 'subscriptionIdentifier',
    kind: 'varint',
    min: 1,
    commands: ['subscribe'],
  },
  'session-expiry-interval': {
    key: 'sessionExpiryInterval',
    kind: 'u32',
    commands: ['connect', 'disconnect'],
  },
  'authentication-method': { key: 'authenticationMethod', kind: 'string', commands: ['connect'] },
  'authentication-data': { key: 'authenticationData', kind: 'binary', commands: ['connect'] },
  'request-problem-information': { key: 'requestProblemInformation', kind: 'flag', commands: ['connect'] },
  'request-response-information': { key: 'requestResponseInformation', kind: 'flag', commands: ['connect'] },
  'will-delay-interval': { key: 'willDelayInterval', kind: 'u32', commands: ['will'] },
  'receive-maximum': { key: 'receiveMaximum', kind: 'u16', min: 1, commands: ['connect'] },
  'topic-alias-maximum': { key: 'topicAliasMaximum', kind: 'u16', commands: ['connect'] },
  'topic-alias': { key: 'topicAlias', kind: 'u16', min: 1, commands: ['publish'] },
  'maximum-packet-size': { key: 'maximumPacketSize', kind: 'u32', min: 1, commands: ['connect'] },
  'user-property': {
    key: 'userProperties',
    kind: 'pair',
    commands: ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'],
  },
};

/** Properties of the specification that only a server sends: known names, but never allowed from a client. */
const SERVER_ONLY = new Set([
  'assigned-client-identifier',
  'server-keep-alive',
  'response-information',
  'server-reference',
  'reason-string',
  'maximum-qos',
  'retain-available',
  'wildcard-subscription-available',
  'subscription-identifier-available',
  'shared-subscription-available',
]);

/** Packets mosquitto accepts in `-D` whose properties the client API does not let an application set. */
const UNMAPPED_COMMANDS = new Set(['auth', 'puback', 'pubrec', 'pubrel', 'pubcomp']);

const U16 = 0xffff;
const U32 = 0xffff_ffff;
const VARINT = 268_435_455;

/** An empty set of properties. */
export function emptyProperties(): CliProperties {
  return { connect: {}, publish: {}, subscribe: {}, unsubscribe: {}, disconnect: {}, will: {} };
}

/** Whether any `-D` property was given. */
export function hasProperties(p: CliProperties): boolean {
  return Object.values(p).some((set) => Object.keys(set).length > 0);
}

/**
 * Parses one `-D` option: `args` are the words after `-D` (`command identifier value`, or `command user-property
 * name value`); `allowed` are the commands the tool uses. Adds the property to `into` and returns how many words it
 * took.
 *
 * @throws {UsageError} for a missing word, an unknown command or property, a property the command may not carry,
 *   or a value of the wrong type.
 */
export function parseProperty(
  flag: string,
  args: readonly string[],
  allowed: readonly PropertyCommand[],
  tool: string,
  into: CliProperties,
): number {
  const [commandWord, identifier, first, second] = args;
  if (commandWord === undefined || identifier === undefined || first === undefined) {
    throw new UsageError(`${flag} argument given but not enough values specified.`);
  }
  const command = commandWord.toLowerCase();
  if (UNMAPPED_COMMANDS.has(command)) {
    throw new UsageError(`${command} properties are not supported by ${tool}.`);
  }
  if (!(command in into)) throw new UsageError(`Invalid command ${commandWord} given in ${flag} argument.`);
  const target = command as PropertyCommand;
  if (!allowed.includes(target)) {
    throw new UsageError(`${command} properties are not used by ${tool}.`);
  }
  const name = identifier.toLowerCase();
  const spec = SPECS[name];
  if (spec === undefined && !SERVER_ONLY.has(name)) {
    throw new UsageError(`Invalid property name ${identifier} given in ${flag} argument.`);
  }
  if (spec === undefined || !spec.commands.includes(target)) {
    throw new UsageError(`${name} property not allowed for ${command} in ${flag} argument.`);
  }
  const properties = into[target] as Record<string, unknown>;
  if (spec.kind === 'pair') {
    if (second === undefined) throw new UsageError(`${flag} argument given but not enough values specified.`);
    const list = (properties[spec.key] ?? []) as [string, string][];
    list.push([first, second]);
    properties[spec.key] = list;
    return 4;
  }
  properties[spec.key] = propertyValue(spec, name, first, flag);
  return 3;
}

function propertyValue(spec: Spec, name: string, value: string, flag: string): unknown {
  const bad = () =>
    new UsageError(`Invalid value '${value}' for property ${name} given in ${flag} argument.`);
  switch (spec.kind) {
    case 'string':
      return value;
    case 'binary':
      return new TextEncoder().encode(value);
    case 'flag':
    case 'indicator': {
      if (value !== '0' && value !== '1') throw bad();
      return spec.kind === 'flag' ? value === '1' : Number(value);
    }
    default: {
      const max = spec.kind === 'u16' ? U16 : spec.kind === 'u32' ? U32 : VARINT;
      if (!/^\d+$/.test(value)) throw bad();
      const n = Number(value);
      if (n < (spec.min ?? 0) || n > max) throw bad();
      return n;
    }
  }
}
