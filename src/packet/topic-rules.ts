// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The syntax rules of topic names and topic filters (section 4.7 of 3.1.1 and 5.0), shared by the codec and the
 * client's own validation.
 *
 * @module
 */

// [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-4.7.3-2]: no U+0000 and no lone surrogate (not encodable as UTF-8).
function characterProblem(s: string, what: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return `a ${what} must not contain U+0000`;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff))
        return `a ${what} must not contain a lone surrogate (it is not valid UTF-8)`;
      i++;
    }
  }
  return undefined;
}

/** Why `name` cannot be a topic name, or undefined when it can. [MQTT-4.7.0-1] [MQTT-4.7.3-1] */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a topic name must not be empty';
  const c = characterProblem(name, 'topic name');
  if (c !== undefined) return c;
  if (name.includes('+') || name.includes('#')) return 'a topic name must not contain + or #';
  return undefined;
}

/**
 * Why `filter` cannot be a topic filter, or undefined when it can. With `shared` (MQTT 5), `$share/` filters must
 * also name a share group and a filter.
 */
export function topicFilterProblem(filter: string, shared = true): string | undefined {
  if (filter.length === 0) return 'a topic filter must not be empty';
  const c = characterProblem(filter, 'topic filter');
  if (c !== undefined) return c;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '# must be the last level of a topic filter and stand alone in it'; // [MQTT-4.7.1-2]
    }
    if (level.includes('+') && level !== '+') return '+ must stand alone in a topic filter level'; // [MQTT-4.7.1-3]
  }
  if (shared && levels[0] === '$share') {
    const group = levels[1];
    if (group === undefined || group === '' || group.includes('+') || group.includes('#')) {
      return 'a shared subscription needs a share name without wildcards: $share/{name}/{filter}'; // [MQTT-4.8.2-1]
    }
    if (levels.length < 3 || levels.slice(2).join('/') === '') {
      return 'a shared subscription needs a filter after the share name'; // [MQTT-4.8.2-2]
    }
  }
  return undefined;
}

/** Whether `filter` is a shared subscription (`$share/name/filter`). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith('$share/');
}
