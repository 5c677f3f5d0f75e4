// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The connection's timing: the CONNACK (or verification) deadline, when a PINGREQ is due, and how long to wait
 * for an answer to it. Part of the session engine; it reads no clock, it is told the time.
 *
 * @module
 */
import { TimeoutError } from '../errors.js';
import type { Packet } from '../packet/types.js';
import type { BrokerLimits } from './broker-limits.js';
import type { EngineOptions, Phase } from './types.js';

/** What keep-alive needs from the engine around it. */
export interface KeepAliveHost {
  /** Writes a packet; the host reports it through {@link KeepAlive.sent} like every other one. */
  send(packet: Packet): void;
  /** Where the connection stands. */
  readonly state: Phase;
  /** What the broker allows on this connection: its `keepAlive` is the one in force. */
  readonly brokerLimits: Readonly<BrokerLimits>;
}

/** The timers of one client, as times to compare with the `now` it is given. */
export class KeepAlive {
  private lastSent = 0;
  private lastReceived = 0;
  // When the PINGREQ now awaiting an answer went out; 0 when none does.
  private pingSentAt = 0;
  private connackDeadline = 0;

  constructor(
    private readonly options: Pick<EngineOptions, 'connectTimeout' | 'pingTimeout'>,
    private readonly host: KeepAliveHost,
  ) {}

  /** A transport opened at `now`: CONNACK is due within the connect timeout. */
  connectionOpened(now: number): void {
    this.lastReceived = now;
    this.pingSentAt = 0;
    this.connackDeadline = now + this.options.connectTimeout;
  }

  /** A packet went out at `now`. */
  sent(now: number): void {
    this.lastSent = now;
  }

  /** Bytes arrived at `now` (perhaps only part of a packet): the connection is alive. */
  received(now: number): void {
    this.lastReceived = now;
    this.pingSentAt = 0;
  }

  /**
   * Time passed: sends PINGREQ when due. Returns the TimeoutError to close the connection with when CONNACK (or
   * the authenticator's verification) is overdue or a PINGREQ went unanswered; closing is the host's business.
   */
  tick(now: number): TimeoutError | undefined {
    const phase = this.host.state;
    if ((phase === 'connecting' || phase === 'verifying') && now >= this.connackDeadline) {
      return new TimeoutError(
        phase === 'connecting'
          ? `no CONNACK within ${this.options.connectTimeout} ms`
          : `the authenticator did not check the broker's data within ${this.options.connectTimeout} ms`,
      );
    }
    if (phase !== 'connected' || this.host.brokerLimits.keepAlive === 0) return undefined;
    if (this.pingSentAt > 0) {
      if (now - this.pingSentAt >= this.options.pingTimeout)
        return new TimeoutError(`no answer to PINGREQ within ${this.options.pingTimeout} ms`);
      return undefined;
    }
    if (now >= this.nextPingAt()) {
      this.host.send({ type: 'pingreq' });
      this.pingSentAt = now;
    }
    return undefined;
  }

  /** When `tick` next has something to do, or undefined if nothing is timed. */
  nextDeadline(): number | undefined {
    const phase = this.host.state;
    if (phase === 'connecting' || phase === 'verifying') return this.connackDeadline;
    if (phase !== 'connected' || this.host.brokerLimits.keepAlive === 0) return undefined;
    if (this.pingSentAt > 0) return this.pingSentAt + this.options.pingTimeout;
    return this.nextPingAt();
  }

  // A PINGREQ is due a keep-alive after the last packet sent ([MQTT-3.1.2-23]) and also a keep-alive after the
  // last one received, so that a client that only sends still notices a connection that went silent.
  private nextPingAt(): number {
    return Math.min(this.lastSent, this.lastReceived) + this.host.brokerLimits.keepAlive * 1000;
  }
}
