// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The "floor" of the end-to-end benchmark (bench/e2e.ts): the least a JavaScript MQTT 3.1.1 client on Node's
 * `net` can do per message, used as a third library beside mqttkit and MQTT.js.
 *
 * It is not a client anyone should use: no validation, no options, no reconnect, no keep-alive, no queue, no
 * properties, packets up to the sizes the bench sends, and a socket read straight into the parser. What it does is
 * what every client must do for each message — encode the PUBLISH, write it (corked per tick, like mqttkit), read
 * and parse what the broker sends, answer QoS 1/2 flows, and call back the application. Its CPU per message is
 * therefore mostly the cost of the socket itself (system calls and the kernel's loopback TCP path, waking the
 * broker and being woken), which no client on Node can avoid, and its idle memory is what a Node `net.Socket`
 * with a timer costs. The bench prints it so that a ratio to MQTT.js can be read against the lowest ratio
 * possible on the machine.
 *
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { BenchClient, Connector, QoS } from './e2e-clients.js';

const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const PUBREC = 5;
const PUBREL = 6;
const PUBCOMP = 7;
const SUBACK = 9;

let clients = 0;
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Connects a floor client (MQTT 3.1.1, clean session) to `url` (mqtt://host:port). */
export const connectFloor: Connector = (url, options = {}) => {
  const { hostname, port } = new URL(url);
  const keepAlive = options.keepAlive ?? 60;
  return new Promise((resolve, reject) => {
    let client: FloorClient | undefined;
    // Reads land in one shared buffer, as mqttkit does for plain TCP: no Buffer and no stream event per read.
    const socket = netConnect({
      host: hostname,
      port: Number(port || 1883),
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n, buf) => {
          client?.read((buf as Buffer).subarray(0, n));
          return true;
        },
      },
    });
    client = new FloorClient(socket, keepAlive);
    client.connected = () => resolve(client);
    socket.once('error', reject);
  });
};

class FloorClient implements BenchClient {
  connected: (() => void) | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (error?: Error) => void>();
  private subscribed: (() => void) | undefined;
  private messageListener: ((topic: string, payload: Uint8Array) => void) | undefined;
  private closeListener: ((error: Error | undefined) => void) | undefined;
  private rest: Buffer | undefined;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
  private readonly keepAliveTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    keepAlive: number,
  ) {
    const id = Buffer.from(`floor-${process.pid}-${clients++}`);
    const connect = Buffer.alloc(14 + id.length);
    connect.set([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, keepAlive >> 8, keepAlive & 0xff]);
    connect.writeUInt16BE(id.length, 12);
    connect.set(id, 14);
    socket.write(connect);
    socket.on('close', () => {
      clearInterval(this.keepAliveTimer);
      this.closeListener?.(undefined);
    });
    socket.on('error', (e) => this.closeListener?.(e));
    // A real client keeps a timer per connection for keep-alive; so does the floor (its memory counts).
    this.keepAliveTimer = setInterval(() => this.write(Buffer.from([0xc0, 0])), keepAlive * 1000);
    this.keepAliveTimer.unref();
  }

  private write(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(bytes);
  }

  /** Parses what arrived; `chunk` is only valid during the call (the read buffer is shared). */
  read(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let i = 0;
    while (i + 2 <= buf.length) {
      // Remaining length: one or two bytes is all the bench's packets need; more is read the same way.
      let length = 0;
      let multiplier = 1;
      let j = i + 1;
      let byte: number;
      do {
        if (j >= buf.length) break;
        byte = buf[j++] as number;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80);
      if ((buf[j - 1] as number) & 0x80 || j + length > buf.length) break;
      this.packet(buf, i, j, j + length);
      i = j + length;
    }
    if (i < buf.length) this.rest = Buffer.from(buf.subarray(i));
  }

  private packet(buf: Buffer, start: number, body: number, end: number): void {
    const first = buf[start] as number;
    switch (first >> 4) {
      case CONNACK:
        this.connected?.();
        this.connected = undefined;
        return;
      case PUBLISH: {
        const qos = (first >> 1) & 3;
        const topicLength = buf.readUInt16BE(body);
        const topic = buf.toString('utf8', body + 2, body + 2 + topicLength);
        let offset = body + 2 + topicLength;
        let id = 0;
        if (qos > 0) {
          id = buf.readUInt16BE(offset);
          offset += 2;
        }
        // A copy: the application may keep the payload, and the read buffer is reused.
        this.messageListener?.(topic, Buffer.from(buf.subarray(offset, end)));
        if (qos === 1) this.write(Buffer.from([0x40, 2, id >> 8, id & 0xff]));
        else if (qos === 2) this.write(Buffer.from([0x50, 2, id >> 8, id & 0xff]));
        return;
      }
      case PUBACK:
      case PUBCOMP: {
        const id = buf.readUInt16BE(body);
        const done = this.pending.get(id);
        this.pending.delete(id);
        done?.();
        return;
      }
      case PUBREC: {
        const id = buf.readUInt16BE(body);
        this.write(Buffer.from([0x62, 2, id >> 8, id & 0xff]));
        return;
      }
      case PUBREL: {
        const id = buf.readUInt16BE(body);
        this.write(Buffer.from([0x70, 2, id >> 8, id & 0xff]));
        return;
      }
      case SUBACK:
        this.subscribed?.();
        this.subscribed = undefined;
        return;
      default:
    }
  }

  private id(): number {
    this.nextId = (this.nextId % 0xffff) + 1;
    return this.nextId;
  }

  publish(topic: string, payload: Uint8Array, qos: QoS, done: (error?: Error) => void): void {
    const topicLength = Buffer.byteLength(topic);
    const length = 2 + topicLength + (qos > 0 ? 2 : 0) + payload.length;
    const headerLength = length < 128 ? 2 : 3;
    const packet = Buffer.allocUnsafe(headerLength + length);
    packet[0] = 0x30 | (qos << 1);
    if (length < 128) packet[1] = length;
    else {
      packet[1] = (length & 0x7f) | 0x80;
      packet[2] = length >> 7;
    }
    let offset = headerLength;
    packet.writeUInt16BE(topicLength, offset);
    offset += 2 + packet.write(topic, offset + 2);
    if (qos > 0) {
      const id = this.id();
      packet.writeUInt16BE(id, offset);
      offset += 2;
      this.pending.set(id, done);
    }
    packet.set(payload, offset);
    this.write(packet);
    if (qos === 0) done();
  }

  subscribe(filter: string, qos: QoS): Promise<void> {
    const f = Buffer.from(filter);
    const packet = Buffer.alloc(7 + f.length);
    packet.set([0x82, 5 + f.length, 0, 1]);
    packet.writeUInt16BE(f.length, 4);
    packet.set(f, 6);
    packet[6 + f.length] = qos;
    return new Promise((resolve) => {
      this.subscribed = resolve;
      this.write(packet);
    });
  }

  onMessage(listener: (topic: string, payload: Uint8Array) => void): void {
    this.messageListener = listener;
  }

  onClose(listener: (error: Error | undefined) => void): void {
    this.closeListener = listener;
  }

  end(): Promise<void> {
    this.closeListener = undefined;
    clearInterval(this.keepAliveTimer);
    return new Promise((resolve) => this.socket.end(Buffer.from([0xe0, 0]), resolve));
  }
}
