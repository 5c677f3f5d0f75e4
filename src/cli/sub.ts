// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * `mqttkit sub`: connect, subscribe to the `-t` filters (then unsubscribe `-U`), print each message until `-C`
 * messages, `-W` seconds (exit 27), `-E` (right after SUBACK), `--retained-only`'s first fresh message, or
 * SIGINT / SIGTERM; then disconnect.
 *
 * @module
 */
import {
  type Message,
  type MqttClient,
  type SubscribeOptions,
  type SubscriptionHandle,
  topicMatchesSub,
} from '../node.js';
import type { CliOptions } from './cli-options.js';
import { connectPlan, connectWith } from './client-options.js';
import { disconnect } from './disconnect.js';
import { MessageFormatter } from './format.js';
import { type CliIo, Reporter, traceClient } from './report.js';

/** mosquitto_sub's exit code when `-W` passes first. */
export const EXIT_TIMED_OUT = 27;

/** Runs `mqttkit sub`; resolves with the exit code. `signal` aborts on SIGINT / SIGTERM. */
export async function runSub(o: CliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const reporter = new Reporter(io, o.quiet, o.debug);
  const formatter = new MessageFormatter(o);
  const state: { client?: MqttClient } = {};
  const removals = new Set<Promise<unknown>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  let count = 0;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = (code) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve(code);
    };
  });

  // In the order of mosquitto_sub's message callback, with -T applying to --remove-retained as documented.
  const onMessage = (m: Message): void => {
    if (finished || o.filterOut.some((f) => topicMatchesSub(f, m.topic))) return;
    const client = state.client as MqttClient;
    if (o.removeRetained && m.retain) {
      const p = client.publish(m.topic, '', { qos: 1, retain: true }).catch(() => {});
      removals.add(p);
      p.finally(() => removals.delete(p));
    }
    if (o.retainedOnly && !m.retain) {
      finish(0);
      return;
    }
    if (o.noRetained && m.retain) return;
    if (o.randomFilter !== undefined && Math.random() * 100 >= o.randomFilter) return;
    const formatted = formatter.format(m);
    if ('error' in formatted) {
      reporter.error(formatted.error);
      return;
    }
    if (formatted.output.length > 0) io.stdout.write(formatted.output);
    count++;
    if (o.count !== undefined && count >= o.count) finish(0);
  };

  let client: MqttClient;
  try {
    const plan = connectPlan(o, true);
    client = await connectWith(plan, (c) => {
      state.client = c;
      traceClient(c, reporter, plan.where);
      c.on('message', onMessage);
      // -W counts from the first connection, like mosquitto_sub's.
      c.once('connect', () => {
        if (o.timeout === undefined) return;
        timer = setTimeout(() => {
          reporter.error('Timed out');
          finish(EXIT_TIMED_OUT);
        }, o.timeout * 1000);
      });
    });
  } catch (e) {
    clearTimeout(timer);
    return reporter.fail(e, state.client?.protocolVersion ?? 5);
  }
  client.closed().then((e) => {
    if (!finished) finish(e === undefined ? 1 : reporter.fail(e, client.protocolVersion));
  });
  const onAbort = () => finish(0);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) finish(0);

  // Not awaited: SIGINT or -W must end the command also while the SUBACK is still outstanding.
  subscribe(client, o, reporter).catch((e: unknown) => {
    if (!finished) finish(reporter.fail(e, client.protocolVersion));
  });
  const code = await done;
  signal.removeEventListener('abort', onAbort);
  await Promise.all(removals);
  await disconnect(client, o, reporter);
  return code;

  async function subscribe(c: MqttClient, opts: CliOptions, r: Reporter): Promise<void> {
    const id = c.clientId;
    if (opts.topics.length > 0) {
      const options: SubscribeOptions = { qos: opts.qos, bufferSize: 1 };
      if (opts.retainAsPublished) options.retainAsPublished = true;
      if (Object.keys(opts.properties.subscribe).length > 0) options.properties = opts.properties.subscribe;
      for (const t of opts.topics) r.debug(`Client ${id} sending SUBSCRIBE (Topic: ${t}, QoS: ${opts.qos})`);
      const handle: SubscriptionHandle = await c.subscribe(opts.topics, options);
      r.debug(`Client ${id} received SUBACK`);
      r.debug(`Subscribed (${opts.topics.join(', ')}): ${handle.reasonCodes.join(', ')}`);
      if (!handle.reasonCodes.some((code) => code < 0x80)) {
        r.error('All subscription requests were denied.');
        finish(1);
        return;
      }
    }
    if (opts.unsubscribe.length > 0) {
      for (const t of opts.unsubscribe) r.debug(`Client ${id} sending UNSUBSCRIBE (Topic: ${t})`);
      const props = opts.properties.unsubscribe;
      await c.unsubscribe(
        opts.unsubscribe,
        Object.keys(props).length > 0 ? { properties: props } : undefined,
      );
      r.debug(`Client ${id} received UNSUBACK`);
    }
    if (opts.exitAfterSubscribe || opts.topics.length === 0) finish(0);
  }
}
