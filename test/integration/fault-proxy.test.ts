// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The fault proxy that the fault tests and the soak rely on (test/helpers/fault-proxy.ts), against a plain TCP
// server: latency never reorders bytes, even when it is lowered while chunks are held back, and a cut delivers
// the first half of one chunk and closes the connection (the proxy pauses the target before writing that half, so
// nothing after it passes).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { within } from '../helpers/clients.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';

describe('fault proxy', () => {
  let server: Server;
  let proxy: FaultProxy;
  // The server side of each connection, in the order they were accepted.
  const accepted: Socket[] = [];
  let onAccept: (() => void) | undefined;

  before(async () => {
    server = createServer((socket) => {
      socket.setNoDelay(true);
      accepted.push(socket);
      onAccept?.();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    proxy = await startFaultProxy(address.port);
  });

  after(async () => {
    await proxy.close();
    for (const s of accepted) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function pair(): Promise<{ client: Socket; target: Socket }> {
    const arrived = new Promise<void>((resolve) => {
      onAccept = resolve;
    });
    const client = connect(proxy.port, '127.0.0.1');
    client.setNoDelay(true);
    await within(arrived, 'the proxied connection at the server');
    return { client, target: accepted.at(-1) as Socket };
  }

  function collect(socket: Socket): () => string {
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString();
    });
    return () => got;
  }

  test('fault proxy – lowering the latency does not let later chunks overtake held ones', async () => {
    const { client, target } = await pair();
    const got = collect(target);
    const expected = 'abcdefghij';
    const arrived = new Promise<void>((resolve) => {
      target.on('data', () => {
        if (got().length === expected.length) resolve();
      });
    });
    proxy.delay(200);
    client.write('abcde');
    // Written apart, so that they reach the proxy as chunks of their own while the first is held back (were they
    // merged into one chunk, the test would pass without proving anything, never fail wrongly).
    await new Promise((resolve) => setTimeout(resolve, 20));
    proxy.delay(0);
    client.write('fghij');
    await within(arrived, 'every byte through the proxy');
    assert.equal(got(), expected, 'bytes must arrive in the order they were sent');
    client.destroy();
  });

  test('fault proxy – a cut forwards half of one chunk and nothing that follows it', async () => {
    const { client, target } = await pair();
    const got = collect(client);
    const closed = once(client, 'close');
    const cut = proxy.cutMidPacket();
    // Two writes in one turn: the proxy may see them as one chunk or two; nothing past half of the first may pass.
    target.write('0123456789');
    target.write('ABCDEFGHIJ');
    await within(cut, 'the cut');
    await within(closed, 'the client side closed by the cut');
    const text = got();
    assert.ok(text.length >= 1, 'at least one byte of the cut chunk must pass');
    assert.ok(text.length <= 10, `at most half of the one chunk may pass, got ${JSON.stringify(text)}`);
    assert.equal(
      text,
      '0123456789ABCDEFGHIJ'.slice(0, text.length),
      'the bytes that pass are the first ones',
    );
  });
});
