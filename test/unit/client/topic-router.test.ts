// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// TopicRouter: MQTT matching rules case by case, agreement with topicMatchesSub on random filters and topics,
// result order and deduplication, and that removing everything frees every trie node.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../../src/packet/errors.js';
import { topicFilterProblem } from '../../../src/packet/topic-rules.js';
import { topicMatchesSub } from '../../../src/topic.js';
import { TopicRouter } from '../../../src/topic-router.js';

describe('TopicRouter', () => {
  const cases: Array<[filter: string, topic: string, matches: boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/', false],
    ['a', 'a/b', false],
    ['a/b', 'a', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/', true], // an empty level is a level
    ['a/+', 'a', false],
    ['a/+', 'a/b/c', false],
    ['a//b', 'a//b', true],
    ['a//b', 'a/b', false],
    ['a/+/c', 'a//c', true],
    ['+/+', '/', true],
    ['/+', '/a', true],
    ['+', '', true],
    ['+', '/', false],
    ['a/#', 'a', true], // '#' includes the parent level [MQTT-4.7.1-2]
    ['a/#', 'a/', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/b/#', 'a/bc', false],
    ['#', 'a/b', true],
    ['#', '/', true],
    ['+/#', 'a', true],
    ['+/+/#', 'a', false],
    ['#', '$SYS/broker', false], // [MQTT-4.7.2-1] wildcards at the start do not match $ topics
    ['+/broker', '$SYS/broker', false],
    ['+/#', '$SYS', false],
    ['$SYS/#', '$SYS/broker', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/+', '$SYS/broker', true],
    ['a/+', 'a/$SYS', true], // only a leading '$' is special
    ['$share/group/a/+', 'a/b', true], // a shared subscription routes like its filter
    ['$share/group/#', 'x/y', true],
    ['$share/group/#', '$SYS/x', false],
    ['$share/group/a', '$share/group/a', false],
  ];
  for (const [filter, topic, matches] of cases) {
    test(`match – "${filter}" ${matches ? 'matches' : 'does not match'} "${topic}"`, () => {
      const router = new TopicRouter<string>();
      router.add(filter, 'h');
      assert.deepEqual(router.match(topic), matches ? ['h'] : [], `filter ${filter}, topic ${topic}`);
      assert.equal(topicMatchesSub(filter, topic), matches, 'the table agrees with topicMatchesSub');
    });
  }

  test('add – an invalid filter throws InvalidArgumentError and changes nothing', () => {
    const router = new TopicRouter<number>();
    for (const bad of ['', 'a/#/b', 'a#', 'a/b+', '$share/g', '$share//a', '$share/g/']) {
      assert.throws(() => router.add(bad, 1), InvalidArgumentError, `filter "${bad}"`);
    }
    assert.equal(router.size, 0, 'nothing was added');
    assert.equal(router.nodeCount, 0, 'no node was created');
  });

  test('add – the same value twice under one filter is stored once; under two filters, matched once', () => {
    const router = new TopicRouter<string>();
    router.add('a/+', 'h');
    router.add('a/+', 'h');
    assert.equal(router.size, 1, 'one registration');
    router.add('a/#', 'h');
    router.add('$share/g/a/b', 'h');
    assert.equal(router.size, 3, 'three registrations');
    assert.deepEqual(router.match('a/b'), ['h'], 'each value once');
  });

  test('match – values in the order of the add() calls, a repeated value at its earliest matching place', () => {
    const router = new TopicRouter<string>();
    router.add('a/#', 'first');
    router.add('x/y', 'first'); // does not match a/b: 'first' keeps its place from a/#
    router.add('+/b', 'second');
    router.add('a/b', 'third');
    router.add('#', 'fourth');
    router.add('a/b', 'second'); // 'second' is already in place from +/b
    router.add('a/b', 'first'); // added again, but under a new filter: still first
    assert.deepEqual(router.match('a/b'), ['first', 'second', 'third', 'fourth'], 'insertion order');
    router.remove('a/#', 'first');
    assert.deepEqual(
      router.match('a/b'),
      ['second', 'third', 'fourth', 'first'],
      'first moved to its a/b place',
    );
  });

  test('match – nothing matching returns one shared frozen empty array; results are fresh arrays', () => {
    const router = new TopicRouter<number>();
    const none = router.match('a');
    assert.ok(Object.isFrozen(none), 'frozen');
    assert.equal(none.length, 0, 'empty');
    router.add('b', 1);
    assert.equal(router.match('a'), none, 'the same empty array');
    assert.notEqual(router.match('b'), router.match('b'), 'a new result array per call');
  });

  test('has – exact filters only; a shared filter is a filter of its own', () => {
    const router = new TopicRouter<number>();
    router.add('$share/g/a/#', 1);
    assert.equal(router.has('$share/g/a/#'), true, 'the added filter');
    assert.equal(router.has('a/#'), false, 'the filter it routes like');
    assert.equal(router.has('$share/h/a/#'), false, 'another group');
    assert.equal(router.has('a'), false, 'a topic it matches');
    assert.equal(router.has('a/#/b'), false, 'an invalid filter');
    assert.equal(router.has('$share/g'), false, 'a share prefix without filter');
    router.add('a/#', 2);
    assert.equal(router.remove('a/#'), true, 'removes a/#');
    assert.equal(router.has('$share/g/a/#'), true, 'the shared filter on the same node stays');
    assert.deepEqual(router.match('a/b'), [1], 'and still routes');
  });

  test('remove – one value or all of a filter; false when there was nothing to remove', () => {
    const router = new TopicRouter<string>();
    router.add('a/+', 'x');
    router.add('a/+', 'y');
    router.add('a/b', 'x');
    assert.equal(router.remove('a/+', 'z'), false, 'unknown value');
    assert.equal(router.remove('a/b', 'y'), false, 'value not under that filter');
    assert.equal(router.remove('a/c'), false, 'unknown filter');
    assert.equal(router.remove('a/#/b'), false, 'invalid filter');
    assert.equal(router.remove('a/+', 'x'), true, 'one value');
    assert.deepEqual(router.match('a/b'), ['y', 'x'], 'x still under a/b, after y');
    assert.equal(router.remove('a/+'), true, 'all values');
    assert.equal(router.size, 1, 'a/b left');
    assert.deepEqual(router.match('a/c'), [], 'a/+ gone');
  });

  test('clear – removes everything', () => {
    const router = new TopicRouter<number>();
    router.add('a/b', 1);
    router.add('#', 2);
    router.clear();
    assert.equal(router.size, 0, 'size 0');
    assert.equal(router.nodeCount, 0, 'no nodes');
    assert.deepEqual(router.match('a/b'), [], 'nothing matches');
  });

  test('churn – adding and removing many filters leaves size 0 and no trie nodes', () => {
    const router = new TopicRouter<number>();
    const filters: string[] = [];
    for (let i = 0; i < 200; i++) {
      filters.push(`dev/${i % 17}/+/s${i}/#`, `dev//${i}`, `+/${i % 5}`, `$share/g${i % 3}/q/${i}`, '#');
    }
    for (let round = 0; round < 3; round++) {
      filters.forEach((f, i) => {
        router.add(f, i % 7);
      });
      assert.ok(router.nodeCount > 0, 'nodes while filters are registered');
      assert.ok(router.match('dev/3/x/s20/y').length > 0, 'something matches');
      filters.forEach((f, i) => {
        // Half removed value by value, half filter by filter.
        if (i % 2 === 0) router.remove(f, i % 7);
        else router.remove(f);
      });
      assert.equal(router.size, 0, `size 0 after round ${round}`);
      assert.equal(router.nodeCount, 0, `no nodes after round ${round}`);
      assert.deepEqual(router.match('dev/3/x/s20/y'), [], 'nothing matches');
    }
  });

  test('property – match() agrees with topicMatchesSub, in order, through adds and removes', () => {
    const filterLevel = fc.constantFrom('', 'a', 'b', '$SYS', '+', '#');
    const filter = fc
      .tuple(fc.boolean(), fc.array(filterLevel, { minLength: 1, maxLength: 4 }))
      .map(([shared, levels]) => (shared ? '$share/g/' : '') + levels.join('/'))
      .filter((f) => topicFilterProblem(f) === undefined);
    const topic = fc
      .array(fc.constantFrom('', 'a', 'b', '$SYS'), { minLength: 1, maxLength: 5 })
      .map((levels) => levels.join('/'));
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), filter, value: fc.nat(5) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), filter, value: fc.nat(5) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeAll' as const), filter }) },
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 25 }),
        fc.array(topic, { minLength: 1, maxLength: 8 }),
        (ops, topics) => {
          const router = new TopicRouter<number>();
          // The model: registrations in the order they were added.
          let model: Array<{ filter: string; value: number }> = [];
          for (const o of ops) {
            if (o.kind === 'add') {
              router.add(o.filter, o.value);
              if (!model.some((r) => r.filter === o.filter && r.value === o.value)) model.push(o);
            } else if (o.kind === 'remove') {
              const had = model.some((r) => r.filter === o.filter && r.value === o.value);
              assert.equal(router.remove(o.filter, o.value), had, `remove(${o.filter}, ${o.value})`);
              model = model.filter((r) => r.filter !== o.filter || r.value !== o.value);
            } else {
              const had = model.some((r) => r.filter === o.filter);
              assert.equal(router.remove(o.filter), had, `remove(${o.filter})`);
              model = model.filter((r) => r.filter !== o.filter);
            }
          }
          assert.equal(router.size, model.length, 'size');
          for (const t of topics) {
            const expected = [
              ...new Set(model.filter((r) => topicMatchesSub(r.filter, t)).map((r) => r.value)),
            ];
            assert.deepEqual(router.match(t), expected, `topic "${t}"`);
          }
          for (const r of model) assert.ok(router.has(r.filter), `has(${r.filter})`);
          for (const r of model) router.remove(r.filter);
          assert.equal(router.size, 0, 'size 0 after removing all');
          assert.equal(router.nodeCount, 0, 'no nodes after removing all');
        },
      ),
      { numRuns: 500 },
    );
  });
});
