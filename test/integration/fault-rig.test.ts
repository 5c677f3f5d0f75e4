// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The client under 200 seeded faults (connections dropped, cut in the middle of a packet, black-holed until the
// keep-alive notices, slowed down, and Mosquitto restarted with its persistence on) while publishers publish
// without pause and persistent subscribers receive (test/helpers/soak-run.ts): at QoS 1 nothing may be lost
// (duplicates are counted and reported), at QoS 2 nothing lost and nothing duplicated, counted end to end by
// sequence numbers. The QoS 2 run also has a publisher process with a durable session store that is killed with
// SIGKILL at random moments and started again, through the same faults: its messages too arrive exactly once. The
// two tests run side by side, each with a Mosquitto and a proxy of its own (about 50 s).
//
// The schedule is drawn from a seed: MQTTKIT_SOAK_SEED=<n> replays one; without it each run draws its own. The seed
// is in every assertion message, and `npm run soak -- --seed <n> --qos 2` runs the same schedule for longer (see
// scripts/soak.ts; `--packet-log DIR` keeps every client's packets).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSeed } from '../helpers/fault-schedule.js';
import { formatReport, runSoak, type SoakReport } from '../helpers/soak-run.js';

const FAULTS = 200;
const SEED = seedFromEnvironment();

function seedFromEnvironment(): number {
  const given = process.env['MQTTKIT_SOAK_SEED'];
  if (given === undefined || given === '') return randomSeed();
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`MQTTKIT_SOAK_SEED must be a whole number, got ${given}`);
  return seed;
}

/** Runs the rig; whatever goes wrong, the seed is in the error. */
async function run(qos: 1 | 2, seed: number): Promise<SoakReport> {
  try {
    return await runSoak({ seed, qos: [qos], faults: FAULTS, killed: qos === 2 ? 1 : 0 });
  } catch (e) {
    throw new Error(`seed ${seed} (replay with MQTTKIT_SOAK_SEED=${seed}): ${(e as Error).message}`, {
      cause: e,
    });
  }
}

describe('fault rig', { concurrency: true }, () => {
  for (const qos of [1, 2] as const) {
    const promise = qos === 1 ? '0 lost (duplicates allowed)' : '0 lost and 0 duplicated';
    test(`fault rig – QoS ${qos}: ${FAULTS} seeded faults while messages are in flight, ${promise}`, {
      timeout: 150_000,
    }, async (t) => {
      // Reported with the result even when the test times out.
      t.diagnostic(`seed ${SEED} (replay with MQTTKIT_SOAK_SEED=${SEED})`);
      const report = await run(qos, SEED);
      const summary = formatReport(report);
      t.diagnostic(summary);
      const totals = report.groups[0];
      assert.ok(totals !== undefined, `seed ${SEED}: no totals\n${summary}`);
      const seedNote = `seed ${SEED} (replay with MQTTKIT_SOAK_SEED=${SEED}):`;
      assert.deepEqual(
        report.errors,
        [],
        `${seedNote} errors\n${summary}\n--- broker log ---\n${report.brokerLogTail}`,
      );
      assert.equal(report.faultTotal, FAULTS, `${seedNote} faults injected\n${summary}`);
      assert.ok(
        report.reconnects >= report.faults.drop,
        `${seedNote} every drop made the clients reconnect\n${summary}`,
      );
      assert.equal(
        totals.failed + totals.unsettled,
        0,
        `${seedNote} publications failed or unsettled\n${summary}`,
      );
      assert.ok(totals.sent > FAULTS, `${seedNote} messages were published throughout\n${summary}`);
      assert.equal(totals.lost, 0, `${seedNote} ${totals.lost} messages lost\n${summary}`);
      if (qos === 2)
        assert.equal(totals.duplicated, 0, `${seedNote} ${totals.duplicated} duplicates\n${summary}`);
      assert.ok(totals.received >= totals.expected, `${seedNote} every message received\n${summary}`);
      if (qos === 2) {
        assert.ok(report.kills.kills > 0, `${seedNote} the durable publisher was killed\n${summary}`);
        for (const killed of report.groups.filter((g) => g.label === 'killed')) {
          const what = `${seedNote} killed publisher, QoS ${killed.qos}:`;
          assert.ok(killed.sent > 0, `${what} messages were published\n${summary}`);
          assert.equal(killed.lost, 0, `${what} ${killed.lost} messages lost\n${summary}`);
          if (killed.qos === 2)
            assert.equal(killed.duplicated, 0, `${what} ${killed.duplicated} duplicates\n${summary}`);
        }
      }
    });
  }
});
