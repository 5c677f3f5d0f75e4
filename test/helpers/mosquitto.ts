// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Starts a real Mosquitto for integration tests, from a temporary config on free loopback ports (the nats.js
 * `nst` launcher pattern): one plain TCP, two TLS (one requiring client certificates), one WebSocket and one
 * password + ACL listener. Never touches a system broker on 1883.
 *
 * ```ts
 * let broker: Broker;
 * before(async () => { broker = await startBroker(); });
 * after(() => broker.stop());
 * ```
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestCerts, testCerts } from './certs.js';
import { type BrokerPorts, TEST_USERS, writeBrokerFiles } from './mosquitto-config.js';
import { freePorts, waitForPorts } from './ports.js';
import { terminate, which } from './processes.js';

export { type BrokerPorts, TEST_USERS, type TestUser } from './mosquitto-config.js';

/** Options of {@link startBroker}. */
export interface StartBrokerOptions {
  /** Keep sessions and queued messages across {@link Broker.restart} (`persistence true` in the broker dir). */
  persistence?: boolean;
  /** Config lines appended as is, for per-test tweaks. */
  extraConfig?: string;
  /** How long to wait for every listener to accept connections. Default 10,000 ms. */
  startTimeoutMs?: number;
}

/** A running test broker. */
export interface Broker {
  readonly host: '127.0.0.1';
  readonly ports: BrokerPorts;
  readonly certs: TestCerts;
  readonly users: typeof TEST_USERS;
  /** Temporary directory with the config, password, ACL, log and persistence files; removed at process exit. */
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** Process id of the running broker, undefined once stopped. */
  readonly pid: number | undefined;
  /** The last `lines` lines of the broker log, for failure messages. */
  logTail(lines?: number): string;
  /** Sends SIGTERM and waits for the exit (SIGKILL after 3 s). Safe to call more than once. */
  stop(): Promise<void>;
  /** Stops, then starts again on the same ports with the same config. */
  restart(): Promise<void>;
}

const START_ATTEMPTS = 3;
const running = new Set<ChildProcess>();
const LISTENERS = [
  'tcp',
  'tls',
  'tlsClientCert',
  'ws',
  'wss',
  'auth',
] as const satisfies (keyof BrokerPorts)[];

// `after()` hooks do not run when a test file crashes or is cut short; never leave a broker behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a broker and resolves once every listener accepts TCP connections.
 *
 * @throws {Error} when Mosquitto cannot be found, exits early or does not listen in time; the message carries
 *   its stderr and the tail of its log.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<Broker> {
  const certs = testCerts();
  const dir = mkdtempSync(join(tmpdir(), 'mqttkit-mosquitto-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const logPath = join(dir, 'mosquitto.log');
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    const free = await freePorts(LISTENERS.length);
    const ports = Object.fromEntries(LISTENERS.map((name, i) => [name, free[i]])) as unknown as BrokerPorts;
    const configPath = writeBrokerFiles({ ...options, dir, ports, certs });
    try {
      const child = await launch(configPath, ports, logPath, timeoutMs);
      return handle({ certs, dir, ports, configPath, logPath, timeoutMs }, child);
    } catch (e) {
      // Another process may take a port between freePorts() and the bind: try again with fresh ports.
      if (!(e instanceof AddressInUseError) || attempt === START_ATTEMPTS) throw e;
    }
  }
}

interface BrokerSetup {
  certs: TestCerts;
  dir: string;
  ports: BrokerPorts;
  configPath: string;
  logPath: string;
  timeoutMs: number;
}

function handle(setup: BrokerSetup, first: ChildProcess): Broker {
  let child: ChildProcess | undefined = first;
  let stopping = Promise.resolve();
  const stop = (): Promise<void> => {
    if (child !== undefined) {
      stopping = terminate(child);
      child = undefined;
    }
    return stopping;
  };
  const { certs, dir, ports, configPath, logPath } = setup;
  return {
    host: '127.0.0.1',
    ports,
    certs,
    users: TEST_USERS,
    dir,
    configPath,
    logPath,
    get pid() {
      return child?.pid;
    },
    logTail: (lines) => logTail(logPath, lines),
    stop,
    async restart() {
      await stop();
      child = await launch(configPath, ports, logPath, setup.timeoutMs);
    },
  };
}

class AddressInUseError extends Error {}

async function launch(configPath: string, ports: BrokerPorts, logPath: string, timeoutMs: number) {
  const [file, ...args] = mosquittoCommand();
  const child = spawn(file, [...args, '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  let early: string | undefined;
  child.once('exit', (code, signal) => {
    running.delete(child);
    early ??= `mosquitto exited early (code ${code}, signal ${signal})`;
  });
  child.once('error', (e) => {
    early ??= `cannot run mosquitto: ${e.message}`;
  });
  try {
    await waitForPorts(Object.values(ports), { timeoutMs, abort: () => early });
    if (early !== undefined) throw new Error(early);
    return child;
  } catch (e) {
    await terminate(child);
    const log = logTail(logPath);
    const message = `${(e as Error).message}\n--- mosquitto stderr ---\n${stderr}\n--- mosquitto log ---\n${log}`;
    const inUse = /address already in use/i.test(stderr + log);
    throw inUse ? new AddressInUseError(message, { cause: e }) : new Error(message, { cause: e });
  }
}

function logTail(logPath: string, lines = 30): string {
  if (!existsSync(logPath)) return '(no log)';
  return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

let command: [string, ...string[]] | undefined;

// The 'exit' hook cannot run when this process is killed by a signal; `setpriv --pdeathsig` (util-linux) makes
// the kernel kill the broker whenever its parent dies, however it dies. It execs, so the pid stays Mosquitto's.
function mosquittoCommand(): [string, ...string[]] {
  if (command !== undefined) return command;
  const mosquitto = which('mosquitto');
  if (mosquitto === undefined) {
    throw new Error(
      'mosquitto not found: run `node scripts/ensure-system-packages.mjs` (Debian package "mosquitto")',
    );
  }
  const setpriv = process.platform === 'linux' ? which('setpriv') : undefined;
  command = setpriv === undefined ? [mosquitto] : [setpriv, '--pdeathsig', 'SIGKILL', '--', mosquitto];
  return command;
}
