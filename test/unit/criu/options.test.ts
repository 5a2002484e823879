// runc's checkpoint/restore flags read into criu's request, and refused as
// runc refuses them (checkpoint.go criuOptions, criuCgMode).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLONE_NEWNET, commonOpts, criuFlags } from '../../../src/criu/options.js';

test('--image-path defaults to ./checkpoint of the caller, as runc', () => {
  assert.equal(criuFlags({}, '/work').imagePath, '/work/checkpoint');
  assert.equal(criuFlags({ imagePath: '/img' }, '/work').imagePath, '/img');
});

test('--parent-path must be relative (criu reads it from the image dir)', () => {
  assert.throws(() => criuFlags({ parentPath: '/abs' }, '/w'), /--parent-path must be relative/);
  assert.equal(criuFlags({ parentPath: '../parent' }, '/w').parentPath, '../parent');
});

test('--manage-cgroups-mode: soft, full, strict, ignore, or criu\'s default; anything else refused', () => {
  assert.equal(criuFlags({}, '/').manageCgroupsMode, 'DEFAULT');
  for (const [v, m] of [['soft', 'SOFT'], ['full', 'FULL'], ['strict', 'STRICT'], ['ignore', 'IGNORE']]) {
    assert.equal(criuFlags({ manageCgroupsMode: v }, '/').manageCgroupsMode, m);
  }
  assert.throws(() => criuFlags({ manageCgroupsMode: 'props' }, '/'), /invalid manage-cgroups-mode value/);
});

test('--empty-ns: the network namespace is always empty (runc manages no network devices); only "network" is accepted', () => {
  assert.equal(criuFlags({}, '/').emptyNs, CLONE_NEWNET);
  assert.equal(criuFlags({ emptyNs: ['network'] }, '/').emptyNs, CLONE_NEWNET);
  assert.throws(() => criuFlags({ emptyNs: ['ipc'] }, '/'), /namespace "ipc" is not supported/);
});

test('--page-server ADDRESS:PORT, IPv6 in brackets; a missing part or a bad port refused', () => {
  assert.deepEqual(criuFlags({ pageServer: '10.0.0.1:2000' }, '/').pageServer, { address: '10.0.0.1', port: 2000 });
  assert.deepEqual(criuFlags({ pageServer: '[::1]:2000' }, '/').pageServer, { address: '::1', port: 2000 });
  assert.throws(() => criuFlags({ pageServer: '10.0.0.1' }, '/'), /Use --page-server ADDRESS:PORT/);
  assert.throws(() => criuFlags({ pageServer: ':2000' }, '/'), /Use --page-server ADDRESS:PORT/);
  assert.throws(() => criuFlags({ pageServer: 'h:x' }, '/'), /Invalid port number/);
});

test('--status-fd: a non-negative integer (-1, runc\'s default, means none)', () => {
  assert.equal(criuFlags({ statusFd: '-1' }, '/').statusFd, undefined);
  assert.equal(criuFlags({ statusFd: '5' }, '/').statusFd, 5);
  assert.throws(() => criuFlags({ statusFd: 'x' }, '/'), /invalid --status-fd argument x/);
});

test('the shared criu_opts carry the flags, criu\'s log level 4 and notify scripts (the notifications tsrun answers)', () => {
  const f = criuFlags({ shellJob: true, tcpEstablished: true, fileLocks: true, extUnixSk: true, autoDedup: true, manageCgroupsMode: 'soft' }, '/');
  const o = commonOpts(f, (m) => ({ SOFT: 3, DEFAULT: 6 })[m] ?? -1);
  assert.deepEqual(o, {
    log_level: 4, manage_cgroups: true, manage_cgroups_mode: 3, notify_scripts: true, shell_job: true, ext_unix_sk: true,
    tcp_established: true, file_locks: true, empty_ns: CLONE_NEWNET, auto_dedup: true, lazy_pages: false,
  });
});
