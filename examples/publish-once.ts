// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Publish one message and exit: publishSingle() connects, publishes, waits for the broker's acknowledgement and
// disconnects cleanly, so a script or cron job needs no client of its own to manage (paho's publish.single).
//
//   MQTT_URL=mqtt://localhost:1883 MQTT_TOPIC=examples/hello MQTT_MESSAGE=hi node --import tsx examples/publish-once.ts
//
// In an application, import from 'mqttkit' instead of the source tree.
import { publishSingle } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const topic = process.env['MQTT_TOPIC'] ?? 'examples/publish-once';
const payload = process.env['MQTT_MESSAGE'] ?? `hello from mqttkit at ${new Date().toISOString()}`;

// QoS 1: the promise resolves on PUBACK, so "published" below means the broker has the message. The timeout bounds
// the whole call (connecting included): a script should fail rather than hang when the broker is unreachable.
const result = await publishSingle(url, topic, payload, {
  qos: 1,
  timeout: 10_000,
  // With a retained message the broker hands the last value to every later subscriber (MQTT_RETAIN=1).
  retain: process.env['MQTT_RETAIN'] === '1',
});
// MQTT 5 brokers may answer 0x10 "no matching subscribers": accepted, but nobody was listening.
const code = `0x${result.reasonCode.toString(16).padStart(2, '0')}`;
console.log(`published "${payload}" to ${topic} (packet id ${result.packetId}, reason code ${code})`);
// Nothing is left open: the process exits by itself, with status 1 if publishSingle had rejected.
