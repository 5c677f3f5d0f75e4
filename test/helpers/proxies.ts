// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Starts real proxy servers for integration tests, like the Mosquitto harness: a generated config (or command
 * line) on a free loopback port, the process under `setpriv --pdeathsig KILL`, waited for by polling its port,
 * stopped by the test. Dante (`danted`: SOCKS4 and SOCKS5 without authentication), MicroSocks (SOCKS5 with a user
 * name and password) and tinyproxy (HTTP CONNECT, optionally with basic authentication) — the Debian packages
 * `dante-server`, `microsocks` and `tinyproxy`, installed by scripts/ensure-system-packages.mjs.
 *
 * ```ts
 * const socks = await startDante();
 * after(() => socks.stop());
 * await connect(url, { proxy: `socks5://127.0.0.1:${socks.port}` });
 * ```
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitForPorts } from './ports.js';
import { terminate, which } from './processes.js';

/** A user name and password a proxy requires. */
export interface ProxyCredentials {
  username: string;
  password: string;
}

/** A running proxy server. */
export interface ProxyServer {
  readonly port: number;
  /** Everything the server printed (its log: every connection it relays, with the destination port). */
  output(): string;
  /** How many relayed connections the log shows to `port` on the loopback address so far. */
  relayed(port: number): number;
  /** Resolves once the log shows more than `count` connections to `port`; rejects after `timeoutMs`. */
  waitForRelayed(port: number, count: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 3 s; resolves on exit. Safe to call more than once. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Dante on a free port: SOCKS4 (`socks4://`) and SOCKS5 (`socks5://`, `socks5h://`), no authentication. */
export function startDante(): Promise<ProxyServer> {
  const root = process.getuid?.() === 0;
  return start('danted', (dir, port) => {
    const config = join(dir, 'danted.conf');
    writeFileSync(
      config,
      [
        'logoutput: stderr',
        `internal: 127.0.0.1 port = ${port}`,
        'external: 127.0.0.1',
        'clientmethod: none',
        'socksmethod: none',
        ...(root ? ['user.privileged: root', 'user.unprivileged: nobody'] : []),
        'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
        'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect error }',
        '',
      ].join('\n'),
    );
    return ['-f', config];
  });
}

/** MicroSocks on a free port: SOCKS5 (`socks5://`), requiring `credentials` when given. */
export function startMicrosocks(credentials?: ProxyCredentials): Promise<ProxyServer> {
  const auth = credentials === undefined ? [] : ['-u', credentials.username, '-P', credentials.password];
  return start('microsocks', (_dir, port) => ['-i', '127.0.0.1', '-p', String(port), ...auth]);
}

/** tinyproxy on a free port: HTTP CONNECT (`http://`) to any port, requiring basic `credentials` when given. */
export function startTinyproxy(credentials?: ProxyCredentials): Promise<ProxyServer> {
  return start('tinyproxy', (dir, port) => {
    const config = join(dir, 'tinyproxy.conf');
    const auth =
      credentials === undefined ? [] : [`BasicAuth ${credentials.username} ${credentials.password}`];
    // No ConnectPort line: CONNECT to every port is allowed. LogLevel Connect logs each CONNECT request.
    const lines = [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 60', 'Allow 127.0.0.1', 'LogLevel Connect'];
    writeFileSync(config, [...lines, ...auth, ''].join('\n'));
    return ['-d', '-c', config];
  });
}

async function start(name: string, argv: (dir: string, port: number) => string[]): Promise<ProxyServer> {
  const dir = mkdtempSync(join(tmpdir(), `mqttkit-${name}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    const [port] = (await freePorts(1)) as [number];
    try {
      return await launch(name, argv(dir, port), port);
    } catch (e) {
      // Another process may take the port between freePorts() and the bind: try again with a fresh one.
      if (!/address already in use/i.test((e as Error).message) || attempt === START_ATTEMPTS) throw e;
    }
  }
}

async function launch(name: string, args: string[], port: number): Promise<ProxyServer> {
  const child = spawn(...command(name, args), { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: string): void => {
    output += chunk;
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  let early: string | undefined;
  child.once('exit', (code, signal) => {
    running.delete(child);
    early ??= `${name} exited early (code ${code}, signal ${signal})`;
  });
  child.once('error', (e) => {
    early ??= `cannot run ${name}: ${e.message}`;
  });
  try {
    await waitForPorts([port], { timeoutMs: 10_000, abort: () => early });
  } catch (e) {
    await terminate(child);
    throw new Error(`${(e as Error).message}\n--- ${name} output ---\n${output.slice(-4_000)}`, { cause: e });
  }
  const relayed = (target: number): number =>
    output.match(new RegExp(`127\\.0\\.0\\.1[.:]${target}\\b`, 'g'))?.length ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    port,
    output: () => output,
    relayed,
    waitForRelayed: (target, count, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (relayed(target) <= count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name} logged no new connection to port ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () => {
      stopping ??= terminate(child);
      return stopping;
    },
  };
}

// As for Mosquitto: `setpriv --pdeathsig` has the kernel kill the proxy whenever this process dies, however it dies.
function command(name: string, args: string[]): [string, string[]] {
  const file = which(name);
  if (file === undefined) {
    const pkg = name === 'danted' ? 'dante-server' : name;
    throw new Error(
      `${name} not found: run \`node scripts/ensure-system-packages.mjs\` (Debian package "${pkg}")`,
    );
  }
  const setpriv = process.platform === 'linux' ? which('setpriv') : undefined;
  return setpriv === undefined ? [file, args] : [setpriv, ['--pdeathsig', 'SIGKILL', '--', file, ...args]];
}
