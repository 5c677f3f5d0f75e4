// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * mqttkit, runtime-neutral entry: everything here runs unchanged in browsers, Node.js, Deno and Bun, and no
 * `node:` module is reachable from it. The Node entry (`node.ts`) adds what needs Node built-ins.
 *
 * @module
 */
export * from './errors.js';
export * from './packet/index.js';
