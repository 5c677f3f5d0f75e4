// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The pluggable side of MQTT 5 enhanced authentication (MQTT 5.0 section 4.12). An {@link Authenticator} knows one
 * authentication method (SCRAM, Kerberos, an OAuth token exchange …) and turns each piece of Authentication Data the
 * server sends into the next piece the client answers with. It sends nothing itself: the protocol engine carries
 * the data in CONNECT, AUTH and CONNACK packets and calls the authenticator at the points documented below, so an
 * authenticator is plain code with no I/O and can be tested without a broker.
 *
 * The exchange that starts at CONNECT:
 * ```
 * client                                              server
 * CONNECT   (method, data from start())          ──►
 *                                                 ◄── AUTH 0x18 Continue Authentication (data → challenge())
 * AUTH 0x18 (method, data from challenge())      ──►
 *           … as many rounds as the method needs …
 *                                                 ◄── CONNACK 0x00 (data → complete())
 * ```
 * A re-authentication on a live connection is the same, starting with AUTH 0x19 Re-authenticate instead of
 * CONNECT and ending with AUTH 0x00 Success instead of CONNACK. A refusal (CONNACK or DISCONNECT with a failure
 * reason code) ends the exchange without a call; the next one begins with a fresh `start()`.
 *
 * @module
 */
import { MqttError } from '../packet/errors.js';

/** What the protocol engine tells an {@link Authenticator} about the exchange under way. */
export interface AuthContext {
  /**
   * `true` for a re-authentication on a live connection (started by the client's AUTH 0x19 Re-authenticate),
   * `false` for the exchange that starts at CONNECT.
   */
  readonly reauthenticate: boolean;
}

/**
 * One authentication method of MQTT 5 enhanced authentication (section 4.12). The engine calls `start` once per
 * exchange, `challenge` once for each AUTH 0x18 from the server, and `complete` when the server reports success.
 * It never calls two of them at once, and waits for a returned promise before it sends anything.
 *
 * Any method may throw (or reject); the engine then abandons the exchange and closes the connection (MQTT 5
 * DISCONNECT 0x87 Not authorized is the natural reason code). Throw an {@link AuthenticationError} for a failure
 * of the exchange itself, so that callers can tell it apart from a bug.
 */
export interface Authenticator {
  /**
   * The Authentication Method property (0x15) sent in CONNECT and in every AUTH packet, e.g. `'SCRAM-SHA-256'`. The
   * server must answer with the same method [MQTT-4.12.0-5]; the engine checks that, not the authenticator.
   */
  readonly method: string;

  /**
   * Starts a new exchange, forgetting any state left from an earlier one (a reconnect or a re-authentication
   * starts over from here). Called while the engine builds the CONNECT, or the AUTH 0x19 that starts a
   * re-authentication.
   *
   * @returns the Authentication Data (property 0x16) for that CONNECT or AUTH 0x19, or `undefined` to send none.
   */
  start(context: AuthContext): Uint8Array | undefined | Promise<Uint8Array | undefined>;

  /**
   * Called when the server sends AUTH 0x18 Continue Authentication, with that packet's Authentication Data
   * (`undefined` when it had none). Throw to abort the exchange.
   *
   * @returns the Authentication Data for the client's AUTH 0x18 answer, or `undefined` to send none.
   */
  challenge(
    data: Uint8Array | undefined,
    context: AuthContext,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;

  /**
   * Called when the server ends the exchange with success: CONNACK 0x00 after CONNECT, or AUTH 0x00 Success after a
   * re-authentication, with that packet's Authentication Data (`undefined` when it had none). Verify it here and
   * throw to reject the server, for example when its proof of knowing the password is wrong: the engine then
   * closes the connection instead of reporting it as established. Optional: without it, success is taken as is.
   */
  complete?(data: Uint8Array | undefined, context: AuthContext): void | Promise<void>;
}

/**
 * An enhanced-authentication exchange failed on the client's side: the server's data was malformed, did not
 * follow the method's rules, reported an error, or failed verification (a wrong server signature). The message
 * says which. Code `MQTT_ERR_AUTHENTICATION_FAILED`.
 */
export class AuthenticationError extends MqttError {
  /** The Authentication Method whose exchange failed, e.g. `'SCRAM-SHA-256'`. */
  readonly method: string;

  constructor(method: string, message: string, options?: { cause?: unknown }) {
    super('MQTT_ERR_AUTHENTICATION_FAILED', `${method} authentication failed: ${message}`, options);
    this.method = method;
  }
}
