// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * mqttkit, runtime-neutral entry: everything here runs unchanged in browsers, Node.js, Deno and Bun, and no
 * `node:` module is reachable from it. The Node entry (`node.ts`) adds what needs Node built-ins.
 *
 * @module
 */
export { type AuthContext, AuthenticationError, type Authenticator } from './auth/authenticator.js';
export { type ScramOptions, saslPrep, scramSha256 } from './auth/scram.js';
export { MqttClient } from './client/client.js';
export type { MessageHandler } from './client/dispatch.js';
export type {
  ClientEvents,
  ConnectInfo,
  DisconnectInfo,
  EndOptions,
  PublishOptions,
  SubscribeOptions,
  SubscriptionRequest,
} from './client/events.js';
export { type Acknowledger, Message, type Responder } from './client/message.js';
export { type IteratorOptions, type OverflowPolicy, QueueOverflowError } from './client/message-queue.js';
export {
  type ClientOptions,
  generateClientId,
  type ReconnectOptions,
  type WillOptions,
} from './client/options.js';
export type { Payload } from './client/payload.js';
export { PublishInfo } from './client/publish-info.js';
export type { RequestOptions } from './client/requester.js';
export { SubscriptionHandle } from './client/subscription-handle.js';
export { type BrokerAddress, parseBrokerUrl } from './client/url.js';
export { connect, createClient, type WebSocketClientOptions } from './connect-websocket.js';
export * from './errors.js';
export {
  type ConsoleSinkOptions,
  consoleSink,
  createLogger,
  describePacket,
  type EnvironmentLoggerOptions,
  type EnvironmentScope,
  type EnvironmentSettings,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  LogNamespace,
  loggerFromEnvironment,
  NOOP_LOGGER,
  namespaceEnabled,
  type ObjectFirstLogger,
  objectFirstSink,
  REDACTED,
  type RedactionOptions,
  readEnvironment,
  redactUrl,
} from './log.js';
export * from './packet/index.js';
export {
  type BackoffOptions,
  backoffDelay,
  isRetryableRefusal,
  type ResolvedBackoff,
} from './session/backoff.js';
export {
  MemorySessionStore,
  type OutgoingMessage,
  type SessionStore,
  type StoredPublish,
  type StoredSubscription,
} from './session/store.js';
export type { AckResult, PublishResult } from './session/types.js';
export { topicMatchesSub, validateTopicFilter, validateTopicName } from './topic.js';
export { TopicRouter } from './topic-router.js';
export type { ConnectHint, Transport, TransportFactory, TransportHandlers } from './transport/transport.js';
export { type WebStreamPair, webStreamTransport } from './transport/web-streams.js';
export {
  subprotocolFor,
  type WebSocketCreator,
  type WebSocketLike,
  type WebSocketTransportOptions,
  webSocketTransport,
} from './transport/websocket.js';
