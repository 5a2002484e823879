// The log's timestamp is built from the UTC getters (toISOString is slow on
// first use): it must be exactly toISOString without the milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc3339Seconds } from '../../../src/log.js';

test('rfc3339Seconds is toISOString to the second', () => {
  const dates = [0, 951782400000, 1764405332123, 1767225599999, 4102444800000, Date.now()].map((ms) => new Date(ms));
  for (const d of dates) assert.equal(rfc3339Seconds(d), d.toISOString().replace(/\.\d{3}Z$/, 'Z'), String(d.getTime()));
});
