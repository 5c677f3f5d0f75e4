// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// `npm run fuzz`: fuzzes the decoder until a limit is reached, then prints the totals and every distinct failure.
//
//   npm run fuzz -- [--seconds S] [--iterations N] [--seed S] [--version 3|4|5] [--max-input-ms M]
//   npm run fuzz -- --seed S --replay INDEX      re-runs one input and prints it
//
// Without --seconds or --iterations it runs for 60 seconds. Ctrl-C stops it early and still prints the totals.
// Exits with status 1 when anything failed.
import { parseArgs } from 'node:util';
import type { ProtocolVersion } from '../../src/packet/index.js';
import { decode } from '../../src/packet/index.js';
import { Fuzzer, formatStats, toHex } from './fuzz-decoder.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    iterations: { type: 'string' },
    seed: { type: 'string' },
    version: { type: 'string', multiple: true },
    'max-input-ms': { type: 'string' },
    replay: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: npm run fuzz -- [--seconds S] [--iterations N] [--seed S] [--version 3|4|5]... [--max-input-ms M] [--replay INDEX]',
  );
  process.exit(0);
}

function num(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${s}`);
    process.exit(2);
  }
  return n;
}

const seed = num('seed', values.seed) ?? (Date.now() ^ (process.pid << 16)) >>> 0;
const iterations = num('iterations', values.iterations);
const seconds = num('seconds', values.seconds) ?? (iterations === undefined ? 60 : undefined);
const maxInputMillis = num('max-input-ms', values['max-input-ms']);
const versions = (values.version ?? ['3', '4', '5']).map((v) => {
  if (v !== '3' && v !== '4' && v !== '5') {
    console.error(`--version must be 3, 4 or 5, got ${v}`);
    process.exit(2);
  }
  return Number(v) as ProtocolVersion;
});

const fuzzer = new Fuzzer({ seed, versions, ...(maxInputMillis !== undefined ? { maxInputMillis } : {}) });

const replay = num('replay', values.replay);
if (replay !== undefined) {
  const input = fuzzer.inputAt(replay);
  console.log(
    `seed ${seed} input #${replay}: version ${input.version}, maxPacketSize ${input.maxPacketSize}`,
  );
  console.log(`bytes (${input.bytes.length}): ${toHex(input.bytes)}`);
  console.log(`chunks: ${JSON.stringify(input.chunks)}`);
  try {
    console.log('decode:', decode(input.bytes, input.version, { maxPacketSize: input.maxPacketSize }));
  } catch (e) {
    console.log('decode threw:', e);
  }
  fuzzer.runOne(replay);
  console.log(formatStats(fuzzer.stats));
  process.exit(fuzzer.stats.failureCount > 0 ? 1 : 0);
}

let stopped = false;
process.on('SIGINT', () => {
  stopped = true;
});

const started = performance.now();
const deadline = seconds === undefined ? Number.POSITIVE_INFINITY : started + seconds * 1000;
const limit = iterations ?? Number.POSITIVE_INFINITY;
console.log(
  `fuzzing the decoder: seed ${seed}, versions ${versions.join(', ')}, ` +
    `${iterations !== undefined ? `${iterations} inputs` : ''}${iterations !== undefined && seconds !== undefined ? ' or ' : ''}` +
    `${seconds !== undefined ? `${seconds} s` : ''}`,
);

let lastReport = started;
let reportedFailures = 0;
while (!stopped && fuzzer.stats.inputs < limit && performance.now() < deadline) {
  // Batches, with a turn of the event loop between them so that Ctrl-C is noticed.
  fuzzer.run({ iterations: Math.min(2000, limit - fuzzer.stats.inputs), deadline });
  const now = performance.now();
  const s = fuzzer.stats;
  if (s.failures.length > reportedFailures) {
    for (const f of s.failures.slice(reportedFailures))
      console.log(`  new failure [${f.kind}] at #${f.index}: ${f.detail}`);
    reportedFailures = s.failures.length;
  }
  if (now - lastReport >= 5000) {
    lastReport = now;
    const rate = Math.round(s.inputs / ((now - started) / 1000));
    console.log(
      `  ${s.inputs} inputs, ${rate}/s, ${s.failureCount} failures, slowest ${s.slowestMillis.toFixed(1)} ms`,
    );
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
}

console.log(formatStats(fuzzer.stats));
process.exit(fuzzer.stats.failureCount > 0 ? 1 : 0);
