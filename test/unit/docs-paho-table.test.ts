// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Keeps docs/migrating-from-paho.md honest: every row of its tables names, in its last column, the test that backs
// it, and that test must exist in test/integration/paho-equivalents.test.ts. The other way round, every test there
// must be named by some row, so that neither side can drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url);
const GUIDE = 'docs/migrating-from-paho.md';
const TESTS = 'test/integration/paho-equivalents.test.ts';

/** A table row of the guide, with its line number for messages. */
interface Row {
  line: number;
  cells: string[];
}

/** The cells of a Markdown table line; `\|` inside a cell is not a separator. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The body rows of every table whose header's last column is `test`. */
function testedRows(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const rows: Row[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i] as string;
    const separator = lines[i + 1] as string;
    if (!header.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(separator)) continue;
    const head = cells(header);
    if (head.at(-1)?.toLowerCase() !== 'test') continue;
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string).trim().startsWith('|'); j++) {
      rows.push({ line: j + 1, cells: cells(lines[j] as string) });
    }
    i = j - 1;
  }
  return rows;
}

/** The names in backticks of a test cell (a row may name more than one test). */
function namesIn(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
}

/** The names of the `it()` calls of the test file. */
function testNames(source: string): string[] {
  return [...source.matchAll(/\bit\(\s*(['"])((?:(?!\1).)*)\1/g)].map((m) => m[2] as string);
}

describe('docs: the paho migration guide', () => {
  const guide = readFileSync(new URL(GUIDE, root), 'utf8');
  const tests = testNames(readFileSync(new URL(TESTS, root), 'utf8'));
  const rows = testedRows(guide);

  it('has its tables, each row with as many cells as its header', () => {
    assert.ok(rows.length >= 150, `expected the guide's tables, found ${rows.length} rows`);
    assert.ok(tests.length >= 50, `expected the equivalence tests, found ${tests.length}`);
    for (const row of rows) {
      assert.equal(row.cells.length, 4, `${GUIDE}:${row.line}: paho | mqttkit | notes | test`);
      assert.ok((row.cells[0] ?? '') !== '', `${GUIDE}:${row.line}: no paho symbol`);
      assert.ok((row.cells[1] ?? '') !== '', `${GUIDE}:${row.line}: no mqttkit equivalent`);
    }
  });

  it('names, in every row, tests that exist in the test file', () => {
    const known = new Set(tests);
    for (const row of rows) {
      const names = namesIn(row.cells.at(-1) ?? '');
      assert.ok(names.length > 0, `${GUIDE}:${row.line}: the test column names no test`);
      for (const name of names) {
        assert.ok(
          name.startsWith('paho – '),
          `${GUIDE}:${row.line}: "${name}" is not a paho equivalence test`,
        );
        assert.ok(known.has(name), `${GUIDE}:${row.line}: no test named "${name}" in ${TESTS}`);
      }
    }
  });

  it('names every test of the test file in some row', () => {
    const named = new Set(rows.flatMap((r) => namesIn(r.cells.at(-1) ?? '')));
    for (const name of tests) assert.ok(named.has(name), `${TESTS}: "${name}" backs no row of ${GUIDE}`);
  });

  it('gives each test of the test file a unique name', () => {
    const seen = new Set<string>();
    for (const name of tests) {
      assert.ok(!seen.has(name), `${TESTS}: two tests are named "${name}"`);
      seen.add(name);
    }
  });
});
