// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Wait for a few messages and exit: subscribeSimple() connects, subscribes, collects `count` messages, and
// disconnects cleanly (paho's subscribe.simple). Handy in scripts ("wait until the device says it is ready").
//
//   MQTT_URL=mqtt://localhost:1883 MQTT_TOPIC='examples/#' MQTT_COUNT=2 node --import tsx examples/subscribe-once.ts
//
// In an application, import from 'mqttkit' instead of the source tree.
import { isMqttError, subscribeSimple } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const filter = process.env['MQTT_TOPIC'] ?? 'examples/#';
const count = Number(process.env['MQTT_COUNT'] ?? 1);
const seconds = Number(process.env['MQTT_EXAMPLE_SECONDS'] ?? 60);

// With a runtime count the result is one Message (count 1) or an array; flat() gives an array either way.
const received = await subscribeSimple(url, filter, {
  count,
  qos: 1,
  // Bound the whole call: when the messages do not come, it rejects with TimeoutError and the script exits 1.
  timeout: seconds * 1000,
  // onClient sees the helper's client before it connects: say when the subscription is in place, so that whoever
  // drives this script knows from then on nothing it publishes is missed.
  onClient: (client) =>
    client.once('subscribe', () => console.log(`subscribed to ${filter}, waiting for ${count}`)),
}).catch((e: unknown) => {
  // A script's usual failures (no broker, nothing within the time) as one line and exit status 1, no stack trace.
  console.error(isMqttError(e) ? `${e.code}: ${e.message}` : e);
  process.exit(1);
});
for (const message of [received].flat()) {
  console.log(`received ${message.topic} = "${message.text()}"${message.retain ? ' (retained)' : ''}`);
}
