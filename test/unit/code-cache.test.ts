// src/code-cache.ts compiles a bundle with the text Node's Module.wrap would
// put around it; build/code-cache.mjs makes the cache with Module.wrap itself.
// V8 takes a cache only for a source of the same length: they must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { WRAP_HEAD, WRAP_TAIL } from '../../src/code-cache.js';

test('the code cache loader wraps a bundle exactly as Module.wrap does', () => {
  const wrap = (Module as unknown as { wrap: (s: string) => string }).wrap;
  for (const src of ['', 'module.exports = 1;', 'x\n// last line']) assert.equal(`${WRAP_HEAD}${src}${WRAP_TAIL}`, wrap(src));
});
