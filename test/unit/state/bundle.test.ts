// The busybox bundle maker (bundles/) and the tests' makeBundle() helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { splitArgs } from '../../../bundles/split-args.js';
import { makeBundle } from '../../helpers/bundle.js';
import { repoRoot, tempDir } from '../../helpers/tsrun.js';

const haveBusybox = existsSync('/bin/busybox') ? false : 'needs /bin/busybox (apt-get install busybox-static)';

test('makeBundle: rootfs with busybox and applets, passwd/group, config with args, terminal false, own absolute cgroupsPath', { skip: haveBusybox }, () => {
  const b = makeBundle({ args: ['sh', '-c', 'echo hi'], patch: (s) => void (s.hostname = 'patched') });
  try {
    const rootfs = join(b.dir, 'rootfs');
    const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    assert.deepEqual(config.process.args, ['sh', '-c', 'echo hi']);
    assert.equal(config.process.terminal, false);
    assert.equal(config.hostname, 'patched');
    assert.equal(config.root.path, 'rootfs');
    assert.match(config.linux.cgroupsPath, /^\/tsrun-test-\d+-[a-z0-9]+\/c$/);
    assert.equal(config.linux.cgroupsPath, b.cgroupsPath);
    assert.deepEqual(b.config, config);
    assert.equal(readlinkSync(join(rootfs, 'bin/sh')), '/bin/busybox');
    assert.equal(readlinkSync(join(rootfs, 'usr/bin/env')), '/bin/busybox');
    assert.equal(statSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
    for (const d of ['proc', 'sys', 'dev', 'etc', 'root']) assert.ok(statSync(join(rootfs, d)).isDirectory(), d);
    assert.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:.*\nnobody:x:65534:65534:/);
    assert.match(readFileSync(join(rootfs, 'etc/group'), 'utf8'), /^root:x:0:\nnobody:x:65534:/);
    const run = spawnSync(join(rootfs, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' });
    assert.equal(run.stdout, 'ok\n');
  } finally {
    b.remove();
  }
  assert.equal(existsSync(b.dir), false);
});

test('two bundles get different cgroup parents; a given parent is kept', { skip: haveBusybox }, () => {
  const a = makeBundle();
  const b = makeBundle({ cgroupParent: 'tsrun-test-fixed', name: 'leaf' });
  try {
    assert.notEqual(a.cgroupParent, b.cgroupParent);
    assert.notEqual(a.cgroupsPath, b.cgroupsPath);
    assert.equal(b.cgroupsPath, '/tsrun-test-fixed/leaf');
    assert.deepEqual(a.config.process?.args, ['sh']);
  } finally {
    a.remove();
    b.remove();
  }
});

test('splitArgs splits like a shell: quotes, escapes, empty words', () => {
  assert.deepEqual(splitArgs(`sh -c 'echo "hi there"; id -u'`), ['sh', '-c', 'echo "hi there"; id -u']);
  assert.deepEqual(splitArgs(`a "b \\"c\\"" d\\ e ''`), ['a', 'b "c"', 'd e', '']);
  assert.deepEqual(splitArgs('  '), []);
  assert.throws(() => splitArgs(`'open`), /unterminated/);
});

test('dist/bundle-busybox.cjs makes a bundle from the command line', { skip: haveBusybox }, () => {
  const t = tempDir();
  try {
    const dir = join(t.path, 'b');
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist/bundle-busybox.cjs'), dir, '--args', "sh -c 'echo hi'", '--terminal'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(config.process.args, ['sh', '-c', 'echo hi']);
    assert.equal(config.process.terminal, true);
    const usage = spawnSync(process.execPath, [join(repoRoot, 'dist/bundle-busybox.cjs')], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: bundle-busybox <dir>/);
  } finally {
    t.remove();
  }
});
