// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Route messages by topic: addMessageHandler(filter, handler) calls a handler for the messages whose topic matches
// its filter (paho's message_callback_add), and the generic 'message' event gets only the messages no handler took
// (as paho's on_message). removeMessageHandler takes a handler away again. The program publishes to itself.
//
//   MQTT_URL=mqtt://localhost:1883 node --import tsx examples/per-topic-handlers.ts
//
// MQTT_TOPIC sets the topic prefix (default examples/handlers). In an application, import from 'mqttkit'.
import { connect, type Message } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const prefix = process.env['MQTT_TOPIC'] ?? 'examples/handlers';
const client = await connect(url);

// Resolves when the next message has been handled, by a handler or by the 'message' event.
let wake: (() => void) | undefined;
const handled = () => new Promise<void>((resolve) => (wake = resolve));

const onTemperature = (m: Message) => {
  console.log(`temperature handler: ${m.topic} = ${m.text()} °C`);
  wake?.();
};
client.addMessageHandler(`${prefix}/sensors/+/temperature`, onTemperature);
client.addMessageHandler(`${prefix}/alerts/#`, (m) => {
  console.log(`alert handler: ${m.topic}: ${m.text()}`);
  wake?.();
});
client.on('message', (m) => {
  console.log(`message event (no handler matched): ${m.topic} = ${m.text()}`);
  wake?.();
});

// Handlers route, they do not subscribe: one wildcard subscription brings everything in.
await client.subscribe(`${prefix}/#`, { qos: 1 });

async function send(topic: string, payload: string): Promise<void> {
  const done = handled();
  await client.publish(`${prefix}/${topic}`, payload, { qos: 1 });
  await done;
}
await send('sensors/kitchen/temperature', '21.5');
await send('alerts/front-door', 'opened');
await send('sensors/kitchen/humidity', '40');

const removed = client.removeMessageHandler(`${prefix}/sensors/+/temperature`, onTemperature);
console.log(`temperature handler removed: ${removed}`);
await send('sensors/kitchen/temperature', '22.0'); // now reaches the 'message' event

await client.end();
