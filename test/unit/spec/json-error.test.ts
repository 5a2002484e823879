// jsonFault agrees with JSON.parse on what is valid, and points at the fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonFault } from '../../../src/spec/json-error.js';

test('valid JSON has no fault', () => {
  for (const t of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0', '{"a":{"b":[{}]}}']) {
    JSON.parse(t);
    assert.equal(jsonFault(t), undefined, t);
  }
});

test('invalid JSON: the line and column of the first bad character', () => {
  const cases: [string, number, number, RegExp][] = [
    ['{]', 1, 2, /expected a property name/],
    ['{\n  "a": 1,\n  ]', 3, 3, /unexpected "\]"/],
    ['{"a": 1', 1, 8, /unexpected end of input/],
    ['', 1, 1, /unexpected end of input/],
    ['{"a": 01}', 1, 8, /expected "}"/],
    ['{"a": "b\nc"}', 1, 9, /control character/],
    ['{} x', 1, 4, /after the JSON value/],
    ["{'a': 1}", 1, 2, /expected a property name/],
    ['[1,]', 1, 4, /expected a value/],
  ];
  for (const [text, line, column, what] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError, text);
    const f = jsonFault(text);
    assert.ok(f, `no fault found in ${JSON.stringify(text)}`);
    assert.deepEqual([f.line, f.column], [line, column], JSON.stringify(text));
    assert.match(f.what, what);
  }
});
