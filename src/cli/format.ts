// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * How `sub` prints a message: the payload (default), `topic payload` (`-v`), a mosquitto_sub `-F` format string,
 * or one JSON object per line (`--json`); each followed by a newline unless `-N`.
 *
 * @module
 */
import type { Message, PublishProperties } from '../index.js';
import type { CliOptions } from './cli-options.js';
import { type Instant, isoTime, jsonTime, now, strftime, unixTime } from './time-format.js';

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NEWLINE = encoder.encode('\n');

/** The payload as text when it is valid UTF-8, else undefined. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** MQTT 5 publish properties as JSON values: binary ones (correlation data) base64, the rest as they are. */
export function propertiesJson(properties: PublishProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    out[key] = value instanceof Uint8Array ? base64(value) : value;
  }
  return out;
}

/**
 * The `--json` object of a message: `topic`, `payload` (text when valid UTF-8, else base64 with `encoding:
 * "base64"`), `qos`, `retain`, and `properties` when the message has MQTT 5 properties.
 */
export function messageJson(m: Message): Record<string, unknown> {
  const json: Record<string, unknown> = { topic: m.topic };
  const text = utf8Text(m.payload);
  if (text === undefined) {
    json['payload'] = base64(m.payload);
    json['encoding'] = 'base64';
  } else {
    json['payload'] = text;
  }
  json['qos'] = m.qos;
  json['retain'] = m.retain;
  if (m.properties !== undefined && Object.keys(m.properties).length > 0) {
    json['properties'] = propertiesJson(m.properties);
  }
  return json;
}

/** What formatting a message gave: bytes to print (maybe none), or an error line for stderr. */
export type Formatted = { output: Uint8Array } | { error: string };

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'time'; c: string }
  | { kind: 'field'; c: string; left: boolean; zero: boolean; width: number; precision: number | undefined };

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '0': '\0',
  a: '\x07',
  e: '\x1b',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

// The parameters the `0` flag zero-pads (the others pad with blanks).
const NUMERIC = new Set(['A', 'E', 'F', 'l', 'm', 'S', 'x', 'X']);

/** Parses a `-F` format string. */
export function parseFormat(format: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string;
    const next = format[i + 1];
    if (c === '\\' && next !== undefined) {
      text += ESCAPES[next] ?? `\\${next}`;
      i++;
    } else if (c === '@' && next !== undefined) {
      flush();
      tokens.push({ kind: 'time', c: next });
      i++;
    } else if (c === '%') {
      const m = /^%([-0]*)(\d*)(?:\.(\d+))?(.)/su.exec(format.slice(i));
      if (m === null) {
        text += c;
        continue;
      }
      flush();
      const flags = m[1] ?? '';
      tokens.push({
        kind: 'field',
        c: m[4] as string,
        left: flags.includes('-'),
        zero: flags.includes('0'),
        width: m[2] ? Number(m[2]) : 0,
        precision: m[3] === undefined ? undefined : Number(m[3]),
      });
      i += m[0].length - 1;
    } else {
      text += c;
    }
  }
  flush();
  return tokens;
}

function hex(bytes: Uint8Array, upper: boolean): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return upper ? s.toUpperCase() : s;
}

/** Prints messages as the command line asks. */
export class MessageFormatter {
  private readonly tokens: Token[] | undefined;

  constructor(private readonly o: Pick<CliOptions, 'verbose' | 'eol' | 'format' | 'json' | 'pretty'>) {
    this.tokens = o.format === undefined ? undefined : parseFormat(o.format);
  }

  /** The bytes to print for `m` (empty for an empty payload without `-v`, as mosquitto_sub). */
  format(m: Message): Formatted {
    const o = this.o;
    const chunks: (string | Uint8Array)[] = [];
    if (o.json) {
      chunks.push(this.stringify(messageJson(m)));
    } else if (this.tokens !== undefined) {
      const t = now();
      for (const token of this.tokens) {
        if (token.kind === 'text') chunks.push(token.text);
        else if (token.kind === 'time') chunks.push(strftime(token.c, t));
        else {
          const value = this.field(token.c, m, t);
          if (typeof value === 'object' && 'error' in value) return value;
          chunks.push(pad(value, token));
        }
      }
    } else if (o.verbose) {
      chunks.push(`${m.topic} `, m.payload.length > 0 ? m.payload : '(null)');
    } else {
      if (m.payload.length === 0) return { output: new Uint8Array(0) };
      chunks.push(m.payload);
    }
    if (o.eol) chunks.push(NEWLINE);
    return { output: concat(chunks) };
  }

  private stringify(value: unknown): string {
    return this.o.pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  }

  private field(c: string, m: Message, t: Instant): string | Uint8Array | { error: string } {
    const p = m.properties;
    switch (c) {
      case '%':
        return '%';
      case 'A':
        return p?.topicAlias === undefined ? '' : String(p.topicAlias);
      case 'C':
        return p?.contentType ?? '';
      case 'D':
        return p?.correlationData ?? '';
      case 'E':
        return p?.messageExpiryInterval === undefined ? '' : String(p.messageExpiryInterval);
      case 'F':
        return p?.payloadFormatIndicator === undefined ? '' : String(p.payloadFormatIndicator);
      case 'l':
        return String(m.payload.length);
      case 'm':
        return String(m.packetId ?? 0);
      case 'P':
        return (p?.userProperties ?? []).map(([k, v]) => `${k}:${v}`).join(' ');
      case 'p':
        return m.payload;
      case 'q':
        return String(m.qos);
      case 'R':
        return p?.responseTopic ?? '';
      case 'r':
        return m.retain ? '1' : '0';
      case 'S':
        return (p?.subscriptionIdentifiers ?? []).join(',');
      case 't':
        return m.topic;
      case 'x':
        return hex(m.payload, false);
      case 'X':
        return hex(m.payload, true);
      case 'I':
        return isoTime(t);
      case 'U':
        return unixTime(t);
      case 'j':
      case 'J':
        return this.mosquittoJson(m, t, c === 'J');
      default:
        return `%${c}`;
    }
  }

  // `%j` / `%J`: mosquitto_sub's JSON, with the payload as a string (`%j`) or as the JSON it holds (`%J`).
  private mosquittoJson(m: Message, t: Instant, raw: boolean): string | { error: string } {
    const json: Record<string, unknown> = {
      tst: jsonTime(t),
      topic: m.topic,
      qos: m.qos,
      retain: m.retain ? 1 : 0,
      payloadlen: m.payload.length,
    };
    if (m.properties !== undefined && Object.keys(m.properties).length > 0) {
      json['properties'] = propertiesJson(m.properties);
    }
    const text = utf8Text(m.payload);
    if (!raw) {
      if (text === undefined) {
        json['payload'] = base64(m.payload);
        json['encoding'] = 'base64';
      } else {
        json['payload'] = text;
      }
      return this.stringify(json);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? '\uFFFD');
    } catch {
      return { error: `Error: Message payload is not valid JSON on topic ${m.topic}` };
    }
    if (this.o.pretty) return this.stringify({ ...json, payload: parsed });
    return `${this.stringify(json).slice(0, -1)},"payload":${(text as string).trim()}}`;
  }
}

function pad(value: string | Uint8Array, token: Extract<Token, { kind: 'field' }>): string | Uint8Array {
  let v = value;
  if (token.precision !== undefined && typeof v === 'string' && v.length > token.precision) {
    v = v.slice(0, token.precision);
  }
  const length = typeof v === 'string' ? v.length : v.length;
  if (token.width <= length) return v;
  const fill = (token.zero && !token.left && NUMERIC.has(token.c) ? '0' : ' ').repeat(token.width - length);
  if (typeof v === 'string') return token.left ? v + fill : fill + v;
  return token.left ? concat([v, fill]) : concat([fill, v]);
}

function concat(chunks: (string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? encoder.encode(c) : c)));
}
