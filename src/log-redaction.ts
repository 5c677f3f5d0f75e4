// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Summaries of packets and broker URLs that are safe to log: no passwords, authentication data or payload bytes.
 * Runtime-neutral.
 *
 * @module
 */

import type { LogFields } from './log.js';
import type { Packet } from './packet/types.js';

/** Options of {@link describePacket} and {@link redactUrl}. */
export interface RedactionOptions {
  /**
   * Hide user names too (default false). User names are shown because they identify who connected, which is what
   * a refused connection is diagnosed by, and brokers log them in clear too; but some platforms take an access
   * token as the user name (ThingsBoard, for one), and there this option keeps it out of the logs.
   */
  hideUsername?: boolean;
}

/** What stands for a password or a hidden user name. */
export const REDACTED = '[redacted]';

const HEX_LIMIT = 32;

// Binary property values: correlation data is an opaque identifier, worth seeing to match requests with responses
// (as hex, and only when short); any other binary property (authentication data) may be a secret.
function describeBinary(name: string, value: ArrayBufferView): string {
  if (name === 'correlationData' && value.byteLength <= HEX_LIMIT) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  if (name === 'correlationData') return `[${value.byteLength} bytes]`;
  return `[redacted ${value.byteLength} bytes]`;
}

// Copies rather than references, so that a logger writing asynchronously (pino) records the packet as it was.
function describeProperties(properties: object): LogFields {
  const out: LogFields = {};
  for (const [name, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    if (ArrayBuffer.isView(value)) out[name] = describeBinary(name, value);
    else if (Array.isArray(value)) out[name] = value.map((v: unknown) => (Array.isArray(v) ? [...v] : v));
    else out[name] = value;
  }
  return out;
}

function describeConnect(p: Extract<Packet, { type: 'connect' }>, options: RedactionOptions): LogFields {
  const s: LogFields = {
    type: p.type,
    protocolVersion: p.protocolVersion,
    clientId: p.clientId,
    clean: p.clean,
    keepAlive: p.keepAlive,
  };
  if (p.username !== undefined) s['username'] = options.hideUsername ? REDACTED : p.username;
  // Not even the length: it narrows a guess.
  if (p.password !== undefined) s['password'] = REDACTED;
  if (p.will !== undefined) {
    const w = p.will;
    const will: LogFields = {
      topic: w.topic,
      qos: w.qos,
      retain: w.retain,
      payloadBytes: w.payload.byteLength,
    };
    if (w.properties !== undefined) will['properties'] = describeProperties(w.properties);
    s['will'] = will;
  }
  return s;
}

// Fields are listed one by one rather than spread, so that a field added to the model later is left out until
// someone decides whether it is safe to log.
function describeFields(p: Packet, options: RedactionOptions): LogFields {
  switch (p.type) {
    case 'connect':
      return describeConnect(p, options);
    case 'connack':
      return { type: p.type, sessionPresent: p.sessionPresent, reasonCode: p.reasonCode };
    case 'publish': {
      const s: LogFields = { type: p.type, topic: p.topic, qos: p.qos, retain: p.retain, dup: p.dup };
      if (p.packetId !== undefined) s['packetId'] = p.packetId;
      s['payloadBytes'] = p.payload.byteLength;
      return s;
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { type: p.type, packetId: p.packetId, reasonCode: p.reasonCode };
    case 'subscribe':
      return { type: p.type, packetId: p.packetId, subscriptions: p.subscriptions.map((s) => ({ ...s })) };
    case 'suback':
    case 'unsuback':
      return { type: p.type, packetId: p.packetId, reasonCodes: [...p.reasonCodes] };
    case 'unsubscribe':
      return { type: p.type, packetId: p.packetId, topicFilters: [...p.topicFilters] };
    case 'pingreq':
    case 'pingresp':
      return { type: p.type };
    case 'disconnect':
    case 'auth':
      return { type: p.type, reasonCode: p.reasonCode };
  }
}

/**
 * A summary of `packet` for the logs, with the model's field names. It never holds a secret or payload bytes: the
 * CONNECT password becomes {@link REDACTED}; Authentication Data (CONNECT, CONNACK, AUTH) becomes
 * `[redacted N bytes]`; the PUBLISH and will payloads appear only as `payloadBytes`, their length, since they may be
 * confidential and are often large. User properties and every other field are kept; short correlation data is
 * shown as hex. The summary shares no object with the packet.
 */
export function describePacket(packet: Packet, options: RedactionOptions = {}): LogFields {
  const summary = describeFields(packet, options);
  if ('properties' in packet && packet.properties !== undefined) {
    summary['properties'] = describeProperties(packet.properties);
  }
  return summary;
}

// A well-formed authority without user information: a host name or bracketed IPv6 literal, then maybe a port.
const HOST_PORT = /^(?:\[[^\]]*\]|[^:@[\]]*)(?::\d*)?$/;

// Index in `rest` (the URL after `scheme://`) of the `@` that ends the user information, or -1.
function userinfoEnd(rest: string): number {
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0 || HOST_PORT.test(authority)) return at;
  // Not a host and port, so a password with an unencoded '/', '?' or '#' cut the authority short: hide everything
  // up to the last '@' rather than print the rest of the password.
  return rest.lastIndexOf('@');
}

/**
 * `url` with the password of its user information replaced by `***`: `mqtt://u:secret@host` gives
 * `mqtt://u:***@host`. Anything else is left exactly as written (no normalisation), including a URL with no
 * password. Also safe on malformed URLs, which are the ones that end up in error messages: a password holding an
 * unencoded `@`, `/`, `?` or `#` is hidden whole.
 */
export function redactUrl(url: string, options: RedactionOptions = {}): string {
  const start = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0].length ?? 0;
  const rest = url.slice(start);
  const at = userinfoEnd(rest);
  if (at < 0) return url;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const shownUser = options.hideUsername && user !== '' ? '***' : user;
  // An empty password hides nothing, and keeping it shows that one was given.
  const shownPassword = colon < 0 ? '' : colon === userinfo.length - 1 ? ':' : ':***';
  return `${url.slice(0, start)}${shownUser}${shownPassword}${rest.slice(at)}`;
}
