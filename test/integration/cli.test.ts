// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The `mqttkit pub` / `mqttkit sub` command line, run as child processes against a real Mosquitto: round trips,
// output formats, QoS, retained messages, protocol versions, MQTT 5 properties, exit codes and error lines.
// A `sub` is started with -d and publishing waits for its "Subscribed" line: no sleeps as synchronisation.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { freePorts } from '../helpers/ports.js';
import { startDante, startTinyproxy } from '../helpers/proxies.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist/cli/main.js');
const SOURCE = join(ROOT, 'src/cli/main.ts');
/** Longest a CLI process may live before the test kills it and fails. */
const PROCESS_TIMEOUT_MS = 10_000;
const T = { timeout: 15_000 };

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// The built binary when dist/ is at least as new as src/ (as after `npm test`'s build), else the sources via tsx:
// either way the code under test is the current one.
const CLI: string[] =
  existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(join(ROOT, 'src'))
    ? [BUILT]
    : ['--import', 'tsx', SOURCE];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  /** Resolves once stdout holds a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  done: Promise<Result>;
}

/** Starts `mqttkit <args>`; `stdin` is written and closed (closed at once when absent). */
function start(args: string[], stdin?: string | Uint8Array): Running {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiters]) {
      if (w.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
  const done = new Promise<Result>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    done,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiters.push({ pattern, resolve });
        done.then((r) =>
          reject(new Error(`mqttkit exited (${r.code}) before ${pattern}:\n${r.stdout}${r.stderr}`)),
        );
      }),
  };
}

function cli(args: string[], stdin?: string | Uint8Array): Promise<Result> {
  return start(args, stdin).done;
}

/** The stdout lines that are not -d debug lines. */
function output(r: Result): string[] {
  return r.stdout.split('\n').filter((l) => l !== '' && !/^(Client |Subscribed )/.test(l));
}

function jsonLines(r: Result): Record<string, unknown>[] {
  return output(r).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function succeeded(r: Result): void {
  assert.equal(r.code, 0, `exit code ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

let topics = 0;
function topic(name: string): string {
  return `cli-test/${process.pid}/${++topics}/${name}`;
}

describe('cli', () => {
  let broker: Broker;
  let at: string[];

  /** Starts `sub` with -d and resolves once it has subscribed, with a function that waits for its end. */
  async function subscribed(args: string[]): Promise<() => Promise<Result>> {
    const sub = start(['sub', ...at, '-d', ...args]);
    await sub.waitFor(/^Subscribed /m);
    // Not the promise itself: an async function would wait for it (for the end of the process) before resolving.
    return () => sub.done;
  }

  before(async () => {
    broker = await startBroker();
    at = ['-h', broker.host, '-p', String(broker.ports.tcp)];
  });
  after(() => broker?.stop());

  test('cli – --help prints the usage and exits 0', T, async () => {
    for (const args of [['--help'], ['pub', '--help'], ['sub', '--help']]) {
      const r = await cli(args);
      succeeded(r);
      assert.match(r.stdout, /Usage: mqttkit/);
    }
    const pub = await cli(['pub', '--help']);
    for (const flag of [
      '-t',
      '-m',
      '-l',
      '-s',
      '-n',
      '-f',
      '-q',
      '-r',
      '-V',
      '-D',
      '--will-topic',
      '--cafile',
    ]) {
      assert.ok(pub.stdout.includes(` ${flag} `), `pub --help mentions ${flag}`);
    }
  });

  test('cli – pub → broker → sub -C 1 -v round trip', T, async () => {
    const t = topic('roundtrip');
    const sub = await subscribed(['-t', t, '-C', '1', '-v']);
    succeeded(await cli(['pub', ...at, '-t', t, '-m', 'hello world']));
    const r = await sub();
    succeeded(r);
    assert.deepEqual(output(r), [`${t} hello world`]);
  });

  test('cli – sub --json prints one JSON object per message', T, async () => {
    const t = topic('json');
    const sub = await subscribed(['-t', t, '-C', '2', '--json']);
    succeeded(await cli(['pub', ...at, '-t', t, '-m', 'text']));
    succeeded(await cli(['pub', ...at, '-t', t, '-s'], new Uint8Array([0xff, 0x00, 0xfe])));
    const r = await sub();
    succeeded(r);
    assert.deepEqual(jsonLines(r), [
      { topic: t, payload: 'text', qos: 0, retain: false },
      { topic: t, payload: '/wD+', encoding: 'base64', qos: 0, retain: false },
    ]);
  });

  test('cli – QoS 1 and 2 end to end', T, async () => {
    const t = topic('qos');
    const sub = await subscribed(['-t', t, '-q', '2', '-C', '2', '--json']);
    const pub1 = await cli(['pub', ...at, '-t', t, '-m', 'one', '-q', '1', '-d']);
    succeeded(pub1);
    assert.match(pub1.stdout, /received PUBACK/);
    const pub2 = await cli(['pub', ...at, '-t', t, '-m', 'two', '-q', '2', '-d']);
    succeeded(pub2);
    assert.match(pub2.stdout, /received PUBCOMP/);
    const r = await sub();
    succeeded(r);
    assert.deepEqual(
      jsonLines(r).map((m) => [m['payload'], m['qos']]),
      [
        ['one', 1],
        ['two', 2],
      ],
    );
  });

  test('cli – a retained message reaches a later sub -C 1', T, async () => {
    const t = topic('retained');
    succeeded(await cli(['pub', ...at, '-t', t, '-m', 'kept', '-r', '-q', '1']));
    const r = await cli(['sub', ...at, '-t', t, '-C', '1', '--json']);
    succeeded(r);
    assert.deepEqual(jsonLines(r), [{ topic: t, payload: 'kept', qos: 0, retain: true }]);
    // -R skips it, and -W then ends the wait with mosquitto_sub's 27.
    const skipped = await cli(['sub', ...at, '-t', t, '-R', '-W', '1']);
    assert.equal(skipped.code, 27);
    assert.equal(skipped.stdout, '');
    succeeded(await cli(['pub', ...at, '-t', t, '-n', '-r']));
  });

  test('cli – pub -l publishes each stdin line, in order', T, async () => {
    const t = topic('lines');
    const sub = await subscribed(['-t', t, '-C', '4', '-q', '1', '--json']);
    succeeded(await cli(['pub', ...at, '-t', t, '-l', '-q', '1'], 'first\nsecond\n\nlast without newline'));
    const r = await sub();
    succeeded(r);
    assert.deepEqual(
      jsonLines(r).map((m) => m['payload']),
      ['first', 'second', '', 'last without newline'],
    );
  });

  for (const [flag, name] of [
    ['mqttv311', 'MQTT v3.1.1'],
    ['mqttv31', 'MQTT v3.1'],
    ['311', 'MQTT v3.1.1'],
  ] as const) {
    test(`cli – -V ${flag} connects with ${name}`, T, async () => {
      const t = topic(`v${flag}`);
      const sub = start(['sub', ...at, '-V', flag, '-d', '-t', t, '-C', '1', '-v']);
      await sub.waitFor(/^Subscribed /m);
      const pub = await cli(['pub', ...at, '-V', flag, '-d', '-t', t, '-m', flag]);
      succeeded(pub);
      assert.ok(pub.stdout.includes(`connected with ${name}\n`), pub.stdout);
      const r = await sub.done;
      succeeded(r);
      assert.ok(r.stdout.includes(`connected with ${name}\n`), r.stdout);
      assert.deepEqual(output(r), [`${t} ${flag}`]);
    });
  }

  test('cli – -D publish properties are visible in sub --json (MQTT 5)', T, async () => {
    const t = topic('properties');
    const sub = await subscribed(['-t', t, '-C', '1', '--json', '-V', 'mqttv5']);
    const args = ['-D', 'publish', 'user-property', 'k', 'v', '-D', 'publish', 'user-property', 'k', 'w'];
    args.push('-D', 'publish', 'content-type', 'text/plain', '-D', 'publish', 'correlation-data', 'id-1');
    succeeded(await cli(['pub', ...at, '-t', t, '-m', 'with properties', ...args]));
    const r = await sub();
    succeeded(r);
    const [m] = jsonLines(r);
    assert.deepEqual(m?.['properties'], {
      userProperties: [
        ['k', 'v'],
        ['k', 'w'],
      ],
      contentType: 'text/plain',
      correlationData: Buffer.from('id-1').toString('base64'),
    });
  });

  test('cli – sub -W 1 exits 27 when no message comes', T, async () => {
    const started = Date.now();
    const r = await cli(['sub', ...at, '-t', topic('silence'), '-W', '1', '-C', '1']);
    assert.equal(r.code, 27, r.stderr);
    assert.equal(r.stderr, 'Timed out\n');
    assert.ok(Date.now() - started >= 1_000);
  });

  test('cli – a refused connection exits 1 with an error line', T, async () => {
    const [port] = await freePorts(1);
    const r = await cli(['pub', '-h', broker.host, '-p', String(port), '-t', 'x', '-m', 'y']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: Connection refused\n');
    const quiet = await cli(['sub', '-h', broker.host, '-p', String(port), '-t', 'x', '--quiet']);
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stderr, '');
  });

  test(
    'cli – bad credentials: "Connection error" and the CONNACK code as exit code, like mosquitto',
    T,
    async () => {
      const auth = ['-h', broker.host, '-p', String(broker.ports.auth), '-t', 'public/x', '-m', 'y'];
      const { username, password } = broker.users.alice;
      const v5 = await cli(['pub', ...auth, '-u', username, '-P', 'wrong', '-V', 'mqttv5']);
      assert.equal(v5.code, 0x87, v5.stderr);
      assert.equal(v5.stderr, 'Connection error: Not authorized\n');
      const v311 = await cli(['pub', ...auth, '-u', username, '-P', 'wrong', '-V', 'mqttv311']);
      assert.equal(v311.code, 5, v311.stderr);
      assert.equal(v311.stderr, 'Connection error: Connection Refused: not authorised.\n');
      assert.ok(!`${v5.stdout}${v5.stderr}${v311.stdout}${v311.stderr}`.includes('wrong'));
      const debug = await cli(['pub', ...auth, '-u', username, '-P', password, '-d']);
      succeeded(debug);
      assert.ok(!debug.stdout.includes(password), 'no password in -d output');
    },
  );

  test('cli – TLS: --cafile verifies, a wrong CA fails, --insecure skips verification', T, async () => {
    const tls = ['-h', broker.host, '-p', String(broker.ports.tls), '-t', topic('tls'), '-m', 'secret'];
    succeeded(await cli(['pub', ...tls, '--cafile', broker.certs.ca.certPath]));
    const wrong = await cli(['pub', ...tls, '--cafile', broker.certs.otherCa.certPath]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^Error: A TLS error occurred: /);
    succeeded(await cli(['pub', ...tls, '--cafile', broker.certs.otherCa.certPath, '--insecure']));
  });

  test('cli – -L ws:// and wss:// URLs connect over WebSocket, the path being the topic', T, async () => {
    const t = topic('websocket');
    const ws = `ws://${broker.host}:${broker.ports.ws}/${t}`;
    const sub = start(['sub', '-L', ws, '-d', '-C', '2', '-v']);
    await sub.waitFor(/^Subscribed /m);
    const pub = await cli(['pub', '-L', ws, '-m', 'over ws', '-q', '1', '-d']);
    succeeded(pub);
    assert.match(pub.stdout, /connecting to ws:\/\/127\.0\.0\.1:\d+\n/);
    const wss = `wss://${broker.host}:${broker.ports.wss}/${t}`;
    succeeded(
      await cli(['pub', '-L', wss, '--cafile', broker.certs.ca.certPath, '-m', 'over wss', '-q', '1']),
    );
    const r = await sub.done;
    succeeded(r);
    assert.deepEqual(output(r), [`${t} over ws`, `${t} over wss`]);
  });

  test('cli – --proxy: SOCKS5 for mqtt://, HTTP CONNECT for ws://', T, async () => {
    const [socks, http] = await Promise.all([startDante(), startTinyproxy()]);
    try {
      const t = topic('proxy');
      const sub = await subscribed(['-t', t, '-C', '2', '-v']);
      const viaSocks = ['--proxy', `socks5h://127.0.0.1:${socks.port}`];
      succeeded(await cli(['pub', ...at, ...viaSocks, '-t', t, '-m', 'via socks', '-q', '1']));
      await socks.waitForRelayed(broker.ports.tcp, 0);
      const ws = ['-L', `ws://${broker.host}:${broker.ports.ws}/${t}`];
      succeeded(
        await cli(['pub', ...ws, '--proxy', `http://127.0.0.1:${http.port}`, '-m', 'via http', '-q', '1']),
      );
      await http.waitForRelayed(broker.ports.ws, 0);
      const r = await sub();
      succeeded(r);
      assert.deepEqual(output(r), [`${t} via socks`, `${t} via http`]);
      // A proxy that is not there fails the connection instead of going around it.
      const [down] = await freePorts(1);
      const refused = await cli(['pub', ...at, '--proxy', `socks5h://127.0.0.1:${down}`, '-t', t, '-m', 'x']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^Error: .*proxy/i);
    } finally {
      await Promise.all([socks.stop(), http.stop()]);
    }
  });

  test('cli – usage errors print "Error: …" and exit 1 without connecting', T, async () => {
    const cases: [string[], RegExp][] = [
      [['pub', '-t', 'a'], /^Error: Both topic and message must be supplied\./],
      [['pub', '-t', 'a/#', '-m', 'x'], /^Error: Invalid publish topic 'a\/#'/],
      [['pub', '-t', 'a', '-m', 'x', '-q', '3'], /^Error: Invalid QoS given: 3/],
      [['pub', '-t', 'a', '-m', 'x', '-n'], /^Error: Only one type of message can be sent at once\./],
      [['sub', '-v'], /^Error: You must specify a topic to subscribe to\./],
      [['sub', '-t', 'a', '--bogus'], /^Error: Unknown option '--bogus'\./],
      [['sub', '-t', 'a', '-V', '6'], /^Error: Invalid protocol version argument given\./],
      [
        ['pub', '-t', 'a', '-m', 'x', '-D', 'publish', 'no-such', '1'],
        /^Error: Invalid property name no-such/,
      ],
      [
        ['pub', '-t', 'a', '-m', 'x', '-c'],
        /^Error: You must provide a client id if you are using the -c option/,
      ],
      [['nonsense'], /^Error: Unknown command 'nonsense'\./],
      [
        ['pub', '-L', 'foo://h/a', '-m', 'x'],
        /^Error: Invalid URL for -L argument specified - unsupported URL scheme foo:/,
      ],
      [['pub', '-L', 'unix:///run/mqtt.sock/a', '-m', 'x'], /^Error: .*unix:\/\/ URLs cannot name a topic/],
      [['pub', '-L', 'ws://h', '-m', 'x'], /^Error: Invalid URL for -L argument specified - topic missing\./],
      [['pub', '-t', 'a', '-m', 'x', '-S'], /^Error: -S needs the domain to look up/],
      [
        ['pub', '-L', 'ws://h/a', '-m', 'x', '-S'],
        /^Error: -S cannot be used with a ws:\/\/ or wss:\/\/ URL/,
      ],
      [['pub', '-L', 'mqtt+srv://h/a', '-m', 'x', '-A', '127.0.0.1'], /^Error: -A cannot be used with SRV/],
      [
        ['pub', '-t', 'a', '-m', 'x', '--proxy', 'ftp://h:21'],
        /^Error: --proxy: unsupported proxy scheme ftp:\/\//,
      ],
      [['pub', '-t', 'a', '-m', 'x', '--proxy', 'h:1080'], /^Error: --proxy needs a URL with a scheme/],
      [
        ['pub', '-t', 'a', '-m', 'x', '--unix', '/tmp/s', '--proxy', 'socks5h://h'],
        /^Error: --unix and --proxy cannot be used together/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, pattern, args.join(' '));
    }
  });
});
