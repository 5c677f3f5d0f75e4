// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The frame of every one-shot helper: connect, run the body, end the client whatever happened, and only then
 * settle, with no socket or timer left behind.
 *
 * @module
 */
import type { MqttClient } from '../client/client.js';
import { connect, type NodeClientOptions } from '../connect.js';
import { TimeoutError } from '../errors.js';

/** What `connect()` resolves with. */
type Connected = Awaited<ReturnType<typeof connect>>;

/**
 * How long `end()` may take (DISCONNECT, then the broker closing the connection) before the socket is destroyed:
 * a broker that stopped answering must not hold the call open.
 */
const END_GRACE_MS = 5_000;

/**
 * One abort signal for a whole helper call: aborted by the caller's signal (with its reason) or when `timeoutMs`
 * passes (with a {@link TimeoutError} whose message `describe` gives). {@link Deadline.dispose} releases both.
 *
 * ```ts
 * const deadline = new Deadline(options.signal, options.timeout, () => 'publishSingle timed out');
 * try { await work(deadline.signal); } finally { deadline.dispose(); }
 * ```
 */
export class Deadline {
  /** Aborted when the caller's signal aborts or the time is up. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly outer: AbortSignal | undefined,
    timeoutMs: number | undefined,
    describe: () => string,
  ) {
    this.signal = this.controller.signal;
    if (outer?.aborted) {
      this.controller.abort(outer.reason);
      return;
    }
    if (outer !== undefined) {
      this.onAbort = () => this.controller.abort(outer.reason);
      outer.addEventListener('abort', this.onAbort, { once: true });
    }
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.controller.abort(new TimeoutError(describe())), timeoutMs);
    }
  }

  /** Stops the timer and stops listening to the caller's signal. */
  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.outer?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * Connects, runs `body` with the client and the deadline's signal, and ends the client before settling: with
 * DISCONNECT when it is still connected, at once otherwise. Resolves with what `body` resolves with; rejects with
 * the error of the connection attempt or of `body` (the signal's reason when the deadline aborted it). Disposes the
 * deadline.
 *
 * ```ts
 * const result = await runWithClient(url, connection, deadline, (client) => client.publish(topic, payload));
 * ```
 */
export async function runWithClient<T>(
  url: string,
  connection: Omit<NodeClientOptions, 'signal'>,
  deadline: Deadline,
  body: (client: Connected, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let client: MqttClient | undefined;
  try {
    // An already aborted signal must not even create a client: connect() would leave it idle, never ended.
    deadline.signal.throwIfAborted();
    const onClient = connection.onClient;
    const connected = await connect(url, {
      ...connection,
      signal: deadline.signal,
      onClient: (c) => {
        client = c;
        onClient?.(c);
      },
    });
    const result = await body(connected, deadline.signal);
    await shutdown(connected);
    return result;
  } catch (e) {
    if (client !== undefined) await shutdown(client);
    throw e;
  } finally {
    deadline.dispose();
  }
}

/** Ends `client` (gracefully when connected, bounded by {@link END_GRACE_MS}) and waits until it has ended. */
async function shutdown(client: MqttClient): Promise<void> {
  if (client.connected) {
    const guard = setTimeout(() => client.destroy(), END_GRACE_MS);
    try {
      await client.end();
    } catch {
      client.destroy();
    } finally {
      clearTimeout(guard);
    }
  } else {
    // Not connected: connecting, waiting to reconnect, or ended already. destroy() closes a socket in the making.
    client.destroy();
  }
  await client.closed();
}
