// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// docs/migrating-from-mqttjs.md promises that each row of its mapping tables is backed by a test: this checks that
// the test each row names exists in test/integration/mqttjs-equivalents.test.ts, and that every test there is
// named by some row (a test no row mentions is a row that went missing from the document).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const DOC = new URL('../../docs/migrating-from-mqttjs.md', import.meta.url);
const TESTS = new URL('../integration/mqttjs-equivalents.test.ts', import.meta.url);
const HEADER = ['MQTT.js', 'mqttkit equivalent', 'notes', 'test'];

/** The cells of a Markdown table row: split on `|` not preceded by a backslash, `\|` unescaped. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

interface Row {
  line: number;
  symbol: string;
  test: string;
}

/** The rows of every table whose header is {@link HEADER}, with the line they are on (1-based). */
function mappingRows(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const rows: Row[] = [];
  let inTable = false;
  lines.forEach((line, i) => {
    if (!line.trimStart().startsWith('|')) {
      inTable = false;
      return;
    }
    const c = cells(line);
    if (!inTable) {
      inTable = c.length === HEADER.length && c.every((cell, k) => cell === HEADER[k]);
      return;
    }
    if (c.every((cell) => /^:?-+:?$/.test(cell))) return; // the separator line
    rows.push({ line: i + 1, symbol: c[0] ?? '', test: (c[HEADER.length - 1] ?? '').replace(/^`|`$/g, '') });
  });
  return rows;
}

/** The names of the `it(…)` calls of a test file (single-quoted string literals, as Biome formats them). */
function testNames(source: string): string[] {
  return [...source.matchAll(/\bit\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) =>
    (m[1] ?? '').replace(/\\(.)/g, '$1'),
  );
}

describe('docs/migrating-from-mqttjs.md', () => {
  const rows = mappingRows(readFileSync(DOC, 'utf8'));
  const names = testNames(readFileSync(TESTS, 'utf8'));

  it('docs – the parser reads cells, escaped pipes and the tables it is meant for', () => {
    assert.deepEqual(cells('| `a \\| b` | c |'), ['`a | b`', 'c']);
    const md = [
      '| MQTT.js | mqttkit equivalent | notes | test |',
      '| --- | --- | --- | --- |',
      '| `x` | `y` | n | `t1` |',
      '',
      '| other | table |',
      '| --- | --- |',
      '| not | counted |',
    ].join('\n');
    assert.deepEqual(mappingRows(md), [{ line: 3, symbol: '`x`', test: 't1' }]);
    assert.deepEqual(testNames("it('a – b', T, () => {});\nit(\n  'c \\'d\\'',\n"), ['a – b', "c 'd'"]);
  });

  it('docs – the document has mapping tables, and the test file has tests', () => {
    assert.ok(rows.length >= 50, `rows found in the mapping tables: ${rows.length}`);
    assert.ok(names.length >= 20, `tests found in the test file: ${names.length}`);
    assert.equal(new Set(names).size, names.length, 'test names are unique');
  });

  it('docs – every row names a test of mqttjs-equivalents.test.ts', () => {
    const known = new Set(names);
    const missing = rows.filter((r) => !known.has(r.test));
    assert.deepEqual(
      missing.map((r) => `line ${r.line} (${r.symbol}): ${r.test === '' ? '(no test named)' : r.test}`),
      [],
      'rows whose test does not exist',
    );
  });

  it('docs – every test of mqttjs-equivalents.test.ts is named by a row', () => {
    const named = new Set(rows.map((r) => r.test));
    assert.deepEqual(
      names.filter((n) => !named.has(n)),
      [],
      'tests that no row of the document names',
    );
  });

  it('docs – every test name follows "mqttjs – <MQTT.js symbol> → <mqttkit equivalent>"', () => {
    const bad = names.filter((n) => !/^mqttjs – .+ → .+$/.test(n));
    assert.deepEqual(bad, [], 'test names out of pattern');
  });
});
