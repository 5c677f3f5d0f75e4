// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Logging: a level-filtering, namespaced logger over any console-like sink, and a `DEBUG`-style switch read from
 * the environment. What is safe to log of a packet or a URL is in log-redaction.ts (re-exported here).
 *
 * Runtime-neutral: no `node:` imports, and every global (`process`, `localStorage`, `console`) is reached through
 * `globalThis` and guarded, so the module loads unchanged in Node, browsers, Deno and workers.
 *
 * @module
 */
import { InvalidArgumentError } from './packet/errors.js';

/** Severity of a log record, from most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Structured context of a log record. */
export type LogFields = Record<string, unknown>;

/**
 * Where log records go: the `(message, fields?)` shape that `console` has, so `console` itself can be passed.
 *
 * A pino (or bunyan) instance also fits this type, but those libraries take the fields object *first*
 * (`log.info(fields, msg)`); called as `log.info(msg, fields)` they treat `fields` as a format argument and drop it
 * when the message has no placeholder. Wrap such a logger with {@link objectFirstSink} to keep the fields.
 */
export interface Logger {
  /** A failure the application should know about. */
  error(msg: string, fields?: LogFields): void;
  /** Something unexpected that the client recovered from. */
  warn(msg: string, fields?: LogFields): void;
  /** A notable event in the life of a connection. */
  info(msg: string, fields?: LogFields): void;
  /** Detail for diagnosing problems: packets, timers, state changes. */
  debug(msg: string, fields?: LogFields): void;
}

/** A logger that takes the fields object first, as pino and bunyan do. */
export interface ObjectFirstLogger {
  /** Same as {@link Logger.error}, arguments swapped. */
  error(fields: LogFields, msg: string): void;
  /** Same as {@link Logger.warn}, arguments swapped. */
  warn(fields: LogFields, msg: string): void;
  /** Same as {@link Logger.info}, arguments swapped. */
  info(fields: LogFields, msg: string): void;
  /** Same as {@link Logger.debug}, arguments swapped. */
  debug(fields: LogFields, msg: string): void;
}

/** The namespaces the client logs under; `DEBUG=mqttkit:*` enables them all. */
export const LogNamespace = {
  /** The default of {@link loggerFromEnvironment}. */
  Root: 'mqttkit',
  /** Connection life cycle, operations, errors. */
  Client: 'mqttkit:client',
  /** Every packet sent and received, summarised by {@link describePacket}. */
  Packet: 'mqttkit:packet',
  /** Reconnect attempts and backoff delays. */
  Reconnect: 'mqttkit:reconnect',
} as const;

/** One of the {@link LogNamespace} values. */
export type LogNamespace = (typeof LogNamespace)[keyof typeof LogNamespace];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Least severe level that is passed on (default `'info'`). */
  level?: LogLevel;
  /** Where records go (default {@link consoleSink}). */
  sink?: Logger;
  /** Put before every message, followed by a space, as the `debug` package does. */
  namespace?: string;
}

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };
const LEVELS = Object.keys(RANK) as LogLevel[];

function noop(): void {}

/** A logger that discards everything. {@link loggerFromEnvironment} returns this very object when logging is off. */
export const NOOP_LOGGER: Logger = Object.freeze({ error: noop, warn: noop, info: noop, debug: noop });

/**
 * A logger that passes records at `level` or more severe to `sink`, with the namespace before the message.
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT` for an unknown level.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  // A JavaScript caller can pass anything; a silently ignored typo would hide the very logs being asked for.
  if (!LEVELS.includes(level)) {
    throw new InvalidArgumentError(`log level must be one of ${LEVELS.join(', ')}, got ${String(level)}`);
  }
  const threshold = RANK[level];
  const sink = options.sink ?? consoleSink();
  const prefix = options.namespace ? `${options.namespace} ` : '';
  // Filtered levels get the shared no-op, decided once here, so a disabled call costs one empty function call.
  const method = (l: LogLevel): Logger[LogLevel] =>
    RANK[l] > threshold
      ? noop
      : (msg, fields) => (fields === undefined ? sink[l](prefix + msg) : sink[l](prefix + msg, fields));
  return { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') };
}

/** Options of {@link consoleSink}. */
export interface ConsoleSinkOptions {
  /** The clock (default `() => new Date()`). */
  now?: () => Date;
  /** Writes one formatted record (default `console.error`). */
  write?: (line: string, fields?: LogFields) => void;
}

function writeToConsole(line: string, fields?: LogFields): void {
  if (fields === undefined) globalThis.console.error(line);
  else globalThis.console.error(line, fields);
}

/**
 * A sink writing `<ISO timestamp> <LEVEL> <message>` and the fields to `console.error`, for every level: standard
 * error keeps diagnostics out of a program's output (the `mqttkit sub` command prints messages on standard output),
 * as the `debug` package does. Fields go to the console as an object, which Node formats and browsers let one
 * expand.
 */
export function consoleSink(options: ConsoleSinkOptions = {}): Logger {
  const now = options.now ?? (() => new Date());
  const write = options.write ?? writeToConsole;
  const method =
    (l: LogLevel): Logger[LogLevel] =>
    (msg, fields) => {
      const line = `${now().toISOString()} ${l.toUpperCase().padEnd(5)} ${msg}`;
      if (fields === undefined) write(line);
      else write(line, fields);
    };
  return { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') };
}

/** Adapts a pino or bunyan logger, which take the fields first, to {@link Logger}. */
export function objectFirstSink(logger: ObjectFirstLogger): Logger {
  const method =
    (l: LogLevel): Logger[LogLevel] =>
    (msg, fields) =>
      logger[l](fields ?? {}, msg);
  return { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') };
}

// `*` matches any run of characters. A linear two-pointer match rather than a regular expression, so no pattern
// needs escaping and none can backtrack exponentially.
function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Whether `namespace` is enabled by `patterns`, with the rules of the `debug` package: patterns separated by commas
 * or white space, `*` as a wildcard, and a leading `-` excluding what it matches, whatever its position in the list.
 * `mqttkit:*` enables `mqttkit:client` but not `mqttkit` itself.
 */
export function namespaceEnabled(patterns: string, namespace: string): boolean {
  let enabled = false;
  for (const pattern of patterns.split(/[\s,]+/)) {
    if (pattern === '' || pattern === '-') continue;
    if (pattern.startsWith('-')) {
      if (globMatch(pattern.slice(1), namespace)) return false;
    } else if (globMatch(pattern, namespace)) {
      enabled = true;
    }
  }
  return enabled;
}

/** The globals {@link readEnvironment} looks at; a parameter so that tests can stand in for a browser. */
export interface EnvironmentScope {
  process?: { env?: Record<string, string | undefined> };
  localStorage?: {
    /** The stored value of `key`, or null. */
    getItem(key: string): string | null;
  };
}

/** The logging settings found in the environment. */
export interface EnvironmentSettings {
  /** `DEBUG`: the namespace patterns. */
  debug?: string;
  /** `MQTTKIT_LOG_LEVEL`: the least severe level logged, unchecked. */
  level?: string;
}

function settings(debug: string | null | undefined, level: string | null | undefined): EnvironmentSettings {
  const s: EnvironmentSettings = {};
  if (debug != null) s.debug = debug;
  if (level != null) s.level = level;
  return s;
}

/**
 * Reads `DEBUG` and `MQTTKIT_LOG_LEVEL`: from `process.env` where there is one (Node, Bun, Deno), otherwise from
 * `localStorage` keys `debug` and `MQTTKIT_LOG_LEVEL` (browsers, as the `debug` package does). Never throws: Deno
 * without `--allow-env` throws on reading the environment, and browsers throw a `SecurityError` on merely touching
 * `localStorage` when storage is blocked; both read as "not set".
 */
export function readEnvironment(
  scope: EnvironmentScope = globalThis as EnvironmentScope,
): EnvironmentSettings {
  try {
    const env = scope.process?.env;
    if (env !== undefined) return settings(env['DEBUG'], env['MQTTKIT_LOG_LEVEL']);
  } catch {
    // Fall through to localStorage, which Deno also has.
  }
  try {
    const storage = scope.localStorage;
    if (storage != null) return settings(storage.getItem('debug'), storage.getItem('MQTTKIT_LOG_LEVEL'));
  } catch {
    // Storage blocked: logging stays off.
  }
  return {};
}

/** Options of {@link loggerFromEnvironment}. */
export interface EnvironmentLoggerOptions {
  /** Where records go (default {@link consoleSink}). */
  sink?: Logger;
  /** Where to read the settings (default `globalThis`). */
  scope?: EnvironmentScope;
}

/**
 * A logger for `namespace` when `DEBUG` enables it (see {@link namespaceEnabled}), at the level named by
 * `MQTTKIT_LOG_LEVEL` (default `debug`, since asking for `DEBUG` means asking for detail); otherwise
 * {@link NOOP_LOGGER} itself, so callers can skip building log fields with `log !== NOOP_LOGGER`.
 *
 * `MQTTKIT_LOG_LEVEL` alone enables nothing: `DEBUG` chooses what is logged, the level only how much. An unknown
 * level is ignored rather than thrown, so that a typo in the environment cannot stop the application.
 */
export function loggerFromEnvironment(
  namespace: string = LogNamespace.Root,
  options: EnvironmentLoggerOptions = {},
): Logger {
  const env = readEnvironment(options.scope);
  if (env.debug === undefined || !namespaceEnabled(env.debug, namespace)) return NOOP_LOGGER;
  const wanted = env.level?.trim().toLowerCase();
  const level = LEVELS.find((l) => l === wanted) ?? 'debug';
  return createLogger({ level, namespace, sink: options.sink ?? consoleSink() });
}

export * from './log-redaction.js';
