// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A full session with mqttkit, narrated: `npm run demo`. It starts a local broker (Mosquitto when installed,
// otherwise an embedded one), then connects, subscribes with wildcards, publishes at QoS 0, 1 and 2, keeps a
// retained message, and shows a will message published by the broker after a client vanishes.
import { connect, type Message } from '../src/node.js';
import { startLocalBroker } from './lib/local-broker.js';

const say = (text: string) => console.log(text);
const broker = await startLocalBroker();
say(`Started a local broker: ${broker.kind} at ${broker.url}.`);

// 1. A monitor that watches everything under home/, with wildcards.
const monitor = await connect(broker.url, {
  clientId: 'demo-monitor',
  protocolVersion: broker.protocolVersion,
});
say(`\nThe monitor connected over MQTT ${monitor.protocolVersion === 5 ? '5' : '3.1.1'}.`);
const sub = await monitor.subscribe(['home/+/temperature', 'home/status/#'], { qos: 2 });
say(`It subscribed to home/+/temperature and home/status/# (granted QoS ${sub.reasonCodes.join(' and ')}).`);
const seen: Message[] = [];
const waiters: Array<() => void> = [];
monitor.on('message', (m) => {
  seen.push(m);
  say(`  monitor received ${m.topic} = "${m.text()}" (QoS ${m.qos}${m.retain ? ', retained' : ''})`);
  waiters.shift()?.();
});
const nextMessage = () => new Promise<void>((resolve) => waiters.push(resolve));

// 2. A sensor publishes at each quality of service, and says when each one is confirmed.
const sensor = await connect(broker.url, {
  clientId: 'demo-sensor',
  protocolVersion: broker.protocolVersion,
  will: { topic: 'home/status/sensor', payload: 'sensor vanished', qos: 1 },
});
say('\nA sensor connected, leaving a will message with the broker: "home/status/sensor = sensor vanished".');
for (const qos of [0, 1, 2] as const) {
  const arrival = nextMessage();
  const result = await sensor.publish(`home/kitchen/temperature`, `${20 + qos}.5`, { qos });
  const how = [
    'as soon as it was written (QoS 0: at most once)',
    'when the broker sent PUBACK (QoS 1: at least once)',
    'when the broker sent PUBCOMP (QoS 2: exactly once)',
  ][qos];
  say(
    `The sensor published ${20 + qos}.5 at QoS ${qos}; its promise resolved ${how}${result.packetId ? `, packet id ${result.packetId}` : ''}.`,
  );
  await arrival;
}

// 3. A retained message is kept by the broker and handed to whoever subscribes later.
await sensor.publish('home/status/firmware', 'v1.4.2', { qos: 1, retain: true });
say('\nThe sensor published a retained message home/status/firmware = "v1.4.2".');
const latecomer = await connect(broker.url, {
  clientId: 'demo-latecomer',
  protocolVersion: broker.protocolVersion,
});
const late = await latecomer.subscribe('home/status/firmware', { qos: 1 });
for await (const m of late) {
  say(`A client that subscribed only now still got it: ${m.topic} = "${m.text()}" (retained: ${m.retain}).`);
  break;
}
await latecomer.end();

// 4. The sensor disappears without saying goodbye: the broker publishes its will.
const will = nextMessage();
say('\nNow the sensor drops off the network abruptly (no DISCONNECT).');
sensor.destroy();
await will;
say("The broker noticed and published the sensor's will, which the monitor received above.");

await monitor.end();
say(`\nThe monitor ended cleanly. Messages seen by the monitor: ${seen.length}.`);
await broker.stop();
say('The broker stopped. That was a complete MQTT session with mqttkit.');
