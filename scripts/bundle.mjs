// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Builds the browser bundle: dist/browser/mqttkit.js, one minified ES module of the runtime-neutral entry for
// <script type="module">. Building it fails if anything reachable from the entry needs a Node built-in.
import { build } from 'esbuild';
import { BROWSER_BUILD } from './browser-build.mjs';

await build({
  ...BROWSER_BUILD,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/browser/mqttkit.js',
  sourcemap: true,
});
