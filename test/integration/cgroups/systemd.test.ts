// --systemd-cgroup on a host where systemd is PID 1 (the test VM's v2 and v1
// modes): each container is a transient scope in a slice of this file's own
// (/tsrunsd<pid><random>.slice, stopped at the end), with linux.resources as
// unit properties that `systemctl show` tells and the cgroup files agree
// with; delete leaves no unit and no cgroup. Skips elsewhere, saying why.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, tempDir, tsrun, tsrunFiles } from '../../helpers/tsrun.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { cgroupLayout, requires } from '../../helpers/requires.js';
import { sharesToWeight } from '../../../src/cgroups/convert.js';
import type { Spec } from '../../../src/spec/types.js';
import { until } from './helpers.js';

const skip = requires('root', 'systemd');
const state = isRoot ? tempDir('tsrun-sd-') : undefined;
const root = state?.path ?? '';
const slice = `tsrunsd${process.pid}${Math.random().toString(36).slice(2, 6)}.slice`;
const bundles: Bundle[] = [];
const ids: string[] = [];
const v2 = () => cgroupLayout()?.kind === 'v2';

const systemctl = (...args: string[]) => spawnSync('systemctl', args, { encoding: 'utf8' });
/** The unit's properties, in one systemctl call (each costs under emulation). */
function show(unit: string, ...props: string[]): Record<string, string> {
  const out = systemctl('show', ...props.flatMap((p) => ['-p', p]), unit).stdout;
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}
/** Units of ours systemd still knows, loaded in any state. */
const units = () =>
  systemctl('list-units', '--all', '--plain', '--no-legend', `tsrunsd*`, `*${process.pid}*`)
    .stdout.split('\n')
    .filter((l) => l.includes(slice) || ids.some((id) => l.includes(`tsrun-${id}.scope`)));

after(() => {
  if (skip) return;
  for (const id of ids) tsrun(['--systemd-cgroup', '--root', root, 'delete', '--force', id]);
  for (const b of bundles) b.remove();
  state?.remove();
  const scopes = ids.flatMap((id) => units().filter((l) => l.includes(`tsrun-${id}.scope`)));
  systemctl('stop', slice);
  assert.deepEqual(scopes, [], 'no scope of ours is left');
  assert.ok(!existsSync(join('/sys/fs/cgroup', v2() ? '' : 'systemd', slice)), 'the slice\'s cgroup is gone');
});

function bundle(id: string, args: string[], patch?: (s: Spec) => void): Bundle {
  const b = makeBundle({
    args,
    patch: (s) => {
      s.linux = { ...s.linux, cgroupsPath: `${slice}:tsrun:${id}` };
      patch?.(s);
    },
  });
  bundles.push(b);
  ids.push(id);
  return b;
}

function run(b: Bundle, id: string): void {
  const log = join(b.dir, 'log');
  const c = tsrunFiles(['--systemd-cgroup', '--root', root, '--log', log, 'create', '--bundle', b.dir, id]);
  assert.equal(c.code, 0, existsSync(log) ? readFileSync(log, 'utf8') : c.stderr);
  const s = tsrunFiles(['--systemd-cgroup', '--root', root, '--log', log, 'start', id]);
  assert.equal(s.code, 0, existsSync(log) ? readFileSync(log, 'utf8') : s.stderr);
}

/** A file of the scope's cgroup: the one cgroup2 directory, or the v1 controller's. */
function cgFile(unit: string, controller: string, v1Name: string, v2Name = v1Name): string {
  return v2() ? join('/sys/fs/cgroup', slice, unit, v2Name) : join('/sys/fs/cgroup', controller, slice, unit, v1Name);
}
const read = (p: string) => readFileSync(p, 'utf8').trim();
const sd = (args: string[]) => tsrun(['--systemd-cgroup', '--root', root, ...args]);

test('--systemd-cgroup "slice:prefix:name": a scope in the slice with linux.resources as its properties (systemctl show = the files), annotations passed, update/pause/ps on it, delete leaves no unit', { skip }, async () => {
  const id = `a${process.pid}`;
  const unit = `tsrun-${id}.scope`;
  const b = bundle(id, ['sleep', '1000'], (s) => {
    s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 64 }, cpu: { shares: 512, quota: 25000, period: 100000 } };
    s.annotations = { 'org.systemd.property.TimeoutStopSec': 'uint64 7', 'org.systemd.property.CollectMode': "'inactive-or-failed'" };
  });
  run(b, id);
  const pid = JSON.parse(sd(['state', id]).stdout).pid as number;
  const p = show(unit, 'ActiveState', 'Slice', 'Delegate', 'MemoryMax', 'MemoryLimit', 'CPUWeight', 'CPUShares', 'CPUQuotaPerSecUSec', 'TasksMax', 'TimeoutStopUSec', 'CollectMode');
  assert.equal(p.ActiveState, 'active');
  assert.equal(p.Slice, slice);
  assert.equal(p.Delegate, 'yes');
  assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`/${slice}/${unit.replace(/\./g, '\\.')}$`, 'm'), 'the init is in the scope');
  if (v2()) {
    assert.equal(p.MemoryMax, String(64 << 20));
    assert.equal(read(cgFile(unit, 'memory', 'memory.max')), String(64 << 20));
    assert.equal(p.CPUWeight, String(sharesToWeight(512)));
    assert.equal(read(cgFile(unit, 'cpu', 'cpu.weight')), String(sharesToWeight(512)));
    assert.equal(read(cgFile(unit, 'cpu', 'cpu.max')), '25000 100000');
  } else {
    assert.equal(p.MemoryLimit, String(64 << 20));
    assert.equal(read(cgFile(unit, 'memory', 'memory.limit_in_bytes')), String(64 << 20));
    assert.equal(p.CPUShares, '512');
    assert.equal(read(cgFile(unit, 'cpu', 'cpu.shares')), '512');
    assert.equal(read(cgFile(unit, 'cpu', 'cpu.cfs_quota_us')), '25000');
  }
  assert.equal(p.CPUQuotaPerSecUSec, '250ms');
  assert.equal(p.TasksMax, '64');
  assert.equal(read(cgFile(unit, 'pids', 'pids.max')), '64');
  assert.equal(p.TimeoutStopUSec, '7s', 'org.systemd.property.TimeoutStopSec, in USec as runc sends it');
  assert.equal(p.CollectMode, 'inactive-or-failed');
  // from inside: the container's own cgroup shows the limit
  const inside = sd(['exec', id, 'cat', v2() ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  assert.equal(inside.code, 0, inside.stderr);
  assert.equal(inside.stdout.trim(), String(64 << 20));

  const u = sd(['update', '--memory', String(96 << 20), '--pids-limit', '80', id]);
  assert.equal(u.code, 0, u.stderr);
  const q = show(unit, 'MemoryMax', 'MemoryLimit', 'TasksMax');
  assert.equal(q[v2() ? 'MemoryMax' : 'MemoryLimit'], String(96 << 20), 'update sets the unit property');
  assert.equal(read(cgFile(unit, 'memory', 'memory.limit_in_bytes', 'memory.max')), String(96 << 20), 'and the file');
  assert.equal(q.TasksMax, '80');

  assert.equal(sd(['pause', id]).code, 0);
  assert.equal(JSON.parse(sd(['state', id]).stdout).status, 'paused');
  assert.equal(sd(['resume', id]).code, 0);
  assert.equal(JSON.parse(sd(['state', id]).stdout).status, 'running');
  const ps = sd(['ps', '--format', 'json', id]);
  assert.deepEqual(JSON.parse(ps.stdout), [pid]);

  assert.equal(sd(['kill', id, 'KILL']).code, 0);
  assert.ok(await until(() => JSON.parse(sd(['state', id]).stdout).status === 'stopped', 10_000));
  const d = sd(['delete', id]);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(units().filter((l) => l.includes(unit)), [], 'no unit left');
  assert.ok(!existsSync(cgFile(unit, 'pids', '')), 'no cgroup left');
});

test('--systemd-cgroup: a cgroupsPath not "slice:prefix:name" fails naming /linux/cgroupsPath, leaving nothing', { skip }, () => {
  const id = `bad${process.pid}`;
  const b = bundle(id, ['true'], (s) => {
    s.linux!.cgroupsPath = '/not/a/slice';
  });
  const r = tsrunFiles(['--systemd-cgroup', '--root', root, '--log-format', 'json', '--log', join(b.dir, 'log'), 'create', '--bundle', b.dir, id]);
  assert.equal(r.code, 1);
  const line = JSON.parse(readFileSync(join(b.dir, 'log'), 'utf8').trim().split('\n').pop()!) as { msg: string };
  assert.match(line.msg, /\/linux\/cgroupsPath.*slice:prefix:name/);
  assert.ok(!existsSync(join(root, id)), 'no state dir');
});

test('--systemd-cgroup: a create that fails after the scope started (a bind source that is missing) leaves no unit and no cgroup', { skip }, () => {
  const id = `f${process.pid}`;
  const unit = `tsrun-${id}.scope`;
  const b = bundle(id, ['true'], (s) => {
    s.mounts!.push({ destination: '/nope', type: 'bind', source: `/nonexistent-${process.pid}`, options: ['rbind'] });
  });
  const r = tsrunFiles(['--systemd-cgroup', '--root', root, '--log', join(b.dir, 'log'), 'create', '--bundle', b.dir, id]);
  assert.equal(r.code, 1);
  assert.match(readFileSync(join(b.dir, 'log'), 'utf8'), /nonexistent/);
  assert.deepEqual(units().filter((l) => l.includes(unit)), [], 'no unit left');
  assert.ok(!existsSync(cgFile(unit, 'pids', '')), 'no cgroup left');
  assert.ok(!existsSync(join(root, id)), 'no state dir');
});

test('--systemd-cgroup: an OOM-killed container (its scope fails) is deleted with its unit reset: nothing left', { skip }, async () => {
  const id = `o${process.pid}`;
  const unit = `tsrun-${id}.scope`;
  const b = bundle(id, ['sh', '-c', 'x=0123456789abcdef; while :; do x=$x$x; done'], (s) => {
    s.linux!.resources = { memory: { limit: 16 << 20 } };
  });
  run(b, id);
  assert.ok(await until(() => JSON.parse(sd(['state', id]).stdout).status === 'stopped', 60_000), 'the container is OOM-killed');
  const d = sd(['delete', id]);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(units().filter((l) => l.includes(unit)), [], 'no unit left, failed or not');
  assert.ok(!existsSync(cgFile(unit, 'pids', '')), 'no cgroup left');
});
