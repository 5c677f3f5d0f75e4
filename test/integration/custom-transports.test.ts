// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Unix sockets and custom transports against Mosquitto: a unix:// URL to Mosquitto's Unix socket listener, a Node
// duplex stream made by the application, a WHATWG readable/writable pair, and a transport that cannot open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  ConnectionError,
  connect,
  duplexTransport,
  type MqttClient,
  type WebStreamPair,
  webStreamTransport,
} from '../../src/node.js';
import { take } from '../helpers/clients.js';
import { brokerSuite } from '../helpers/suite.js';

async function roundTrip(client: MqttClient, topic: string): Promise<void> {
  const sub = await client.subscribe(topic, { qos: 1 });
  await client.publish(topic, 'through the transport', { qos: 1 });
  const [m] = await take(sub, 1);
  assert.equal(m?.text(), 'through the transport', `a round trip on ${topic}`);
}

describe('Unix sockets and custom transports', () => {
  const socketDir = mkdtempSync(join(tmpdir(), 'mqttkit-transports-'));
  const socketPath = join(socketDir, 'mqtt.sock');
  const mosquitto = brokerSuite('transports', {
    extraConfig: `listener 0 ${socketPath}\nallow_anonymous true`,
  });
  const { pool, prefix } = mosquitto;
  after(() => {
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('unix – unix:///path connects to Mosquitto over its Unix socket', async () => {
    const client = await pool.connect(`unix://${socketPath}`);
    await roundTrip(client, `${prefix}/unix`);
  });

  it('unix – a unix:// URL with tls options is an option error', async () => {
    await assert.rejects(
      connect(`unix://${socketPath}`, { tls: {} }),
      /tls options given for a plain unix:\/\/ URL/,
    );
  });

  it('custom – duplexTransport over a socket the application opened', async () => {
    const client = await pool.connect({
      transport: duplexTransport(() => netConnect(mosquitto.broker.ports.tcp, '127.0.0.1')),
    });
    await roundTrip(client, `${prefix}/duplex`);
  });

  it('custom – webStreamTransport over a WHATWG readable/writable pair', async () => {
    const client = await pool.connect({
      transport: webStreamTransport(
        () => Duplex.toWeb(netConnect(mosquitto.broker.ports.tcp, '127.0.0.1')) as unknown as WebStreamPair,
      ),
    });
    await roundTrip(client, `${prefix}/web-streams`);
  });

  it('custom – a transport that cannot open rejects connect() with its error, also asynchronously', async () => {
    await assert.rejects(
      connect({
        reconnect: false,
        transport: duplexTransport(async () => {
          throw new ConnectionError('no route to the broker (scripted)');
        }),
      }),
      /no route to the broker/,
    );
    await assert.rejects(
      connect({
        reconnect: false,
        transport: webStreamTransport(() => Promise.reject(new Error('the tunnel is down'))),
      }),
      /the tunnel is down/,
    );
  });
});
