// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Command-line parsing for `mqttkit pub` and `mqttkit sub`: the flags of mosquitto_pub / mosquitto_sub 2.x into
 * {@link CliOptions}, with mosquitto's checks and error messages. Nothing here connects or reads files.
 *
 * @module
 */
import { validateTopicFilter, validateTopicName } from '../index.js';
import { type CliOptions, type Command, defaults, NEVER_EXPIRES } from './cli-options.js';
import { UsageError } from './errors.js';
import { FLAGS } from './flags.js';
import { hasProperties, type PropertyCommand, parseProperty } from './properties.js';

const PROPERTY_COMMANDS: Record<Command, readonly PropertyCommand[]> = {
  pub: ['connect', 'publish', 'disconnect', 'will'],
  sub: ['connect', 'subscribe', 'unsubscribe', 'disconnect', 'will'],
};

/**
 * Parses the arguments after the subcommand.
 *
 * @throws {UsageError} for an unknown flag, a missing or invalid value, or flags that do not go together.
 */
export function parseArgs(command: Command, argv: readonly string[]): CliOptions {
  const o = defaults(command);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-D' || arg === '--property') {
      i += parseProperty(
        arg,
        argv.slice(i + 1),
        PROPERTY_COMMANDS[command],
        `mqttkit ${command}`,
        o.properties,
      );
      continue;
    }
    const spec = FLAGS.get(arg);
    if (spec === undefined || !spec.commands.includes(command))
      throw new UsageError(`Unknown option '${arg}'.`);
    let value = '';
    if (spec.value !== undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${arg} argument given but no ${spec.value} specified.`);
      value = next;
      i++;
    }
    spec.set(o, value, arg);
  }
  if (!o.help) check(o);
  return o;
}

function topicProblem(check: (t: string) => void, topic: string): boolean {
  try {
    check(topic);
    return false;
  } catch {
    return true;
  }
}

function needsV5(o: CliOptions, what: string): void {
  if (o.protocolVersion === 3 || o.protocolVersion === 4) {
    throw new UsageError(`${what} needs MQTT v5 (-V mqttv5).`);
  }
  o.protocolVersion = 5;
}

/** The checks that need every flag: required flags, conflicts, and what follows from the combination. */
function check(o: CliOptions): void {
  if (o.command === 'pub') {
    const topic = o.topics[0];
    if (topic === undefined || o.source === undefined) {
      throw new UsageError('Both topic and message must be supplied.');
    }
    if (topicProblem(validateTopicName, topic)) {
      throw new UsageError(`Invalid publish topic '${topic}', does it contain '+' or '#'?`);
    }
  } else {
    if (o.topics.length === 0 && o.unsubscribe.length === 0) {
      throw new UsageError('You must specify a topic to subscribe to.');
    }
    const filters: [string[], string][] = [
      [o.topics, 'subscription'],
      [o.filterOut, 'filter'],
      [o.unsubscribe, 'unsubscribe'],
    ];
    for (const [list, what] of filters) {
      for (const t of list) {
        if (topicProblem(validateTopicFilter, t)) {
          throw new UsageError(`Invalid ${what} topic '${t}', are all '+' and '#' wildcards correct?`);
        }
      }
    }
    if (o.json && o.format !== undefined) throw new UsageError('--json and -F cannot be used together.');
  }
  const w = o.will;
  if (w.topic === undefined) {
    if (w.payload !== undefined) throw new UsageError('Will payload given, but no will topic given.');
    if (w.retain) throw new UsageError('Will retain given, but no will topic given.');
  } else if (topicProblem(validateTopicName, w.topic)) {
    throw new UsageError(`Invalid will topic '${w.topic}', does it contain '+' or '#'?`);
  }
  const hasId = o.clientId !== undefined || o.idPrefix !== undefined;
  if (!o.cleanSession) {
    if (!hasId) throw new UsageError('You must provide a client id if you are using the -c option.');
    o.sessionExpiry ??= NEVER_EXPIRES;
  }
  if (o.sessionExpiry === NEVER_EXPIRES && !hasId) {
    throw new UsageError(
      'You must provide a client id if you are using an infinite session expiry interval.',
    );
  }
  if ((o.tls.cert === undefined) !== (o.tls.key === undefined)) {
    throw new UsageError('Both certfile and keyfile must be provided if one of them is set.');
  }
  if ((o.tls.psk === undefined) !== (o.tls.pskIdentity === undefined)) {
    throw new UsageError('--psk and --psk-identity must be given together.');
  }
  checkRoute(o);
  if (hasProperties(o.properties)) needsV5(o, '-D/--property');
  if (o.retainAsPublished) needsV5(o, '--retain-as-published');
  if (o.password !== undefined && o.username === undefined) {
    needsV5(o, 'A password without a username (-P without -u)');
  }
}

/**
 * The ways to the broker that exclude each other. --unix and -A make the CLI open its own socket, which leaves out
 * what only the library's own connections do (WebSocket, SRV, proxy); a WebSocket URL names one broker, with
 * nothing to look up.
 */
function checkRoute(o: CliOptions): void {
  const srv = o.srv || o.srvUrl;
  if (o.srv && o.host === undefined) {
    throw new UsageError('-S needs the domain to look up, given with -h or -L.');
  }
  if (srv && o.webSocketUrl) throw new UsageError('-S cannot be used with a ws:// or wss:// URL.');
  // These hosts reach the library inside a URL (connectPlan), where such characters would end the host.
  if ((srv || o.webSocketUrl) && o.host !== undefined && /[\s/?#@%\\[\]]/.test(o.host)) {
    throw new UsageError(`Invalid host given: ${o.host}`);
  }
  const socket = o.unixPath !== undefined ? '--unix' : o.bindAddress !== undefined ? '-A' : undefined;
  if (socket === undefined) return;
  if (o.proxy !== undefined) throw new UsageError(`${socket} and --proxy cannot be used together.`);
  if (srv) throw new UsageError(`${socket} cannot be used with SRV lookups (-S or an mqtt+srv:// URL).`);
  if (o.webSocketUrl) throw new UsageError(`${socket} cannot be used with a ws:// or wss:// URL.`);
}
