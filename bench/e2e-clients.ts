// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * What the child processes of the end-to-end benchmark (bench/e2e.ts) share: one thin adapter over mqttkit and
 * over MQTT.js, so that every driver runs the same code around either library, the payload with its sequence
 * number, and the one-JSON-line reports.
 *
 * The adapter calls each library the way its documentation shows (mqttkit: `publish()` returns a promise;
 * MQTT.js: `publish()` takes a callback) and adds the same few calls on both sides. Only the library measured is
 * loaded (a dynamic import), so its memory and start-up are not mixed with the other's.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';

/**
 * The libraries compared, and the floor: a minimal raw-socket client (bench/e2e-floor.ts) that shows the lowest
 * cost any client on Node's sockets could reach on the machine.
 */
export const LIBS = ['mqttkit', 'mqttjs', 'floor'] as const;
export type Lib = (typeof LIBS)[number];

export type QoS = 0 | 1 | 2;

/** Payload size of every message, bytes. */
export const PAYLOAD_SIZE = 64;

/** Most unacknowledged QoS 1/2 messages per publisher (and the QoS 0 batch size). */
export const WINDOW = 300;

/** A connected client, as the drivers use it. */
export interface BenchClient {
  /** Publishes; `done` is called when the library reports the publication complete for its QoS. */
  publish(topic: string, payload: Uint8Array, qos: QoS, done: (error?: Error) => void): void;
  /** Subscribes; resolves on SUBACK (rejects when refused). */
  subscribe(filter: string, qos: QoS): Promise<void>;
  /** Sets the one message listener: called with the topic and the payload of each message. */
  onMessage(listener: (topic: string, payload: Uint8Array) => void): void;
  /** Sets a listener for the connection being lost (it must not happen during a run). */
  onClose(listener: (error: Error | undefined) => void): void;
  /** Disconnects gracefully. */
  end(): Promise<void>;
}

/** The environment variable that makes the libraries speak MQTT 5 (`5`) instead of MQTT 3.1.1 (set by `--mqtt5`). */
export const PROTOCOL_ENV = 'MQTTKIT_BENCH_PROTOCOL';

/** The protocol version the libraries speak in this run (the floor client always speaks 3.1.1). */
function benchProtocol(): 4 | 5 {
  return process.env[PROTOCOL_ENV] === '5' ? 5 : 4;
}

/** Connection settings common to every driver: MQTT 3.1.1 (or 5), clean session, no silent reconnect. */
export interface OpenOptions {
  keepAlive?: number;
}

/** Connects a client of one library. */
export type Connector = (url: string, options?: OpenOptions) => Promise<BenchClient>;

/**
 * Loads `lib` (only that library) and returns its connector. Drivers load before they start measuring: module
 * loading is not part of any figure.
 */
export async function load(lib: Lib): Promise<Connector> {
  if (lib === 'floor') return (await import('./e2e-floor.js')).connectFloor;
  if (lib === 'mqttkit') {
    const { connect } = await import('../src/node.js');
    return async (url, options = {}) => {
      // A window of WINDOW in the driver never exceeds maxInflight, so the client never queues.
      const client = await connect(url, {
        protocolVersion: benchProtocol(),
        keepAlive: options.keepAlive ?? 60,
        clean: true,
        reconnect: false,
        maxInflight: WINDOW,
      });
      return {
        publish(topic, payload, qos, done) {
          client.publish(topic, payload, { qos }).then(() => done(), done);
        },
        async subscribe(filter, qos) {
          const handle = await client.subscribe(filter, { qos });
          if (!handle.granted) {
            throw new Error(`mqttkit: subscription to ${filter} refused: ${handle.reasonCodes}`);
          }
        },
        onMessage(listener) {
          client.on('message', (m) => listener(m.topic, m.payload));
        },
        onClose(listener) {
          client.on('close', listener);
        },
        end: () => client.end(),
      };
    };
  }
  const mqtt = await import('mqtt');
  return async (url, options = {}) => {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: benchProtocol(),
      keepalive: options.keepAlive ?? 60,
      clean: true,
      reconnectPeriod: 0,
    });
    return {
      publish(topic, payload, qos, done) {
        // MQTT.js passes null, not undefined, on success.
        client.publish(topic, payload as Buffer, { qos }, (e) => done(e ?? undefined));
      },
      async subscribe(filter, qos) {
        const granted = await client.subscribeAsync(filter, { qos });
        if (granted.some((g) => g.qos === 128)) throw new Error(`MQTT.js: subscription to ${filter} refused`);
      },
      onMessage(listener) {
        client.on('message', (topic, payload) => listener(topic, payload));
      },
      onClose(listener) {
        client.on('close', () => listener(undefined));
        client.on('error', (e) => listener(e));
      },
      end: () => client.endAsync(),
    };
  };
}

/** Checks the library name given on a command line. */
export function parseLib(s: string | undefined): Lib {
  if (s === 'mqttkit' || s === 'mqttjs' || s === 'floor') return s;
  throw new Error(`library must be one of ${LIBS.join(', ')}, got ${String(s)}`);
}

/** Checks a QoS given on a command line. */
export function parseQoS(s: string | undefined): QoS {
  if (s === '0' || s === '1' || s === '2') return Number(s) as QoS;
  throw new Error(`QoS must be 0, 1 or 2, got ${String(s)}`);
}

/** Checks a positive integer given on a command line. */
export function parseCount(s: string | undefined, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${String(s)}`);
  return n;
}

const template = new Uint8Array(PAYLOAD_SIZE);
for (let i = 4; i < PAYLOAD_SIZE; i++) template[i] = (i * 37 + 11) & 0xff;

/**
 * A fresh 64-byte payload carrying `seq` in its first four bytes (big-endian). Fresh each time: a library may keep
 * the bytes until the message is acknowledged. A Buffer, which both libraries take (MQTT.js only takes Buffers).
 */
export function payloadFor(seq: number): Buffer {
  const b = Buffer.allocUnsafe(PAYLOAD_SIZE);
  b.set(template);
  b[0] = seq >>> 24;
  b[1] = (seq >>> 16) & 0xff;
  b[2] = (seq >>> 8) & 0xff;
  b[3] = seq & 0xff;
  return b;
}

/** The sequence number of a payload, or -1 when it is not one of ours. */
export function seqOf(payload: Uint8Array): number {
  if (payload.length !== PAYLOAD_SIZE) return -1;
  return (
    (((payload[0] as number) << 24) |
      ((payload[1] as number) << 16) |
      ((payload[2] as number) << 8) |
      (payload[3] as number)) >>>
    0
  );
}

/** Wall-clock time in ms with sub-millisecond resolution, comparable between processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** User + system CPU time since `start`, in µs. */
export function cpuSince(start: NodeJS.CpuUsage): { user: number; system: number } {
  const d = process.cpuUsage(start);
  return { user: d.user, system: d.system };
}

/** Writes one report line (one JSON object) on stdout. */
export function report(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Reads commands, one a line, from stdin (how the parent talks to a running child). */
export function onCommand(listener: (command: string) => void): void {
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      listener(buffered.slice(0, i).trim());
      buffered = buffered.slice(i + 1);
    }
  });
  // The parent is gone: nothing will read the report.
  process.stdin.on('end', () => process.exit(3));
}

/** Runs `main`, turning a failure into a message on stderr and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
