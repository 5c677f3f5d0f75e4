// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Broker URLs: `mqtt://` and `tcp://` (port 1883), `mqtts://` and `tls://` (port 8883), `ws://` and `wss://`
 * (ports 80 and 443, path `/mqtt` unless the URL names one), `unix:///path/to/socket`, with optional user name and
 * password; `mqtt+srv://`
 * and `mqtts+srv://` name a domain whose brokers are found through DNS SRV records (the Node `connect()` looks
 * them up).
 *
 * @module
 */
import { redactUrl } from '../log.js';
import { InvalidArgumentError } from '../packet/errors.js';

/** A parsed broker URL. */
export interface BrokerAddress {
  secure: boolean;
  host: string;
  port: number;
  username?: string;
  password?: string;
  /**
   * Set for `mqtt+srv://` and `mqtts+srv://`: `host` is a domain whose brokers are listed by DNS SRV records, and
   * `port` is only the port of the fallback to the domain itself when it has no such record.
   */
  srv?: true;
  /** Set for `ws://` and `wss://`: MQTT over WebSocket, to `path` (with the query, if any). */
  websocket?: true;
  path?: string;
  /**
   * From `?clientId=` (as MQTT.js reads it) on a TCP, TLS or SRV URL: used when the options give no client id. On
   * a WebSocket URL the query belongs to the HTTP request and is left in `path`.
   */
  clientId?: string;
  /** Set for `unix:///path/to/socket` (and `mqtt+unix:`): the Unix domain socket to connect to. */
  socketPath?: string;
}

const SCHEMES: Record<string, { secure: boolean; port: number; srv?: true; websocket?: true }> = {
  'mqtt:': { secure: false, port: 1883 },
  'tcp:': { secure: false, port: 1883 },
  'mqtts:': { secure: true, port: 8883 },
  'tls:': { secure: true, port: 8883 },
  'ssl:': { secure: true, port: 8883 },
  'mqtt+srv:': { secure: false, port: 1883, srv: true },
  'mqtts+srv:': { secure: true, port: 8883, srv: true },
  'ws:': { secure: false, port: 80, websocket: true },
  'wss:': { secure: true, port: 443, websocket: true },
};

/** Parses `url`. @throws {InvalidArgumentError} for an unknown scheme or a malformed URL. */
export function parseBrokerUrl(url: string): BrokerAddress {
  // unix:///run/mosquitto/mqtt.sock: no host, the path is the socket (Mosquitto 2 listens on Unix sockets).
  const unix = /^(?:unix|mqtt\+unix):\/\/(\/[^?#]*)$/.exec(url);
  if (unix !== null) {
    return { secure: false, host: 'localhost', port: 0, socketPath: decodeURIComponent(unix[1] as string) };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`not a valid broker URL: ${redactUrl(url)}`);
  }
  const scheme = SCHEMES[u.protocol];
  if (scheme === undefined) {
    throw new InvalidArgumentError(
      `unsupported URL scheme ${u.protocol} (use mqtt://, mqtts://, tcp://, tls://, ssl://, ws://, wss://, unix://, mqtt+srv:// or mqtts+srv://)`,
    );
  }
  // IPv6 literals come bracketed from URL; sockets want them bare.
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw new InvalidArgumentError(`the broker URL has no host: ${redactUrl(url)}`);
  const address: BrokerAddress = { secure: scheme.secure, host, port: u.port ? Number(u.port) : scheme.port };
  if (u.username !== '') address.username = decodeURIComponent(u.username);
  if (u.password !== '') address.password = decodeURIComponent(u.password);
  if (scheme.srv === true) address.srv = true;
  if (scheme.websocket === true) {
    address.websocket = true;
    address.path = (u.pathname === '' || u.pathname === '/' ? '/mqtt' : u.pathname) + u.search;
    return address;
  }
  // No other parameter means anything here: refused rather than ignored, so a typo does not go unnoticed.
  for (const [name, value] of u.searchParams) {
    if (name !== 'clientId')
      throw new InvalidArgumentError(
        `unknown broker URL parameter ${name} (only clientId is read): ${redactUrl(url)}`,
      );
    address.clientId = value;
  }
  return address;
}
