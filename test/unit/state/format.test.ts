import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goJson } from '../../../src/state/json.js';
import { ownerName, userNames } from '../../../src/state/owner.js';
import { tabulate } from '../../../src/state/table.js';
import { nowRfc3339Nano, rfc3339Nano } from '../../../src/state/time.js';
import { tempDir } from '../../helpers/tsrun.js';

test('rfc3339Nano prints like Go: UTC, trailing zeros of the fraction dropped', () => {
  const base = BigInt(Date.UTC(2026, 10, 29, 5, 22, 34)) * 1_000_000n;
  assert.equal(rfc3339Nano(base), '2026-11-29T05:22:34Z');
  assert.equal(rfc3339Nano(base + 60_646_339n), '2026-11-29T05:22:34.060646339Z');
  assert.equal(rfc3339Nano(base + 500_000_000n), '2026-11-29T05:22:34.5Z');
  assert.equal(rfc3339Nano(base + 1_000n), '2026-11-29T05:22:34.000001Z');
  assert.match(nowRfc3339Nano(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  const drift = Math.abs(Date.parse(nowRfc3339Nano()) - Date.now());
  assert.ok(drift < 1000, `now is now (drift ${drift} ms)`);
});

test('goJson escapes <, >, &, U+2028 and U+2029 as Go does', () => {
  assert.equal(goJson({ a: '<b>&\u2028\u2029"' }), '{"a":"\\u003cb\\u003e\\u0026\\u2028\\u2029\\""}');
  assert.equal(goJson(null), 'null');
  assert.equal(goJson({ a: 1, b: [] }, 2), '{\n  "a": 1,\n  "b": []\n}');
});

test('tabulate lays columns out like tabwriter(minwidth 12, padding 3)', () => {
  assert.equal(tabulate([['ID', 'PID', 'OWNER']]), 'ID          PID         OWNER\n');
  assert.equal(
    tabulate([['ID', 'BUNDLE', 'OWNER'], ['c1', '/a/very/long/bundle/path', 'root']]),
    // The bundle column is 24 characters wide + 3 of padding.
    `${'ID'.padEnd(12)}${'BUNDLE'.padEnd(27)}OWNER\n` +
    `${'c1'.padEnd(12)}/a/very/long/bundle/path   root\n`,
  );
  // Width counts characters, not bytes.
  assert.equal(tabulate([['é', 'x']]), 'é           x\n');
});

test('owner names come from passwd; unknown uids print as #uid', () => {
  const t = tempDir();
  try {
    const passwd = join(t.path, 'passwd');
    writeFileSync(passwd, '# comment\nroot:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\ndup:x:1000:1000::/:/bin/sh\n');
    const names = userNames(passwd);
    assert.equal(ownerName(0, names), 'root');
    assert.equal(ownerName(1000, names), 'alice');
    assert.equal(ownerName(4242, names), '#4242');
    assert.equal(userNames(join(t.path, 'missing')).size, 0);
  } finally {
    t.remove();
  }
});
