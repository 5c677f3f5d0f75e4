// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Session engine: keep-alive (MQTT 3.1.1 §3.1.2.10, MQTT 5.0 §3.1.2.10 and Server Keep Alive §3.2.2.3.14), driven
// by a fake clock: the test moves time and calls tick at engine.nextDeadline().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TimeoutError } from '../../../src/errors.js';
import { connackWith, Harness, inbound, message } from './harness.js';

/** Connected at t = 0 with keep-alive 60 s and ping timeout 10 s; nothing sent after CONNECT. */
function connectedAtZero(): Harness {
  const h = new Harness({ keepAlive: 60, pingTimeout: 10_000 });
  h.connect();
  return h;
}

describe('session engine: keep-alive', () => {
  test('keep-alive – PINGREQ is sent keepAlive after the last packet sent', () => {
    const h = connectedAtZero();
    h.at(30_000).publish(undefined, message('t', 0)); // last sent: 30 s
    h.at(40_000).receive(inbound('t', 0)); // last received: 40 s
    h.sink.takeSent();
    assert.equal(h.engine.nextDeadline(), 90_000);
    h.at(89_999).tick();
    assert.deepEqual(h.sink.takeSent(), []);
    h.at(90_000).tick();
    assert.deepEqual(h.sink.takeSummaries(), ['pingreq']);
  });

  test('keep-alive – PINGREQ is also sent when nothing has been received for keepAlive, even while sending', () => {
    const h = connectedAtZero();
    for (let t = 10_000; t <= 50_000; t += 10_000) h.at(t).publish(undefined, message('t', 0));
    h.sink.takeSent();
    assert.equal(h.engine.nextDeadline(), 60_000);
    h.at(60_000).tick();
    assert.deepEqual(h.sink.takeSummaries(), ['pingreq']);
  });

  test('keep-alive – no packet within pingTimeout of the PINGREQ closes with TimeoutError', () => {
    const h = connectedAtZero();
    assert.equal(h.runToDeadline(), 60_000);
    assert.deepEqual(h.sink.takeSummaries(), ['pingreq']);
    assert.equal(h.engine.nextDeadline(), 70_000);
    h.at(69_999).tick();
    assert.deepEqual(h.sink.closes, []);
    h.at(70_000).tick();
    assert.ok(h.sink.closeError() instanceof TimeoutError);
    assert.deepEqual(h.sink.takeSent(), [], 'no second PINGREQ while waiting');
  });

  test('keep-alive – PINGRESP clears the wait and the next PINGREQ is due a keep-alive later', () => {
    const h = connectedAtZero();
    h.runToDeadline();
    h.sink.takeSent();
    h.at(65_000).receive({ type: 'pingresp' });
    h.at(70_000).tick();
    assert.deepEqual(h.sink.closes, []);
    assert.equal(h.engine.nextDeadline(), 120_000);
    h.runToDeadline();
    assert.deepEqual(h.sink.takeSummaries(), ['pingreq']);
  });

  test('keep-alive – any packet clears the wait, not only PINGRESP', () => {
    const h = connectedAtZero();
    h.runToDeadline();
    h.at(62_000).receive(inbound('t', 0));
    h.at(70_000).tick();
    h.at(75_000).tick();
    assert.deepEqual(h.sink.closes, []);
  });

  test('keep-alive – bytes of a slow large packet count as traffic while the PINGRESP waits behind it', () => {
    const h = connectedAtZero();
    h.runToDeadline();
    h.sink.takeSent();
    // A large PUBLISH trickles in from 61 s to 79 s; its end (and the PINGRESP) comes after pingTimeout.
    for (let t = 61_000; t < 80_000; t += 3_000) {
      h.at(t).engine.bytesReceived(t);
      h.tick();
    }
    assert.deepEqual(h.sink.closes, []);
    h.at(80_000).receive(inbound('big', 0));
    h.at(80_100).receive({ type: 'pingresp' });
    h.tick();
    assert.deepEqual(h.sink.closes, []);
    assert.equal(h.sink.delivered.length, 1);
  });

  test('keep-alive – Server Keep Alive overrides the requested value', () => {
    const h = new Harness({ keepAlive: 60 });
    h.open();
    h.receive(connackWith({ serverKeepAlive: 10 }));
    h.sink.takeSent();
    assert.equal(h.engine.brokerLimits.keepAlive, 10);
    assert.equal(h.engine.nextDeadline(), 10_000);
    h.at(10_000).tick();
    assert.deepEqual(h.sink.takeSummaries(), ['pingreq']);
  });

  test('keep-alive – Server Keep Alive 0 turns pings off even when the client asked for them', () => {
    const h = new Harness({ keepAlive: 60 });
    h.open();
    h.receive(connackWith({ serverKeepAlive: 0 }));
    h.sink.takeSent();
    assert.equal(h.engine.nextDeadline(), undefined);
    h.at(600_000).tick();
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('keep-alive – keepAlive 0 sends no PINGREQ and nextDeadline is undefined when connected', () => {
    const h = new Harness({ keepAlive: 0 });
    h.connect();
    assert.equal(h.engine.nextDeadline(), undefined);
    for (const t of [60_000, 3_600_000, 86_400_000]) h.at(t).tick();
    assert.deepEqual(h.sink.takeSent(), []);
    assert.deepEqual(h.sink.closes, []);
  });

  test('keep-alive – no deadline while offline, and no PINGREQ is sent on a closed connection', () => {
    const h = connectedAtZero();
    h.at(5_000).drop();
    assert.equal(h.engine.nextDeadline(), undefined);
    h.at(120_000).tick();
    assert.deepEqual(h.sink.takeSent(), []);
  });

  test('keep-alive – a new connection starts a fresh keep-alive (a PINGREQ left unanswered before does not time out)', () => {
    const h = connectedAtZero();
    h.runToDeadline(); // PINGREQ at 60 s
    h.at(65_000).drop();
    h.at(100_000).connect();
    h.sink.takeSent();
    assert.equal(h.engine.nextDeadline(), 160_000);
    h.at(110_000).tick();
    assert.deepEqual(h.sink.closes, []);
  });
});
