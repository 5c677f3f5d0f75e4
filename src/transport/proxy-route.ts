// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Which proxy a connection takes: the `proxy` option when given, else the conventional environment variables
 * (curl's rules: `<scheme>_proxy`, then `ALL_PROXY`, with `NO_PROXY` exceptions). Node only.
 *
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '../packet/errors.js';
import { type ProxyEndpoint, type ProxyTarget, parseProxyUrl } from './proxy.js';

/** The proxy option of the Node `connect()` (part of `NodeClientOptions`). */
export interface ProxyOptions {
  /**
   * Connect through a proxy: `socks5://user:pass@host:1080`, `socks5h://…` (the proxy resolves the broker's
   * name), `socks4://…`, `socks4a://…`, or `http://user:pass@host:3128` (HTTP CONNECT). Every broker of the
   * client (`servers`, SRV targets, a Server Reference) is reached through it; TLS and WebSocket run end to end
   * through the tunnel, checked against the broker's name. `false`: always connect directly.
   *
   * Not given, the environment decides when the client is created, as curl does: `mqtt_proxy` (`mqtts_proxy`,
   * `http_proxy` for `ws://`, `https_proxy` for `wss://`, each also in upper case but `HTTP_PROXY`), else
   * `all_proxy` / `ALL_PROXY`; brokers matching `no_proxy` / `NO_PROXY` (`*`, host names with their subdomains,
   * addresses, networks, each optionally with `:port`) are reached directly. A proxy that cannot be reached,
   * refuses, or does not open the tunnel within `connectTimeout` fails the attempt with {@link ProxyError}.
   */
  proxy?: string | false;
}

/** The kind of connection, which selects the environment variables. */
export type ProxiedScheme = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** The proxy for each broker an attempt dials, or undefined to dial it directly. */
export type ProxyRoute = (target: ProxyTarget) => ProxyEndpoint | undefined;

/** Environment variables, as `process.env` holds them. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

// Lower case first, as curl reads them. `HTTP_PROXY` is left out on purpose, as curl does: a CGI program gets the
// request's `Proxy:` header under that name ("httpoxy").
const VARIABLES: Readonly<Record<ProxiedScheme, readonly string[]>> = {
  mqtt: ['mqtt_proxy', 'MQTT_PROXY', 'all_proxy', 'ALL_PROXY'],
  mqtts: ['mqtts_proxy', 'MQTTS_PROXY', 'all_proxy', 'ALL_PROXY'],
  ws: ['http_proxy', 'all_proxy', 'ALL_PROXY'],
  wss: ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'],
};

/**
 * The route of a client, decided once when it is created. `option` (the `proxy` option) wins: a URL is used for
 * every broker, `false` means none. Without it, the first set one of `<scheme>_proxy` / `<SCHEME>_PROXY`
 * (`mqtt_proxy`, `mqtts_proxy`, `http_proxy` for `ws://`, `https_proxy` for `wss://`) and `all_proxy` /
 * `ALL_PROXY` names the proxy, and `no_proxy` / `NO_PROXY` lists the brokers to reach directly (see
 * {@link noProxyMatcher}). Returns undefined when every connection is direct.
 *
 * @throws {InvalidArgumentError} for an invalid proxy URL (in the option or in the environment).
 */
export function proxyRoute(
  option: string | false | undefined,
  scheme: ProxiedScheme,
  env: ProxyEnvironment = process.env,
): ProxyRoute | undefined {
  if (option === false) return undefined;
  if (option !== undefined) {
    if (typeof option !== 'string') throw new InvalidArgumentError('proxy must be a URL or false');
    const proxy = parseProxyUrl(option);
    return () => proxy;
  }
  const name = VARIABLES[scheme].find((n) => (env[n] ?? '').trim() !== '');
  if (name === undefined) return undefined;
  const proxy = parseProxyUrl((env[name] as string).trim(), name);
  const direct = noProxyMatcher(env['no_proxy'] ?? env['NO_PROXY'] ?? '');
  return (target) => (direct(target) ? undefined : proxy);
}

/**
 * `{ proxy, proxyTimeout }` when `route` sends `target` through a proxy, else nothing: to spread into socket
 * options. `timeoutMs`: how long the proxy gets to open the tunnel.
 */
export function proxyFor(
  route: ProxyRoute | undefined,
  target: ProxyTarget,
  timeoutMs: number,
): { proxy?: ProxyEndpoint; proxyTimeout?: number } {
  const proxy = route?.(target);
  return proxy === undefined ? {} : { proxy, proxyTimeout: timeoutMs };
}

type Exception = (host: string, port: number) => boolean;

/**
 * A test of whether a broker is to be reached directly, from a `NO_PROXY` value: entries separated by commas
 * (or spaces); `*` for every host; a host name for that host and every name under it (`example.com` and
 * `.example.com` alike match `example.com` and `a.example.com`; `*.example.com` is read as `.example.com`); an IP
 * address (`127.0.0.1`, `::1`, `[::1]`) or network (`10.0.0.0/8`, `fd00::/8`); any of them with `:port` for that
 * port only. Names are compared without case; no name is resolved to match an address.
 */
export function noProxyMatcher(value: string): (target: ProxyTarget) => boolean {
  const exceptions = value
    .split(/[\s,]+/)
    .filter((e) => e !== '')
    .map(exception);
  return ({ host, port }) => {
    const h = host
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '');
    return exceptions.some((matches) => matches(h, port));
  };
}

function exception(entry: string): Exception {
  if (entry === '*') return () => true;
  // `[v6]:port`, `[v6]`, `host:port`, or a bare name, address or network (an IPv6 one has several colons).
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
  const name = (m?.[1] ?? entry).toLowerCase();
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  const portMatches = (p: number): boolean => port === undefined || p === port;
  const network = addressList(name);
  if (network !== undefined) {
    return (host, p) => portMatches(p) && isIP(host) !== 0 && network.check(host, family(host));
  }
  const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
  return (host, p) => portMatches(p) && (host === domain || host.endsWith(`.${domain}`));
}

/** A BlockList holding the address or network `text` is, or undefined when it is a name. */
function addressList(text: string): BlockList | undefined {
  const [address = '', bits] = text.split('/');
  const kind = isIP(address);
  if (kind === 0) return undefined;
  const list = new BlockList();
  const type = kind === 6 ? 'ipv6' : 'ipv4';
  const prefix = Number(bits);
  // A network with an impossible prefix length is taken as its address alone.
  if (Number.isInteger(prefix) && prefix >= 0 && prefix <= (kind === 6 ? 128 : 32))
    list.addSubnet(address, prefix, type);
  else list.addAddress(address, type);
  return list;
}

function family(host: string): 'ipv4' | 'ipv6' {
  return isIP(host) === 6 ? 'ipv6' : 'ipv4';
}
