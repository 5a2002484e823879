// src/spec/json-limits.ts: the depth is counted outside strings only, and a
// NUL byte is found with the JSON pointer of where it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, nestedDeeperThan, nulAt, numberPastUint64 } from '../../../src/spec/json-limits.js';
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

test('numberPastUint64: found in the text, so 2^64-1 (RLIM_INFINITY) passes and 2^64 does not, though both parse to the same double', () => {
  const rl = (hard: string) => `{"process": {"rlimits": [{"type": "RLIMIT_CPU", "hard": 1, "soft": 1}, {"type": "RLIMIT_NOFILE", "hard": ${hard}, "soft": 1}]}}`;
  assert.equal(numberPastUint64(rl('18446744073709551615')), undefined);
  assert.deepEqual(numberPastUint64(rl('18446744073709551616')), { at: '/process/rlimits/1/hard', literal: '18446744073709551616' });
  assert.deepEqual(numberPastUint64(rl('1e400')), { at: '/process/rlimits/1/hard', literal: '1e400' });
  assert.equal(numberPastUint64(rl('1e10')), undefined);
  // digits inside strings, and keys with escapes, are not numbers
  assert.equal(numberPastUint64('{"a\\"b": "123456789012345678901234567890", "n": [1, 2e19]}')?.at, '/n/1');
  assert.equal(numberPastUint64('{"x/y": {"~": 99999999999999999999}}')?.at, '/x~1y/~0');
  assert.throws(() => parseJson(rl('18446744073709551616'), 'config.json'), (err: unknown) => (err as { field?: string }).field === '/process/rlimits/1/hard');
});
