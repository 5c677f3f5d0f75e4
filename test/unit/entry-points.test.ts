// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const builtins = new Set(builtinModules);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

// Every module reachable from `entry` through static and dynamic imports, as paths relative to the root.
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [resolve(root, entry)];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    const key = relative(root, file);
    if (seen.has(key)) continue;
    const specifiers: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string;
      specifiers.push(spec);
      if (spec.startsWith('.')) stack.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    seen.set(key, specifiers);
  }
  return seen;
}

describe('entry points', () => {
  it('entry points – the runtime-neutral entry reaches no Node built-in or package', () => {
    const graph = reachable('src/index.ts');
    assert.ok(graph.size > 10, 'the graph walk found the codec modules');
    for (const [file, specs] of graph) {
      for (const spec of specs) {
        assert.ok(spec.startsWith('.'), `${file} imports "${spec}", which a browser cannot load as is`);
        assert.ok(!builtins.has(spec) && !spec.startsWith('node:'), `${file} imports Node built-in ${spec}`);
      }
    }
  });

  it('entry points – package.json maps browser and node conditions to the two entries', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, unknown>>;
      engines: { node: string };
      type: string;
    };
    const dot = pkg.exports['.'] as Record<string, unknown>;
    assert.equal(dot['browser'], './dist/index.js');
    assert.equal((dot['node'] as Record<string, string>)['default'], './dist/node.js');
    assert.equal(dot['default'], './dist/index.js');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.engines.node, '>=20');
  });
});
