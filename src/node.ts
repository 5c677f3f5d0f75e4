// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * mqttkit, Node.js entry: the runtime-neutral API plus what needs Node built-ins (selected by the `node`
 * condition of the package's `exports`).
 *
 * @module
 */
export * from './index.js';
