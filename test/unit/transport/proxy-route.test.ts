// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Choosing a proxy: parsing proxy URLs, the environment variables per scheme and their precedence, the option
// winning over the environment, and NO_PROXY matching. No sockets (see test/integration/proxy.test.ts for those).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { parseProxyUrl } from '../../../src/transport/proxy.js';
import { noProxyMatcher, proxyRoute } from '../../../src/transport/proxy-route.js';

const target = { host: 'broker.example', port: 1883 };

describe('proxy URLs', () => {
  it('proxy – each scheme, default ports, credentials decoded, the password redacted in `url`', () => {
    assert.deepEqual(parseProxyUrl('socks5://u%40x:p%3Ass@proxy.example:1081'), {
      protocol: 'socks5',
      host: 'proxy.example',
      port: 1081,
      username: 'u@x',
      password: 'p:ss',
      url: 'socks5://u%40x:***@proxy.example:1081',
    });
    assert.equal(parseProxyUrl('socks4a://p').port, 1080, 'SOCKS default port');
    assert.equal(parseProxyUrl('socks5h://p').protocol, 'socks5h');
    assert.equal(parseProxyUrl('SOCKS4://p').protocol, 'socks4', 'the scheme without case');
    assert.equal(parseProxyUrl('http://p').port, 80, 'HTTP default port');
    assert.equal(parseProxyUrl('[::1]:3128').host, '::1', 'no scheme: HTTP; IPv6 without brackets');
    assert.equal(parseProxyUrl('proxy.example:3128').protocol, 'http');
  });

  it('proxy – an unsupported scheme or an invalid URL is an InvalidArgumentError without the password', () => {
    assert.throws(() => parseProxyUrl('https://proxy.example'), InvalidArgumentError);
    assert.throws(() => parseProxyUrl('ftp://proxy.example'), /unsupported proxy scheme ftp/);
    assert.throws(
      () => parseProxyUrl('socks5://user:secret@[bad'),
      (e: Error) => e instanceof InvalidArgumentError && !e.message.includes('secret'),
    );
  });
});

describe('proxy route', () => {
  it('proxy – the option wins: a URL for every broker, false for none, the environment unread', () => {
    const env = { ALL_PROXY: 'socks5://env:1080' };
    assert.equal(proxyRoute('http://opt:3128', 'mqtt', env)?.(target)?.host, 'opt', 'the option');
    assert.equal(proxyRoute(false, 'mqtt', env), undefined, 'false: direct');
    assert.equal(proxyRoute(undefined, 'mqtt', {}), undefined, 'nothing set: direct');
    assert.throws(() => proxyRoute(42 as unknown as string, 'mqtt', env), InvalidArgumentError);
  });

  it('proxy – environment variables per scheme, lower case first, ALL_PROXY last, HTTP_PROXY never', () => {
    const host = (scheme: 'mqtt' | 'mqtts' | 'ws' | 'wss', env: Record<string, string>) =>
      proxyRoute(undefined, scheme, env)?.(target)?.host;
    assert.equal(host('mqtt', { mqtt_proxy: 'a:1', ALL_PROXY: 'b:1' }), 'a', 'mqtt_proxy before ALL_PROXY');
    assert.equal(host('mqtts', { MQTTS_PROXY: 'a:1', all_proxy: 'b:1' }), 'a');
    assert.equal(host('mqtt', { all_proxy: 'a:1', ALL_PROXY: 'b:1' }), 'a', 'lower case first');
    assert.equal(host('wss', { HTTPS_PROXY: 'a:1', ALL_PROXY: 'b:1' }), 'a');
    assert.equal(host('ws', { http_proxy: 'a:1' }), 'a');
    assert.equal(host('ws', { HTTP_PROXY: 'a:1' }), undefined, 'HTTP_PROXY is not read (httpoxy)');
    assert.equal(
      host('mqtt', { mqtt_proxy: ' ', ALL_PROXY: 'b:1' }),
      'b',
      'a blank variable counts as unset',
    );
    assert.equal(host('mqtt', { HTTPS_PROXY: 'a:1' }), undefined, 'HTTPS_PROXY is for wss:// only');
    assert.throws(
      () => proxyRoute(undefined, 'mqtt', { ALL_PROXY: 'gopher://x' }),
      /ALL_PROXY: unsupported proxy scheme/,
    );
  });

  it('proxy – NO_PROXY applies to the environment proxy', () => {
    const route = proxyRoute(undefined, 'mqtt', { ALL_PROXY: 'p:1', no_proxy: 'broker.example' });
    assert.equal(route?.(target), undefined, 'excluded');
    assert.equal(route?.({ host: 'other.example', port: 1883 })?.host, 'p', 'not excluded');
  });
});

describe('NO_PROXY', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['*', 'anything', 1, true],
    ['example.com', 'example.com', 1883, true],
    ['example.com', 'a.b.example.com', 1883, true],
    ['example.com', 'badexample.com', 1883, false],
    ['.example.com', 'example.com', 1883, true],
    ['*.example.com', 'a.example.com', 1883, true],
    ['EXAMPLE.com', 'example.COM.', 1883, true],
    ['example.com:8883', 'example.com', 1883, false],
    ['example.com:8883', 'example.com', 8883, true],
    ['localhost, 127.0.0.1', '127.0.0.1', 1883, true],
    ['127.0.0.1', '127.0.0.2', 1883, false],
    ['10.0.0.0/8', '10.1.2.3', 1883, true],
    ['10.0.0.0/8', '11.1.2.3', 1883, false],
    ['::1', '[::1]', 1883, true],
    ['[::1]:1883', '0:0::1', 1883, true],
    ['[::1]:1883', '::1', 8883, false],
    ['fd00::/8', 'fd12::5', 1883, true],
    ['10.0.0.0/99', '10.0.0.0', 1883, true],
    ['127.0.0.1', 'localhost', 1883, false],
    ['', 'example.com', 1883, false],
  ];
  for (const [value, host, port, expected] of cases) {
    it(`proxy – NO_PROXY "${value}" ${expected ? 'matches' : 'does not match'} ${host}:${port}`, () => {
      assert.equal(noProxyMatcher(value)({ host, port }), expected, `${value} against ${host}:${port}`);
    });
  }
});
