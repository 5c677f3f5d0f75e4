// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// SCRAM-SHA-256 as an MQTT 5 authenticator: the RFC 7677 example byte for byte, round trips against an independent
// server (test/helpers/scram-server.ts), and every way a server message can be refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AuthContext,
  AuthenticationError,
  type Authenticator,
} from '../../../src/auth/authenticator.js';
import { base64Decode, base64Encode } from '../../../src/auth/base64.js';
import { saslPrep, scramSha256 } from '../../../src/auth/scram.js';
import { InvalidArgumentError, isMqttError, MqttError } from '../../../src/packet/errors.js';
import { ScramServer, type ScramServerOptions } from '../../helpers/scram-server.js';

const connect: AuthContext = { reauthenticate: false };
const reauth: AuthContext = { reauthenticate: true };
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const str = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

// RFC 7677 section 3: user "user", password "pencil".
const RFC_CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const RFC_SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const RFC_SALT = 'W22ZaJ0SNY7soEsUEjb6gQ==';
const RFC_SERVER_FIRST = `r=${RFC_CLIENT_NONCE}${RFC_SERVER_NONCE},s=${RFC_SALT},i=4096`;
const RFC_CLIENT_FINAL = `c=biws,r=${RFC_CLIENT_NONCE}${RFC_SERVER_NONCE},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`;
const RFC_SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

function rfcClient(): Authenticator {
  return scramSha256({ username: 'user', password: 'pencil', nonce: () => RFC_CLIENT_NONCE });
}

function server(options: Partial<ScramServerOptions> = {}): ScramServer {
  return new ScramServer({
    username: 'user',
    password: 'pencil',
    salt: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    iterations: 4096,
    nonceSuffix: 'srv-nonce/42',
    ...options,
  });
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) assert.fail(`${what} is missing`);
  return value;
}

async function complete(auth: Authenticator, data: Uint8Array | undefined, context = connect): Promise<void> {
  const done = must(auth.complete, 'Authenticator.complete');
  await done.call(auth, data, context);
}

/** Asserts that `run` fails with an AuthenticationError whose message matches `pattern`. */
async function failsWith(run: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => run(),
    (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, `expected an AuthenticationError, got ${String(e)}`);
      assert.equal(e.code, 'MQTT_ERR_AUTHENTICATION_FAILED', 'error code');
      assert.match(e.message, pattern, 'error message');
      return true;
    },
    `expected a failure matching ${pattern}`,
  );
}

/** The CONNECT → AUTH 0x18 → AUTH 0x18 part of an exchange; returns the server's verdict on the proof. */
async function exchange(auth: Authenticator, srv: ScramServer, context = connect) {
  const clientFirst = must(await auth.start(context), 'client-first-message');
  const clientFinal = must(await auth.challenge(srv.first(clientFirst), context), 'client-final-message');
  return { clientFirst, result: srv.final(clientFinal) };
}

describe('scram-sha-256', () => {
  test('scram – the RFC 7677 example exchange, byte for byte', async () => {
    const auth = rfcClient();
    assert.equal(auth.method, 'SCRAM-SHA-256', 'method');
    assert.equal(
      str(must(await auth.start(connect), 'client-first')),
      `n,,n=user,r=${RFC_CLIENT_NONCE}`,
      'first',
    );
    const clientFinal = await auth.challenge(utf8(RFC_SERVER_FIRST), connect);
    assert.equal(str(clientFinal), RFC_CLIENT_FINAL, 'client-final-message');
    await complete(auth, utf8(RFC_SERVER_FINAL));
  });

  test('scram – the test server reproduces the RFC 7677 example too', async () => {
    const salt = must(base64Decode(RFC_SALT), 'salt');
    const srv = server({ salt, nonceSuffix: RFC_SERVER_NONCE });
    const { result } = await exchange(rfcClient(), srv);
    assert.deepEqual(result, { ok: true, data: utf8(RFC_SERVER_FINAL) }, 'server-final-message');
    assert.equal(str(srv.first(utf8(`n,,n=user,r=${RFC_CLIENT_NONCE}`))), RFC_SERVER_FIRST, 'server-first');
  });

  test('scram – a full round trip with a random nonce', async () => {
    const auth = scramSha256({ username: 'user', password: 'pencil' });
    const srv = server();
    const { clientFirst, result } = await exchange(auth, srv);
    const nonce = str(clientFirst).replace(/^n,,n=user,r=/, '');
    assert.equal(nonce.length, 32, 'a 24-byte nonce is 32 base64 characters');
    assert.equal(must(base64Decode(nonce), 'nonce as base64').length, 24, 'nonce bytes');
    assert.ok(result.ok, `the server accepts the proof: ${str(result.data)}`);
    await complete(auth, result.data);
    const again = str(await scramSha256({ username: 'user', password: 'pencil' }).start(connect));
    assert.notEqual(again, str(clientFirst), 'each exchange has a new nonce');
  });

  test('scram – a wrong password is refused by the server, and its e= reaches the client', async () => {
    const auth = scramSha256({ username: 'user', password: 'pencil!' });
    const { result } = await exchange(auth, server());
    assert.deepEqual(result, { ok: false, data: utf8('e=invalid-proof') }, 'server verdict');
    await failsWith(() => complete(auth, result.data), /server reported the error "invalid-proof"/);
  });

  test('scram – e= is handled wherever a server message is due', async () => {
    const auth = rfcClient();
    await auth.start(connect);
    await failsWith(() => auth.challenge(utf8('e=other-error'), connect), /the error "other-error"/);
    // After a failure, nothing but start() continues.
    await failsWith(() => auth.challenge(utf8(RFC_SERVER_FIRST), connect), /after the exchange failed/);
    await auth.start(connect);
    await auth.challenge(utf8(RFC_SERVER_FIRST), connect);
    await failsWith(() => auth.challenge(utf8('e=unknown-user,x=ext'), connect), /the error "unknown-user"/);
  });

  test('scram – a wrong server signature is rejected by complete()', async () => {
    const auth = rfcClient();
    await auth.start(connect);
    await auth.challenge(utf8(RFC_SERVER_FIRST), connect);
    const wrong = `v=${base64Encode(new Uint8Array(32).fill(7))}`;
    await failsWith(() => complete(auth, utf8(wrong)), /server signature \(v=\) is wrong/);
  });

  test('scram – a server-final-message that is not a signature is rejected', async () => {
    for (const [data, pattern] of [
      [undefined, /no Authentication Data where a server-final-message was due/],
      [utf8('x=1'), /no signature \(v=\): "x=1"/],
      [utf8('v=not base64!'), /signature \(v=\) is not base64/],
      [new Uint8Array([0x76, 0x3d, 0xff]), /not valid UTF-8/],
    ] as const) {
      const auth = rfcClient();
      await auth.start(connect);
      await auth.challenge(utf8(RFC_SERVER_FIRST), connect);
      await failsWith(() => complete(auth, data), pattern);
    }
  });

  test('scram – success before the proof, or before start(), is rejected', async () => {
    const auth = rfcClient();
    await failsWith(() => complete(auth, utf8(RFC_SERVER_FINAL)), /before start\(\)/);
    await failsWith(() => auth.challenge(utf8(RFC_SERVER_FIRST), connect), /before start\(\)/);
    await auth.start(connect);
    await failsWith(() => complete(auth, undefined), /success before the client sent its proof/);
  });

  test('scram – the server signature may come in one more AUTH 0x18, answered with no data', async () => {
    const auth = rfcClient();
    await auth.start(connect);
    await auth.challenge(utf8(RFC_SERVER_FIRST), connect);
    assert.equal(await auth.challenge(utf8(RFC_SERVER_FINAL), connect), undefined, 'empty answer');
    await complete(auth, undefined);
    await complete(auth, utf8(RFC_SERVER_FINAL)); // repeated in CONNACK: still checked, still right
    await failsWith(() => auth.challenge(utf8('r=x'), connect), /after the exchange succeeded/);
  });

  test('scram – a server nonce that does not extend the client nonce is rejected', async () => {
    for (const nonce of ['someoneElsesNonce123', RFC_CLIENT_NONCE, `x${RFC_CLIENT_NONCE}abc`]) {
      const auth = rfcClient();
      await auth.start(connect);
      const serverFirst = utf8(`r=${nonce},s=${RFC_SALT},i=4096`);
      await failsWith(() => auth.challenge(serverFirst, connect), /server nonce \(r=\) does not extend/);
    }
  });

  test('scram – a malformed server-first-message is rejected, saying what is wrong', async () => {
    const r = `r=${RFC_CLIENT_NONCE}abc`;
    const cases: [string | undefined, RegExp][] = [
      [`${r},i=4096`, /has no salt \(s=\)/],
      [`${r},s=,i=4096`, /has no salt \(s=\)/],
      [`s=${RFC_SALT},i=4096`, /has no nonce \(r=\)/],
      [`${r},s=${RFC_SALT}`, /has no iteration count \(i=\)/],
      [`${r},s=${RFC_SALT},i=abc`, /iteration count \(i=\) "abc" is not a whole number/],
      [`${r},s=${RFC_SALT},i=0`, /iteration count \(i=\) "0"/],
      [`${r},s=${RFC_SALT},i=-1`, /iteration count \(i=\) "-1"/],
      [`${r},s=${RFC_SALT},i=4096.5`, /"4096.5"/],
      [`${r},s=${RFC_SALT},i=99999999999`, /"99999999999" is not a whole number from 1 to 4294967295/],
      [`${r},s=not*base64,i=4096`, /salt \(s=\) of the server-first-message is not base64/],
      [`m=ext,${r},s=${RFC_SALT},i=4096`, /unsupported extension \(m=\)/],
      [`${r},${r},s=${RFC_SALT},i=4096`, /repeats the attribute r=/],
      [`${r},s=${RFC_SALT},i=4096,garbage`, /malformed attribute "garbage"/],
      ['', /no Authentication Data where a server-first-message was due/],
      [undefined, /no Authentication Data where a server-first-message was due/],
    ];
    for (const [serverFirst, pattern] of cases) {
      const auth = rfcClient();
      await auth.start(connect);
      const data = serverFirst === undefined ? undefined : utf8(serverFirst);
      await failsWith(() => auth.challenge(data, connect), pattern);
    }
  });

  test('scram – extensions after i= are ignored, and so is the attribute order', async () => {
    const auth = rfcClient();
    await auth.start(connect);
    const reordered = `i=4096,s=${RFC_SALT},r=${RFC_CLIENT_NONCE}${RFC_SERVER_NONCE},x=future`;
    const clientFinal = str(await auth.challenge(utf8(reordered), connect));
    // A different server-first text gives a different AuthMessage, hence a different (but well-formed) proof.
    assert.match(
      clientFinal,
      /^c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj\)hNlF\$k0,p=[A-Za-z0-9+/]{43}=$/,
    );
  });

  test('scram – "=" and "," in the user name are escaped as =3D and =2C', async () => {
    const username = 'a=b,c==,';
    const auth = scramSha256({ username, password: 'pw', nonce: () => 'abc' });
    assert.equal(str(await auth.start(connect)), 'n,,n=a=3Db=2Cc=3D=3D=2C,r=abc', 'client-first-message');
    const srv = server({ username, password: 'pw' });
    const { result } = await exchange(scramSha256({ username, password: 'pw' }), srv);
    assert.equal(srv.lastUsername, username, 'the server unescapes the same name');
    assert.ok(result.ok, `round trip with an escaped name: ${str(result.data)}`);
  });

  test('scram – start() resets the state for a re-authentication', async () => {
    let n = 0;
    const auth = scramSha256({ username: 'user', password: 'pencil', nonce: () => `nonce${++n}` });
    const srv = server();
    const first = await exchange(auth, srv, connect);
    assert.ok(first.result.ok, 'first exchange accepted');
    await complete(auth, first.result.data, connect);
    const second = await exchange(auth, srv, reauth);
    assert.equal(str(second.clientFirst), 'n,,n=user,r=nonce2', 'a new client-first-message');
    assert.ok(second.result.ok, 'second exchange accepted');
    // The first exchange's signature must not satisfy the second.
    await failsWith(() => complete(auth, first.result.data, reauth), /signature \(v=\) is wrong/);
  });

  test('scram – start() in the middle of an exchange abandons it', async () => {
    const auth = scramSha256({ username: 'user', password: 'pencil', nonce: () => `nonce${Math.random()}` });
    const srv = server();
    const oldFirst = srv.first(must(await auth.start(connect), 'first client-first'));
    await auth.start(reauth);
    await failsWith(() => auth.challenge(oldFirst, reauth), /does not extend the client nonce/);
    // A start() during the Web Crypto work leaves the new exchange alone.
    const newFirst = srv.first(must(await auth.start(connect), 'client-first'));
    const pending = auth.challenge(newFirst, connect);
    const abandoned = failsWith(() => pending, /restarted meanwhile/);
    const restarted = must(await auth.start(connect), 'restarted client-first');
    await abandoned;
    const result = srv.final(must(await auth.challenge(srv.first(restarted), connect), 'client-final'));
    assert.ok(result.ok, 'the restarted exchange still works');
    await complete(auth, result.data);
  });

  test('scram – SASLprep maps spaces, drops invisible characters, normalises to NFKC', async () => {
    assert.equal(saslPrep('I\u00adX'), 'IX', 'soft hyphen mapped to nothing');
    assert.equal(saslPrep('a\u00a0b'), 'a b', 'no-break space mapped to space');
    assert.equal(saslPrep('\u2168'), 'IX', 'roman numeral nine is IX under NFKC');
    assert.equal(saslPrep('user'), 'user', 'ASCII unchanged');
    // The client and a server that stores the NFKC form agree on a password that is not normalised.
    const srv = server({ password: 'IX' });
    const { result } = await exchange(scramSha256({ username: 'user', password: '\u2168' }), srv);
    assert.ok(result.ok, `NFKC password accepted: ${str(result.data)}`);
  });

  test('scram – prohibited characters and an empty user name are refused up front', () => {
    const refused = (options: { username: string; password: string }, pattern: RegExp): void => {
      assert.throws(
        () => scramSha256(options),
        (e: unknown) => e instanceof InvalidArgumentError && pattern.test(e.message),
        `refused: ${pattern}`,
      );
    };
    refused(
      { username: 'a\u0007', password: 'p' },
      /user name holds a character SASLprep prohibits: U\+0007/,
    );
    refused({ username: 'u', password: 'p\ue000' }, /password holds .* U\+E000/);
    refused({ username: 'u', password: '\u200e' }, /U\+200E/);
    refused({ username: 'u', password: '\ud800' }, /U\+D800/);
    refused({ username: '', password: 'p' }, /user name must not be empty/);
    refused({ username: '\u00ad', password: 'p' }, /user name must not be empty/);
  });

  test('scram – a nonce from the hook must be printable without ","', () => {
    for (const nonce of ['', 'a,b', 'caf\u00e9', 'a b']) {
      const auth = scramSha256({ username: 'u', password: 'p', nonce: () => nonce });
      assert.throws(
        () => auth.start(connect),
        InvalidArgumentError,
        `nonce ${JSON.stringify(nonce)} refused`,
      );
    }
  });

  test('scram – AuthenticationError is an MqttError with a stable code', () => {
    const e = new AuthenticationError('SCRAM-SHA-256', 'because');
    assert.ok(e instanceof MqttError, 'extends MqttError');
    assert.ok(isMqttError(e), 'branded');
    assert.equal(e.name, 'AuthenticationError', 'name');
    assert.equal(e.code, 'MQTT_ERR_AUTHENTICATION_FAILED', 'code');
    assert.equal(e.method, 'SCRAM-SHA-256', 'method');
    assert.equal(e.message, 'SCRAM-SHA-256 authentication failed: because', 'message');
  });
});

describe('base64', () => {
  test('base64 – encodes and decodes like Buffer, for every length up to 64', () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
      const expected = Buffer.from(bytes).toString('base64');
      assert.equal(base64Encode(bytes), expected, `encode, ${length} bytes`);
      assert.deepEqual(base64Decode(expected), bytes, `decode, ${length} bytes`);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal(base64Encode(all), Buffer.from(all).toString('base64'), 'every byte value');
  });

  test('base64 – anything but canonical padded base64 decodes to undefined', () => {
    for (const text of [
      'A',
      'AB',
      'ABC',
      'AB=C',
      '====',
      'A===',
      'AB-_',
      'QUJD\n',
      'QR==',
      'QUI=QUI=',
      'Zm9v\u00e9AAA',
    ]) {
      assert.equal(base64Decode(text), undefined, `${JSON.stringify(text)} refused`);
    }
    assert.deepEqual(base64Decode(''), new Uint8Array(0), 'empty text is no bytes');
    assert.deepEqual(base64Decode('QQ=='), Uint8Array.of(0x41), 'QQ== is "A"');
  });
});
