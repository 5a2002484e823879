// src/spec/json-limits.ts: the depth is counted outside strings only, and a
// NUL byte is found with the JSON pointer of where it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, nestedDeeperThan, nulAt } from '../../../src/spec/json-limits.js';
import { parseJson } from '../../../src/spec/bundle.js';

test('nestedDeeperThan: brackets inside strings and escaped quotes do not count', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  assert.equal(nestedDeeperThan(deep(3), 3), false);
  assert.equal(nestedDeeperThan(deep(4), 3), true);
  assert.equal(nestedDeeperThan(`{"a": "${'['.repeat(50)}", "b": "\\"[[[[[["}`, 3), false);
  assert.equal(nestedDeeperThan(`{"a": "\\\\", "b": [[[[1]]]]}`, 3), true, 'an escaped backslash ends before the quote');
  assert.equal(nestedDeeperThan(deep(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
});

test('parseJson: refuses depth past the limit before parsing, and names where a NUL byte is', () => {
  assert.throws(() => parseJson(`{"x": ${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}}`, 'config.json'), /nested deeper than 256/);
  assert.throws(
    () => parseJson('{"process": {"args": ["sh", "a\\u0000b"]}}', 'config.json'),
    (err: unknown) => (err as { field?: string }).field === '/process/args/1' && /NUL byte/.test((err as Error).message),
  );
  assert.equal(nulAt({ 'a/b': { '~': 'x\0' } }, ''), '/a~1b/~0');
  assert.deepEqual(parseJson('{"a": "\\\\u0000 is text, not a NUL"}', 'f'), { a: '\\u0000 is text, not a NUL' });
});
