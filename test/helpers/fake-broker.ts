// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * A scripted fake MQTT broker for tests: a TCP server on a free loopback port that decodes what clients send with
 * the project's own codec and sends only what the test tells it to. It has no protocol logic at all, so a test can
 * make it misbehave in ways a real broker will not (refusals on reconnect, malformed bytes, odd acknowledgements).
 *
 * @module
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { connect, type MqttClient, type NodeClientOptions } from '../../src/node.js';
import {
  encode,
  type Packet,
  PacketDecoder,
  type PacketTypeName,
  type ProtocolVersion,
  type PublishPacket,
} from '../../src/packet/index.js';

/** A packet of type `T`. */
export type PacketOf<T extends PacketTypeName> = Extract<Packet, { type: T }>;

/** Options of {@link startFakeBroker}. */
export interface FakeBrokerOptions {
  /**
   * Encode every packet the broker sends in this version, whatever the client's CONNECT says (to answer a v5
   * CONNECT as a 3.1.1 broker would). By default each connection uses the version of its CONNECT.
   */
  protocolVersion?: ProtocolVersion;
  /** Default timeout of `expect` and `nextConnection`, ms (default 3,000). */
  timeout?: number;
}

interface Waiter {
  resolve: (packet: Packet) => void;
  reject: (error: Error) => void;
}

/** One client connection to the fake broker, driven by the test. */
export class FakeConnection {
  /** Every packet decoded from the client, in order (including those already taken by `expect`). */
  readonly received: Packet[] = [];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  /** The version the broker encodes in: the forced one, else the CONNECT's (5 until a CONNECT arrives). */
  protocolVersion: ProtocolVersion;
  /** The error that broke decoding of the client's bytes, if any (the connection is then destroyed). */
  decodeError: Error | undefined;
  private readonly socket: Socket;
  private readonly decoder: PacketDecoder;
  private readonly unread: Packet[] = [];
  private waiter: Waiter | undefined;
  private ended = false;

  /** @internal Use {@link FakeBroker.nextConnection}. */
  constructor(
    socket: Socket,
    private readonly forced: ProtocolVersion | undefined,
    private readonly timeout: number,
  ) {
    socket.setNoDelay(true);
    this.socket = socket;
    this.protocolVersion = forced ?? 5;
    this.decoder = new PacketDecoder((p) => this.onPacket(p), { protocolVersion: 5 });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (e) {
        this.decodeError = e as Error;
        socket.destroy();
      }
    });
    // A reset from the client is an ordinary way for a test connection to end.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.waiter?.reject(new Error('the client connection closed while a packet was expected'));
        this.waiter = undefined;
        resolve();
      });
    });
  }

  /** Stops reading from the client (its send buffer then fills up), until {@link resume}. */
  pause(): void {
    this.socket.pause();
  }

  /** Reads from the client again after {@link pause}. */
  resume(): void {
    this.socket.resume();
  }

  /** Whether the socket has closed. */
  get isClosed(): boolean {
    return this.ended;
  }

  /**
   * The next packet from the client not yet taken, which must be of `type`.
   *
   * @throws {Error} when the next packet is of another type, none arrives within `timeoutMs`, or the connection
   *   closes first.
   */
  expect<T extends PacketTypeName>(type: T, timeoutMs = this.timeout): Promise<PacketOf<T>> {
    return this.next(timeoutMs).then((p) => {
      if (p.type !== type) throw new Error(`expected ${type.toUpperCase()}, got ${describe(p)}`);
      return p as PacketOf<T>;
    });
  }

  /** The next packet from the client not yet taken, of any type. */
  next(timeoutMs = this.timeout): Promise<Packet> {
    const queued = this.unread.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new Error('the client connection is closed'));
    if (this.waiter !== undefined) return Promise.reject(new Error('next() is already waiting'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no packet from the client within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Encodes `packet` in this connection's version and writes it. */
  send(packet: Packet): void {
    this.sendRaw(encode(packet, this.protocolVersion));
  }

  /** Writes bytes as they are. */
  sendRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Closes gracefully (FIN after pending writes). */
  close(): void {
    this.socket.end();
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private onPacket(packet: Packet): void {
    if (packet.type === 'connect') {
      this.protocolVersion = this.forced ?? packet.protocolVersion;
      this.decoder.protocolVersion = packet.protocolVersion;
    }
    this.received.push(packet);
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve(packet);
    } else {
      this.unread.push(packet);
    }
  }
}

/** A running fake broker. */
export interface FakeBroker {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly FakeConnection[];
  /**
   * The next accepted connection not yet handed out (waits for one).
   *
   * @throws {Error} when none comes within `timeoutMs`.
   */
  nextConnection(timeoutMs?: number): Promise<FakeConnection>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a fake broker on 127.0.0.1, on a port the system picks. */
export async function startFakeBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const timeout = options.timeout ?? 3_000;
  const connections: FakeConnection[] = [];
  const fresh: FakeConnection[] = [];
  let waiting: ((c: FakeConnection) => void) | undefined;
  const server: Server = createServer((socket) => {
    const c = new FakeConnection(socket, options.protocolVersion, timeout);
    connections.push(c);
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      w(c);
    } else {
      fresh.push(c);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    connections,
    nextConnection(timeoutMs = timeout) {
      const c = fresh.shift();
      if (c !== undefined) return Promise.resolve(c);
      if (waiting !== undefined) return Promise.reject(new Error('nextConnection() is already waiting'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          reject(new Error(`no client connection within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting = (conn) => {
          clearTimeout(timer);
          resolve(conn);
        };
      });
    },
    async close() {
      for (const c of connections) c.destroy();
      await Promise.all(connections.map((c) => c.closed));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function describe(p: Packet): string {
  const id = 'packetId' in p ? ` id ${p.packetId}` : '';
  const code = 'reasonCode' in p ? ` reason 0x${p.reasonCode.toString(16)}` : '';
  return `${p.type.toUpperCase()}${id}${code}`;
}

/**
 * A client connected through `fb` (the CONNECT answered with a plain accepting CONNACK), with reconnect off, and
 * the broker's side of its connection.
 */
export async function acceptedClient(
  fb: FakeBroker,
  options: NodeClientOptions = {},
): Promise<{ client: MqttClient; conn: FakeConnection }> {
  const connecting = connect(`mqtt://127.0.0.1:${fb.port}`, { reconnect: false, ...options });
  const conn = await fb.nextConnection();
  await conn.expect('connect');
  conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0 });
  return { client: await connecting, conn };
}

/** A QoS 0 PUBLISH of `payload` (UTF-8) to `topic`, not retained, not a duplicate; `fields` override. */
export function publishPacket(
  topic: string,
  payload: string,
  fields: Partial<PublishPacket> = {},
): PublishPacket {
  return {
    type: 'publish',
    topic,
    payload: new TextEncoder().encode(payload),
    qos: 0,
    retain: false,
    dup: false,
    ...fields,
  };
}
