// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Runs the application's {@link Authenticator} for the session engine: its steps may be asynchronous (Web Crypto
 * is), while the engine is not. Every answer is checked against the connection it was asked on, so a step that
 * finishes after its connection dropped changes nothing.
 *
 * @module
 */
import { type AuthContext, AuthenticationError, type Authenticator } from '../auth/authenticator.js';
import { isMqttError } from '../packet/errors.js';
import type { SessionEngine } from '../session/engine.js';
import { type Deferred, deferred } from './deferred.js';

const AT_CONNECT: AuthContext = Object.freeze({ reauthenticate: false });
const AT_REAUTH: AuthContext = Object.freeze({ reauthenticate: true });

/** What the runner needs from the client. */
export interface AuthRunnerHooks {
  /** The identity of the current connection (the transport), undefined when there is none. */
  connection(): unknown;
  /** Something was handed to the engine: re-arm the timer. */
  poke(): void;
  /** The authenticator failed before CONNECT could go out: close the connection with this error. */
  abort(error: Error): void;
}

/** Drives one client's authenticator. */
export class AuthRunner {
  private reauth: Deferred<void> | undefined;

  constructor(
    readonly authenticator: Authenticator,
    private readonly engine: SessionEngine<Deferred<unknown>>,
    private readonly hooks: AuthRunnerHooks,
  ) {}

  /** The transport opened: CONNECT goes out with the authenticator's initial data. */
  open(): void {
    this.run(
      () => this.authenticator.start(AT_CONNECT),
      (data) => this.engine.connectionOpened(Date.now(), data),
      true,
    );
  }

  /** The broker sent a challenge. */
  challenge(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.run(
      () => this.authenticator.challenge(data, reauthenticate ? AT_REAUTH : AT_CONNECT),
      (answer) => this.engine.authRespond(answer, Date.now()),
    );
  }

  /** The broker ended an exchange in success, with its final data for the authenticator to check. */
  succeeded(data: Uint8Array | undefined, reauthenticate: boolean): void {
    this.run(
      () => this.authenticator.complete?.(data, reauthenticate ? AT_REAUTH : AT_CONNECT),
      () => {
        if (!reauthenticate) {
          this.engine.authVerified(Date.now());
          return;
        }
        const d = this.reauth;
        this.reauth = undefined;
        d?.resolve();
      },
    );
  }

  /**
   * Starts a re-authentication; resolves when the broker accepted it and the authenticator accepted the broker.
   * A second call while one is in progress gets the same promise.
   */
  reauthenticate(): Promise<void> {
    if (this.reauth !== undefined) return this.reauth.promise;
    const d = deferred<void>();
    this.reauth = d;
    this.run(
      () => this.authenticator.start(AT_REAUTH),
      (data) => {
        if (!this.engine.reauthenticate(data, Date.now()))
          this.failReauth(new AuthenticationError(this.authenticator.method, 'the client is not connected'));
      },
    );
    return d.promise;
  }

  /** The connection ended: a re-authentication in progress fails with `error`. */
  connectionClosed(error: Error): void {
    this.failReauth(error);
  }

  private failReauth(error: Error): void {
    const d = this.reauth;
    this.reauth = undefined;
    d?.reject(error);
  }

  // Runs one step of the authenticator: synchronous results go on at once, promises when they settle, and only
  // if the connection is still the one the step was asked on.
  private run<R>(step: () => R | Promise<R>, then: (result: R) => void, beforeConnect = false): void {
    const connection = this.hooks.connection();
    const fail = (e: unknown): void => {
      if (this.hooks.connection() !== connection) return;
      const error = isMqttError(e)
        ? e
        : new AuthenticationError(this.authenticator.method, e instanceof Error ? e.message : String(e), {
            cause: e,
          });
      this.failReauth(error);
      if (beforeConnect) this.hooks.abort(error);
      else this.engine.authFailed(error, Date.now());
      this.hooks.poke();
    };
    const proceed = (result: R): void => {
      if (this.hooks.connection() !== connection) return;
      then(result);
      this.hooks.poke();
    };
    let result: R | Promise<R>;
    try {
      result = step();
    } catch (e) {
      fail(e);
      return;
    }
    if (result instanceof Promise) result.then(proceed, fail);
    else proceed(result);
  }
}
