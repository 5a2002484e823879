import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ID_LENGTH, isValidId, validateId } from '../../../src/state/id.js';
import { RuncText, TsrunError } from '../../../src/errors.js';

const good = ['a', 'A', '0', 'abc-DEF_123', 'a.b', 'a+b', '...', '.hidden', 'x'.repeat(MAX_ID_LENGTH), '-', '_', 'sha256.0123abcd'];
const bad = ['', '.', '..', 'a/b', '/abs', '../up', 'a b', 'a:b', 'a,b', 'a\nb', 'a\0b', 'é', 'a*', 'x'.repeat(MAX_ID_LENGTH + 1), '~', 'a@b'];

for (const id of good) {
  test(`id ${JSON.stringify(id.length > 20 ? id.slice(0, 8) + '...' : id)} is accepted`, () => {
    assert.equal(isValidId(id), true);
    assert.doesNotThrow(() => validateId(id));
  });
}

for (const id of bad) {
  test(`id ${JSON.stringify(id.length > 20 ? id.slice(0, 8) + '...' : id)} is refused with runc's text`, () => {
    assert.equal(isValidId(id), false);
    assert.throws(() => validateId(id), (err: unknown) => err instanceof TsrunError && err.message === RuncText.invalidId);
  });
}
