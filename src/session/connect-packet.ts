// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The CONNECT packet a connection starts with, built from the engine's options for the version in use. Part of
 * the session engine.
 *
 * @module
 */
import type { ConnectPacket, ProtocolVersion, Will } from '../packet/types.js';
import type { EngineOptions } from './types.js';

/**
 * CONNECT for `version` (which may be lower than the configured one after a fallback). Properties, and those of
 * the will, go only into MQTT 5; `authData` is the authenticator's initial data (enhanced authentication).
 */
export function connectPacket(
  o: EngineOptions,
  version: ProtocolVersion,
  clientId: string,
  clean: boolean,
  authData: Uint8Array | undefined,
): ConnectPacket {
  const connect: ConnectPacket = {
    type: 'connect',
    protocolVersion: version,
    clientId,
    clean,
    keepAlive: o.keepAlive,
  };
  if (o.bridge === true) connect.bridge = true;
  if (o.username !== undefined) connect.username = o.username;
  if (o.password !== undefined) connect.password = o.password;
  if (o.will !== undefined) connect.will = version === 5 ? o.will : withoutProperties(o.will);
  if (o.properties !== undefined && version === 5) {
    connect.properties =
      authData === undefined ? o.properties : { ...o.properties, authenticationData: authData };
  }
  return connect;
}

function withoutProperties(will: Will): Will {
  return { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain };
}
