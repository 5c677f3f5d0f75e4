// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// MQTT 5 request / response, both sides in one program: a responder serving "add two numbers" and a requester
// calling it. client.request() publishes with a Response Topic and Correlation Data and resolves with the matching
// response; message.respond() publishes the answer back to exactly that topic with that correlation data.
//
//   MQTT_URL=mqtt://localhost:1883 node --import tsx examples/request-response.ts
//
// MQTT_COUNT requests (default 3), sent all at once; MQTT_TOPIC is the service topic (default examples/rpc/add).
// Needs an MQTT 5 broker. In an application, import from 'mqttkit' instead of the source tree.
import { connect } from '../src/node.js';

const url = process.env['MQTT_URL'] ?? 'mqtt://localhost:1883';
const service = process.env['MQTT_TOPIC'] ?? 'examples/rpc/add';
const count = Number(process.env['MQTT_COUNT'] ?? 3);

// The responder: one subscription, answered in a loop. Usually a process of its own.
const responder = await connect(url, { protocolVersion: 5 });
const requests = await responder.subscribe(service, { qos: 1 });
const serving = (async () => {
  for await (const request of requests) {
    try {
      const { a, b } = request.json<{ a: number; b: number }>();
      await request.respond(JSON.stringify({ sum: a + b }));
    } catch (e) {
      // A bad request gets an answer too, so that its caller does not wait for its timeout; a message without a
      // Response Topic (a plain publish) cannot be answered, and respond() rejects.
      await request.respond(JSON.stringify({ error: String(e) })).catch(() => {});
    }
  }
})();

// The requester: requests in parallel; correlation data matches each response to its call.
const requester = await connect(url, { protocolVersion: 5 });
const pairs = Array.from({ length: count }, (_, i) => [i + 1, (i + 1) * 10] as const);
const answers = await Promise.all(
  pairs.map(([a, b]) => requester.request(service, JSON.stringify({ a, b }), { timeout: 5_000 })),
);
answers.forEach((answer, i) => {
  const [a, b] = pairs[i] ?? [];
  console.log(`${a} + ${b} = ${answer.json<{ sum: number }>().sum}`);
});

await requester.end();
await responder.end(); // ends the responder's for-await loop
await serving;
