// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A transport over the brokers a domain lists in DNS SRV records (Node only): each connection attempt looks them
 * up again and dials the targets in RFC 2782 order until one accepts.
 *
 * @module
 */
import { isIP } from 'node:net';
import { ConnectionError, TimeoutError } from '../errors.js';
import { InvalidArgumentError } from '../packet/errors.js';
import { socketTransport, type TlsOptions } from './node-socket.js';
import { resolveSrvBrokers, type SrvBroker, SrvLookupError, type SrvRecord } from './srv.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

/** What an SRV transport looks up and how it dials each target. */
export interface SrvPlan {
  /** The domain whose SRV records list the brokers. */
  domain: string;
  /** Port of the fallback to the domain itself when it has no SRV record. */
  fallbackPort: number;
  secure: boolean;
  resolver?: (name: string) => Promise<SrvRecord[]>;
  /** Milliseconds a target gets to accept the connection (and finish the TLS handshake). */
  dialTimeout: number;
  /** Socket settings of every target: TLS or not. */
  dial: { tls?: TlsOptions };
}

/**
 * A transport factory that, per connection attempt, looks up the SRV records of `plan.domain` and connects to the
 * first target that accepts. @throws {InvalidArgumentError} when the domain is an IP address.
 */
export function srvTransport(plan: SrvPlan): TransportFactory {
  if (isIP(plan.domain) !== 0)
    throw new InvalidArgumentError(`DNS SRV needs a domain name, not the address ${plan.domain}`);
  return (handlers) => new SrvTransport(plan, handlers);
}

/** The targets to try, in order: the SRV answer, or the domain itself when it has no SRV record. */
async function srvTargets(plan: SrvPlan, signal: AbortSignal): Promise<SrvBroker[]> {
  try {
    const lookup = { secure: plan.secure, signal, ...(plan.resolver && { resolver: plan.resolver }) };
    return await resolveSrvBrokers(plan.domain, lookup);
  } catch (e) {
    // RFC 2782 leaves this to the protocol; most SRV-aware clients fall back to the name itself. Not after
    // `not-available` (target "."), which says the service is decidedly not there, nor after a failed lookup.
    if (e instanceof SrvLookupError && e.reason === 'not-found')
      return [{ host: plan.domain, port: plan.fallbackPort }];
    throw e;
  }
}

/**
 * One connection attempt through SRV: looks the targets up, then dials them one after the other until one opens;
 * from then on it is that target's transport. Failures after the open (a refusal in CONNACK, a lost connection)
 * are the client's to handle: its next attempt is a new `SrvTransport`, with a new lookup.
 */
class SrvTransport implements Transport {
  private current: Transport | undefined;
  private opened = false;
  /** Ended or destroyed before a target opened. */
  private stopped = false;
  private closed = false;
  private readonly lookup = new AbortController();

  constructor(
    private readonly plan: SrvPlan,
    private readonly handlers: TransportHandlers,
  ) {
    srvTargets(plan, this.lookup.signal).then(
      (targets) => this.dial(targets, 0, []),
      (e: unknown) => {
        if (this.stopped) return; // the abort's own rejection: stop() reports the end
        this.close(e instanceof Error ? e : new ConnectionError(String(e), { cause: e }));
      },
    );
  }

  // The client writes only after `open` (CONNECT first), and that is forwarded only once a target is open.
  write(bytes: Uint8Array): boolean {
    return this.opened && this.current !== undefined ? this.current.write(bytes) : true;
  }

  end(): void {
    if (this.opened) this.current?.end();
    else this.stop(undefined);
  }

  destroy(error?: Error): void {
    if (this.opened) this.current?.destroy(error);
    else this.stop(error);
  }

  private stop(error: Error | undefined): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.current !== undefined) {
      this.current.destroy(error); // its close event reports the end
      return;
    }
    this.lookup.abort();
    // Asynchronously, as a socket reports its close: the caller is still inside end() or destroy().
    queueMicrotask(() => this.close(error));
  }

  private close(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(error);
  }

  private dial(targets: readonly SrvBroker[], index: number, failures: Error[]): void {
    if (this.stopped) return;
    const target = targets[index];
    if (target === undefined) {
      this.close(allFailed(this.plan.domain, failures));
      return;
    }
    const where = `${target.host}:${target.port}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = socketTransport({ ...target, ...this.plan.dial })({
      open: () => {
        clearTimeout(timer);
        if (this.stopped) return;
        this.opened = true;
        this.handlers.open();
      },
      data: (chunk) => {
        if (this.opened) this.handlers.data(chunk);
      },
      drain: () => {
        if (this.opened) this.handlers.drain();
      },
      close: (error) => {
        clearTimeout(timer);
        if (this.opened || this.stopped) {
          this.close(error);
          return;
        }
        failures.push(error ?? new ConnectionError(`${where} closed the connection before it was ready`));
        this.dial(targets, index + 1, failures);
      },
    });
    this.current = t;
    timer = setTimeout(
      () => t.destroy(new TimeoutError(`no connection within ${this.plan.dialTimeout} ms`)),
      this.plan.dialTimeout,
    );
    timer.unref();
  }
}

/** The error of an attempt in which no target opened: the only failure, or all of them. */
function allFailed(domain: string, failures: Error[]): Error {
  if (failures.length === 1) return failures[0] as Error;
  const each = failures.map((e) => e.message).join('; ');
  return new ConnectionError(`no broker of ${domain} could be reached (${failures.length} tried): ${each}`, {
    cause: new AggregateError(failures),
  });
}
