// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * mqttkit, Node.js entry: the runtime-neutral API plus what needs Node built-ins (TCP and TLS), selected by the
 * `node` condition of the package's `exports`.
 *
 * @module
 */
export { connect, type NodeClientOptions } from './connect.js';
export * from './index.js';
export { type SocketOptions, socketTransport, type TlsOptions } from './transport/node-socket.js';
