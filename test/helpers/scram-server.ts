// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), for scripted-broker tests of enhanced authentication. It
 * is written independently of `src/auth/scram.ts` (node:crypto, its own parsing), so that a round trip between
 * the two checks the client against a second reading of the RFC rather than against itself. It keeps the state of
 * one exchange at a time; call `first` again to start another.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/** Options of {@link ScramServer}. */
export interface ScramServerOptions {
  /** The user name the server knows, unescaped (as the user typed it, after SASLprep). */
  readonly username: string;
  /** That user's password. */
  readonly password: string;
  /** The salt the server stored beside the keys. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** What the server appends to the client's nonce (printable ASCII without ","). */
  readonly nonceSuffix: string;
}

/** Outcome of {@link ScramServer.final}: the server-final-message, `v=` on success and `e=` on failure. */
export type ScramServerResult = { ok: true; data: Uint8Array } | { ok: false; data: Uint8Array };

interface Pending {
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly nonce: string;
  readonly knownUser: boolean;
}

/** A SCRAM-SHA-256 server for one user, answering client messages with the bytes a broker would send. */
export class ScramServer {
  /** The user name the client sent in its last client-first-message, unescaped. */
  lastUsername: string | undefined;
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;
  private pending: Pending | undefined;

  constructor(private readonly options: ScramServerOptions) {
    // A real server stores only StoredKey and ServerKey, never the password; do the same here.
    const salted = pbkdf2Sync(
      options.password.normalize('NFKC'),
      options.salt,
      options.iterations,
      32,
      'sha256',
    );
    this.storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
    this.serverKey = hmac(salted, 'Server Key');
  }

  /** Answers a client-first-message (`n,,n=…,r=…`) with the server-first-message. Throws on a malformed one. */
  first(clientFirst: Uint8Array): Uint8Array {
    const text = Buffer.from(clientFirst).toString('utf8');
    const match = /^n,,(n=([^,]*),r=([\x21-\x2b\x2d-\x7e]+))$/.exec(text);
    if (match === null) throw new Error(`malformed client-first-message: ${text}`);
    const [, clientFirstBare, saslName, clientNonce] = match as unknown as [string, string, string, string];
    const username = saslName.replaceAll('=2C', ',').replaceAll('=3D', '=');
    this.lastUsername = username;
    const nonce = clientNonce + this.options.nonceSuffix;
    const salt = Buffer.from(this.options.salt).toString('base64');
    const serverFirst = `r=${nonce},s=${salt},i=${this.options.iterations}`;
    // An unknown user still gets a server-first-message, so that a client cannot probe which users exist.
    const knownUser = username === this.options.username.normalize('NFKC');
    this.pending = { clientFirstBare, serverFirst, nonce, knownUser };
    return utf8(serverFirst);
  }

  /** Checks a client-final-message (`c=biws,r=…,p=…`) and answers with the server-final-message. */
  final(clientFinal: Uint8Array): ScramServerResult {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) throw new Error('client-final-message before a client-first-message');
    const text = Buffer.from(clientFinal).toString('utf8');
    const match = /^(c=([^,]*),r=([^,]*)),p=([A-Za-z0-9+/=]+)$/.exec(text);
    if (match === null) return refuse('invalid-encoding');
    const [, withoutProof, binding, nonce, proof] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (binding !== 'biws') return refuse('channel-bindings-dont-match');
    if (nonce !== pending.nonce) return refuse('other-error');
    if (!pending.knownUser) return refuse('unknown-user');
    const authMessage = `${pending.clientFirstBare},${pending.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.storedKey, authMessage);
    const clientKey = Buffer.from(proof, 'base64').map((b, i) => b ^ (clientSignature[i] as number));
    const candidate = createHash('sha256').update(clientKey).digest();
    if (candidate.length !== this.storedKey.length || !timingSafeEqual(candidate, this.storedKey)) {
      return refuse('invalid-proof');
    }
    const signature = hmac(this.serverKey, authMessage).toString('base64');
    return { ok: true, data: utf8(`v=${signature}`) };
  }
}

function hmac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

// Plain Uint8Array rather than Buffer, as a broker's decoded Authentication Data would be.
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function refuse(error: string): ScramServerResult {
  return { ok: false, data: utf8(`e=${error}`) };
}
