// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The SRV side of connect() that needs no listener: the mqtt+srv:// and mqtts+srv:// URLs, which SRV name each
// way of asking for SRV looks up, and the option checks. The resolver is injected and answers "." (the service is
// not available), so no attempt ever dials.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  connect,
  InvalidArgumentError,
  type NodeClientOptions,
  parseBrokerUrl,
  SrvLookupError,
  type SrvRecord,
} from '../../../src/node.js';

/** Connects with a resolver answering "." and resolves with the SRV name the attempt looked up. */
async function queriedName(url: string | undefined, options: NodeClientOptions): Promise<string> {
  const queries: string[] = [];
  const resolver = async (name: string): Promise<SrvRecord[]> => {
    queries.push(name);
    return [{ name: '.', port: 0, priority: 0, weight: 0 }];
  };
  const o: NodeClientOptions = { ...options, reconnect: false, srv: { resolver } };
  await assert.rejects(
    url === undefined ? connect(o) : connect(url, o),
    (e: unknown) => e instanceof SrvLookupError && e.reason === 'not-available',
    `an SrvLookupError for ${url ?? JSON.stringify(options)}`,
  );
  assert.equal(queries.length, 1, 'exactly one lookup');
  return queries[0] as string;
}

describe('connect through DNS SRV – URLs and options', () => {
  test('url – mqtt+srv:// and mqtts+srv:// parse with srv set and the default ports', () => {
    assert.deepEqual(
      parseBrokerUrl('mqtt+srv://example.com'),
      { secure: false, host: 'example.com', port: 1883, srv: true },
      'plain',
    );
    assert.deepEqual(
      parseBrokerUrl('mqtts+srv://u:p@example.com:9999'),
      { secure: true, host: 'example.com', port: 9999, username: 'u', password: 'p', srv: true },
      'TLS, with credentials and a fallback port',
    );
    assert.equal(parseBrokerUrl('mqtt://example.com').srv, undefined, 'other schemes leave srv unset');
    assert.throws(
      () => parseBrokerUrl('mqtt+dns://example.com'),
      /mqtt\+srv:\/\//,
      'the error lists the schemes',
    );
  });

  test('lookup name – the scheme, srv: true on a plain or TLS URL, and the host and tls options', async () => {
    const cases: [string | undefined, NodeClientOptions, string][] = [
      ['mqtt+srv://example.com', {}, '_mqtt._tcp.example.com'],
      ['mqtts+srv://example.com', {}, '_secure-mqtt._tcp.example.com'],
      ['mqtt://example.com', { srv: true }, '_mqtt._tcp.example.com'],
      ['mqtts://example.com:8884', { srv: true }, '_secure-mqtt._tcp.example.com'],
      [undefined, { host: 'example.org', srv: true }, '_mqtt._tcp.example.org'],
      [undefined, { host: 'example.org', tls: {}, srv: true }, '_secure-mqtt._tcp.example.org'],
    ];
    for (const [url, options, expected] of cases) {
      assert.equal(await queriedName(url, options), expected, `${url ?? JSON.stringify(options)}`);
    }
  });

  test('options – invalid SRV combinations reject with InvalidArgumentError before any lookup', async () => {
    const never = (): Promise<SrvRecord[]> => assert.fail('no lookup expected');
    const cases: [string, NodeClientOptions, RegExp][] = [
      ['mqtt+srv://127.0.0.1', { srv: { resolver: never } }, /domain name/],
      ['mqtt+srv://[::1]', { srv: { resolver: never } }, /domain name/],
      ['mqtt+srv://example.com', { srv: false }, /srv: false/],
      [
        'mqtt://example.com',
        { srv: { resolver: never }, transport: () => assert.fail('no dial') },
        /exclude/,
      ],
      [
        'mqtt://example.com',
        { srv: { resolver: 'dns' as unknown as () => Promise<SrvRecord[]> } },
        /resolver/,
      ],
      ['mqtt://example.com', { srv: 'yes' as unknown as boolean }, /srv must be/],
    ];
    for (const [url, options, message] of cases) {
      await assert.rejects(
        connect(url, { ...options, reconnect: false }),
        (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
        `${url} with ${Object.keys(options).join(', ')} rejects matching ${message}`,
      );
    }
  });
});
