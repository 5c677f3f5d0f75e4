// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// `npm run size`: the size of what a typical browser app ships of mqttkit — connect over WebSocket, subscribe,
// publish with MQTT 5 properties, iterate messages — bundled, tree-shaken and minified as an app's bundler would,
// raw and gzipped, and what takes the space (per source file). Then the whole libraries side by side: mqttkit's
// prebuilt browser bundle (everything, no tree-shaking) against MQTT.js's, as ratios. `--json`: one JSON line.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BROWSER_BUILD } from './browser-build.mjs';

const app = `
import { connect } from './src/index.ts';
export async function run(url) {
  const client = await connect(url, { protocolVersion: 5, keepAlive: 30 });
  const sub = await client.subscribe('sensors/+/temperature', { qos: 1 });
  await client.publish('sensors/kitchen/temperature', '21.5', {
    qos: 1,
    properties: { contentType: 'text/plain', userProperties: [['unit', 'C']] },
  });
  for await (const m of sub) { console.log(m.topic, m.text()); break; }
  await client.end();
}
`;

// As an application's bundler would build for browsers (and as scripts/bundle.mjs builds the prebuilt bundle).
const BROWSER = { ...BROWSER_BUILD, write: false };

const result = await build({
  ...BROWSER,
  stdin: { contents: app, resolveDir: process.cwd(), sourcefile: 'app.js', loader: 'js' },
  metafile: true,
});
const code = result.outputFiles[0].contents;
const gzip = gzipSync(code, { level: 9 }).length;
const output = Object.values(result.metafile.outputs)[0];
const parts = Object.entries(output.inputs)
  .map(([file, info]) => [file.replace(/^src\//, ''), info.bytesInOutput])
  .filter(([, bytes]) => bytes > 0)
  .sort((a, b) => b[1] - a[1]);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `mqttkit in a typical browser app (connect over WebSocket, subscribe, publish with MQTT 5 properties):`,
);
console.log(`  minified ${kb(code.length)} (${code.length} bytes), gzipped ${kb(gzip)} (${gzip} bytes)`);
console.log('  what takes the space (minified bytes per source file):');
for (const [file, bytes] of parts) console.log(`    ${String(bytes).padStart(7)}  ${file}`);

// The whole library, as each project ships it prebuilt for <script type="module">.
const whole = await build({ ...BROWSER, entryPoints: ['src/index.ts'] });
const ours = whole.outputFiles[0].contents;
const theirs = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('mqtt/package.json')), 'dist', 'mqtt.esm.js'),
);
const size = (b) => ({ minified: b.length, gzipped: gzipSync(b, { level: 9 }).length });
const [a, b] = [size(ours), size(theirs)];
console.log(
  'whole library, prebuilt browser ES module (mqttkit: dist/browser/mqttkit.js; MQTT.js: dist/mqtt.esm.js):',
);
console.log(`  mqttkit  minified ${kb(a.minified)}, gzipped ${kb(a.gzipped)}`);
console.log(`  MQTT.js  minified ${kb(b.minified)}, gzipped ${kb(b.gzipped)}`);
console.log(
  `  mqttkit/MQTT.js  minified ${(a.minified / b.minified).toFixed(2)}, gzipped ${(a.gzipped / b.gzipped).toFixed(2)}`,
);
if (process.argv.includes('--json')) {
  const app = { minified: code.length, gzipped: gzip, parts: Object.fromEntries(parts) };
  console.log(JSON.stringify({ ...app, whole: { mqttkit: a, mqttjs: b } }));
}
