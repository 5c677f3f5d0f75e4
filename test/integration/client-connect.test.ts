// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Connecting to a real Mosquitto: URL schemes, client identifiers, and TLS options passed through to Node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { connect, type MqttClient } from '../../src/node.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';

describe('client connect', () => {
  let broker: Broker;
  const clients: MqttClient[] = [];

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await broker?.stop();
  });

  async function open(
    url: string,
    options: Parameters<typeof connect>[1] = {},
  ): Promise<Awaited<ReturnType<typeof connect>>> {
    const c = await connect(url, { reconnect: false, ...options });
    clients.push(c);
    return c;
  }

  it('client – tcp:// and tls:// are aliases of mqtt:// and mqtts://', async () => {
    const plain = await open(`tcp://127.0.0.1:${broker.ports.tcp}`);
    assert.equal(plain.connected, true, 'tcp:// connected');
    const secure = await open(`tls://localhost:${broker.ports.tls}`, { tls: { ca: broker.certs.ca.cert } });
    assert.equal(secure.connected, true, 'tls:// connected');
  });

  it('client – an empty client id gets one assigned by an MQTT 5 broker, kept by the client', async () => {
    const c = await open(`mqtt://127.0.0.1:${broker.ports.tcp}`, { clientId: '', protocolVersion: 5 });
    assert.notEqual(c.clientId, '', 'the client now knows its assigned identifier');
    assert.equal(c.connectInfo.properties?.assignedClientIdentifier, c.clientId);
  });

  it('client – a generated client id is used when none is given', async () => {
    const a = await open(`mqtt://127.0.0.1:${broker.ports.tcp}`);
    const b = await open(`mqtt://127.0.0.1:${broker.ports.tcp}`);
    assert.match(a.clientId, /^mqttkit_[0-9a-f]{12}$/);
    assert.notEqual(a.clientId, b.clientId);
  });

  it('client – TLS options reach Node: a ready SecureContext, ALPN, minimum version, and an IP address host', async () => {
    const secureContext = createSecureContext({ ca: broker.certs.ca.cert });
    const c = await open(`mqtts://127.0.0.1:${broker.ports.tls}`, {
      tls: { secureContext, minVersion: 'TLSv1.2', ALPNProtocols: ['mqtt'] },
    });
    assert.equal(
      c.connected,
      true,
      'verified against the IP address in the certificate, with the context’s CA',
    );
    await assert.rejects(
      open(`mqtts://localhost:${broker.ports.tls}`, {
        tls: { ca: broker.certs.ca.cert, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' },
      }),
      /connection to localhost/,
      'an impossible version range fails with the TLS error',
    );
  });
});
