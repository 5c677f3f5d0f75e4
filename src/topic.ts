// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Topic names and filters: validation with clear errors, and matching a topic against a filter.
 *
 * @module
 */
import { InvalidArgumentError } from './packet/errors.js';
import { topicFilterProblem, topicNameProblem } from './packet/topic-rules.js';

/**
 * Whether `topic` matches the subscription `filter`, wildcards included. Topics starting with `$` are not matched
 * by a filter starting with a wildcard ([MQTT-4.7.2-1]), and a `$share/{group}/` prefix is ignored.
 */
export function topicMatchesSub(filter: string, topic: string): boolean {
  let f = filter;
  if (f.startsWith('$share/')) {
    const slash = f.indexOf('/', 7);
    if (slash < 0) return false;
    f = f.slice(slash + 1);
  }
  if (topic.startsWith('$') && (f.startsWith('+') || f.startsWith('#'))) return false;
  const fl = f.split('/');
  const tl = topic.split('/');
  for (let i = 0; i < fl.length; i++) {
    const level = fl[i];
    // '#' matches the rest, the parent level included ("a/#" matches "a"). [MQTT-4.7.1-2]
    if (level === '#') return true;
    if (i >= tl.length || (level !== '+' && level !== tl[i])) return false;
  }
  return fl.length === tl.length;
}

/**
 * Throws unless `topic` is a valid topic name for publishing.
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT`, saying what is wrong.
 */
export function validateTopicName(topic: string): void {
  if (typeof topic !== 'string')
    throw new InvalidArgumentError(`topic must be a string, got ${typeof topic}`);
  const problem = topicNameProblem(topic);
  if (problem !== undefined) throw new InvalidArgumentError(`invalid topic "${topic}": ${problem}`);
}

/**
 * Throws unless `filter` is a valid topic filter for subscribing.
 *
 * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT`, saying what is wrong.
 */
export function validateTopicFilter(filter: string): void {
  if (typeof filter !== 'string')
    throw new InvalidArgumentError(`topic filter must be a string, got ${typeof filter}`);
  const problem = topicFilterProblem(filter);
  if (problem !== undefined) throw new InvalidArgumentError(`invalid topic filter "${filter}": ${problem}`);
}
