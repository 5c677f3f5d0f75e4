// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The table of flags of `mqttkit pub` and `mqttkit sub`, after mosquitto_pub / mosquitto_sub 2.x: each flag's
 * names, the subcommands taking it, and how its value lands in {@link CliOptions}.
 *
 * @module
 */
import { type ProtocolVersion, parseBrokerUrl, parseProxyUrl, type QoS } from '../node.js';
import { type CliOptions, type Command, type MessageSource, NEVER_EXPIRES } from './cli-options.js';
import { UsageError } from './errors.js';

type Setter = (o: CliOptions, value: string, flag: string) => void;

/** How one flag is read. */
export interface Flag {
  commands: readonly Command[];
  /** What the value is, for "argument given but no … specified"; undefined for a flag without a value. */
  value: string | undefined;
  set: Setter;
}

const BOTH = ['pub', 'sub'] as const;
const PUB = ['pub'] as const;
const SUB = ['sub'] as const;
/** Every flag by name, with the subcommands that take it. */
export const FLAGS = new Map<string, Flag>();

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

/**
 * `-L scheme://[user[:password]@]host[:port]/topic`. What the scheme means (TLS, WebSocket, DNS SRV) is recorded
 * here, and connectPlan hands WebSocket and SRV schemes to the library as a URL of the same scheme, so that the CLI
 * connects as `connect()` does. The path is the topic, not a WebSocket path: `ws://` goes to the library's `/mqtt`.
 */
function parseUrl(o: CliOptions, url: string): void {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(?:\/(.*))?$/s.exec(url);
  // In a unix:// URL the path is the socket, so it has no room for the topic.
  if (m !== null && /^(?:mqtt\+)?unix$/i.test(m[1] as string)) {
    throw new UsageError(
      'Invalid URL for -L argument specified - unix:// URLs cannot name a topic, use --unix.',
    );
  }
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
  o.webSocketUrl = address.websocket === true;
  o.srvUrl = address.srv === true;
  if (address.username !== undefined) o.username = address.username;
  if (address.password !== undefined) o.password = address.password;
  setTopic(o, topic);
}

/** `--proxy`: a URL the library's `proxy` option takes. */
function proxyUrl(value: string): string {
  // The library reads a bare `host:port` as an HTTP proxy, as environment variables hold it. On this command line,
  // where mosquitto's --proxy means SOCKS5, a missing scheme is more likely a mistake than a wish for HTTP.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    throw new UsageError(
      '--proxy needs a URL with a scheme: socks5h://, socks5://, socks4a://, socks4:// or http://.',
    );
  }
  try {
    parseProxyUrl(value, '--proxy');
  } catch (e) {
    throw new UsageError(`${(e as Error).message}.`);
  }
  return value;
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
flag(['-S'], BOTH, undefined, (o) => {
  o.srv = true;
});
flag(['--proxy'], BOTH, 'proxy URL', (o, v) => {
  o.proxy = proxyUrl(v);
});
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
