// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// mqttkit in a real browser: headless Chromium (Debian's, driven by playwright-core; never a downloaded browser)
// loads a page that imports the ESM browser bundle with <script type="module">, connects to Mosquitto over
// WebSocket, subscribes, publishes at QoS 0/1/2 and receives from a Node client. No polyfills: the page loads the
// prebuilt bundle that ships (dist/browser/mqttkit.js, built here by scripts/bundle.mjs — the runtime-neutral
// entry built for the browser platform, which fails on any Node built-in).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { ClientPool, take } from '../helpers/clients.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>mqttkit browser test</title>
<script type="module">
  import { connect } from '/mqttkit.js';
  const results = (window.results = { received: [], published: [], errors: [], ready: false });
  try {
    const params = new URLSearchParams(location.search);
    const client = await connect(params.get('broker'), { protocolVersion: 5, clientId: params.get('id') });
    const sub = await client.subscribe(params.get('prefix') + '/to-browser/#', { qos: 2 });
    (async () => {
      for await (const m of sub) results.received.push({ topic: m.topic, text: m.text(), qos: m.qos });
    })();
    for (const qos of [0, 1, 2]) {
      await client.publish(params.get('prefix') + '/from-browser/' + qos, 'from the browser at QoS ' + qos, { qos });
      results.published.push(qos);
    }
    results.ready = true;
  } catch (e) {
    results.errors.push(String(e && e.stack || e));
  }
</script>`;

describe('browser (headless Chromium)', () => {
  let broker: Broker;
  let http: Server;
  let browser: Browser;
  const pool = new ClientPool();
  let bundle = '';

  before(async () => {
    broker = await startBroker();
    // Built again, so that the test never serves a stale bundle when run by itself.
    execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
    bundle = readFileSync('dist/browser/mqttkit.js', 'utf8');
    http = createServer((req, res) => {
      if (req.url?.startsWith('/mqttkit.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    // Debian's Chromium; --no-sandbox because the tests may run as root, where the sandbox cannot start.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await pool.cleanup();
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
    await broker?.stop();
  });

  it('browser – the ESM bundle connects over WebSocket, publishes and receives at QoS 0/1/2', async () => {
    const prefix = `browser/${Date.now()}`;
    const node = await pool.connect(`mqtt://127.0.0.1:${broker.ports.tcp}`, { protocolVersion: 5 });
    const fromBrowser = await node.subscribe(`${prefix}/from-browser/#`, { qos: 2 });

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const port = (http.address() as AddressInfo).port;
    const query = new URLSearchParams({
      broker: `ws://127.0.0.1:${broker.ports.ws}/mqtt`,
      prefix,
      id: `browser-${process.pid}`,
    });
    await page.goto(`http://127.0.0.1:${port}/?${query}`);
    await page.waitForFunction(
      () => {
        const r = (window as unknown as { results?: { ready: boolean; errors: string[] } }).results;
        return r !== undefined && (r.ready || r.errors.length > 0);
      },
      undefined,
      { timeout: 15_000 },
    );
    const state = await page.evaluate(() => (window as unknown as { results: { errors: string[] } }).results);
    assert.deepEqual(state.errors, [], `the page failed: ${state.errors.join('\n')}`);
    assert.deepEqual(errors, [], 'no page errors');

    const got = await take(fromBrowser, 3);
    assert.deepEqual(
      got.map((m) => [m.topic, m.text(), m.qos]).sort(),
      [0, 1, 2].map((q) => [`${prefix}/from-browser/${q}`, `from the browser at QoS ${q}`, q]),
      'Node received what the page published',
    );

    for (const qos of [0, 1, 2] as const)
      await node.publish(`${prefix}/to-browser/${qos}`, `to the browser ${qos}`, { qos });
    await page.waitForFunction(
      () => (window as unknown as { results: { received: unknown[] } }).results.received.length >= 3,
      undefined,
      { timeout: 15_000 },
    );
    const received = await page.evaluate(
      () =>
        (window as unknown as { results: { received: { topic: string; text: string; qos: number }[] } })
          .results.received,
    );
    assert.deepEqual(
      received.map((m) => [m.topic, m.text, m.qos]).sort(),
      [0, 1, 2].map((q) => [`${prefix}/to-browser/${q}`, `to the browser ${q}`, q]),
      'the page received what Node published, at the QoS it was sent',
    );
    await page.close();
  });
});
