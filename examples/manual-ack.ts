// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Acknowledge a message only once its work is done: with `manualAck`, a QoS 1/2 message is acknowledged when the
// application calls message.ack(), not on arrival. If the process dies mid-job, the broker still holds the message
// and (with a persistent session) sends it again: at-least-once processing, not only at-least-once delivery.
// MQTT requires acknowledgements in arrival order; the client keeps that order whatever the order of the ack()
// calls, as the PUBACK lines below show. A producer client publishes jobs that finish in reverse order.
//
//   MQTT_URL=mqtt://localhost:1883 node --import tsx examples/manual-ack.ts
//
// MQTT_COUNT jobs (default 5); MQTT_TOPIC sets the topic prefix (default examples/jobs). In an application,
// import from 'mqttkit' instead of the source tree.
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Logger, type Message } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const prefix = process.env['MQTT_TOPIC'] ?? 'examples/jobs';
const count = Number(process.env['MQTT_COUNT'] ?? 5);

// Only to show what goes over the wire: logPackets passes every packet to the logger; print the PUBACKs we send.
const logger: Logger = {
  error: console.error,
  warn: console.warn,
  info: () => {},
  debug: (message, fields) => {
    if (message === 'sent PUBACK') console.log(`  PUBACK sent for packet ${String(fields?.['packetId'])}`);
  },
};
const worker = await connect(url, { manualAck: true, logPackets: true, logger });

let done = 0;
let allDone: () => void = () => {};
const finished = new Promise<void>((resolve) => (allDone = resolve));

async function work(job: Message): Promise<void> {
  const ms = Number(job.text());
  await sleep(ms); // stands for the real work: a database write, an API call …
  console.log(`job ${job.topic} (packet ${job.packetId}) done after ${ms} ms: ack()`);
  // true: acknowledged now or as soon as the earlier messages are; false: nothing to do (QoS 0, already acked, or
  // the connection it came on has dropped, in which case the broker sends it again).
  job.ack();
  if (++done === count) allDone();
}
// Jobs run concurrently; a failed job is not acknowledged and comes back after a reconnect.
worker.on(
  'message',
  (job) => void work(job).catch((e: unknown) => console.error(`job ${job.topic} failed:`, e)),
);
await worker.subscribe(`${prefix}/#`, { qos: 1 });

// The producer publishes every job at once; job i takes (count - i + 1) × 100 ms, so the last one finishes first.
const producer = await connect(url);
await Promise.all(
  Array.from({ length: count }, (_, i) =>
    producer.publish(`${prefix}/${i + 1}`, String((count - i) * 100), { qos: 1 }),
  ),
);

await finished;
console.log(`${done} jobs processed and acknowledged`);
await producer.end();
await worker.end();
