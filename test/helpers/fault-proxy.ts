// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A TCP proxy on a free loopback port that injects network faults between a client and a broker on command: drop
 * every connection, go silent without closing anything (a half-open connection), add latency, or cut the
 * connection in the middle of a packet.
 *
 * @module
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** A running fault proxy. */
export interface FaultProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every current connection (both sides); later connections pass again. */
  drop(): void;
  /**
   * Keeps every connection open but forwards nothing in either direction: bytes are discarded, as on a network
   * path that died without a FIN or RST. A connection accepted meanwhile is held, unconnected to the target and
   * unread, until {@link FaultProxy.restore}. Closes still pass.
   */
  blackhole(): void;
  /** Ends {@link FaultProxy.blackhole}: forwards again, and connects the held connections. */
  restore(): void;
  /**
   * Delays every chunk, both directions, by `ms` (0: none). Lowering it never lets a chunk overtake one held
   * back before: each waits at least until the one before it in its direction has gone.
   */
  delay(ms: number): void;
  /**
   * Forwards only the first half (at least one byte) of the next chunk from the target to the client, then
   * destroys that connection; nothing that arrives after that chunk is forwarded. Resolves once it has.
   */
  cutMidPacket(): Promise<void>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  target: Socket | undefined;
  timers: Set<ReturnType<typeof setTimeout>>;
  // Per direction (by the socket written to): the chunks held back by latency, in order, with when each is due.
  held: Map<Socket, { chunk: Buffer; due: number }[]>;
}

/** Starts a proxy on 127.0.0.1 (a port the system picks) in front of `127.0.0.1:targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const links = new Set<Link>();
  const held: Link[] = [];
  let silent = false;
  let latency = 0;
  let accepted = 0;
  let cut: (() => void) | undefined;

  const destroy = (link: Link): void => {
    for (const t of link.timers) clearTimeout(t);
    link.timers.clear();
    link.held.clear();
    link.client.destroy();
    link.target?.destroy();
    links.delete(link);
  };

  // Writes `chunk` to `to` unless silenced, after the current latency — but never before a chunk held back
  // earlier in the same direction: each direction is a queue with one timer, for its head.
  const forward = (link: Link, to: Socket, chunk: Buffer): void => {
    if (silent) return;
    const queue = link.held.get(to) ?? [];
    if (latency === 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    queue.push({ chunk, due: performance.now() + latency });
    link.held.set(to, queue);
    if (queue.length === 1) release(link, to, queue);
  };

  // Writes the chunks of `queue` that are due, then waits for the next.
  const release = (link: Link, to: Socket, queue: { chunk: Buffer; due: number }[]): void => {
    const head = queue[0];
    if (head === undefined) return;
    const wait = head.due - performance.now();
    if (wait <= 0) {
      queue.shift();
      if (!silent) to.write(head.chunk);
      release(link, to, queue);
      return;
    }
    const t = setTimeout(() => {
      link.timers.delete(t);
      release(link, to, queue);
    }, Math.ceil(wait));
    link.timers.add(t);
  };

  const attach = (link: Link): void => {
    const target = connect(targetPort, '127.0.0.1');
    target.setNoDelay(true);
    link.target = target;
    target.on('error', () => destroy(link));
    target.on('close', () => destroy(link));
    target.on('data', (chunk: Buffer) => {
      const done = cut;
      if (done === undefined || silent) {
        forward(link, link.client, chunk);
        return;
      }
      cut = undefined;
      // Whatever the target sends after this chunk must not reach the client.
      target.pause();
      link.client.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)), () => {
        destroy(link);
        done();
      });
    });
    link.client.on('data', (chunk: Buffer) => forward(link, target, chunk));
    link.client.resume();
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    client.setNoDelay(true);
    const link: Link = { client, target: undefined, timers: new Set(), held: new Map() };
    links.add(link);
    client.on('error', () => destroy(link));
    client.on('close', () => destroy(link));
    if (silent) held.push(link);
    else attach(link);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    drop() {
      for (const link of [...links]) destroy(link);
    },
    blackhole() {
      silent = true;
    },
    restore() {
      silent = false;
      for (const link of held.splice(0)) if (links.has(link)) attach(link);
    },
    delay(ms) {
      latency = ms;
    },
    cutMidPacket() {
      return new Promise((resolve) => {
        cut = resolve;
      });
    },
    async close() {
      const sockets = [...links].flatMap((l) => (l.target ? [l.client, l.target] : [l.client]));
      for (const link of [...links]) destroy(link);
      await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
