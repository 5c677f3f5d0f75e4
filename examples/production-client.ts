// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A long-running device publisher set up the way production code should be: a persistent session (nothing is lost
// while it is offline), a retained online/offline status with a will for crashes, reconnect backoff, TLS, QoS 1
// publishes that are awaited (back-pressure), and a graceful shutdown on SIGINT / SIGTERM.
//
//   MQTT_URL=mqtts://broker.example:8883 MQTT_CA=ca.pem MQTT_CLIENT_ID=sensor-1 \
//     node --import tsx examples/production-client.ts
//
// Stops after MQTT_EXAMPLE_SECONDS (default 30; 0 = until Ctrl-C), after MQTT_COUNT readings, or on a signal.
// MQTT_INTERVAL_MS sets the time between readings (default 1000). In an application, import from 'mqttkit'.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/node.js';

const env = process.env;
const url = env['MQTT_URL'] ?? 'mqtts://localhost:8883';
// A persistent session belongs to a client id: it must be stable across restarts, never generated.
const clientId = env['MQTT_CLIENT_ID'] ?? 'mqttkit-example-sensor-1';
const seconds = Number(env['MQTT_EXAMPLE_SECONDS'] ?? 30);
const maxReadings = Number(env['MQTT_COUNT'] ?? Number.POSITIVE_INFINITY);
const intervalMs = Number(env['MQTT_INTERVAL_MS'] ?? 1000);
const statusTopic = `devices/${clientId}/status`;
const dataTopic = `devices/${clientId}/temperature`;

// One signal for every reason to stop: Ctrl-C, `kill` (SIGTERM, as systemd, Docker and Kubernetes send), or the
// run limit. Taking over SIGINT means Node no longer exits on it, so a second Ctrl-C must still get out.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(1);
    console.log(`${signal}: shutting down`);
    stop.abort();
  });
}
if (seconds > 0) setTimeout(() => stop.abort(), seconds * 1000).unref();

// The CA of a private broker (a public one is verified against Node's built-in CAs). Verification stays on.
const ca = env['MQTT_CA'];
const client = await connect(url, {
  clientId,
  ...(ca !== undefined ? { tls: { ca: readFileSync(ca) } } : {}),
  // Persistent session: the broker keeps our subscriptions and queued QoS 1/2 messages while we are away, for a
  // day (MQTT 5; MQTT 3.1.1 keeps it until a clean connection), and unacknowledged messages are resent.
  clean: false,
  sessionExpiryInterval: 24 * 3600,
  // Published by the broker if we vanish without DISCONNECT (crash, power or network loss). Retained, so that a
  // dashboard subscribing later still sees "offline".
  will: { topic: statusTopic, payload: 'offline', qos: 1, retain: true },
  // After a lost connection: 1 s, 2 s, 4 s … up to 30 s, half of it random, so that a fleet cut off together does
  // not come back together.
  reconnect: { minDelay: 1_000, maxDelay: 30_000, factor: 2, jitter: 0.5 },
  signal: stop.signal,
  // Listeners attached before connecting also see the first connection.
  onClient: (c) => {
    c.on('connect', ({ sessionPresent }) => {
      console.log(`connected to ${url} (MQTT ${c.protocolVersion}, session present: ${sessionPresent})`);
      // On every (re)connection: the will may have replaced the status meanwhile.
      c.publish(statusTopic, 'online', { qos: 1, retain: true }).catch(() => {});
    });
    c.on('disconnect', ({ error, willReconnect }) =>
      console.log(`connection lost: ${error?.message ?? 'closed'}${willReconnect ? ', reconnecting' : ''}`),
    );
    c.on('reconnecting', ({ attempt, delay }) => console.log(`reconnect attempt ${attempt} in ${delay} ms`));
  },
});

let sent = 0;
while (!stop.signal.aborted && sent < maxReadings) {
  const celsius = Number((20 + Math.random() * 5).toFixed(1));
  try {
    // QoS 1, awaited: resolves on the broker's PUBACK. While offline the message waits in the client's bounded
    // queue and goes out after reconnecting; awaiting each one keeps a long outage from piling up messages. The
    // signal only stops the waiting: the message stays queued, and end({ flush: true }) below still delivers it.
    await client.publish(dataTopic, JSON.stringify({ at: Date.now(), celsius }), {
      qos: 1,
      signal: stop.signal,
    });
    sent++;
    console.log(`reading ${sent} published: ${celsius} °C`);
    if (sent < maxReadings) await sleep(intervalMs, undefined, { signal: stop.signal });
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  }
}

// Graceful shutdown. A clean DISCONNECT discards the will, so say "offline" ourselves; then end({ flush: true })
// waits for that and every queued or in-flight reading before disconnecting, bounded so that a dead broker
// cannot hold the process (destroy() then drops the connection, and the broker publishes the will instead).
const offline = client.publish(statusTopic, 'offline', { qos: 1, retain: true }).catch(() => {});
try {
  await client.end({ flush: true, signal: AbortSignal.timeout(5_000) });
} catch {
  client.destroy();
}
await offline;
console.log(`stopped after ${sent} readings`);
// Exit at once with success: the shutdown is complete, whatever the signal listeners above would otherwise do.
process.exit(0);
