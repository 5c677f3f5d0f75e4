// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// `mqttkit -L mqtt+srv://…`, `-L mqtts+srv://…` and `-S` against a real Mosquitto, with no real DNS: the CLI runs in
// this process (run()), where `resolveSrv` of node:dns/promises is replaced by a fake (syncBuiltinESMExports
// carries the replacement into the library's named import) whose records point at the broker. The domain's own
// fallback port is a free one, so a published and acknowledged message shows that the CLI looked the domain up
// and connected to the record's target, not to the domain itself over TCP.
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, mock, test } from 'node:test';
import { run } from '../../src/cli/run.js';
import type { SrvRecord } from '../../src/node.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { freePorts } from '../helpers/ports.js';

const T = { timeout: 15_000 };

/** Runs `mqttkit <args>` in this process; resolves with the exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const io = { stdout, stderr, stdin: Readable.from([]) };
  const code = await run(args, io, new AbortController().signal);
  return { code, stdout: out, stderr: err };
}

describe('cli – DNS SRV', () => {
  let broker: Broker;
  /** A port on which nothing listens: the fallback to the domain itself must not be taken. */
  let unused: number;
  const queries: string[] = [];

  before(async () => {
    [broker, [unused = 0]] = await Promise.all([startBroker(), freePorts(1)]);
    mock.method(dns, 'resolveSrv', async (name: string): Promise<SrvRecord[]> => {
      queries.push(name);
      const port = name.startsWith('_secure-mqtt.') ? broker.ports.tls : broker.ports.tcp;
      return [{ name: broker.host, port, priority: 0, weight: 0 }];
    });
    syncBuiltinESMExports();
  });
  after(async () => {
    mock.restoreAll();
    syncBuiltinESMExports();
    await broker?.stop();
  });

  const cases: [string, string[], string, string][] = [
    ['-L mqtt+srv://', ['-L', 'mqtt+srv://localhost:PORT/cli-srv/url'], '_mqtt._tcp.localhost', 'mqtt+srv'],
    [
      '-S -h',
      ['-S', '-h', 'localhost', '-p', 'PORT', '-t', 'cli-srv/flag'],
      '_mqtt._tcp.localhost',
      'mqtt+srv',
    ],
    [
      '-L mqtts+srv:// with --cafile',
      ['-L', 'mqtts+srv://localhost:PORT/cli-srv/tls', '--cafile', 'CA'],
      '_secure-mqtt._tcp.localhost',
      'mqtts+srv',
    ],
  ];
  for (const [name, args, query, scheme] of cases) {
    test(`cli – ${name} connects to the broker of the SRV record`, T, async () => {
      queries.length = 0;
      const argv = args.map((a) =>
        a.replace('PORT', String(unused)).replace(/^CA$/, broker.certs.ca.certPath),
      );
      const r = await cli(['pub', ...argv, '-m', 'found', '-q', '1', '-d']);
      assert.equal(r.code, 0, `exit code ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.deepEqual(queries, [query]);
      assert.match(
        r.stdout,
        new RegExp(`connecting to ${scheme.replace('+', '\\+')}://localhost:${unused}\\n`),
      );
      assert.match(r.stdout, /received PUBACK/);
    });
  }
});
