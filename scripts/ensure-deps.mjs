// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Installs the npm dependencies when they are missing or older than package-lock.json, so that a fresh clone
// needs nothing but `npm test`.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // `npm install` rather than `npm ci`: with this machine's npm settings the lock file records no download
  // addresses, and `npm ci` then refuses it over the optional packages of other platforms (Biome's). `npm install`
  // still installs the locked versions.
  console.log('ensure-deps: installing npm dependencies (npm install)');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
