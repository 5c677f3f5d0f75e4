// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT over WebSocket and secure WebSocket in Node, against Mosquitto's WebSocket listeners: MQTT 3.1, 3.1.1 and 5
// with QoS 0/1/2 in both directions (a WebSocket client and a TCP client exchanging messages), the subprotocol
// offered, packets spanning frames, and the typed errors of a failed upgrade and of a server without the MQTT
// subprotocol (scripted with the `ws` package's server).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { ConnectionError, connect, type ProtocolVersion, type QoS } from '../../src/node.js';
import { clientId, take, within } from '../helpers/clients.js';
import { brokerSuite } from '../helpers/suite.js';

describe('MQTT over WebSocket (Node)', () => {
  const mosquitto = brokerSuite('websocket');
  const { pool } = mosquitto;

  for (const version of [3, 4, 5] as ProtocolVersion[]) {
    for (const qos of [0, 1, 2] as QoS[]) {
      it(`websocket – MQTT ${version === 3 ? '3.1' : version === 4 ? '3.1.1' : '5'} QoS ${qos}: ws:// and TCP exchange messages both ways`, async () => {
        const overWs = await pool.connect(`ws://127.0.0.1:${mosquitto.broker.ports.ws}`, {
          protocolVersion: version,
          clientId: clientId(`ws${version}`),
        });
        const overTcp = await pool.connect(`mqtt://127.0.0.1:${mosquitto.broker.ports.tcp}`, {
          protocolVersion: version,
        });
        const topic = `ws/v${version}/q${qos}/${clientId('t')}`;
        const wsSub = await overWs.subscribe(`${topic}/to-ws`, { qos });
        const tcpSub = await overTcp.subscribe(`${topic}/to-tcp`, { qos });
        await overTcp.publish(`${topic}/to-ws`, 'from tcp', { qos });
        await overWs.publish(`${topic}/to-tcp`, 'from ws', { qos });
        const [toWs] = await take(wsSub, 1);
        const [toTcp] = await take(tcpSub, 1);
        assert.equal(toWs?.text(), 'from tcp', 'the WebSocket client received');
        assert.equal(toWs?.qos, qos, 'at the QoS asked for');
        assert.equal(toTcp?.text(), 'from ws', 'the WebSocket client published');
      });
    }
  }

  it('websocket – wss:// with the test CA: a 200 KB message (many frames) arrives intact', async () => {
    const ca = mosquitto.broker.certs.ca.cert;
    const client = await pool.connect(`wss://localhost:${mosquitto.broker.ports.wss}/mqtt`, { tls: { ca } });
    const topic = `wss/${clientId('big')}`;
    const sub = await client.subscribe(topic, { qos: 1 });
    const payload = new Uint8Array(200_000).map((_, i) => i & 0xff);
    await client.publish(topic, payload, { qos: 1 });
    const [m] = await take(sub, 1);
    assert.deepEqual(m?.payload, payload, 'the payload survived framing');
  });

  it('websocket – wss:// without the CA fails verification with a ConnectionError', async () => {
    await assert.rejects(
      connect(`wss://localhost:${mosquitto.broker.ports.wss}/mqtt`, { reconnect: false }),
      (e: unknown) =>
        e instanceof ConnectionError && /certificate|self.signed|unable to verify/i.test(e.message),
    );
  });

  it('websocket – 50 QoS 1 messages published at once arrive in order (several packets per frame)', async () => {
    const client = await pool.connect(`ws://127.0.0.1:${mosquitto.broker.ports.ws}`);
    const topic = `ws/burst/${clientId('b')}`;
    const sub = await client.subscribe(topic, { qos: 1 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.publish(topic, String(i), { qos: 1 })));
    const got = await take(sub, 50);
    assert.deepEqual(
      got.map((m) => m.text()),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  });

  describe('against a scripted WebSocket server', () => {
    let http: Server;
    let port: number;
    let offered: string[] = [];
    let choose: string | false = 'mqtt';
    before(async () => {
      http = createServer((_req, res) => {
        res.writeHead(404).end('not here');
      });
      const wss = new WebSocketServer({
        noServer: true,
        handleProtocols: (protocols) => {
          offered = [...protocols];
          return choose;
        },
      });
      http.on('upgrade', (req, socket, head) => {
        if (req.url !== '/mqtt') {
          socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => {}));
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      port = (http.address() as AddressInfo).port;
    });
    after(async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });

    it('websocket – MQTT 3.1 offers the mqttv3.1 subprotocol, 3.1.1 and 5 offer mqtt', async () => {
      for (const [version, protocol] of [
        [3, 'mqttv3.1'],
        [4, 'mqtt'],
        [5, 'mqtt'],
      ] as const) {
        choose = protocol;
        const attempt = connect(`ws://127.0.0.1:${port}/mqtt`, {
          protocolVersion: version,
          reconnect: false,
          connectTimeout: 300,
        });
        await assert.rejects(attempt); // the scripted server never answers CONNECT
        assert.deepEqual(offered, [protocol], `MQTT version ${version} offers ${protocol}`);
      }
    });

    it('websocket – a server that does not choose the mqtt subprotocol: a ConnectionError saying so', async () => {
      choose = false;
      await assert.rejects(
        connect(`ws://127.0.0.1:${port}/mqtt`, { reconnect: false }),
        (e: unknown) => e instanceof ConnectionError && /subprotocol/.test(e.message),
      );
    });

    it('websocket – a failed upgrade (HTTP 404): a ConnectionError with the status', async () => {
      await assert.rejects(
        within(connect(`ws://127.0.0.1:${port}/elsewhere`, { reconnect: false }), 'the failure'),
        (e: unknown) => e instanceof ConnectionError && /404/.test(e.message),
      );
    });
  });
});
