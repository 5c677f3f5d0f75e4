// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What the command line asks for: the parsed options of `mqttkit pub` and `mqttkit sub`, and their defaults.
 *
 * @module
 */
import type { ProtocolVersion, QoS } from '../index.js';
import { type CliProperties, emptyProperties } from './properties.js';

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
  /** `-L` gave an `mqtts://` (or `tls://`, `ssl://`, `wss://`, `mqtts+srv://`) URL. */
  secureUrl: boolean;
  /** `-L` gave a `ws://` or `wss://` URL: MQTT over WebSocket. */
  webSocketUrl: boolean;
  /** `-L` gave an `mqtt+srv://` or `mqtts+srv://` URL: the host is a domain to look up in DNS SRV records. */
  srvUrl: boolean;
  /** `-S`: look the host up in DNS SRV records, as an `mqtt+srv://` URL would. */
  srv: boolean;
  /** `--proxy`: the proxy URL, for the library's `proxy` option. */
  proxy?: string;
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

/** The options before any flag is read. */
export function defaults(command: Command): CliOptions {
  return {
    command,
    help: false,
    secureUrl: false,
    webSocketUrl: false,
    srvUrl: false,
    srv: false,
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
