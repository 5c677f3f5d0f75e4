// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What the CLI tells the user besides the messages: errors on stderr in mosquitto's words (`Error: …`,
 * `Connection error: …`) with mosquitto's exit codes, and the `-d` debug lines on stdout. No line ever contains a
 * password.
 *
 * @module
 */
import {
  ClientClosedError,
  ConnackError,
  ConnectionError,
  type MqttClient,
  PublishError,
  reasonCodeName,
  reasonToV3ConnackCode,
  TimeoutError,
} from '../node.js';
import { FatalError } from './errors.js';

/** Where the CLI writes, and what it reads: the process's streams, or test doubles. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Prints errors (unless quiet) and debug lines (when asked for). */
export class Reporter {
  constructor(
    private readonly io: CliIo,
    private readonly quiet: boolean,
    private readonly debugging: boolean,
  ) {}

  /** A runtime error or warning line, on stderr; `--quiet` suppresses it. */
  error(line: string): void {
    if (!this.quiet) this.io.stderr.write(`${line}\n`);
  }

  /** A `-d` line, on stdout like mosquitto's. */
  debug(line: string): void {
    if (this.debugging) this.io.stdout.write(`${line}\n`);
  }

  /** Whether debug lines are printed (to skip building them). */
  get debugOn(): boolean {
    return this.debugging;
  }

  /** Prints why a command failed and returns its exit code. */
  fail(error: unknown, protocolVersion: number): number {
    const { line, exitCode } = describeFailure(error, protocolVersion);
    this.error(line);
    return exitCode;
  }
}

// mosquitto_connack_string(): the MQTT 3.1 / 3.1.1 CONNACK return codes.
const V3_CONNACK = [
  'Connection Accepted.',
  'Connection Refused: unacceptable protocol version.',
  'Connection Refused: identifier rejected.',
  'Connection Refused: broker unavailable.',
  'Connection Refused: bad user name or password.',
  'Connection Refused: not authorised.',
];

// strerror() of the socket errors a connection attempt usually ends with.
const ERRNO: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  ENOTFOUND: 'Unable to connect (Lookup error.)',
  EAI_AGAIN: 'Unable to connect (Lookup error.)',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPIPE: 'Broken pipe',
  EADDRNOTAVAIL: 'Cannot assign requested address',
};

/**
 * The error line and exit code for a failure, as mosquitto_pub / mosquitto_sub have them: a refused connection
 * prints `Connection error: <reason>` and exits with the CONNACK code (the MQTT 3 return code on 3.1 / 3.1.1,
 * the MQTT 5 reason code on 5); everything else prints `Error: <what>` and exits 1.
 */
export function describeFailure(error: unknown, protocolVersion: number): { line: string; exitCode: number } {
  if (error instanceof ClientClosedError && error.cause !== undefined) {
    return describeFailure(error.cause, protocolVersion);
  }
  if (error instanceof FatalError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof ConnackError) {
    if (protocolVersion === 5) {
      const reason = error.reasonString === undefined ? '' : ` (${error.reasonString})`;
      return {
        line: `Connection error: ${reasonCodeName(error.reasonCode, 'connack')}${reason}`,
        exitCode: error.reasonCode,
      };
    }
    const code = reasonToV3ConnackCode(error.reasonCode);
    if (code === undefined) return { line: `Connection error: ${error.message}`, exitCode: error.reasonCode };
    return { line: `Connection error: ${V3_CONNACK[code] ?? `Unknown code ${code}.`}`, exitCode: code };
  }
  if (error instanceof ConnectionError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    const code = cause?.code;
    if (code !== undefined && ERRNO[code] !== undefined)
      return { line: `Error: ${ERRNO[code]}`, exitCode: 1 };
    if (cause instanceof Error && code !== undefined && !/^E[A-Z]+$/.test(code)) {
      // OpenSSL errors carry a short `reason` besides their long message.
      const reason = (cause as { reason?: unknown }).reason;
      const text = typeof reason === 'string' ? reason : cause.message.trim();
      return { line: `Error: A TLS error occurred: ${text}`, exitCode: 1 };
    }
    return { line: `Error: ${error.message}`, exitCode: 1 };
  }
  if (error instanceof PublishError) {
    const reason = error.reasonString === undefined ? '' : ` (${error.reasonString})`;
    return {
      line: `Error: Publish failed: ${reasonCodeName(error.reasonCode, 'puback')}${reason}.`,
      exitCode: 1,
    };
  }
  if (error instanceof TimeoutError) return { line: `Error: ${error.message}`, exitCode: 1 };
  return { line: `Error: ${error instanceof Error ? error.message : String(error)}`, exitCode: 1 };
}

function versionName(v: number): string {
  return v === 3 ? 'MQTT v3.1' : v === 4 ? 'MQTT v3.1.1' : 'MQTT v5';
}

/**
 * Prints the client's events as `-d` lines in mosquitto's style (`Client <id> received CONNACK (0)`). The
 * library does not expose packets, so these lines follow the API's events rather than every packet.
 */
export function traceClient(client: MqttClient, reporter: Reporter, where: string): void {
  if (!reporter.debugOn) return;
  const id = () => client.clientId;
  reporter.debug(`Client ${id()} connecting to ${where}`);
  reporter.debug(`Client ${id()} sending CONNECT`);
  client.on('connect', (info) => {
    reporter.debug(`Client ${id()} received CONNACK (${info.reasonCode})`);
    reporter.debug(
      `Client ${id()} connected with ${versionName(info.protocolVersion)}${info.sessionPresent ? ', session present' : ''}`,
    );
  });
  client.on('connectFailure', (e) => reporter.debug(`Client ${id()} connection failed: ${e.message}`));
  client.on('disconnect', (info) =>
    reporter.debug(`Client ${id()} disconnected${info.error ? `: ${info.error.message}` : ''}`),
  );
  client.on('reconnecting', ({ attempt, delay }) =>
    reporter.debug(`Client ${id()} reconnecting in ${delay} ms (attempt ${attempt})`),
  );
  client.on('log', (_level, message) => reporter.debug(`Client ${id()} ${message}`));
  client.on('message', (m) =>
    reporter.debug(
      `Client ${id()} received PUBLISH (d${m.dup ? 1 : 0}, q${m.qos}, r${m.retain ? 1 : 0}, m${m.packetId ?? 0}, '${m.topic}', ... (${m.payload.length} bytes))`,
    ),
  );
}
