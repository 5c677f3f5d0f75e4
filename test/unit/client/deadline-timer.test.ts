// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The keep-alive timer must not build long chains of timers set from timers: hidden browser tabs run such chains
// (five deep and more) only once a minute. Here a keep-alive cycle (ping due → PINGREQ → PINGRESP from the network)
// runs many times, and the depth of every timer is measured by wrapping setTimeout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadlineTimer } from '../../../src/client/deadline-timer.js';

describe('DeadlineTimer', () => {
  it('deadline timer – keep-alive cycles keep the chain of timers below the five that browsers throttle, and every deadline fires', async () => {
    const realSetTimeout = globalThis.setTimeout;
    let depth = 0; // depth of the timer callback running now (0: not inside one)
    let maxDepth = 0;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      const d = depth + 1;
      maxDepth = Math.max(maxDepth, d);
      return realSetTimeout(() => {
        const outer = depth;
        depth = d;
        try {
          fn();
        } finally {
          depth = outer;
        }
      }, ms);
    }) as typeof setTimeout;
    try {
      // A tiny engine: a ping is due 10 ms after the last packet; a PINGREQ wants its answer within 5 ms (as in the
      // engine, the answer's deadline comes before the next ping's, so an armed timer is early and fires first).
      let lastPacket = Date.now();
      let pingSentAt = 0;
      let pings = 0;
      const cycles = 8;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const timer: DeadlineTimer = new DeadlineTimer(
        () => (pings >= cycles ? undefined : pingSentAt > 0 ? pingSentAt + 5 : lastPacket + 10),
        (now) => {
          if (pingSentAt > 0) return; // early: the answer is on its way
          if (now < lastPacket + 10) return;
          pingSentAt = now;
          pings++;
          // The PINGRESP comes from the network (not from a timer) and re-arms the timer there.
          setImmediate(() => {
            lastPacket = Date.now();
            pingSentAt = 0;
            timer.arm();
            if (pings >= cycles) done();
          });
        },
      );
      // The client's timer is unref'd (the socket keeps a process alive); here nothing else would.
      const hold = setInterval(() => {}, 1_000);
      timer.arm();
      await finished;
      clearInterval(hold);
      timer.clear();
      assert.equal(pings, cycles, 'every ping went out');
      // Chrome throttles from five deep; a timer that fires a little early (clock rounding) adds a level
      // or two before the network resets the chain; without the reset this grows with every cycle.
      assert.ok(maxDepth <= 4, `timers were chained ${maxDepth} deep`);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
  });
});
