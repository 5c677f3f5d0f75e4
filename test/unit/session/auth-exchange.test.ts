// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: MQTT 5 enhanced authentication (section 4.12) on the fake clock. The AUTH packets of the
// exchange that starts with CONNECT, the 'verifying' phase between an accepting CONNACK and the authenticator's
// verdict (packets that arrive then are held), re-authentication on a live connection, and AUTH that breaks the
// rules ([MQTT-4.12.0-1..7]).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnackError, ProtocolError, TimeoutError } from '../../../src/errors.js';
import type { AuthPacket, ConnectPacket, Packet, ProtocolVersion } from '../../../src/packet/types.js';
import type { EngineOptions } from '../../../src/session/types.js';
import { connack, Harness, inbound, sub, summary } from './harness.js';

const METHOD = 'M';
const encoder = new TextEncoder();
const bytes = (s: string): Uint8Array => encoder.encode(s);

/** An AUTH packet from the broker; `method` null leaves the method out. */
function auth(reasonCode: number, data?: Uint8Array, method: string | null = METHOD): AuthPacket {
  if (method === null) return { type: 'auth', reasonCode };
  const properties: NonNullable<AuthPacket['properties']> = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = data;
  return { type: 'auth', reasonCode, properties };
}

/** A CONNACK accepting the connection and ending the connect exchange of `method`. */
function authConnack(data?: Uint8Array, method = METHOD): Packet {
  const properties: { authenticationMethod: string; authenticationData?: Uint8Array } = {
    authenticationMethod: method,
  };
  if (data !== undefined) properties.authenticationData = data;
  return connack({ properties });
}

/** An engine whose CONNECT names authentication method `M`. */
function authHarness(overrides: Partial<EngineOptions> = {}): Harness {
  return new Harness({ protocolVersion: 5, properties: { authenticationMethod: METHOD }, ...overrides });
}

/** Opens with `authData` as the authenticator's initial data; returns the CONNECT. */
function openWith(h: Harness, authData?: Uint8Array): ConnectPacket {
  h.engine.connectionOpened(h.now, authData);
  const sent = h.sink.takeSent();
  assert.equal(sent.length, 1, 'exactly one packet (CONNECT) is sent on connectionOpened');
  assert.equal(sent[0]?.type, 'connect', 'the packet is CONNECT');
  return sent[0] as ConnectPacket;
}

/** Opens, gets an accepting CONNACK with the method, and lets the authenticator accept it. */
function authConnected(h: Harness): void {
  openWith(h, bytes('first'));
  h.receive(authConnack(bytes('final')));
  assert.equal(h.engine.state, 'verifying', 'verifying after the CONNACK');
  h.engine.authVerified(h.now);
  assert.equal(h.engine.state, 'connected', 'connected after authVerified');
  h.sink.takeSent();
  h.sink.auth.length = 0;
}

/** Asserts that the engine sent DISCONNECT `code` and then closed with a ProtocolError of that code. */
function assertProtocolError(h: Harness, code = 0x82): void {
  assert.deepEqual(
    h.sink.takeSummaries(),
    [`disconnect 0x${code.toString(16)}`],
    `DISCONNECT 0x${code.toString(16)}`,
  );
  const err = h.sink.closeError();
  assert.ok(err instanceof ProtocolError, `closed with ProtocolError, got ${String(err)}`);
  assert.equal(err.reasonCode, code);
  assert.equal(h.sink.calls.at(-1)?.kind, 'close', 'DISCONNECT goes before close');
}

describe('session engine: enhanced authentication, the connect exchange', () => {
  test('auth connect – CONNECT carries the method and the authenticator initial data', () => {
    const h = authHarness({ properties: { authenticationMethod: METHOD, receiveMaximum: 7 } });
    const data = bytes('client-first');
    const c = openWith(h, data);
    assert.deepEqual(c.properties, {
      authenticationMethod: METHOD,
      receiveMaximum: 7,
      authenticationData: data,
    });
    assert.equal(h.engine.state, 'connecting');
    assert.equal(h.engine.authenticating, true, 'the connect exchange is in progress');
    assert.deepEqual(
      h.options.properties,
      { authenticationMethod: METHOD, receiveMaximum: 7 },
      'the options are not changed by the initial data',
    );
  });

  test('auth connect – without initial data CONNECT carries the method only, also on the next connection', () => {
    const h = authHarness();
    openWith(h, bytes('first'));
    h.drop();
    const c = openWith(h);
    assert.deepEqual(c.properties, { authenticationMethod: METHOD }, 'no stale authenticationData');
  });

  test('auth connect – AUTH 0x18 while connecting hands the challenge to the authenticator and sends nothing', () => {
    const h = authHarness();
    openWith(h, bytes('first'));
    const challenge = bytes('server-first');
    h.receive(auth(0x18, challenge));
    assert.deepEqual(h.sink.auth, [{ kind: 'challenge', data: challenge, reauthenticate: false }]);
    assert.deepEqual(h.sink.takeSent(), [], 'the engine waits for the authenticator');
    assert.equal(h.engine.state, 'connecting');
    assert.deepEqual(h.sink.closes, []);
  });

  test('auth connect – authRespond sends AUTH 0x18 with the method and the answer; without data, no data property', () => {
    const h = authHarness();
    openWith(h, bytes('first'));
    h.receive(auth(0x18, bytes('server-first')));
    const answer = bytes('client-final');
    h.engine.authRespond(answer, h.now);
    assert.deepEqual(h.sink.takeSent(), [
      {
        type: 'auth',
        reasonCode: 0x18,
        properties: { authenticationMethod: METHOD, authenticationData: answer },
      },
    ]);
    h.receive(auth(0x18));
    h.engine.authRespond(undefined, h.now);
    assert.deepEqual(h.sink.takeSent(), [
      { type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD } },
    ]);
    assert.equal(h.sink.auth.length, 2, 'two challenges');
    assert.equal(h.sink.auth[1]?.data, undefined, 'the second challenge had no data');
  });

  test('auth connect – CONNACK with the method: verifying, the authenticator gets the final data, nothing connected yet', () => {
    const h = authHarness();
    openWith(h, bytes('first'));
    const final = bytes('server-final');
    h.receive(authConnack(final));
    assert.equal(h.engine.state, 'verifying');
    assert.deepEqual(h.sink.auth, [{ kind: 'succeeded', data: final, reauthenticate: false }]);
    assert.deepEqual(h.sink.connacks, [], 'not reported connected before the authenticator accepts');
    assert.deepEqual(h.sink.delivered, []);
    assert.deepEqual(h.sink.takeSent(), []);
    assert.equal(h.engine.authenticating, true, 'still authenticating while verifying');
    assert.equal(h.engine.reauthenticate(bytes('x'), h.now), false, 'no re-authentication while verifying');
    h.engine.authRespond(bytes('x'), h.now);
    assert.deepEqual(h.sink.takeSent(), [], 'authRespond is ignored while verifying');
  });

  test('auth connect – authVerified reports connected with the CONNACK and ends the exchange', () => {
    const h = authHarness();
    openWith(h);
    const ack = authConnack(bytes('final'));
    h.receive(ack);
    h.engine.authVerified(h.now);
    assert.equal(h.engine.state, 'connected');
    assert.deepEqual(h.sink.connacks, [ack]);
    assert.equal(h.engine.authenticating, false);
    h.engine.authVerified(h.now);
    assert.equal(h.sink.connacks.length, 1, 'a second authVerified does nothing');
  });

  test('auth connect – packets arriving while verifying are held, then processed in order after authVerified', () => {
    const h = authHarness();
    openWith(h);
    h.receive(authConnack());
    h.receive(inbound('held/one', 1, 7));
    h.receive(inbound('held/two', 0));
    h.receive(inbound('held/three', 1, 8));
    assert.equal(h.sink.delivered.length, 0, 'nothing delivered while verifying');
    assert.deepEqual(h.sink.takeSent(), [], 'nothing acknowledged while verifying');
    assert.deepEqual(h.sink.closes, [], 'a PUBLISH while verifying is not a protocol error');
    h.engine.authVerified(h.now);
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['held/one', 'held/two', 'held/three'],
    );
    assert.deepEqual(h.sink.takeSummaries(), ['puback #7 0x00', 'puback #8 0x00']);
    const kinds = h.sink.calls.map((c) => (c.kind === 'send' ? summary(c.packet) : c.kind));
    assert.deepEqual(kinds, [
      'connect',
      'connected',
      'deliver',
      'puback #7 0x00',
      'deliver',
      'deliver',
      'puback #8 0x00',
    ]);
  });

  test('auth connect – a subscription made while verifying goes out only after authVerified, and its held SUBACK settles it', () => {
    const h = authHarness();
    openWith(h);
    h.receive(authConnack());
    h.subscribe('s1', sub('a/b'));
    assert.deepEqual(h.sink.takeSent(), [], 'no SUBSCRIBE while verifying');
    h.engine.authVerified(h.now);
    const sent = h.sink.takeSent();
    assert.deepEqual(sent.map(summary), ['subscribe #1 a/b']);
    h.receive({ type: 'suback', packetId: 1, reasonCodes: [1] });
    assert.deepEqual(h.sink.settlement('s1').result, { reasonCodes: [1], properties: undefined });
  });

  test('auth connect – a DISCONNECT held while verifying closes the connection after authVerified', () => {
    const h = authHarness();
    openWith(h);
    h.receive(authConnack());
    h.receive({ type: 'disconnect', reasonCode: 0x8b });
    assert.deepEqual(h.sink.closes, [], 'held, not acted on yet');
    h.engine.authVerified(h.now);
    assert.equal(h.sink.connacks.length, 1);
    assert.equal(h.sink.closes.length, 1, 'the held DISCONNECT closes');
    assert.equal(h.engine.state, 'closing');
  });

  test('auth connect – authFailed while verifying: DISCONNECT 0x80 and close with that error; held packets dropped', () => {
    const h = authHarness();
    openWith(h);
    h.receive(authConnack(bytes('bad-signature')));
    h.receive(inbound('held', 1, 3));
    const error = new Error('wrong server signature');
    h.engine.authFailed(error, h.now);
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x80']);
    assert.equal(h.sink.closeError(), error);
    assert.equal(h.sink.calls.at(-1)?.kind, 'close', 'DISCONNECT goes before close');
    assert.equal(h.engine.state, 'closing');
    h.engine.authVerified(h.now);
    assert.deepEqual(h.sink.connacks, [], 'a late authVerified does not connect');
    assert.deepEqual(h.sink.delivered, [], 'the held PUBLISH is never delivered');
    h.engine.authFailed(new Error('again'), h.now);
    assert.equal(h.sink.closes.length, 1, 'a second authFailed does nothing');
  });

  test('auth connect – authFailed while connecting (the authenticator threw on a challenge): DISCONNECT 0x80', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x18, bytes('challenge')));
    const error = new Error('authenticator threw');
    h.engine.authFailed(error, h.now);
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x80']);
    assert.equal(h.sink.closeError(), error);
  });

  test('auth connect – CONNACK without the method of CONNECT: DISCONNECT 0x82, no verifying', () => {
    const h = authHarness();
    openWith(h, bytes('first'));
    h.receive(connack());
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, [], 'the authenticator is not asked to check anything');
    assert.deepEqual(h.sink.connacks, []);
    assert.notEqual(h.engine.state, 'connected');
  });

  test('auth connect – CONNACK with another method: DISCONNECT 0x82', () => {
    const h = authHarness();
    openWith(h);
    h.receive(authConnack(undefined, 'OTHER'));
    assertProtocolError(h);
    assert.deepEqual(h.sink.connacks, []);
  });

  test('auth connect – a refusing CONNACK during the exchange: ConnackError, nothing sent, the authenticator not asked', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x18, bytes('c')));
    h.sink.auth.length = 0;
    h.receive(connack({ reasonCode: 0x87, properties: { authenticationMethod: METHOD } }));
    const err = h.sink.closeError();
    assert.ok(err instanceof ConnackError, `got ${String(err)}`);
    assert.equal(err.reasonCode, 0x87);
    assert.deepEqual(h.sink.takeSent(), []);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth connect – verifying times out at connectTimeout after the connection opened, with TimeoutError', () => {
    const h = authHarness({ connectTimeout: 5_000 });
    h.at(1_000);
    openWith(h);
    h.advance(4_000);
    h.receive(authConnack());
    assert.equal(h.engine.nextDeadline(), 6_000, 'the CONNACK deadline still holds while verifying');
    h.at(5_999);
    h.tick();
    assert.deepEqual(h.sink.closes, [], 'nothing before the deadline');
    assert.equal(h.runToDeadline(), 6_000);
    const err = h.sink.closeError();
    assert.ok(err instanceof TimeoutError, `got ${String(err)}`);
    assert.match(err.message, /authenticator/);
    assert.deepEqual(h.sink.connacks, []);
    h.engine.authVerified(h.now);
    assert.deepEqual(h.sink.connacks, [], 'authVerified after the timeout does not connect');
  });

  test('auth connect – a new connection restarts the exchange: a challenge is accepted again', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x18, bytes('c1')));
    h.drop();
    assert.equal(h.engine.authenticating, false, 'no exchange while offline');
    h.engine.authRespond(bytes('late'), h.now);
    assert.deepEqual(h.sink.takeSent(), [], 'a late answer is not sent while offline');
    openWith(h);
    h.receive(auth(0x18, bytes('c2')));
    assert.deepEqual(
      h.sink.auth.map((a) => a.kind),
      ['challenge', 'challenge'],
    );
    assert.deepEqual(h.sink.closes, []);
  });

  test('auth connect – AUTH 0x00 during the connect exchange: DISCONNECT 0x82', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x00));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth connect – AUTH 0x19 during the connect exchange: DISCONNECT 0x82', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x19));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth connect – AUTH with another method while connecting: DISCONNECT 0x82', () => {
    const h = authHarness();
    openWith(h);
    h.receive(auth(0x18, bytes('c'), 'OTHER'));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });
});

describe('session engine: enhanced authentication on a live connection', () => {
  test('auth live – AUTH 0x18 while connected without a re-authentication: DISCONNECT 0x82', () => {
    const h = authHarness();
    authConnected(h);
    h.receive(auth(0x18, bytes('c')));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth live – AUTH 0x00 while connected without a re-authentication: DISCONNECT 0x82', () => {
    const h = authHarness();
    authConnected(h);
    h.receive(auth(0x00));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth live – reauthenticate sends AUTH 0x19 with method and data and returns true; a second call returns false', () => {
    const h = authHarness();
    authConnected(h);
    const data = bytes('re-first');
    assert.equal(h.engine.reauthenticate(data, h.now), true);
    assert.deepEqual(h.sink.takeSent(), [
      {
        type: 'auth',
        reasonCode: 0x19,
        properties: { authenticationMethod: METHOD, authenticationData: data },
      },
    ]);
    assert.equal(h.engine.authenticating, true);
    assert.equal(h.engine.reauthenticate(bytes('again'), h.now), false, 'one re-authentication at a time');
    assert.deepEqual(h.sink.takeSent(), [], 'nothing sent by the refused call');
  });

  test('auth live – a re-authentication: challenge (reauthenticate true), answer, AUTH 0x00 ends it with succeeded', () => {
    const h = authHarness();
    authConnected(h);
    assert.equal(h.engine.reauthenticate(undefined, h.now), true);
    assert.deepEqual(h.sink.takeSent(), [
      { type: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD } },
    ]);
    const challenge = bytes('server-first');
    h.receive(auth(0x18, challenge));
    h.engine.authRespond(bytes('client-final'), h.now);
    assert.deepEqual(h.sink.takeSummaries(), ['auth']);
    const final = bytes('server-final');
    h.receive(auth(0x00, final));
    assert.deepEqual(h.sink.auth, [
      { kind: 'challenge', data: challenge, reauthenticate: true },
      { kind: 'succeeded', data: final, reauthenticate: true },
    ]);
    assert.equal(h.engine.authenticating, false);
    assert.equal(h.engine.state, 'connected');
    assert.deepEqual(h.sink.closes, []);
    assert.equal(h.engine.reauthenticate(undefined, h.now), true, 'another may start once it ended');
  });

  test('auth live – messages keep flowing during a re-authentication', () => {
    const h = authHarness();
    authConnected(h);
    h.engine.reauthenticate(undefined, h.now);
    h.sink.takeSent();
    h.receive(inbound('during', 1, 4));
    assert.deepEqual(
      h.sink.delivered.map((m) => m.topic),
      ['during'],
    );
    assert.deepEqual(h.sink.takeSummaries(), ['puback #4 0x00']);
  });

  test('auth live – AUTH 0x19 from the broker asks the authenticator for a re-authentication', () => {
    const h = authHarness();
    authConnected(h);
    h.receive(auth(0x19));
    assert.deepEqual(h.sink.auth, [{ kind: 'reauthRequested', data: undefined, reauthenticate: true }]);
    assert.deepEqual(h.sink.takeSent(), []);
    assert.deepEqual(h.sink.closes, []);
  });

  test('auth live – AUTH 0x19 from the broker during a re-authentication: DISCONNECT 0x82', () => {
    const h = authHarness();
    authConnected(h);
    h.engine.reauthenticate(undefined, h.now);
    h.sink.takeSent();
    h.receive(auth(0x19));
    assertProtocolError(h);
  });

  test('auth live – AUTH with another method during a re-authentication: DISCONNECT 0x82', () => {
    const h = authHarness();
    authConnected(h);
    h.engine.reauthenticate(undefined, h.now);
    h.sink.takeSent();
    h.receive(auth(0x18, bytes('c'), 'OTHER'));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth live – AUTH without a method: DISCONNECT 0x82', () => {
    const h = authHarness();
    authConnected(h);
    h.engine.reauthenticate(undefined, h.now);
    h.sink.takeSent();
    h.receive(auth(0x00, undefined, null));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth live – reauthenticate returns false while offline, connecting or verifying, and sends nothing', () => {
    const h = authHarness();
    assert.equal(h.engine.reauthenticate(undefined, h.now), false, 'offline');
    openWith(h);
    assert.equal(h.engine.reauthenticate(undefined, h.now), false, 'connecting');
    h.receive(authConnack());
    assert.equal(h.engine.reauthenticate(undefined, h.now), false, 'verifying');
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('auth live – a connection lost during a re-authentication: the next connection can re-authenticate', () => {
    const h = authHarness();
    authConnected(h);
    assert.equal(h.engine.reauthenticate(undefined, h.now), true);
    h.drop();
    h.sink.takeSent();
    authConnected(h);
    assert.equal(h.engine.reauthenticate(undefined, h.now), true, 'the old re-authentication is forgotten');
    h.receive(auth(0x00));
    assert.deepEqual(h.sink.auth, [{ kind: 'succeeded', data: undefined, reauthenticate: true }]);
  });

  test('auth live – authFailed during a re-authentication: DISCONNECT 0x80 and close with that error', () => {
    const h = authHarness();
    authConnected(h);
    h.engine.reauthenticate(undefined, h.now);
    h.sink.takeSent();
    const error = new Error('bad signature');
    h.engine.authFailed(error, h.now);
    assert.deepEqual(h.sink.takeSummaries(), ['disconnect 0x80']);
    assert.equal(h.sink.closeError(), error);
  });
});

describe('session engine: AUTH to an engine without an authentication method', () => {
  test('auth none – AUTH while connected: DISCONNECT 0x82', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.sink.takeSent();
    h.receive(auth(0x18, bytes('c')));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth none – AUTH 0x19 while connected: DISCONNECT 0x82, no re-authentication asked for', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.connect();
    h.sink.takeSent();
    h.receive(auth(0x19));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth none – AUTH while connecting: DISCONNECT 0x82 instead of a CONNACK', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.open();
    h.sink.takeSent();
    h.receive(auth(0x18, bytes('c')));
    assertProtocolError(h);
    assert.deepEqual(h.sink.auth, []);
  });

  test('auth none – CONNECT has no method, CONNACK connects at once, reauthenticate is false, authRespond sends nothing', () => {
    const h = new Harness({ protocolVersion: 5 });
    h.open();
    const c = h.sink.takeSent()[0] as ConnectPacket;
    assert.equal(c.properties?.authenticationMethod, undefined);
    h.receive(connack());
    assert.equal(h.engine.state, 'connected');
    assert.equal(h.engine.authenticating, false);
    assert.equal(h.engine.reauthenticate(bytes('x'), h.now), false);
    h.engine.authRespond(bytes('x'), h.now);
    assert.deepEqual(h.sink.takeSent(), []);
  });
});

describe('session engine: enhanced authentication needs MQTT 5', () => {
  for (const version of [3, 4] as ProtocolVersion[]) {
    const name = version === 3 ? 'MQTT 3.1' : 'MQTT 3.1.1';
    test(`auth v${version} – ${name}: CONNECT has no auth properties even with a method and initial data`, () => {
      const h = authHarness({ protocolVersion: version });
      const c = openWith(h, bytes('first'));
      assert.equal(c.properties, undefined, 'no CONNECT properties at all');
      assert.equal(h.engine.authenticating, false, 'no exchange in progress');
      h.receive(connack());
      assert.equal(h.engine.state, 'connected', 'a CONNACK without a method connects, no verifying');
      assert.deepEqual(h.sink.auth, []);
      assert.equal(h.engine.reauthenticate(bytes('x'), h.now), false, 'no re-authentication');
      h.engine.authRespond(bytes('x'), h.now);
      assert.deepEqual(h.sink.takeSent(), [], 'no AUTH ever sent');
    });
  }

  test('auth v4 – MQTT 3.1.1: an AUTH received while connecting closes with ProtocolError and sends nothing', () => {
    const h = authHarness({ protocolVersion: 4 });
    openWith(h, bytes('first'));
    h.receive(auth(0x18, bytes('c')));
    assert.deepEqual(h.sink.takeSent(), [], 'no DISCONNECT in MQTT 3.1.1');
    assert.ok(h.sink.closeError() instanceof ProtocolError, 'closed with ProtocolError');
    assert.deepEqual(h.sink.auth, []);
  });
});
