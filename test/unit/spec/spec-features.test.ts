// `tsrun spec`, `tsrun features` and `--version`, run as the built binary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tsrun, tsrunBin } from '../../helpers/tsrun.js';
import { validateFeatures } from '../../../src/spec/generated/validators.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { validateConfig } from '../../../src/spec/validate.js';
import type { Features, Spec } from '../../../src/spec/types.js';

let dir: { path: string; remove: () => void };
before(() => {
  dir = tempDir('tsrun-spec-');
});
after(() => dir.remove());

function fresh(name: string): string {
  const d = join(dir.path, name);
  mkdirSync(d);
  return d;
}

const hasRunc = spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;

test('tsrun spec writes a valid, tab-indented config.json in the current directory', () => {
  const d = fresh('plain');
  const res = tsrun(['spec'], { cwd: d });
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, '');
  const text = readFileSync(join(d, 'config.json'), 'utf8');
  assert.ok(text.startsWith('{\n\t"ociVersion": "1.3.0",'), 'indented with tabs like runc');
  assert.ok(!text.endsWith('\n'), 'no trailing newline, like runc');
  const spec = validateConfig(JSON.parse(text), { forCreate: true }) as Spec;
  // a cgroup namespace only on a pure cgroup v2 host, as runc spec
  const pureV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  assert.deepEqual(spec, defaultSpec({ cgroupNamespace: pureV2 }));
  assert.deepEqual(spec.process?.args, ['sh']);
  assert.equal(spec.process?.terminal, true);
  assert.equal(spec.root?.path, 'rootfs');
  assert.deepEqual(
    spec.linux?.namespaces?.map((n) => n.type),
    ['pid', 'network', 'ipc', 'uts', 'mount', ...(pureV2 ? ['cgroup'] : [])],
  );
  assert.ok(spec.mounts?.some((m) => m.destination === '/sys/fs/cgroup' && m.type === 'cgroup'));
});

test('tsrun spec --rootless: user namespace mapping our ids, no network namespace, /sys bound, no cgroup mount', () => {
  const d = fresh('rootless');
  const res = tsrun(['spec', '--rootless'], { cwd: d });
  assert.equal(res.code, 0, res.stderr);
  const spec = validateConfig(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')), { forCreate: true });
  const types = spec.linux?.namespaces?.map((n) => n.type) ?? [];
  assert.ok(types.includes('user') && !types.includes('network'), types.join(','));
  assert.deepEqual(spec.linux?.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
  assert.deepEqual(spec.linux?.gidMappings, [{ containerID: 0, hostID: process.getegid!(), size: 1 }]);
  const sys = spec.mounts?.find((m) => m.destination === '/sys');
  assert.equal(sys?.type, 'none');
  assert.ok(sys?.options?.includes('rbind'));
  assert.ok(!spec.mounts?.some((m) => m.destination === '/sys/fs/cgroup'));
  assert.ok(!spec.mounts?.some((m) => m.options?.includes('gid=5')), 'no host gid in devpts options');
  assert.equal(spec.linux?.resources, undefined);
});

test('tsrun spec --bundle DIR writes there, and refuses to overwrite an existing config.json', () => {
  const d = fresh('bundle');
  const res = tsrun(['spec', '--bundle', d], { cwd: dir.path });
  assert.equal(res.code, 0, res.stderr);
  validateConfig(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')), { forCreate: true });
  writeFileSync(join(d, 'config.json'), '{"mine": true}');
  const again = tsrun(['spec', '-b', d]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /File config\.json exists\. Remove it first/);
  assert.equal(readFileSync(join(d, 'config.json'), 'utf8'), '{"mine": true}', 'left untouched');
  const missing = tsrun(['spec', '--bundle', join(dir.path, 'no-such-dir')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-dir: no such file or directory/);
});

test('tsrun spec creates config.json with mode 0666 & ~umask', () => {
  const d = fresh('umask');
  const res = spawnSync('sh', ['-c', `umask 027 && exec "${tsrunBin}" spec`], { cwd: d, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(statSync(join(d, 'config.json')).mode & 0o777, 0o640);
});

test('tsrun spec has the shape of runc spec: same keys in the same order', { skip: hasRunc ? false : 'runc is not installed' }, () => {
  const ours = fresh('ours');
  const theirs = fresh('theirs');
  assert.equal(tsrun(['spec'], { cwd: ours }).code, 0);
  assert.equal(spawnSync('runc', ['spec'], { cwd: theirs }).status, 0);
  const a = JSON.parse(readFileSync(join(ours, 'config.json'), 'utf8')) as Spec;
  const b = JSON.parse(readFileSync(join(theirs, 'config.json'), 'utf8')) as Spec;
  assert.deepEqual(Object.keys(a), Object.keys(b));
  assert.deepEqual(Object.keys(a.process!), Object.keys(b.process!));
  assert.deepEqual(a.process!.capabilities, b.process!.capabilities);
  assert.deepEqual(a.process!.rlimits, b.process!.rlimits);
  assert.deepEqual(a.process!.env, b.process!.env);
  assert.deepEqual(a.root, b.root);
  assert.deepEqual(a.mounts, b.mounts);
  assert.deepEqual(Object.keys(a.linux!), Object.keys(b.linux!));
  assert.deepEqual(a.linux!.resources, b.linux!.resources);
  assert.deepEqual(a.linux!.readonlyPaths, b.linux!.readonlyPaths);
  // the same namespaces (a cgroup one only on pure cgroup v2); ours masks powercap too
  assert.deepEqual(a.linux!.namespaces, b.linux!.namespaces);
  for (const p of b.linux!.maskedPaths!) assert.ok(a.linux!.maskedPaths!.includes(p), p);
});

test('tsrun features prints a features document that validates, with the linux object', () => {
  const res = tsrun(['features']);
  assert.equal(res.code, 0, res.stderr);
  const doc = JSON.parse(res.stdout) as Features;
  assert.ok(validateFeatures(doc), JSON.stringify(validateFeatures.errors));
  assert.equal(doc.ociVersionMin, '1.0.0');
  assert.equal(doc.ociVersionMax, '1.3.0');
  assert.deepEqual(doc.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.ok(doc.mountOptions?.includes('rbind') && doc.mountOptions.includes('rro'));
  const linux = doc.linux;
  assert.ok(linux, 'the linux object is always there (containerd dereferences it)');
  assert.deepEqual(linux.namespaces, ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);
  for (const cap of ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE']) {
    assert.ok(linux.capabilities?.includes(cap), cap);
  }
  assert.equal(linux.capabilities?.length, 41);
  assert.deepEqual(linux.cgroup, { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true });
  assert.equal(linux.seccomp?.enabled, true);
  assert.ok(linux.seccomp?.actions?.includes('SCMP_ACT_NOTIFY'));
  assert.ok(linux.seccomp?.archs?.includes('SCMP_ARCH_X86_64'));
  for (const f of linux.seccomp?.supportedFlags ?? []) assert.ok(linux.seccomp?.knownFlags?.includes(f), f);
  assert.equal(linux.mountExtensions?.idmap?.enabled, true);
  // Idmapped mounts work: the option names are claimed with them.
  assert.ok(doc.mountOptions?.includes('idmap') && doc.mountOptions.includes('ridmap'));
  assert.deepEqual(linux.apparmor, { enabled: true });
  assert.deepEqual(linux.selinux, { enabled: false });
  assert.deepEqual(linux.intelRdt, { enabled: false });
  assert.deepEqual(linux.netDevices, { enabled: false });
  assert.equal(typeof doc.annotations?.['io.github.tsrun.version'], 'string');
  assert.ok(Array.isArray(doc.potentiallyUnsafeConfigAnnotations));
});

test('--version prints name and version, commit, spec as its first three lines', () => {
  const res = tsrun(['--version']);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.split('\n');
  assert.match(lines[0]!, /^tsrun version \d+\.\d+\.\d+\S*$/);
  assert.match(lines[1]!, /^commit: \S+$/);
  assert.equal(lines[2], 'spec: 1.3.0');
});
