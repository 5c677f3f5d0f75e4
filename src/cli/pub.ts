// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `mqttkit pub`: connect, publish one message (`-m`, `-f`, `-n`, `-s`, `--repeat` times) or one per stdin line
 * (`-l`), wait until each is delivered for its QoS, disconnect.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { type MqttClient, PublishError, type PublishOptions, type PublishResult } from '../node.js';
import type { CliOptions, MessageSource } from './cli-options.js';
import { connectPlan, connectWith } from './client-options.js';
import { disconnect } from './disconnect.js';
import { FatalError } from './errors.js';
import { type CliIo, Reporter, traceClient } from './report.js';
import { readAll, readLines } from './stdin.js';

/** Most `-l` messages handed to the client and not yet delivered, so that a fast stdin cannot fill its queue. */
const LINE_WINDOW = 256;

async function loadPayload(
  source: MessageSource,
  io: CliIo,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  switch (source.kind) {
    case 'message':
      return new TextEncoder().encode(source.payload);
    case 'null':
      return new Uint8Array(0);
    case 'file':
      try {
        return readFileSync(source.path);
      } catch (e) {
        throw new FatalError(`Error: Unable to open file "${source.path}": ${(e as Error).message}`);
      }
    case 'stdin':
      return readAll(io.stdin, signal);
    case 'lines':
      return undefined;
  }
}

class Publisher {
  /** Publications the broker refused (MQTT 5): reported, and the exit code becomes 1. */
  refused = 0;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly options: PublishOptions,
    private readonly reporter: Reporter,
  ) {}

  /** Publishes one message; resolves when it is delivered or refused, rejects when the client failed. */
  async publish(payload: Uint8Array): Promise<void> {
    const { client, reporter, options } = this;
    const qos = options.qos ?? 0;
    reporter.debug(
      `Client ${client.clientId} sending PUBLISH (d0, q${qos}, r${options.retain ? 1 : 0}, '${this.topic}', ... (${payload.length} bytes))`,
    );
    let result: PublishResult;
    try {
      result = await client.publish(this.topic, payload, options);
    } catch (e) {
      if (!(e instanceof PublishError)) throw e;
      this.refused++;
      reporter.fail(e, client.protocolVersion);
      return;
    }
    if (qos > 0) {
      reporter.debug(
        `Client ${client.clientId} received ${qos === 1 ? 'PUBACK' : 'PUBCOMP'} (Mid: ${result.packetId}, RC:${result.reasonCode})`,
      );
    }
  }

  /** Publishes each line of `stdin` as it arrives, keeping at most {@link LINE_WINDOW} undelivered. */
  async publishLines(stdin: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    const pending = new Set<Promise<void>>();
    let failure: unknown;
    const failed = (e: unknown) => {
      failure ??= e;
      stop.abort();
    };
    // The client may end for good while stdin is quiet: stop reading then rather than at the next line.
    this.client.closed().then((e) => e !== undefined && failed(e));
    for await (const line of readLines(stdin, both)) {
      const p: Promise<void> = this.publish(line)
        .catch(failed)
        .finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= LINE_WINDOW) await Promise.race(pending);
    }
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
  }
}

/** Runs `mqttkit pub`; resolves with the exit code. `signal` aborts on SIGINT / SIGTERM. */
export async function runPub(o: CliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const reporter = new Reporter(io, o.quiet, o.debug);
  const source = o.source as MessageSource;
  const topic = o.topics[0] as string;
  const state: { client?: MqttClient } = {};
  let payload: Uint8Array | undefined;
  let client: MqttClient;
  try {
    payload = await loadPayload(source, io, signal);
    if (signal.aborted) return 0;
    // mosquitto_pub -l survives a lost connection; a single publication does not.
    const plan = connectPlan(o, source.kind === 'lines');
    client = await connectWith(plan, (c) => {
      state.client = c;
      traceClient(c, reporter, plan.where);
    });
  } catch (e) {
    return reporter.fail(e, state.client?.protocolVersion ?? 5);
  }
  // The signal stops waiting for an acknowledgement on SIGINT / SIGTERM; each pending publication listens to it.
  setMaxListeners(LINE_WINDOW + 16, signal);
  const options: PublishOptions = { qos: o.qos, retain: o.retain, signal };
  if (Object.keys(o.properties.publish).length > 0) options.properties = o.properties.publish;
  const publisher = new Publisher(client, topic, options, reporter);
  let code = 0;
  try {
    if (payload === undefined) {
      await publisher.publishLines(io.stdin, signal);
    } else {
      for (let i = 0; i < o.repeat && !signal.aborted; i++) {
        if (i > 0 && o.repeatDelay > 0) await delay(o.repeatDelay * 1000, undefined, { signal });
        await publisher.publish(payload);
      }
    }
  } catch (e) {
    if (!signal.aborted) code = reporter.fail(e, client.protocolVersion);
  }
  if (publisher.refused > 0 && code === 0) code = 1;
  await disconnect(client, o, reporter);
  return code;
}
