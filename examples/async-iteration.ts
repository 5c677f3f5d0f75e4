// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Reading messages with `for await`: over one subscription handle, and over client.messages() (everything the
// client receives). Each iterator has a bounded buffer, so a slow reader costs bounded memory; `break` stops
// reading. The program publishes to itself.
//
//   MQTT_URL=mqtt://localhost:1883 node --import tsx examples/async-iteration.ts
//
// MQTT_COUNT messages per part (default 5); MQTT_TOPIC sets the topic prefix (default examples/iteration).
// In an application, import from 'mqttkit' instead of the source tree.
import { connect } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const prefix = process.env['MQTT_TOPIC'] ?? 'examples/iteration';
const count = Number(process.env['MQTT_COUNT'] ?? 5);
const client = await connect(url);

// 1. One subscription. The handle buffers from the moment subscribe() is called, so nothing published before the
// loop starts is missed (up to bufferSize messages).
const sensors = await client.subscribe(`${prefix}/sensors/+`, { qos: 1, bufferSize: 100 });
for (let i = 1; i <= count; i++) await client.publish(`${prefix}/sensors/s${i}`, String(20 + i), { qos: 1 });
let read = 0;
for await (const m of sensors) {
  console.log(`subscription: ${m.topic} = ${m.text()}`);
  // The loop would run as long as the subscription lives: break when done. Breaking only stops the reading; the
  // broker keeps sending until unsubscribe().
  if (++read === count) break;
}
await sensors.unsubscribe();

// 2. Everything the client receives, with a deliberately small buffer and a reader that starts late: only the
// newest 3 messages wait, the older ones are dropped ('drop-oldest', the default; overflow: 'error' would end the
// loop with QueueOverflowError instead). The last message, "done", is therefore always there to end the loop.
const everything = client.messages({ bufferSize: 3 });
await client.subscribe(`${prefix}/ticks/#`, { qos: 1 });
for (let i = 1; i <= count; i++) await client.publish(`${prefix}/ticks/tick`, String(i), { qos: 1 });
await client.publish(`${prefix}/ticks/done`, '', { qos: 1 });
const ticks: string[] = [];
for await (const m of everything) {
  if (m.topic.endsWith('/done')) break;
  ticks.push(m.text());
}
console.log(
  `messages(): read ticks [${ticks.join(', ')}] of ${count}; the rest were dropped, then "done" ended it`,
);

await client.end(); // also ends any iterator still open
