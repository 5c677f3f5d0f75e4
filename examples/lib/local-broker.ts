// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A broker for the demo on a free loopback port: Mosquitto when it is installed, otherwise the aedes package
// in this process (MQTT 3.1.1 only, so the demo then speaks 3.1.1).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running local broker. */
export interface LocalBroker {
  url: string;
  kind: 'mosquitto' | 'aedes (embedded)';
  /** The MQTT version the broker speaks best. */
  protocolVersion: 4 | 5;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function findMosquitto(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat('/usr/sbin', '/usr/local/sbin')) {
    const p = join(dir, 'mosquitto');
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  const { connect } = await import('node:net');
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the broker did not open port ${port}`);
}

/** Starts a broker for the demo. */
export async function startLocalBroker(): Promise<LocalBroker> {
  const port = await freePort();
  // MQTTKIT_DEMO_BROKER=embedded forces the embedded broker (to see the fallback work where Mosquitto exists).
  const mosquitto = process.env['MQTTKIT_DEMO_BROKER'] === 'embedded' ? undefined : findMosquitto();
  if (mosquitto !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'mqttkit-demo-'));
    const config = join(dir, 'mosquitto.conf');
    const asRoot = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\n${asRoot}log_dest none\n`);
    const child = spawn(mosquitto, ['-c', config], { stdio: 'ignore' });
    await waitForPort(port, Date.now() + 10_000);
    return {
      url: `mqtt://127.0.0.1:${port}`,
      kind: 'mosquitto',
      protocolVersion: 5,
      stop: () =>
        new Promise((resolve) => {
          child.once('exit', () => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill('SIGTERM');
        }),
    };
  }
  const { Aedes } = (await import('aedes')) as unknown as {
    Aedes: { createBroker(): Promise<{ handle: (s: unknown) => void; close(cb: () => void): void }> };
  };
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${port}`,
    kind: 'aedes (embedded)',
    protocolVersion: 4,
    stop: () =>
      new Promise((resolve) => {
        server.close();
        aedes.close(() => resolve());
      }),
  };
}
