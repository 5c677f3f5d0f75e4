// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 enhanced authentication (section 4.12) end to end, against the scripted broker playing the server side
// of SCRAM-SHA-256 (test/helpers/scram-server.ts): the exchange at CONNECT, a broker whose signature is wrong, a
// refusal, re-authentication started by the client and asked for by the broker, and AUTH that breaks the rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationError,
  ConnackError,
  connect,
  type MqttClient,
  type NodeClientOptions,
  ProtocolError,
  scramSha256,
} from '../../src/node.js';
import type { AuthPacket, ConnackPacket } from '../../src/packet/index.js';
import { within } from '../helpers/clients.js';
import { type FakeBroker, type FakeConnection, startFakeBroker } from '../helpers/fake-broker.js';
import { ScramServer } from '../helpers/scram-server.js';

const METHOD = 'SCRAM-SHA-256';
const server = (password = 'pencil'): ScramServer =>
  new ScramServer({
    username: 'user',
    password,
    salt: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    iterations: 4096,
    nonceSuffix: 'srv-nonce-1',
  });

function auth(reasonCode: number, data?: Uint8Array, method = METHOD): AuthPacket {
  const properties: NonNullable<AuthPacket['properties']> = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = data;
  return { type: 'auth', reasonCode, properties };
}

/** Plays the broker's side of a SCRAM exchange that started with `first` (client-first data). */
async function scramExchange(
  conn: FakeConnection,
  scram: ScramServer,
  first: Uint8Array | undefined,
): Promise<ReturnType<ScramServer['final']>> {
  assert.ok(first !== undefined, 'the client sent its client-first-message');
  conn.send(auth(0x18, scram.first(first)));
  const final = await conn.expect('auth');
  assert.equal(final.reasonCode, 0x18, 'the client answers the challenge with AUTH 0x18');
  assert.equal(final.properties?.authenticationMethod, METHOD, 'with the same method');
  const data = final.properties?.authenticationData;
  assert.ok(data !== undefined, 'and its client-final-message');
  return scram.final(data);
}

/**
 * Starts `connect()` towards the fake broker with a SCRAM authenticator (user / pencil; `options` on top) and plays
 * the broker's side of the exchange up to its verdict: the CONNACK is left to the caller.
 */
async function scramExchangeAtConnect(fb: FakeBroker, scram: ScramServer, options: NodeClientOptions = {}) {
  const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, {
    protocolVersion: 5,
    reconnect: false,
    authenticator: scramSha256({ username: 'user', password: 'pencil' }),
    ...options,
  });
  const conn = await fb.nextConnection();
  const c = await conn.expect('connect');
  assert.equal(c.properties?.authenticationMethod, METHOD, 'CONNECT names the method');
  const result = await scramExchange(conn, scram, c.properties?.authenticationData);
  return { connecting, conn, result };
}

/** The accepting CONNACK that ends a SCRAM exchange, carrying `signature` (server-final-message). */
function scramConnack(signature: Uint8Array): ConnackPacket {
  return {
    type: 'connack',
    sessionPresent: false,
    reasonCode: 0,
    properties: { authenticationMethod: METHOD, authenticationData: signature },
  };
}

/** Connects a SCRAM client through the fake broker, completing the exchange; returns both sides. */
async function scramClient(
  fb: FakeBroker,
  scram: ScramServer,
): Promise<{ client: MqttClient; conn: FakeConnection }> {
  const { connecting, conn, result } = await scramExchangeAtConnect(fb, scram);
  assert.ok(result.ok, 'the broker accepts the proof');
  conn.send(scramConnack(result.data));
  return { client: await within(connecting, 'connect'), conn };
}

describe('MQTT 5 enhanced authentication (SCRAM-SHA-256 against a scripted broker)', () => {
  let fb: FakeBroker;
  before(async () => {
    fb = await startFakeBroker();
  });
  after(async () => {
    await fb.close();
  });

  it('auth – CONNECT, challenge, answer, CONNACK with the server signature: connected, and messages flow', async () => {
    const { client, conn } = await scramClient(fb, server());
    assert.equal(client.connected, true, 'connected after the exchange');
    const published = client.publish('a/b', 'x', { qos: 1 });
    const p = await conn.expect('publish');
    conn.send({ type: 'puback', packetId: p.packetId as number, reasonCode: 0 });
    await within(published, 'publish');
    await client.end();
  });

  it('auth – a PUBLISH right behind the CONNACK waits for the signature check and is then delivered', async () => {
    let early: Promise<string> | undefined;
    const { connecting, conn, result } = await scramExchangeAtConnect(fb, server(), {
      // Listen before connecting: the message arrives together with the CONNACK.
      onClient: (c) => {
        early = new Promise<string>((resolve) => c.once('message', (msg) => resolve(msg.topic)));
      },
    });
    assert.ok(result.ok, 'the broker accepts the proof');
    conn.send(scramConnack(result.data));
    conn.send({
      type: 'publish',
      topic: 'early/bird',
      payload: new Uint8Array([7]),
      qos: 0,
      retain: false,
      dup: false,
    });
    const client = await within(connecting, 'connect');
    assert.ok(early !== undefined, 'onClient ran');
    const m = await within(early, 'the early message');
    assert.equal(m, 'early/bird', 'the message that came with the CONNACK is delivered');
    await client.end();
  });

  it('auth – a wrong server signature: DISCONNECT 0x80 and an AuthenticationError, not a connection', async () => {
    const { connecting, conn, result } = await scramExchangeAtConnect(fb, server());
    assert.ok(result.ok, 'the broker accepts the proof');
    const forged = new TextEncoder().encode(`v=${Buffer.alloc(32, 9).toString('base64')}`);
    conn.send(scramConnack(forged));
    await assert.rejects(connecting, AuthenticationError);
    const d = await conn.expect('disconnect');
    assert.equal(d.reasonCode, 0x80, 'the client tells the broker why it leaves');
  });

  it('auth – a wrong password: the broker refuses with 0x87, a ConnackError, and no retry', async () => {
    const { connecting, conn, result } = await scramExchangeAtConnect(fb, server('another password'), {
      reconnect: { minDelay: 10, maxDelay: 10 },
    });
    assert.equal(result.ok, false, 'the broker rejects the proof');
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0x87 });
    const e = await connecting.then(
      () => assert.fail('connected with a wrong password'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ConnackError, `a ConnackError, got ${String(e)}`);
    assert.equal(e.reasonCode, 0x87, 'with the reason code');
    await assert.rejects(fb.nextConnection(300), /no client connection/, 'no reconnect after the refusal');
  });

  it('auth – reauthenticate(): AUTH 0x19, challenge, answer, AUTH 0x00 with the signature: resolves', async () => {
    const scram = server();
    const { client, conn } = await scramClient(fb, scram);
    const reauth = client.reauthenticate();
    const start = await conn.expect('auth');
    assert.equal(start.reasonCode, 0x19, 'a re-authentication starts with AUTH 0x19');
    const result = await scramExchange(conn, scram, start.properties?.authenticationData);
    assert.ok(result.ok, 'the broker accepts the new proof');
    conn.send(auth(0x00, result.data));
    await within(reauth, 're-authentication');
    assert.equal(client.connected, true, 'still connected');
    await client.end();
  });

  it('auth – the broker asks for a re-authentication (AUTH 0x19): the client starts one', async () => {
    const scram = server();
    const { client, conn } = await scramClient(fb, scram);
    conn.send(auth(0x19));
    const start = await conn.expect('auth');
    assert.equal(start.reasonCode, 0x19, 'the client answers with its own AUTH 0x19');
    const result = await scramExchange(conn, scram, start.properties?.authenticationData);
    assert.ok(result.ok, 'the broker accepts the proof');
    conn.send(auth(0x00, result.data));
    await client.end();
  });

  it('auth – AUTH with another method: DISCONNECT 0x82 and a ProtocolError', async () => {
    const { client, conn } = await scramClient(fb, server());
    const closed = client.closed();
    conn.send(auth(0x18, new Uint8Array([1]), 'OTHER-METHOD'));
    const d = await conn.expect('disconnect');
    assert.equal(d.reasonCode, 0x82, 'Protocol Error');
    const e = await within(closed, 'the client ends');
    assert.ok(e instanceof ProtocolError, `a ProtocolError, got ${String(e)}`);
  });

  it('auth – AUTH to a client that uses no authentication method: DISCONNECT 0x82', async () => {
    const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, { protocolVersion: 5, reconnect: false });
    const conn = await fb.nextConnection();
    await conn.expect('connect');
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
    const client = await connecting;
    conn.send(auth(0x18, new Uint8Array([1])));
    const d = await conn.expect('disconnect');
    assert.equal(d.reasonCode, 0x82, 'Protocol Error');
    await client.closed();
  });

  it('auth – an authenticator with MQTT 3.1.1 is refused as an option error', async () => {
    await assert.rejects(
      connect(`mqtt://127.0.0.1:${fb.port}`, {
        protocolVersion: 4,
        authenticator: scramSha256({ username: 'user', password: 'pencil' }),
      }),
      /authenticator needs MQTT 5/,
    );
  });
});
