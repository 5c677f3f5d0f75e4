// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A transport over several possible brokers: per connection attempt it gets the list of targets (a DNS SRV
 * answer, a `servers` list, a server the last broker referred the client to) and dials them one after the other
 * until one opens; from then on it is that target's transport. Runtime-neutral: dialing is a function it is given.
 *
 * @module
 */
import { ConnectionError, TimeoutError } from '../errors.js';
import type { ConnectHint, Transport, TransportFactory, TransportHandlers } from './transport.js';

/** A broker to dial. */
export interface Target {
  host: string;
  port: number;
}

/** What a failover transport does per attempt. */
export interface FailoverPlan<T extends Target> {
  /** What the error names when every target failed, e.g. `example.com` or `the servers`. */
  label: string;
  /** The targets of one attempt, in the order to try them (may look them up; `signal` aborts that). */
  targets(signal: AbortSignal, hint: ConnectHint | undefined): T[] | Promise<T[]>;
  /** Opens a transport to one target. */
  dial(target: T, handlers: TransportHandlers): Transport;
  /** Milliseconds a target gets to open (TCP connect, TLS handshake, WebSocket upgrade). */
  dialTimeout: number;
}

/** A transport factory that fails over between the targets of each attempt. */
export function failoverTransport<T extends Target>(plan: FailoverPlan<T>): TransportFactory {
  return (handlers, hint) => new FailoverTransport(plan, handlers, hint);
}

/**
 * The targets a Server Reference names, with `defaultPort` where it gives none; an unparsable entry is skipped.
 * The specification leaves the format open; `host[:port]` separated by spaces is what brokers send.
 */
export function parseServerReference(reference: string, defaultPort: number): Target[] {
  const out: Target[] = [];
  for (const item of reference.split(/\s+/)) {
    if (item === '') continue;
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(item);
    if (m === null) continue;
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    if (port < 1 || port > 65_535) continue;
    out.push({ host: (m[1] ?? m[2]) as string, port });
  }
  return out;
}

class FailoverTransport<T extends Target> implements Transport {
  private current: Transport | undefined;
  private opened = false;
  /** Ended or destroyed before a target opened. */
  private stopped = false;
  private closed = false;
  private readonly lookup = new AbortController();

  constructor(
    private readonly plan: FailoverPlan<T>,
    private readonly handlers: TransportHandlers,
    hint: ConnectHint | undefined,
  ) {
    Promise.resolve()
      .then(() => plan.targets(this.lookup.signal, hint))
      .then(
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

  private dial(targets: readonly T[], index: number, failures: Error[]): void {
    if (this.stopped) return;
    const target = targets[index];
    if (target === undefined) {
      this.close(allFailed(this.plan.label, failures));
      return;
    }
    const where = `${target.host}:${target.port}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = this.plan.dial(target, {
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
      () => t.destroy(new TimeoutError(`no connection to ${where} within ${this.plan.dialTimeout} ms`)),
      this.plan.dialTimeout,
    );
    (timer as { unref?: () => void }).unref?.();
  }
}

/** The error of an attempt in which no target opened: the only failure, or all of them. */
function allFailed(label: string, failures: Error[]): Error {
  if (failures.length === 1) return failures[0] as Error;
  if (failures.length === 0) return new ConnectionError(`no broker to connect to (${label})`);
  const each = failures.map((e) => e.message).join('; ');
  return new ConnectionError(`no broker of ${label} could be reached (${failures.length} tried): ${each}`, {
    cause: new AggregateError(failures),
  });
}
