// rootPath skips node:path for a clean absolute --root: it must still equal
// path.resolve for every input, clean or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { containerDir, rootPath } from '../../../src/state/paths.js';

test('rootPath is path.resolve, with and without the fast path', () => {
  const inputs = [
    '/', '/run/tsrun', '/run/tsrun/', '/run//tsrun', '/run/./tsrun', '/run/../tsrun', '/run/tsrun/.', '/run/tsrun/..',
    '/.', '/..', '//', '/a.b/..c/.d', '/a/...', 'relative', './rel', '../up', '', '.', 'a//b/', '/with space/ü',
  ];
  for (const p of inputs) assert.equal(rootPath(p), resolve(p), JSON.stringify(p));
});

test('containerDir is <root>/<id> with the root resolved', () => {
  assert.equal(containerDir('/run/tsrun', 'c1'), '/run/tsrun/c1');
  assert.equal(containerDir('/run/tsrun/', 'c1'), '/run/tsrun/c1');
  assert.equal(containerDir('rel', 'c1'), `${resolve('rel')}/c1`);
});
