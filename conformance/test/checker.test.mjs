// The checker run directly on this host (no container, no root needed): each
// probe must say "ok" for what is true here and "not ok" for what is not.
// Run: node --test conformance/test/
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostname } from 'node:os';

const readHostname = () => hostname();
import { check, serialize } from '../lib/expect.mjs';
import { buildChecker } from '../lib/suite.mjs';
import { parseTap } from '../lib/tap.mjs';

function runChecker(checks, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-checker-'));
  try {
    const file = join(dir, 'expect');
    writeFileSync(file, checks.map((c) => serialize(c) + '\n').join(''));
    const r = spawnSync(buildChecker(), [file, 'extra arg'], { encoding: 'utf8', cwd: dir, env: { PATH: '/bin', ...env } });
    return { ...parseTap(r.stdout), status: r.status, dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('true facts pass and false ones fail, one TAP line each, in order', () => {
  const mnt = statSync('/proc/self/ns/mnt').ino;
  const nofile = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n').join(' ');
  const pairs = [
    [check('env', 'env set', 'CONF_X', 'a b=c'), true],
    [check('env', 'env differs', 'CONF_X', 'nope'), false],
    [check('env', 'env unset', 'CONF_UNSET'), true],
    [check('argv', 'argv 1', 2, 'extra arg'), true],
    [check('ns', 'same mnt ns', 'mnt', 'eq', mnt), true],
    [check('ns', 'new mnt ns', 'mnt', 'ne', mnt), false],
    [check('mnt', 'proc mounted', '/proc', 'fstype', 'proc'), true],
    [check('mnt', 'no mount there', '/proc/self', 'exists'), false],
    [check('node', 'null device', '/dev/null', 'follow', 'rdev=c 1:3'), true],
    [check('node', 'null is not zero', '/dev/null', 'follow', 'rdev=c 1:5'), false],
    [check('link', 'proc self link', '/proc/self/fd/0', '/nonexistent'), false],
    [check('rlimit', 'nofile', 'RLIMIT_NOFILE', nofile.replace('unlimited', 'unlimited')), true],
    [check('sys', 'getppid allowed', 'getppid', '0'), true],
    [check('sys', 'mkdirat ENOENT', 'mkdirat', 'E2'), true],
    [check('sysig', 'no signal', 'getppid', 'exit 0'), true],
    [check('access', '/proc/self not read-only', '/proc/self', 'ro'), false],
    [check('masked', 'cmdline is readable, so not masked', '/proc/self/cmdline'), false],
    [check('open', 'null opens', '/dev/null', 'r', '0'), true],
    [check('open', 'not EPERM', '/dev/null', 'r', '!E1'), true],
    [check('nosuchprobe', 'unknown probe fails', 'x'), false],
  ];
  const t = runChecker(pairs.map(([c]) => c), { CONF_X: 'a b=c' });
  assert.equal(t.plan, pairs.length);
  pairs.forEach(([c, want], i) => assert.equal(t.results.get(i + 1)?.ok, want, `${c.name}: ${t.results.get(i + 1)?.detail}`));
  assert.equal(t.status, 1, 'exit 1 when any check fails');
});

test('all passing: exit 0; a missing expectations file: one failing line', () => {
  assert.equal(runChecker([check('env', 'set', 'CONF_X', '1'), check('uts', 'host name', 'hostname', readHostname())], { CONF_X: '1' }).status, 0);
  assert.equal(runChecker([check('cwd', 'cwd is /', '/')]).status, 1, 'cwd is the temp dir, not /');
  const r = spawnSync(buildChecker(), ['/nonexistent/expect'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^1\.\.1\nnot ok 1 /);
});
