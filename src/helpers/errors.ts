// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The error of the subscribing helpers when the broker grants none of their filters.
 *
 * @module
 */
import { MqttError } from '../errors.js';
import { reasonCodeName } from '../packet/reason-codes.js';
import type { AckProperties } from '../packet/types.js';

/**
 * The broker refused every filter of a `subscribeSimple` / `subscribeCallback` call: its SUBACK carried a failure
 * reason code (0x80 or above) for each. Code `MQTT_ERR_SUBSCRIBE_REFUSED`. (When only some filters are refused,
 * the helpers go on with the others, as paho's do.)
 *
 * ```ts
 * try {
 *   await subscribeSimple(url, 'private/#', { protocolVersion: 5 });
 * } catch (e) {
 *   if (e instanceof SubscribeRefusedError) console.log(e.reasonCodes); // [0x87] Not authorized
 * }
 * ```
 */
export class SubscribeRefusedError extends MqttError {
  /** The filters, in request order. */
  readonly topicFilters: string[];
  /** The SUBACK's reason code per filter. */
  readonly reasonCodes: number[];
  /** MQTT 5 SUBACK properties (a reason string, user properties). */
  readonly properties: AckProperties | undefined;

  constructor(topicFilters: string[], reasonCodes: number[], properties: AckProperties | undefined) {
    const each = topicFilters.map((f, i) => {
      const code = reasonCodes[i] ?? 0x80;
      return `${f}: ${reasonCodeName(code, 'suback')} (0x${code.toString(16).padStart(2, '0')})`;
    });
    const reason = properties?.reasonString;
    super(
      'MQTT_ERR_SUBSCRIBE_REFUSED',
      `subscription refused: ${each.join(', ')}${reason ? `: ${reason}` : ''}`,
    );
    this.topicFilters = topicFilters;
    this.reasonCodes = reasonCodes;
    this.properties = properties;
  }
}
