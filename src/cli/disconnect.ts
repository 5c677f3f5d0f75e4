// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The end of every command: DISCONNECT (with the `-D disconnect` properties) and close.
 *
 * @module
 */
import type { EndOptions, MqttClient } from '../node.js';
import type { CliOptions } from './cli-options.js';
import type { Reporter } from './report.js';

/** Ends the client, with DISCONNECT when it is still connected; never rejects. */
export async function disconnect(client: MqttClient, o: CliOptions, reporter: Reporter): Promise<void> {
  const options: EndOptions = {};
  if (Object.keys(o.properties.disconnect).length > 0) options.properties = o.properties.disconnect;
  if (client.connected) reporter.debug(`Client ${client.clientId} sending DISCONNECT`);
  await client.end(options).catch(() => {});
}
