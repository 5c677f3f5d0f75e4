// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Loopback port helpers for tests: pick free ports, and wait until a server listens on them.
 *
 * @module
 */
import { connect, createServer, type Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. The ports are held open together while
 * they are chosen, so that the kernel cannot hand out the same one twice; another process may still take one
 * before the caller binds it, so callers retry with fresh ports when their bind fails with EADDRINUSE.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listening socket has no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Tries a TCP connection to `host:port` (closed at once): true if accepted, false if refused, rejects otherwise. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (e.code === 'ECONNREFUSED') resolve(false);
      else reject(e);
    });
  });
}

/** Options of {@link waitForPorts}. */
export interface WaitForPortsOptions {
  host?: string;
  /** Give up after this many milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Checked between attempts: a reason to stop waiting at once (say, the server process exited). */
  abort?: () => string | undefined;
}

/**
 * Waits until every port accepts a TCP connection, polling with a short, growing backoff (5 ms up to 100 ms).
 *
 * @throws {Error} on timeout, or with the reason returned by `options.abort`.
 */
export async function waitForPorts(
  ports: readonly number[],
  options: WaitForPortsOptions = {},
): Promise<void> {
  const { host = '127.0.0.1', timeoutMs = 10_000, abort } = options;
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ports);
  let backoff = 5;
  for (;;) {
    for (const port of [...pending]) if (await canConnect(port, host)) pending.delete(port);
    if (pending.size === 0) return;
    const reason = abort?.();
    if (reason !== undefined) throw new Error(reason);
    if (Date.now() > deadline) {
      throw new Error(
        `ports ${[...pending].join(', ')} on ${host} still refuse connections after ${timeoutMs} ms`,
      );
    }
    await delay(backoff);
    backoff = Math.min(backoff * 2, 100);
  }
}
