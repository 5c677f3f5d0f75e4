// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Finding a domain's MQTT brokers through DNS SRV records (RFC 2782), in the order a client should try them.
 * Node only: the default resolver is `node:dns/promises`.
 *
 * @module
 */
import { resolveSrv } from 'node:dns/promises';
import { InvalidArgumentError, MqttError } from '../packet/errors.js';

/** One SRV answer, shaped as `node:dns` returns it. `name` is the target host. */
export interface SrvRecord {
  /** Target host name. `.` (or the empty name) means the service is not available at the domain. */
  name: string;
  /** Port of the service on the target. */
  port: number;
  /** Lower is tried first. */
  priority: number;
  /** Relative share of connections among the records of one priority. */
  weight: number;
}

/** A broker address to dial, in the order returned by {@link resolveSrvBrokers}. */
export interface SrvBroker {
  /** Host name, without a trailing dot. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Options of {@link resolveSrvBrokers}. */
export interface SrvLookupOptions {
  /** Look up `_secure-mqtt._tcp` (MQTT over TLS) instead of `_mqtt._tcp`. Default false. */
  secure?: boolean;
  /** Resolves one SRV name; default `resolveSrv` of `node:dns/promises`. Injected by tests. */
  resolver?: (name: string) => Promise<SrvRecord[]>;
  /** Uniform random numbers in [0, 1) for the weighted order; default `Math.random`. */
  random?: () => number;
  /** Aborts the lookup: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Why an SRV lookup gave no broker (see {@link SrvLookupError}). */
export type SrvLookupFailure = 'not-found' | 'not-available' | 'failed';

/** The stable code of {@link SrvLookupError}. */
export const SRV_LOOKUP_FAILED = 'MQTT_ERR_SRV_LOOKUP_FAILED';

/**
 * A DNS SRV lookup gave no broker to connect to. `reason` tells the cases apart, because a caller may fall back to
 * the domain's own address after `not-found` or `failed`, but RFC 2782 says it must not after `not-available`.
 */
export class SrvLookupError extends MqttError {
  /** The SRV name that was queried, such as `_mqtt._tcp.example.com`. */
  readonly query: string;
  /**
   * `not-found`: no SRV record (NXDOMAIN, no data, or an empty answer); `not-available`: the only target is `.`,
   * the service is decidedly not offered; `failed`: the lookup itself failed (timeout, server failure …).
   */
  readonly reason: SrvLookupFailure;

  constructor(query: string, reason: SrvLookupFailure, message: string, options?: { cause?: unknown }) {
    super(SRV_LOOKUP_FAILED, message, options);
    this.query = query;
    this.reason = reason;
  }
}

// Resolver error codes (node:dns) that mean "there is no such record", as opposed to "could not find out".
const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA']);

/** A record's weight for the draw: anything but a positive number counts as 0. */
function weightOf(r: SrvRecord): number {
  // Not Math.max(r.weight, 0): NaN (from a custom resolver) would poison the sum.
  if (!(r.weight > 0)) return 0;
  return r.weight;
}

function isRootTarget(name: string): boolean {
  // node:dns reports the root name as '' while a zone file writes it '.'.
  return name === '' || name === '.';
}

/**
 * Orders SRV records as RFC 2782 says a client should try them: ascending priority, and within one priority a
 * weighted random order, where each pick chooses among the records not yet picked with a chance proportional to
 * weight. Records of weight 0 are put first in the candidate list, as the RFC prescribes, which gives them a small
 * chance (1 / (sum of weights + 1)) of being picked while others have weight. When all remaining weights are 0,
 * the pick is uniform, so that clients do not all try the same record first. Does not modify `records`.
 *
 * @param random - Uniform random numbers in [0, 1).
 */
export function orderSrvRecords<R extends SrvRecord>(records: readonly R[], random: () => number): R[] {
  const byPriority = [...records].sort((a, b) => a.priority - b.priority); // stable: keeps the answer's order
  const ordered: R[] = [];
  for (let start = 0; start < byPriority.length; ) {
    let end = start + 1;
    while (end < byPriority.length && (byPriority[end] as R).priority === (byPriority[start] as R).priority)
      end++;
    const group = byPriority.slice(start, end);
    // Weight 0 first ("placed at the beginning of the list"): then only a random number of 0 selects them.
    const candidates = [...group.filter((r) => weightOf(r) === 0), ...group.filter((r) => weightOf(r) > 0)];
    while (candidates.length > 0) ordered.push(pickWeighted(candidates, random));
    start = end;
  }
  return ordered;
}

/** Removes and returns one record of `candidates`, chosen as RFC 2782 describes. */
function pickWeighted<R extends SrvRecord>(candidates: R[], random: () => number): R {
  let sum = 0;
  for (const r of candidates) sum += weightOf(r);
  let index: number;
  if (sum === 0) {
    index = Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
  } else {
    // "a uniform random number between 0 and the sum computed (inclusive)": integers 0 … sum.
    const target = Math.min(sum, Math.floor(random() * (sum + 1)));
    let running = 0;
    index = candidates.length - 1; // not reached with integer weights; a guard against fractions
    for (let i = 0; i < candidates.length; i++) {
      running += weightOf(candidates[i] as R);
      if (running >= target) {
        index = i;
        break;
      }
    }
  }
  return candidates.splice(index, 1)[0] as R;
}

/**
 * Looks up the MQTT brokers of `domain` in DNS: the SRV records of `_mqtt._tcp.{domain}` (or
 * `_secure-mqtt._tcp.{domain}` with `secure`), ordered by {@link orderSrvRecords}. Try them in the returned order.
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT` when `domain` is not a non-empty string.
 * @throws {SrvLookupError} `MQTT_ERR_SRV_LOOKUP_FAILED` (as a rejection) when there is no record, when the service is
 * decidedly not available (target `.`), or when the lookup failed; `reason` says which.
 */
export async function resolveSrvBrokers(
  domain: string,
  options: SrvLookupOptions = {},
): Promise<SrvBroker[]> {
  if (typeof domain !== 'string' || domain === '' || domain === '.') {
    throw new InvalidArgumentError(`SRV lookup needs a domain name, got ${JSON.stringify(domain)}`);
  }
  const query = `${options.secure === true ? '_secure-mqtt' : '_mqtt'}._tcp.${domain}`;
  options.signal?.throwIfAborted();
  const resolver = options.resolver ?? resolveSrv;
  // Through an async wrapper so that a resolver throwing synchronously is mapped like one that rejects.
  const answer = (async () => resolver(query))();
  const records = await withSignal(answer, options.signal).catch((e: unknown) => {
    if (options.signal?.aborted === true) throw e; // the signal's reason, untouched
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && NOT_FOUND_CODES.has(code)) {
      throw new SrvLookupError(query, 'not-found', `no SRV record for ${query} (${code})`, { cause: e });
    }
    throw new SrvLookupError(query, 'failed', `SRV lookup of ${query} failed: ${String(e)}`, { cause: e });
  });
  if (records.length === 0) throw new SrvLookupError(query, 'not-found', `no SRV record for ${query}`);
  // A target of '.' only makes sense alone; any other records beside it are still usable.
  const usable = records.filter((r) => !isRootTarget(r.name));
  if (usable.length === 0) {
    throw new SrvLookupError(
      query,
      'not-available',
      `${query}: the service is decidedly not available (target ".")`,
    );
  }
  return orderSrvRecords(usable, options.random ?? Math.random).map((r) => ({
    // A trailing dot would reach TLS as the server name, where certificate checks do not expect it.
    host: r.name.endsWith('.') ? r.name.slice(0, -1) : r.name,
    port: r.port,
  }));
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function withSignal<V>(promise: Promise<V>, signal: AbortSignal | undefined): Promise<V> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<V>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
