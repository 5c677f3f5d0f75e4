// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidArgumentError,
  topicMatchesSub,
  validateTopicFilter,
  validateTopicName,
} from '../../../src/index.js';

describe('topicMatchesSub', () => {
  const cases: Array<[filter: string, topic: string, matches: boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/', false],
    ['a', 'a/b', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/', true], // an empty level is a level
    ['a/+', 'a', false],
    ['a/+', 'a/b/c', false],
    ['a/+/c', 'a//c', true],
    ['+/+', '/', true],
    ['/+', '/a', true],
    ['+', '', true],
    ['a/#', 'a', true], // '#' includes the parent level [MQTT-4.7.1-2]
    ['a/#', 'a/b/c', true],
    ['a/b/#', 'a/bc', false],
    ['#', 'a/b', true],
    ['+/#', 'a', true],
    ['#', '$SYS/broker', false], // [MQTT-4.7.2-1] wildcards at the start do not match $ topics
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['$SYS/+', '$SYS/broker', true],
    ['$share/group/a/+', 'a/b', true], // the share prefix is not part of the match
    ['$share/group/#', 'x/y', true],
  ];
  for (const [filter, topic, matches] of cases) {
    it(`topic – "${filter}" ${matches ? 'matches' : 'does not match'} "${topic}"`, () => {
      assert.equal(topicMatchesSub(filter, topic), matches);
    });
  }
});

describe('topic validation', () => {
  it('topic – names with wildcards or empty are refused with the reason', () => {
    for (const [name, why] of [
      ['', /empty/],
      ['a/+', /\+ or #/],
      ['a/#', /\+ or #/],
    ] as const) {
      assert.throws(
        () => validateTopicName(name),
        (e: unknown) => e instanceof InvalidArgumentError && why.test(e.message),
      );
    }
    validateTopicName('a/b c/$d');
  });

  it('topic – filters must place wildcards correctly', () => {
    for (const [filter, why] of [
      ['', /empty/],
      ['a/#/b', /last level/],
      ['a#', /last level/],
      ['a+/b', /stand alone/],
      ['$share//a', /share name/],
      ['$share/g', /filter after the share name/],
      ['$share/g/', /filter after the share name/],
    ] as const) {
      assert.throws(
        () => validateTopicFilter(filter),
        (e: unknown) => e instanceof InvalidArgumentError && why.test(e.message),
        filter,
      );
    }
    for (const ok of ['#', '+', 'a/+/b', 'a/#', '/', '$share/g/a/#']) validateTopicFilter(ok);
  });
});

describe('topicMatchesSub, empty levels', () => {
  for (const [filter, topic] of [
    ['a/', 'a/'],
    ['a/+/', 'a/b/'],
    ['/', '/'],
    ['+/', 'x/'],
    ['//', '//'],
  ] as const) {
    it(`topic – "${filter}" matches "${topic}" (a trailing empty level is a level)`, () => {
      assert.equal(topicMatchesSub(filter, topic), true);
      assert.equal(topicMatchesSub(filter, topic.slice(0, -1)), false);
    });
  }
});
