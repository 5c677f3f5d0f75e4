// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The client side of SCRAM-SHA-256 (RFC 5802, with the hash of RFC 7677) as an MQTT 5 {@link Authenticator}.
 * SCRAM lets client and server prove to each other that they know the password without sending it, and lets the
 * server store only salted hashes. The messages travel as UTF-8 in the Authentication Data property:
 * ```
 * CONNECT   method SCRAM-SHA-256, data client-first-message   n,,n=user,r=<client nonce>
 * AUTH 0x18 data server-first-message                         r=<client nonce + server nonce>,s=<salt>,i=<count>
 * AUTH 0x18 data client-final-message                         c=biws,r=<nonce>,p=<client proof>
 * CONNACK   0x00, data server-final-message                   v=<server signature>
 * ```
 * A re-authentication is the same with AUTH 0x19 first and AUTH 0x00 last. Channel binding is not offered (the
 * `n,,` header), since Web Crypto cannot reach the TLS channel; nor is an authorization identity.
 *
 * Runtime-neutral: only `TextEncoder`, `TextDecoder` and Web Crypto (`globalThis.crypto`) are used.
 *
 * @module
 */
import { InvalidArgumentError } from '../packet/errors.js';
import { type AuthContext, AuthenticationError, type Authenticator } from './authenticator.js';
import { base64Decode, base64Encode } from './base64.js';

const METHOD = 'SCRAM-SHA-256';
// gs2-header: "n" = the client does not support channel binding, and no authorization identity follows.
const GS2_HEADER = 'n,,';
// c= in the client-final-message repeats the gs2-header in base64 so that the proof covers it (RFC 5802 7).
const CHANNEL_BINDING = base64Encode(new TextEncoder().encode(GS2_HEADER));
// 24 random bytes give 192 bits of nonce, far more than an exchange needs to be unique, in 32 base64 characters.
const NONCE_BYTES = 24;
// Web Crypto's PBKDF2 takes the count as a WebIDL unsigned long; anything larger cannot be computed at all.
const MAX_ITERATIONS = 0xffff_ffff;

const encoder = new TextEncoder();
// fatal: a server message that is not UTF-8 is malformed, and must not be silently repaired into one that parses.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Options of {@link scramSha256}. */
export interface ScramOptions {
  /** The user name; prepared with SASLprep (see {@link saslPrep}) and escaped as RFC 5802 requires. */
  readonly username: string;
  /** The password; prepared with SASLprep (see {@link saslPrep}). */
  readonly password: string;
  /**
   * Makes the client nonce of each exchange; for tests that need a fixed exchange. The default is 24 random bytes
   * from `crypto.getRandomValues`, in base64. A nonce must be printable ASCII without `,`.
   */
  readonly nonce?: () => string;
}

/**
 * An {@link Authenticator} for the `SCRAM-SHA-256` Authentication Method: the client side of RFC 5802 with
 * SHA-256 (RFC 7677), without channel binding. The server must send its signature (`v=`) either in the data of
 * the CONNACK / AUTH 0x00 that ends the exchange, or in a further AUTH 0x18 (answered with no data); success
 * without a verified signature is rejected, since the server would not have proved that it knows the password.
 *
 * Any iteration count from 1 up is accepted: RFC 7677 asks for at least 4,096, but refusing a lower count would
 * lock the client out of a working broker, and it is the server's choice how hard its stored keys are to attack.
 * The count is not capped below Web Crypto's limit either, so a hostile server can make the client spend CPU time.
 *
 * @throws InvalidArgumentError (`MQTT_ERR_INVALID_ARGUMENT`) when the user name is empty or either string holds a
 *   character SASLprep prohibits.
 */
export function scramSha256(options: ScramOptions): Authenticator {
  const username = saslPrep(options.username, 'user name');
  if (username === '') throw new InvalidArgumentError('SCRAM user name must not be empty');
  const password = encoder.encode(saslPrep(options.password, 'password'));
  return new ScramSha256(escapeSaslName(username), password, options.nonce ?? randomNonce);
}

type Exchange =
  | { readonly step: 'first-sent'; readonly nonce: string; readonly clientFirstBare: string }
  | { readonly step: 'final-sent' | 'verified'; readonly serverSignature: Uint8Array }
  | { readonly step: 'failed' };

class ScramSha256 implements Authenticator {
  readonly method = METHOD;
  private exchange: Exchange | undefined;

  constructor(
    private readonly saslName: string,
    private readonly password: Uint8Array<ArrayBuffer>,
    private readonly makeNonce: () => string,
  ) {}

  start(_context: AuthContext): Uint8Array {
    const nonce = this.makeNonce();
    // [RFC 5802 7] c-nonce is printable: %x21-2B / %x2D-7E, that is visible ASCII except the separator ",".
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) {
      throw new InvalidArgumentError('SCRAM nonce must be non-empty printable ASCII without ","');
    }
    const clientFirstBare = `n=${this.saslName},r=${nonce}`;
    this.exchange = { step: 'first-sent', nonce, clientFirstBare };
    return encoder.encode(GS2_HEADER + clientFirstBare);
  }

  async challenge(data: Uint8Array | undefined, _context: AuthContext): Promise<Uint8Array | undefined> {
    const exchange = this.exchange;
    try {
      if (exchange?.step === 'first-sent') {
        const text = serverText(data, 'server-first-message');
        const { reply, serverSignature } = await clientFinal(exchange, text, this.password);
        this.advance(exchange, { step: 'final-sent', serverSignature });
        return encoder.encode(reply);
      }
      if (exchange?.step === 'final-sent') {
        // Some servers send the server-final-message in one more AUTH 0x18 and expect an empty answer.
        verifyServerFinal(serverText(data, 'server-final-message'), exchange.serverSignature);
        this.advance(exchange, { step: 'verified', serverSignature: exchange.serverSignature });
        return undefined;
      }
      throw new AuthenticationError(
        METHOD,
        `unexpected AUTH 0x18 Continue Authentication ${stepText(exchange)}`,
      );
    } catch (e) {
      this.fail(exchange);
      throw e;
    }
  }

  complete(data: Uint8Array | undefined, _context: AuthContext): void {
    const exchange = this.exchange;
    try {
      if (exchange?.step === 'final-sent' || (exchange?.step === 'verified' && data !== undefined)) {
        verifyServerFinal(serverText(data, 'server-final-message'), exchange.serverSignature);
        this.exchange = { step: 'verified', serverSignature: exchange.serverSignature };
      } else if (exchange?.step === 'first-sent') {
        throw new AuthenticationError(METHOD, 'the server reported success before the client sent its proof');
      } else if (exchange?.step !== 'verified') {
        throw new AuthenticationError(METHOD, `unexpected success ${stepText(exchange)}`);
      }
    } catch (e) {
      this.fail(exchange);
      throw e;
    }
  }

  /** Moves on to `next` unless `start()` began a new exchange while this one awaited Web Crypto. */
  private advance(from: Exchange, next: Exchange): void {
    if (this.exchange !== from) throw new AuthenticationError(METHOD, 'the exchange was restarted meanwhile');
    this.exchange = next;
  }

  /** Marks the exchange failed, so that nothing but a new `start()` can continue. */
  private fail(exchange: Exchange | undefined): void {
    if (exchange !== undefined && this.exchange === exchange) this.exchange = { step: 'failed' };
  }
}

function stepText(exchange: Exchange | undefined): string {
  if (exchange === undefined) return 'before start()';
  return exchange.step === 'failed' ? 'after the exchange failed' : 'after the exchange succeeded';
}

/** The UTF-8 text of a server message, or an {@link AuthenticationError}; `e=` is the server reporting failure. */
function serverText(data: Uint8Array | undefined, expected: string): string {
  if (data === undefined || data.length === 0) {
    throw new AuthenticationError(
      METHOD,
      `the server sent no Authentication Data where a ${expected} was due`,
    );
  }
  let text: string;
  try {
    text = decoder.decode(data);
  } catch (cause) {
    throw new AuthenticationError(METHOD, `the ${expected} is not valid UTF-8`, { cause });
  }
  // [RFC 5802 7] server-error = "e=" server-error-value; it may come instead of any server message.
  if (text.startsWith('e=')) {
    const value = text.slice(2).split(',', 1)[0] as string;
    throw new AuthenticationError(METHOD, `the server reported the error "${value}"`);
  }
  return text;
}

interface ServerFirst {
  readonly nonce: string;
  readonly salt: Uint8Array<ArrayBuffer>;
  readonly iterations: number;
}

/** Builds the client-final-message for `serverFirst`, and the server signature that will prove the server. */
async function clientFinal(
  exchange: { readonly nonce: string; readonly clientFirstBare: string },
  serverFirst: string,
  password: Uint8Array<ArrayBuffer>,
): Promise<{ reply: string; serverSignature: Uint8Array }> {
  const { nonce, salt, iterations } = parseServerFirst(serverFirst, exchange.nonce);
  const withoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
  const authMessage = encoder.encode(`${exchange.clientFirstBare},${serverFirst},${withoutProof}`);
  const subtle = globalThis.crypto.subtle;
  const saltedPassword = await pbkdf2(subtle, password, salt, iterations);
  const clientKey = await hmac(subtle, saltedPassword, encoder.encode('Client Key'));
  const storedKey = new Uint8Array(await subtle.digest('SHA-256', clientKey));
  const clientSignature = await hmac(subtle, storedKey, authMessage);
  const serverKey = await hmac(subtle, saltedPassword, encoder.encode('Server Key'));
  const serverSignature = await hmac(subtle, serverKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ (clientSignature[i] as number));
  return { reply: `${withoutProof},p=${base64Encode(proof)}`, serverSignature };
}

/**
 * Reads `r=`, `s=` and `i=` from the server-first-message. RFC 5802 fixes their order; the order is not enforced
 * here (the message enters the AuthMessage verbatim, so it cannot be tampered with by reordering), but each must
 * appear once. Extensions after them are ignored, as the RFC allows; a mandatory extension (`m=`) is refused.
 */
function parseServerFirst(text: string, clientNonce: string): ServerFirst {
  const attributes = parseAttributes(text, 'server-first-message');
  if (attributes.has('m')) {
    throw new AuthenticationError(METHOD, 'the server-first-message requires an unsupported extension (m=)');
  }
  const nonce = required(attributes, 'r', 'nonce');
  // [RFC 5802 5.1] the server appends its own part to the client's nonce; anything else may be a replay.
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    throw new AuthenticationError(METHOD, 'the server nonce (r=) does not extend the client nonce');
  }
  const salt = base64Decode(required(attributes, 's', 'salt'));
  if (salt === undefined || salt.length === 0) {
    throw new AuthenticationError(METHOD, 'the salt (s=) of the server-first-message is not base64');
  }
  const count = required(attributes, 'i', 'iteration count');
  const iterations = Number(count);
  if (!/^[1-9][0-9]*$/.test(count) || iterations > MAX_ITERATIONS) {
    throw new AuthenticationError(
      METHOD,
      `the iteration count (i=) "${count}" is not a whole number from 1 to ${MAX_ITERATIONS}`,
    );
  }
  return { nonce, salt, iterations };
}

/** Splits `a=value,b=value` into a map of attribute letter → value, refusing duplicates and stray text. */
function parseAttributes(text: string, what: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of text.split(',')) {
    if (!/^[A-Za-z]=/.test(part)) {
      throw new AuthenticationError(METHOD, `the ${what} has a malformed attribute "${part}"`);
    }
    const key = part[0] as string;
    if (attributes.has(key))
      throw new AuthenticationError(METHOD, `the ${what} repeats the attribute ${key}=`);
    attributes.set(key, part.slice(2));
  }
  return attributes;
}

function required(attributes: Map<string, string>, key: string, name: string): string {
  const value = attributes.get(key);
  if (value === undefined || value === '') {
    throw new AuthenticationError(METHOD, `the server-first-message has no ${name} (${key}=)`);
  }
  return value;
}

/** Checks the `v=` of a server-final-message (extensions after it are ignored, as RFC 5802 allows). */
function verifyServerFinal(text: string, expected: Uint8Array): void {
  const first = text.split(',', 1)[0] as string;
  if (!first.startsWith('v=')) {
    throw new AuthenticationError(METHOD, `the server-final-message has no signature (v=): "${first}"`);
  }
  const signature = base64Decode(first.slice(2));
  if (signature === undefined) {
    throw new AuthenticationError(METHOD, 'the server signature (v=) is not base64');
  }
  if (!equalBytes(signature, expected)) {
    throw new AuthenticationError(
      METHOD,
      'the server signature (v=) is wrong: the server does not know the password',
    );
  }
}

// Compares every byte whatever the first difference, so the time taken reveals nothing about where it lies.
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

async function pbkdf2(
  subtle: SubtleCrypto,
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations };
  return new Uint8Array(await subtle.deriveBits(params, key, 256));
}

async function hmac(
  subtle: SubtleCrypto,
  keyBytes: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', key, data));
}

function randomNonce(): string {
  return base64Encode(globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/** [RFC 5802 5.1] saslname: "=" and "," would end the attribute, so they are written =3D and =2C. */
function escapeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

// The tables of RFC 3454 that SASLprep uses, as flat lists of inclusive [first, last] code point pairs. Code point
// tables rather than regular expression classes, because several entries are combining marks, which a character
// class would match only in part of a grapheme.
// C.1.2 non-ASCII spaces, mapped to U+0020 (RFC 4013 2.1). U+200B is in both this table and B.1; it is removed,
// as common SASLprep implementations do.
const NON_ASCII_SPACE = [
  0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000,
];
// B.1, "commonly mapped to nothing": soft hyphen, zero-width joiners, variation selectors …
const MAPPED_TO_NOTHING = [
  0xad, 0xad, 0x34f, 0x34f, 0x1806, 0x1806, 0x180b, 0x180d, 0x200b, 0x200d, 0x2060, 0x2060, 0xfe00, 0xfe0f,
  0xfeff, 0xfeff,
];
// C.2.2, C.6, C.7, C.8 and C.9 beyond what the Unicode classes below cover (B.1 has removed U+200C, U+200D, U+2060
// and U+FEFF already, and C.1.2 has mapped the spaces).
const PROHIBITED_EXTRA = [
  0x340, 0x341, 0x6dd, 0x6dd, 0x70f, 0x70f, 0x180e, 0x180e, 0x200e, 0x200f, 0x2028, 0x202e, 0x2061, 0x2063,
  0x206a, 0x206f, 0x2ff0, 0x2ffb, 0xfff9, 0xfffd, 0x1d173, 0x1d17a, 0xe0001, 0xe0001, 0xe0020, 0xe007f,
];
// C.2.1 and C.2.2 controls, C.3 private use, C.5 surrogates, C.4 non-characters.
const PROHIBITED_CLASSES = /[\p{Cc}\p{Co}\p{Cs}\p{Noncharacter_Code_Point}]/u;

function inTable(codePoint: number, table: readonly number[]): boolean {
  for (let i = 0; i < table.length; i += 2) {
    if (codePoint >= (table[i] as number) && codePoint <= (table[i + 1] as number)) return true;
  }
  return false;
}

/**
 * SASLprep (RFC 4013) as far as JavaScript's built-ins allow: non-ASCII spaces become U+0020, characters commonly
 * mapped to nothing are removed, the result is normalised to NFKC, and prohibited characters (controls, private
 * use, surrogates, non-characters, the other tables of RFC 3454 C.2 to C.9) are refused. Not done: the check for
 * code points unassigned in Unicode 3.2 and the bidirectional rules (RFC 3454 section 6), which need tables
 * JavaScript does not provide; a server that does them may refuse a string this function accepts. ASCII strings
 * other than controls are returned unchanged.
 *
 * @param what - names the string in the error message, e.g. `'password'`.
 * @throws InvalidArgumentError (`MQTT_ERR_INVALID_ARGUMENT`) naming the prohibited character by code point (never
 *   the string itself, which may be a password).
 */
export function saslPrep(text: string, what = 'string'): string {
  let mapped = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) as number;
    if (!inTable(codePoint, MAPPED_TO_NOTHING)) mapped += inTable(codePoint, NON_ASCII_SPACE) ? ' ' : char;
  }
  mapped = mapped.normalize('NFKC');
  for (const char of mapped) {
    const codePoint = char.codePointAt(0) as number;
    if (PROHIBITED_CLASSES.test(char) || inTable(codePoint, PROHIBITED_EXTRA)) {
      const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
      throw new InvalidArgumentError(`SCRAM ${what} holds a character SASLprep prohibits: U+${hex}`);
    }
  }
  return mapped;
}
