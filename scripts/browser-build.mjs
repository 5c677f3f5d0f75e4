// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// The esbuild options of a browser build, shared by scripts/bundle.mjs (the prebuilt bundle) and scripts/size.mjs
// (what an application's bundler would make of the library): one ES module for the browser platform, minified —
// so building fails if anything reachable needs a Node built-in.

/** @type {import('esbuild').BuildOptions} */
export const BROWSER_BUILD = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};
