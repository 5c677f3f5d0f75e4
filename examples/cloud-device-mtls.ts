// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A device on a cloud IoT broker with mutual TLS, as AWS IoT Core wants it (other managed brokers with X.509 device
// certificates are alike): TLS on port 8883, the device proves who it is with its own certificate and key (no
// password), and the client id is the thing name, which IoT policies rely on (the ${iot:Connection.Thing.ThingName}
// policy variable only works then). It listens for commands, publishes a few telemetry messages and disconnects.
//
//   MQTT_URL=mqtts://abc123-ats.iot.eu-west-1.amazonaws.com:8883 THING_NAME=greenhouse-7 \
//   MQTT_CA=AmazonRootCA1.pem MQTT_CERT=device.pem.crt MQTT_KEY=private.pem.key \
//     node --import tsx examples/cloud-device-mtls.ts
//
// MQTT_PROTOCOL_VERSION: 5 (default) or 4 (MQTT 3.1.1); AWS IoT Core speaks both. MQTT_COUNT telemetry messages
// (default 3), MQTT_INTERVAL_MS apart (default 1000). In an application, import from 'mqttkit'.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/node.js';

const env = process.env;
const url = env['MQTT_URL'] ?? 'mqtts://localhost:8883';
const thing = env['THING_NAME'] ?? 'mqttkit-example-thing';
const protocolVersion = env['MQTT_PROTOCOL_VERSION'] === '4' ? 4 : 5;
const count = Number(env['MQTT_COUNT'] ?? 3);
const intervalMs = Number(env['MQTT_INTERVAL_MS'] ?? 1000);

function pemFile(variable: string): Buffer {
  const path = env[variable];
  if (path === undefined) {
    console.error(
      `${variable} must name a PEM file (MQTT_CERT: device certificate, MQTT_KEY: its private key)`,
    );
    process.exit(2);
  }
  return readFileSync(path);
}

const client = await connect(url, {
  clientId: thing,
  // Fixed rather than 'auto' (MQTT 5, then 3.1.1 if refused as unsupported): what a fleet speaks is decided once,
  // with the cloud's feature set in mind, not found out per connection.
  protocolVersion,
  // Keep-alive must lie within the broker's range (AWS IoT: 30 to 1200 s).
  keepAlive: 60,
  tls: {
    cert: pemFile('MQTT_CERT'),
    key: pemFile('MQTT_KEY'),
    // Amazon Root CA 1 is among Node's built-in CAs; MQTT_CA pins it (or names a private CA).
    ...(env['MQTT_CA'] !== undefined ? { ca: readFileSync(env['MQTT_CA']) } : {}),
    // On port 443 instead of 8883, AWS IoT tells MQTT from HTTPS by ALPN: add ALPNProtocols: ['x-amzn-mqtt-ca'].
  },
});
console.log(
  `${thing} connected to ${url} with its certificate (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`,
);

// Commands for this thing only: the policy usually allows a device its own topics and nothing else. QoS 1 at most,
// since AWS IoT Core has no QoS 2.
client.addMessageHandler(`cmd/${thing}/#`, (m) => console.log(`command ${m.topic}: ${m.text()}`));
await client.subscribe(`cmd/${thing}/#`, { qos: 1 });

for (let i = 1; i <= count; i++) {
  const telemetry = { seq: i, at: new Date().toISOString(), moisture: Math.round(30 + Math.random() * 20) };
  await client.publish(`dt/${thing}/telemetry`, JSON.stringify(telemetry), { qos: 1 });
  console.log(`telemetry ${i}/${count} acknowledged`);
  if (i < count) await sleep(intervalMs);
}
await client.end();
