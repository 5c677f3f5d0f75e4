// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Command-line parsing for `mqttkit pub` and `mqttkit sub`: the flags of mosquitto_pub / mosquitto_sub 2.x into
 * {@link CliOptions}, with mosquitto's checks and error messages. Nothing here connects or reads files.
 *
 * @module
 */
import {
  type ProtocolVersion,
  parseBrokerUrl,
  type QoS,
  validateTopicFilter,
  validateTopicName,
} from '../index.js';
import { UsageError } from './errors.js';
import {
  type CliProperties,
  emptyProperties,
  hasProperties,
  type PropertyCommand,
  parseProperty,
} from './properties.js';

/** The subcommands. */
export type Command = 'pub' | 'sub';

/** Where `pub` takes its message from: `-m`, `-f`, `-n`, `-s` or `-l`. */
export type MessageSource =
  | { kind: 'message'; payload: string }
  | { kind: 'file'; path: string }
  | { kind: 'null' }
  | { kind: 'stdin' }
  | { kind: 'lines' };

/** The TLS flags, as given (files are read later). */
export interface TlsFlags {
  cafile?: string;
  capath?: string;
  cert?: string;
  key?: string;
  /** `--insecure`: do not verify the server certificate. */
  insecure: boolean;
  ciphers?: string;
  alpn?: string;
  version?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** `--tls-use-os-certs` */
  useOsCerts: boolean;
  /** `--psk`, hexadecimal. */
  psk?: string;
  pskIdentity?: string;
}

/** The will flags. */
export interface WillFlags {
  topic?: string;
  payload?: string;
  qos: QoS;
  retain: boolean;
}

/** Everything the command line says. */
export interface CliOptions {
  command: Command;
  /** `--help` was given: print the usage and do nothing else. */
  help: boolean;
  host?: string;
  port?: number;
  /** `--unix`: the path of the broker's Unix domain socket. */
  unixPath?: string;
  /** `-A`: the local address to bind to. */
  bindAddress?: string;
  /** `-L` gave an `mqtts://` (or `tls://`, `ssl://`) URL. */
  secureUrl: boolean;
  /** `pub`: the topic (one); `sub`: the topic filters. */
  topics: string[];
  source?: MessageSource;
  qos: QoS;
  retain: boolean;
  clientId?: string;
  idPrefix?: string;
  keepAlive: number;
  username?: string;
  password?: string;
  /** `-V`, or `auto` when not given (made 5 by flags that need MQTT 5). */
  protocolVersion: ProtocolVersion | 'auto';
  /** False with `-c`. */
  cleanSession: boolean;
  /** `-x`, or the never-expiring 4294967295 implied by `-c`. */
  sessionExpiry?: number;
  properties: CliProperties;
  will: WillFlags;
  tls: TlsFlags;
  debug: boolean;
  quiet: boolean;
  repeat: number;
  /** Seconds. */
  repeatDelay: number;
  maxInflight?: number;
  /** `sub -C` */
  count?: number;
  /** `sub -W`, seconds. */
  timeout?: number;
  verbose: boolean;
  /** False with `-N`. */
  eol: boolean;
  /** `-R` */
  noRetained: boolean;
  /** `-E` */
  exitAfterSubscribe: boolean;
  /** `-U` */
  unsubscribe: string[];
  /** `-T` */
  filterOut: string[];
  /** `-F` */
  format?: string;
  /** `--json`: one JSON object per line and message. */
  json: boolean;
  pretty: boolean;
  retainedOnly: boolean;
  removeRetained: boolean;
  retainAsPublished: boolean;
  /** `--random-filter`: percentage of messages to print. */
  randomFilter?: number;
}

/** A session expiry interval that never ends. */
export const NEVER_EXPIRES = 0xffff_ffff;

const PROPERTY_COMMANDS: Record<Command, readonly PropertyCommand[]> = {
  pub: ['connect', 'publish', 'disconnect', 'will'],
  sub: ['connect', 'subscribe', 'unsubscribe', 'disconnect', 'will'],
};

type Setter = (o: CliOptions, value: string, flag: string) => void;

interface Flag {
  commands: readonly Command[];
  /** What the value is, for "argument given but no … specified"; undefined for a flag without a value. */
  value: string | undefined;
  set: Setter;
}

const BOTH = ['pub', 'sub'] as const;
const PUB = ['pub'] as const;
const SUB = ['sub'] as const;
const FLAGS = new Map<string, Flag>();

function flag(names: string[], commands: readonly Command[], value: string | undefined, set: Setter): void {
  for (const name of names) FLAGS.set(name, { commands, value, set });
}

function unsupported(names: string[], value: string | undefined, why: string): void {
  flag(names, BOTH, value, (_o, _v, f) => {
    throw new UsageError(`${f} is not supported by mqttkit (${why}).`);
  });
}

function integer(value: string, min: number, max: number): number | undefined {
  if (!/^-?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

function qos(value: string, what: string): QoS {
  const n = integer(value, 0, 2);
  if (n === undefined) throw new UsageError(`Invalid ${what} given: ${value}`);
  return n as QoS;
}

function setSource(o: CliOptions, source: MessageSource): void {
  if (o.source !== undefined) throw new UsageError('Only one type of message can be sent at once.');
  o.source = source;
}

function setTopic(o: CliOptions, topic: string): void {
  if (o.command === 'pub') o.topics = [topic];
  else o.topics.push(topic);
}

function parseUrl(o: CliOptions, url: string): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(?:\/(.*))?$/s.exec(url);
  const topic = m?.[3];
  if (m === null || topic === undefined || topic === '') {
    throw new UsageError('Invalid URL for -L argument specified - topic missing.');
  }
  let address: ReturnType<typeof parseBrokerUrl>;
  try {
    address = parseBrokerUrl(`${m[1]}://${m[2]}`);
  } catch (e) {
    throw new UsageError(`Invalid URL for -L argument specified - ${(e as Error).message}.`);
  }
  o.host = address.host;
  o.port = address.port;
  o.secureUrl = address.secure;
  if (address.username !== undefined) o.username = address.username;
  if (address.password !== undefined) o.password = address.password;
  setTopic(o, topic);
}

function sessionExpiry(value: string): number {
  if (value === '-1' || value === '∞') return NEVER_EXPIRES;
  const n = integer(value, 0, NEVER_EXPIRES);
  if (n === undefined) throw new UsageError(`Invalid session expiry interval given: ${value}`);
  return n;
}

// --- connection ------------------------------------------------------------------------------------------
flag(['-h', '--host'], BOTH, 'host', (o, v) => {
  o.host = v;
});
flag(['-p', '--port'], BOTH, 'port', (o, v) => {
  const n = integer(v, 1, 65_535);
  if (n === undefined) throw new UsageError(`Invalid port given: ${v}`);
  o.port = n;
});
flag(['-L', '--url'], BOTH, 'URL', (o, v) => parseUrl(o, v));
flag(['--unix'], BOTH, 'socket path', (o, v) => {
  o.unixPath = v;
});
flag(['-A'], BOTH, 'address', (o, v) => {
  o.bindAddress = v;
});
flag(['--nodelay'], BOTH, undefined, () => {
  // Always on: mqttkit disables Nagle's algorithm on every socket.
});
flag(['-i', '--id'], BOTH, 'id', (o, v) => {
  if (o.idPrefix !== undefined) throw new UsageError('-i and -I argument cannot be used together.');
  o.clientId = v;
});
flag(['-I', '--id-prefix'], BOTH, 'id prefix', (o, v) => {
  if (o.clientId !== undefined) throw new UsageError('-i and -I argument cannot be used together.');
  o.idPrefix = v;
});
flag(['-k', '--keepalive'], BOTH, 'keepalive', (o, v) => {
  const n = integer(v, 0, 65_535);
  if (n === undefined || (n > 0 && n < 5)) {
    throw new UsageError('Invalid keepalive given, it must be 0 or between 5 and 65535 inclusive.');
  }
  o.keepAlive = n;
});
flag(['-u', '--username'], BOTH, 'username', (o, v) => {
  o.username = v;
});
flag(['-P', '--pw'], BOTH, 'password', (o, v) => {
  o.password = v;
});
flag(['-V', '--protocol-version'], BOTH, 'version', (o, v) => {
  const versions: Record<string, ProtocolVersion | 'auto'> = {
    mqttv31: 3,
    '31': 3,
    mqttv311: 4,
    '311': 4,
    mqttv5: 5,
    '5': 5,
    auto: 'auto',
  };
  const version = versions[v.toLowerCase()];
  if (version === undefined) throw new UsageError('Invalid protocol version argument given.');
  o.protocolVersion = version;
});
flag(['-c', '--disable-clean-session'], BOTH, undefined, (o) => {
  o.cleanSession = false;
});
flag(['-x'], BOTH, 'session expiry interval', (o, v) => {
  o.sessionExpiry = sessionExpiry(v);
});
flag(['-M'], BOTH, 'max inflight', (o, v) => {
  const n = integer(v, 1, 65_535);
  if (n === undefined) throw new UsageError('Maximum inflight messages must be greater than 0.');
  o.maxInflight = n;
});
flag(['-d', '--debug'], BOTH, undefined, (o) => {
  o.debug = true;
});
flag(['--quiet'], BOTH, undefined, (o) => {
  o.quiet = true;
});
flag(['--help'], BOTH, undefined, (o) => {
  o.help = true;
});

// --- will --------------------------------------------------------------------------------------------------
flag(['--will-topic'], BOTH, 'will topic', (o, v) => {
  o.will.topic = v;
});
flag(['--will-payload'], BOTH, 'will payload', (o, v) => {
  o.will.payload = v;
});
flag(['--will-qos'], BOTH, 'will QoS', (o, v) => {
  o.will.qos = qos(v, 'will QoS');
});
flag(['--will-retain'], BOTH, undefined, (o) => {
  o.will.retain = true;
});

// --- TLS ---------------------------------------------------------------------------------------------------
flag(['--cafile'], BOTH, 'certificate', (o, v) => {
  o.tls.cafile = v;
});
flag(['--capath'], BOTH, 'certificate path', (o, v) => {
  o.tls.capath = v;
});
flag(['--cert'], BOTH, 'certificate', (o, v) => {
  o.tls.cert = v;
});
flag(['--key'], BOTH, 'key', (o, v) => {
  o.tls.key = v;
});
flag(['--insecure'], BOTH, undefined, (o) => {
  o.tls.insecure = true;
});
flag(['--ciphers'], BOTH, 'ciphers', (o, v) => {
  o.tls.ciphers = v;
});
flag(['--tls-alpn'], BOTH, 'protocol', (o, v) => {
  o.tls.alpn = v;
});
flag(['--tls-version'], BOTH, 'version', (o, v) => {
  const versions = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': 'TLSv1.1' } as const;
  const version = versions[v.toLowerCase() as keyof typeof versions];
  if (version === undefined) throw new UsageError(`Invalid TLS version given: ${v}`);
  o.tls.version = version;
});
flag(['--tls-use-os-certs'], BOTH, undefined, (o) => {
  o.tls.useOsCerts = true;
});
flag(['--psk'], BOTH, 'key', (o, v) => {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(v)) throw new UsageError('--psk must be a hexadecimal key.');
  o.tls.psk = v;
});
flag(['--psk-identity'], BOTH, 'identity', (o, v) => {
  o.tls.pskIdentity = v;
});
unsupported(['--keyform'], 'keyform', 'OpenSSL engines are not available to Node.js');
unsupported(['--tls-engine'], 'engine', 'OpenSSL engines are not available to Node.js');
unsupported(['--tls-engine-kpass-sha1'], 'hash', 'OpenSSL engines are not available to Node.js');
unsupported(['--proxy'], 'proxy URL', 'no SOCKS5 proxy support');
unsupported(['-S'], undefined, 'no SRV lookups');

// --- pub ---------------------------------------------------------------------------------------------------
flag(['-t', '--topic'], BOTH, 'topic', (o, v) => setTopic(o, v));
flag(['-m', '--message'], PUB, 'message', (o, v) => setSource(o, { kind: 'message', payload: v }));
flag(['-f', '--file'], PUB, 'file', (o, v) => setSource(o, { kind: 'file', path: v }));
flag(['-n', '--null-message'], PUB, undefined, (o) => setSource(o, { kind: 'null' }));
flag(['-s', '--stdin-file'], PUB, undefined, (o) => setSource(o, { kind: 'stdin' }));
flag(['-l', '--stdin-line'], PUB, undefined, (o) => setSource(o, { kind: 'lines' }));
flag(['-q', '--qos'], BOTH, 'QoS', (o, v) => {
  o.qos = qos(v, 'QoS');
});
flag(['-r', '--retain'], PUB, undefined, (o) => {
  o.retain = true;
});
flag(['--repeat'], PUB, 'count', (o, v) => {
  const n = integer(v, 1, Number.MAX_SAFE_INTEGER);
  if (n === undefined) throw new UsageError('--repeat argument must be >0.');
  o.repeat = n;
});
flag(['--repeat-delay'], PUB, 'time', (o, v) => {
  const n = /^\d+(?:\.\d*)?$|^\.\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new UsageError('--repeat-delay argument must be >=0.0.');
  o.repeatDelay = n;
});

// --- sub ---------------------------------------------------------------------------------------------------
flag(['-C'], SUB, 'count', (o, v) => {
  const n = integer(v, 1, Number.MAX_SAFE_INTEGER);
  if (n === undefined) throw new UsageError(`Invalid message count "${v}".`);
  o.count = n;
});
flag(['-W'], SUB, 'timeout', (o, v) => {
  const n = integer(v, 1, 2_000_000);
  if (n === undefined) throw new UsageError(`Invalid timeout "${v}".`);
  o.timeout = n;
});
flag(['-v', '--verbose'], SUB, undefined, (o) => {
  o.verbose = true;
});
flag(['-N'], SUB, undefined, (o) => {
  o.eol = false;
});
flag(['-R'], SUB, undefined, (o) => {
  o.noRetained = true;
});
flag(['-E'], SUB, undefined, (o) => {
  o.exitAfterSubscribe = true;
});
flag(['-T', '--filter-out'], SUB, 'topic', (o, v) => {
  o.filterOut.push(v);
});
flag(['-U', '--unsubscribe'], SUB, 'topic', (o, v) => {
  o.unsubscribe.push(v);
});
flag(['-F'], SUB, 'format', (o, v) => {
  o.format = v;
});
flag(['--json'], SUB, undefined, (o) => {
  o.json = true;
});
flag(['--pretty'], SUB, undefined, (o) => {
  o.pretty = true;
});
flag(['--retained-only'], SUB, undefined, (o) => {
  o.retainedOnly = true;
});
flag(['--remove-retained'], SUB, undefined, (o) => {
  o.removeRetained = true;
});
flag(['--retain-as-published'], SUB, undefined, (o) => {
  o.retainAsPublished = true;
});
flag(['--random-filter'], SUB, 'chance', (o, v) => {
  const n = /^\d+(?:\.\d*)?$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 0.1 && n <= 100)) throw new UsageError('Invalid --random-filter value, it must be 0.1 to 100.');
  o.randomFilter = n;
});

function defaults(command: Command): CliOptions {
  return {
    command,
    help: false,
    secureUrl: false,
    topics: [],
    qos: 0,
    retain: false,
    keepAlive: 60,
    protocolVersion: 'auto',
    cleanSession: true,
    properties: emptyProperties(),
    will: { qos: 0, retain: false },
    tls: { insecure: false, useOsCerts: false },
    debug: false,
    quiet: false,
    repeat: 1,
    repeatDelay: 0,
    verbose: false,
    eol: true,
    noRetained: false,
    exitAfterSubscribe: false,
    unsubscribe: [],
    filterOut: [],
    json: false,
    pretty: false,
    retainedOnly: false,
    removeRetained: false,
    retainAsPublished: false,
  };
}

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
  if (hasProperties(o.properties)) needsV5(o, '-D/--property');
  if (o.retainAsPublished) needsV5(o, '--retain-as-published');
  if (o.password !== undefined && o.username === undefined) {
    needsV5(o, 'A password without a username (-P without -u)');
  }
}
