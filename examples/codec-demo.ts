// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// A tour of the codec: encode packets for MQTT 3.1.1 and 5, stream them back through the decoder in awkward
// chunks, and see how a malformed packet is reported. Run with `npm run demo`.
import { encode, isMqttError, type Packet, PacketDecoder, type ProtocolVersion } from '../src/index.js';

const text = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const publish: Packet = {
  type: 'publish',
  topic: 'sensors/room-12/temperature',
  payload: text.encode('{"celsius":21.5}'),
  qos: 1,
  retain: false,
  dup: false,
  packetId: 7,
};
const publishV5: Packet = {
  ...publish,
  properties: { messageExpiryInterval: 60, contentType: 'application/json', userProperties: [['unit', 'C']] },
};

function show(title: string, packet: Packet, version: ProtocolVersion): Uint8Array {
  const bytes = encode(packet, version);
  console.log(`\n${title}: ${bytes.length} bytes`);
  console.log(`  ${hex(bytes)}`);
  return bytes;
}

console.log('mqttkit codec demo — the client, CLI and broker demo arrive with the client itself.');
const v311 = show('QoS 1 PUBLISH, MQTT 3.1.1', publish, 4);
show('The same PUBLISH in MQTT 5, with expiry, content type and a user property', publishV5, 5);

// Three PUBLISH packets back to back, delivered in 5-byte chunks, as a slow network might.
const stream = new Uint8Array(v311.length * 3);
for (let i = 0; i < 3; i++) stream.set(v311, i * v311.length);
const received: Packet[] = [];
const decoder = new PacketDecoder((p) => received.push(p), { protocolVersion: 4 });
for (let i = 0; i < stream.length; i += 5) decoder.push(stream.subarray(i, i + 5));
console.log(`\nFed ${stream.length} bytes in 5-byte chunks: decoded ${received.length} packets.`);
const first = received[0];
if (first?.type === 'publish') {
  console.log(
    `  first: topic ${first.topic}, QoS ${first.qos}, payload ${new TextDecoder().decode(first.payload)}`,
  );
}

// A PUBLISH whose QoS bits say 3, which no version allows.
const bad = Uint8Array.from(v311);
bad[0] = 0x36;
try {
  new PacketDecoder(() => {}, { protocolVersion: 5 }).push(bad);
} catch (e) {
  if (!isMqttError(e)) throw e;
  const reason = (e as { reasonCode?: number }).reasonCode ?? 0;
  console.log(`\nA malformed packet is refused: ${e.message}`);
  console.log(`  ${e.name} ${e.code}, reason code 0x${reason.toString(16)} to disconnect with`);
}
