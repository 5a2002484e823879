// Unit tests of the runner's pure parts: TAP parsing, JSON pointers, the
// config-to-expectations mapping and the expectation line format.
// Run: node --test conformance/test/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseConfig } from '../lib/bundle.mjs';
import { capMask, expectationsFor, listToMask, serialize, tmpfsSizeOpt } from '../lib/expect.mjs';
import { CAP_NAMES } from '../lib/host.mjs';
import { parsePointer, withoutPointer } from '../lib/pointer.mjs';
import { parseTap } from '../lib/tap.mjs';
import { errorText } from '../lib/suite.mjs';

/** A host with fixed facts, so expectations do not depend on this machine. */
const host = {
  ns: { pid: '1', network: '2', ipc: '3', uts: '4', mount: '5', user: '6', cgroup: '7', time: '8' },
  limits: {},
  lastCap: 40,
  knownCaps: CAP_NAMES,
  grantableCaps: CAP_NAMES.filter((c) => c !== 'CAP_SYS_RESOURCE'),
  missingCaps: ['CAP_SYS_RESOURCE'],
  oomScoreAdj: '0',
  umask: '0022',
  cgroupMounts: [{ point: '/sys/fs/cgroup/memory', fstype: 'cgroup', super: 'rw,memory' }],
  cpus: '0-1',
  hasMemsw: true,
  arch: 'x64',
};

const find = (checks, re) => checks.filter((c) => re.test(c.name));

test('parseTap reads ok/not ok lines, details and the plan, ignoring \\r and noise', () => {
  const t = parseTap('1..3\r\nok 1 - a: b\r\nnot ok 2 - c # got x want y\nnoise\nok 3\n');
  assert.equal(t.plan, 3);
  assert.deepEqual(t.results.get(1), { ok: true, name: 'a: b', detail: '' });
  assert.deepEqual(t.results.get(2), { ok: false, name: 'c', detail: 'got x want y' });
  assert.equal(t.results.get(3)?.ok, true);
  assert.equal(t.results.size, 3);
});

test('parseTap skips what a terminal echoes before the plan', () => {
  const t = parseTap('^@1..1\r\nok 1 - x\r\n');
  assert.equal(t.plan, 1);
  assert.equal(t.results.get(1)?.ok, true);
});

test('parseTap of an empty or crashed run has no plan and no results', () => {
  const t = parseTap('runc run failed: boom\n');
  assert.equal(t.plan, null);
  assert.equal(t.results.size, 0);
});

test('withoutPointer removes object keys and array items from a copy', () => {
  const doc = { a: { b: [1, 2, 3], 'x/y': 1, 'm~n': 2 } };
  assert.deepEqual(withoutPointer(doc, '/a/b/1'), { a: { b: [1, 3], 'x/y': 1, 'm~n': 2 } });
  assert.deepEqual(withoutPointer(doc, '/a/x~1y'), { a: { b: [1, 2, 3], 'm~n': 2 } });
  assert.deepEqual(withoutPointer(doc, '/a/m~0n'), { a: { b: [1, 2, 3], 'x/y': 1 } });
  assert.deepEqual(doc.a.b, [1, 2, 3], 'the original is untouched');
  assert.throws(() => withoutPointer(doc, '/a/nope'), /no such field/);
  assert.throws(() => parsePointer('a/b'), /not a JSON pointer/);
});

test('serialize escapes tabs, newlines and backslashes in every field', () => {
  assert.equal(serialize({ probe: 'env', name: 'n\tx', args: ['A', 'a\\b\nc'] }), 'env\tn\\tx\tA\ta\\\\b\\nc');
});

test('tmpfs size options become what mountinfo prints (KiB, page-rounded)', () => {
  assert.equal(tmpfsSizeOpt('65536k'), 'size=65536k');
  assert.equal(tmpfsSizeOpt('1m'), 'size=1024k');
  assert.equal(tmpfsSizeOpt('40960'), 'size=40k');
  assert.equal(tmpfsSizeOpt('100'), 'size=4k');
  assert.equal(tmpfsSizeOpt('50%'), null);
});

test('listToMask reads cpu/node lists', () => {
  assert.equal(listToMask('0-3,7'), 0b10001111n);
  assert.equal(listToMask('1'), 2n);
});

test('capMask ignores unknown names and what cannot be granted', () => {
  assert.equal(capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NOPE'], CAP_NAMES), (1n << 0n) | (1n << 5n));
  assert.equal(capMask(['CAP_SYS_RESOURCE'], CAP_NAMES, host.grantableCaps), 0n);
});

test('namespaces: new, joined-by-path and absent types map to ne/eq probes', () => {
  const c = baseConfig('/x/y');
  const checks = expectationsFor(c, host);
  const pid = find(checks, /namespaces\[pid\]/)[0];
  assert.deepEqual([pid.probe, ...pid.args], ['ns', 'pid', 'ne', '1']);
  const user = find(checks, /no user entry/)[0];
  assert.deepEqual(user.args, ['user', 'eq', '6']);
  c.linux.namespaces.push({ type: 'cgroup', path: '/proc/self/ns/cgroup' });
  const joined = find(expectationsFor(c, host), /namespaces\[cgroup\]\.path/)[0];
  assert.equal(joined.args[1], 'eq');
});

test('capabilities after execve: root keeps (bounding|inheritable), cut to permitted under no_new_privs', () => {
  const c = baseConfig('/x');
  c.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_KILL'], permitted: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], inheritable: ['CAP_KILL'] };
  const prm = () => find(expectationsFor(c, host), /CapPrm/)[0].args[1];
  c.process.noNewPrivileges = true;
  assert.equal(prm(), '0000000000000001');
  c.process.noNewPrivileges = false;
  assert.equal(prm(), '0000000000000021');
  c.process.user = { uid: 1000, gid: 1000 };
  c.process.capabilities.ambient = ['CAP_KILL'];
  c.process.capabilities.permitted = ['CAP_KILL'];
  assert.equal(prm(), '0000000000000020', 'non-root: ambient only');
  assert.equal(find(expectationsFor(c, host), /CapBnd/)[0].args[1], '0000000000000021');
});

test('mounts: tmpfs options, binds by source root, propagation and cgroup mounts', () => {
  const c = baseConfig('/x');
  c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=0700', 'ro', 'suid', 'rshared'] });
  c.mounts.push({ destination: '/c', type: 'cgroup', source: 'cgroup', options: ['ro'] });
  const checks = expectationsFor(c, host).filter((k) => k.name.startsWith('mounts[6]') || k.name.startsWith('mounts[7]'));
  const args = checks.map((k) => [k.probe, ...k.args].join(' '));
  assert.ok(args.includes('mnt /t opt size=1024k'));
  assert.ok(args.includes('node /t follow mode=0700'));
  assert.ok(args.includes('mnt /t opt ro'));
  assert.ok(args.includes('mnt /t noopt nosuid'));
  assert.ok(args.includes('mnt /t prop shared'));
  assert.ok(args.includes('cgmnt /c exists'));
  assert.ok(args.includes('cgmnt /c ro'));
  assert.ok(!args.some((a) => a.startsWith('mnt /c fstype')), 'v1 cgroup mounts are not one mount of type cgroup');
});

test('rlimits, user, oomScoreAdj and seccomp presence', () => {
  const c = baseConfig('/x');
  c.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 }];
  c.process.user = { uid: 5, gid: 6, additionalGids: [30, 10, 10], umask: 0o27 };
  c.process.oomScoreAdj = 100;
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
  const a = expectationsFor(c, host).map((k) => [k.probe, ...k.args].join(' '));
  assert.ok(a.includes('rlimit RLIMIT_CORE 0 unlimited'));
  assert.ok(a.includes('id groups 10,30'));
  assert.ok(a.includes('status Umask 0027'));
  assert.ok(a.includes('file /proc/self/oom_score_adj 100'));
  assert.ok(a.includes('status Seccomp 2'));
  assert.ok(a.includes('id euid 5'));
});

test('every base-config check names the config field it proves', () => {
  for (const k of expectationsFor(baseConfig('/x'), host)) {
    assert.match(k.name, /^(linux\.|process\.|mounts\[|root\.|hostname|default device|runtime-linux)/, k.name);
  }
});

test('errorText keeps the message of logrus lines and drops warnings', () => {
  const out = 'time="x" level=warning msg="ignoring cap"\ntime="y" level=error msg="runc run failed: \\"time\\" bad"\n';
  assert.equal(errorText(out), 'runc run failed: "time" bad');
  assert.equal(errorText('\x1b[1;31mplain crun error\x1b[0m\n'), 'plain crun error');
});
