// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A transport over the brokers a domain lists in DNS SRV records (Node only): each connection attempt looks them
 * up again and dials the targets in RFC 2782 order until one accepts.
 *
 * @module
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../packet/errors.js';
import { failoverTransport, parseServerReference, type Target } from './failover.js';
import { socketTransport, type TlsOptions } from './node-socket.js';
import { type ProxyRoute, proxyFor } from './proxy-route.js';
import { resolveSrvBrokers, type SrvBroker, SrvLookupError, type SrvRecord } from './srv.js';
import type { ConnectHint, TransportFactory } from './transport.js';

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
  /** The proxy to reach each target through, if any. */
  proxy?: ProxyRoute;
}

/**
 * A transport factory that, per connection attempt, looks up the SRV records of `plan.domain` and connects to the
 * first target that accepts. @throws {InvalidArgumentError} when the domain is an IP address.
 */
export function srvTransport(plan: SrvPlan): TransportFactory {
  if (isIP(plan.domain) !== 0)
    throw new InvalidArgumentError(`DNS SRV needs a domain name, not the address ${plan.domain}`);
  return failoverTransport<SrvBroker>({
    label: plan.domain,
    dialTimeout: plan.dialTimeout,
    targets: async (signal, hint) => [
      ...referenced(hint, plan.fallbackPort),
      ...(await srvTargets(plan, signal)),
    ],
    dial: (target, handlers) =>
      socketTransport({ ...target, ...plan.dial, ...proxyFor(plan.proxy, target, plan.dialTimeout) })(
        handlers,
      ),
  });
}

/** The targets of a Server Reference to follow, tried before the others. */
export function referenced(hint: ConnectHint | undefined, defaultPort: number): Target[] {
  return hint?.serverReference === undefined ? [] : parseServerReference(hint.serverReference, defaultPort);
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
