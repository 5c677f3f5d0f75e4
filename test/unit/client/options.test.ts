// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineOptions, generateClientId } from '../../../src/client/options.js';
import { InvalidArgumentError, MqttClient, parseBrokerUrl } from '../../../src/index.js';

describe('client options', () => {
  it('options – defaults are bounded and secure', () => {
    const e = engineOptions({ clientId: 'x' });
    assert.equal(e.protocolVersion, 5);
    assert.equal(e.keepAlive, 60);
    assert.equal(e.clean, true);
    assert.equal(e.maxInflight, 100);
    assert.equal(e.maxQueued, 10_000);
    assert.equal(e.connectTimeout, 30_000);
    assert.equal(e.pingTimeout, 30_000);
    assert.equal(
      e.properties?.maximumPacketSize,
      16 * 1024 * 1024,
      'the inbound limit is announced to MQTT 5 brokers',
    );
  });

  it('options – a generated client id fits MQTT 3.1 (at most 23 characters) and differs each time', () => {
    const a = generateClientId();
    assert.ok(a.length <= 23, a);
    assert.notEqual(a, generateClientId());
  });

  it('options – wrong values are refused naming the option', () => {
    for (const [options, name] of [
      [{ keepAlive: 70_000 }, /keepAlive/],
      [{ keepAlive: -1 }, /keepAlive/],
      [{ protocolVersion: 6 }, /protocolVersion/],
      [{ maxInflight: 1.5 }, /maxInflight/],
      [{ sessionExpiryInterval: -5 }, /sessionExpiryInterval/],
      [{ password: 42 }, /password/],
      [{ will: { topic: 'a/#', payload: 'x' } }, /invalid topic/],
    ] as const) {
      assert.throws(
        () => engineOptions(options as never),
        (e: unknown) => e instanceof InvalidArgumentError && name.test(e.message),
      );
    }
  });

  it('options – MqttClient needs a transport', () => {
    assert.throws(() => new MqttClient({}), /transport is required/);
  });
});

describe('broker URLs', () => {
  it('url – schemes and their default ports', () => {
    assert.deepEqual(parseBrokerUrl('mqtt://h'), { secure: false, host: 'h', port: 1883 });
    assert.deepEqual(parseBrokerUrl('tcp://h:1999'), { secure: false, host: 'h', port: 1999 });
    assert.deepEqual(parseBrokerUrl('mqtts://h'), { secure: true, host: 'h', port: 8883 });
    assert.deepEqual(parseBrokerUrl('tls://[::1]:8884'), { secure: true, host: '::1', port: 8884 });
    assert.deepEqual(parseBrokerUrl('mqtt://u%40x:p%3Aw@h'), {
      secure: false,
      host: 'h',
      port: 1883,
      username: 'u@x',
      password: 'p:w',
    });
  });

  it('url – an unknown scheme or a malformed URL is refused', () => {
    assert.throws(() => parseBrokerUrl('http://h'), /unsupported URL scheme/);
    assert.throws(() => parseBrokerUrl('not a url'), /not a valid broker URL/);
  });
});
