// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A home-automation hub that owns a few devices, with the usual topic layout:
//   home/<room>/<device>/set     commands, not retained: "on" / "off" for a lamp, degrees for a thermostat
//   home/<room>/<device>/state   the current state, retained, so that a dashboard starting later sees it at once
// One wildcard handler serves every command; the room and device come from the topic.
//
//   MQTT_URL=mqtt://localhost:1883 node --import tsx examples/home-automation.ts
//   mosquitto_pub -t home/livingroom/lamp/set -m on       # in another shell
//
// Stops after MQTT_EXAMPLE_SECONDS (default 60; 0 = until Ctrl-C), after MQTT_COUNT commands, or on SIGINT /
// SIGTERM. In an application, import from 'mqttkit' instead of the source tree.
import { connect, type Message } from '../src/node.js';

const env = process.env;
const url = env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const seconds = Number(env['MQTT_EXAMPLE_SECONDS'] ?? 60);
const maxCommands = Number(env['MQTT_COUNT'] ?? Number.POSITIVE_INFINITY);

// The devices this hub drives (in real life: GPIO, Zigbee, a vendor API …), keyed "room/device".
const devices = new Map([
  ['livingroom/lamp', 'off'],
  ['kitchen/lamp', 'off'],
  ['bedroom/thermostat', '19'],
]);
const valid = (key: string, value: string) =>
  key.endsWith('/thermostat') ? /^\d{1,2}(\.\d)?$/.test(value) : value === 'on' || value === 'off';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
if (seconds > 0) setTimeout(() => stop.abort(), seconds * 1000).unref();

const client = await connect(url);
const publishState = (key: string) =>
  client.publish(`home/${key}/state`, devices.get(key) ?? '', { qos: 1, retain: true });

let handled = 0;
// Commands for any room and device. A handler takes its messages away from the generic 'message' event.
client.addMessageHandler('home/+/+/set', (command: Message) => {
  // A retained command would be replayed at every restart (a lamp switching on by itself): ignore those.
  if (command.retain) return;
  const [, room, device] = command.topic.split('/');
  const key = `${room}/${device}`;
  const value = command.text().trim().toLowerCase();
  if (!devices.has(key) || !valid(key, value)) {
    console.log(`ignored: ${key} = "${value}" (no such device, or not a valid state for it)`);
    return;
  }
  devices.set(key, value);
  console.log(`command: ${key} -> ${value}`);
  // Handlers are synchronous; the publish completes on PUBACK, after which the command counts as done.
  publishState(key).then(
    () => {
      if (++handled >= maxCommands) stop.abort();
    },
    (e: unknown) => console.error(`could not publish the state of ${key}:`, e),
  );
});
// Every state in the house, ours included: what a dashboard would show.
client.addMessageHandler('home/+/+/state', (state: Message) =>
  console.log(`state: ${state.topic} = ${state.text()}${state.retain ? ' (retained)' : ''}`),
);

// Handlers only route: the subscription brings the messages in. Subscribe before announcing the states, so that
// a command sent by anyone who has seen them is never missed.
await client.subscribe(['home/+/+/set', 'home/+/+/state'], { qos: 1 });
for (const key of devices.keys()) await publishState(key);
console.log(`hub ready: ${[...devices.keys()].join(', ')}`);

if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
await client.end(); // the retained states stay with the broker
console.log(`hub stopped after ${handled} commands`);
