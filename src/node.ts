// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * mqttkit, Node.js entry: the runtime-neutral API plus what needs Node built-ins (TCP and TLS), selected by the
 * `node` condition of the package's `exports`.
 *
 * @module
 */
export { connect, createClient, type NodeClientOptions, type SrvConnectOptions } from './connect.js';
export { SubscribeRefusedError } from './helpers/errors.js';
export type { HelperConnectionOptions, HelperTimeoutOptions } from './helpers/options.js';
export {
  type MultiplePublishOptions,
  type PublishMessage,
  publishMultiple,
  publishSingle,
  type SinglePublishOptions,
} from './helpers/publish.js';
export {
  type HelperSubscriptionOptions,
  type SubscribeCallbackOptions,
  type SubscribeSimpleOptions,
  type SubscribeSimpleResult,
  subscribeCallback,
  subscribeSimple,
} from './helpers/subscribe.js';
export * from './index.js';
export {
  FileSessionStore,
  type FileSessionStoreOptions,
  type FsyncPolicy,
  type SessionAttachment,
} from './persistence/file-store.js';
export { duplexTransport } from './transport/node-duplex.js';
export { type SocketOptions, socketTransport, type TlsOptions } from './transport/node-socket.js';
export { type NodeWebSocketOptions, nodeWebSocketTransport } from './transport/node-websocket.js';
export {
  openProxiedSocket,
  PROXY_ERROR,
  type ProxyEndpoint,
  ProxyError,
  type ProxyProtocol,
  type ProxyTarget,
  parseProxyUrl,
} from './transport/proxy.js';
export {
  noProxyMatcher,
  type ProxiedScheme,
  type ProxyEnvironment,
  type ProxyOptions,
  type ProxyRoute,
  proxyRoute,
} from './transport/proxy-route.js';
export {
  orderSrvRecords,
  resolveSrvBrokers,
  SRV_LOOKUP_FAILED,
  type SrvBroker,
  SrvLookupError,
  type SrvLookupFailure,
  type SrvLookupOptions,
  type SrvRecord,
} from './transport/srv.js';
