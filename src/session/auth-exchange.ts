// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT 5 enhanced authentication (section 4.12): the AUTH packets of the exchange that starts with CONNECT, and of
 * a re-authentication on a live connection. The engine keeps the order of things; what the data means is the
 * authenticator's business, which the client runs (it may be asynchronous). Part of the session engine.
 *
 * @module
 */
import { ReasonCode } from '../packet/reason-codes.js';
import type { AuthPacket, Packet } from '../packet/types.js';

/** What the exchange needs from the engine around it. */
export interface AuthHost {
  send(packet: Packet): void;
  protocolError(message: string, reasonCode: number): void;
  /** The broker sent a challenge (AUTH 0x18): the authenticator must answer it. */
  authChallenge(data: Uint8Array | undefined, reauthenticate: boolean): void;
  /** A re-authentication succeeded (AUTH 0x00): the authenticator may check the broker's final data. */
  authSucceeded(data: Uint8Array | undefined, reauthenticate: boolean): void;
  /** The broker asked for a re-authentication (AUTH 0x19, which only clients send in the specification). */
  reauthRequested(): void;
}

/** Where an exchange stands: none, the one that started with CONNECT, or a re-authentication. */
export type AuthState = 'idle' | 'connect' | 'reauth';

/** The AUTH side of one client: its method, and the exchange in progress. */
export class AuthExchange {
  private current: AuthState = 'idle';

  /** `method` is the Authentication Method of CONNECT; undefined when the client does not authenticate so. */
  constructor(
    readonly method: string | undefined,
    private readonly host: AuthHost,
  ) {}

  /** The exchange in progress. */
  get state(): AuthState {
    return this.current;
  }

  /** CONNECT went out: with a method, its exchange is under way until CONNACK. */
  connectionStarted(): void {
    this.current = this.method === undefined ? 'idle' : 'connect';
  }

  /** CONNACK arrived or the connection ended: no exchange is in progress any more. */
  finished(): void {
    this.current = 'idle';
  }

  /** An AUTH packet arrived. */
  onAuth(packet: AuthPacket): void {
    const method = packet.properties?.authenticationMethod;
    if (this.method === undefined) {
      this.host.protocolError(
        'the broker sent AUTH, but this client uses no authentication method',
        ReasonCode.ProtocolError,
      );
      return;
    }
    // [MQTT-4.12.0-5] the same method throughout the exchange
    if (method !== this.method) {
      this.host.protocolError(
        `the broker sent AUTH with method ${method === undefined ? '(none)' : `"${method}"`}, not "${this.method}"`,
        ReasonCode.ProtocolError,
      );
      return;
    }
    const data = packet.properties?.authenticationData;
    switch (packet.reasonCode) {
      case ReasonCode.ContinueAuthentication:
        if (this.current === 'idle') {
          this.host.protocolError(
            'the broker sent AUTH 0x18 outside an authentication exchange',
            ReasonCode.ProtocolError,
          );
          return;
        }
        this.host.authChallenge(data, this.current === 'reauth');
        return;
      case ReasonCode.ReAuthenticate:
        if (this.current !== 'idle') {
          this.host.protocolError(
            'the broker sent AUTH 0x19 during an authentication exchange',
            ReasonCode.ProtocolError,
          );
          return;
        }
        this.host.reauthRequested();
        return;
      default:
        // Success: only a re-authentication ends with AUTH; the first exchange ends with CONNACK.
        if (this.current !== 'reauth') {
          this.host.protocolError(
            'the broker sent AUTH Success outside a re-authentication',
            ReasonCode.ProtocolError,
          );
          return;
        }
        this.current = 'idle';
        this.host.authSucceeded(data, true);
    }
  }

  /** The authenticator's answer to a challenge: AUTH 0x18 with it. Ignored when no exchange is in progress. */
  respond(data: Uint8Array | undefined): void {
    if (this.current === 'idle' || this.method === undefined) return;
    this.host.send(authPacket(ReasonCode.ContinueAuthentication, this.method, data));
  }

  /** Starts a re-authentication (AUTH 0x19). Returns false when one cannot start now. */
  reauthenticate(data: Uint8Array | undefined): boolean {
    if (this.current !== 'idle' || this.method === undefined) return false;
    this.current = 'reauth';
    this.host.send(authPacket(ReasonCode.ReAuthenticate, this.method, data));
    return true;
  }
}

function authPacket(reasonCode: number, method: string, data: Uint8Array | undefined): AuthPacket {
  const properties: NonNullable<AuthPacket['properties']> = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = data;
  return { type: 'auth', reasonCode, properties };
}
