// The mount planner: option parsing (flags, propagation, recursive
// attributes, fs data), /proc destinations, rootfsPropagation placement,
// default devices and the joined user namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCreate, type PlanOp } from '../../../src/plan/index.js';
import { MOUNT_OPT_BIND, MOUNT_OPT_HOST_SOURCE, MOUNT_OPT_PROC_SOURCE, MS } from '../../../src/plan/linux.js';
import { MOUNT_ATTR, parseMountOptions } from '../../../src/plan/mounts.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { ctx } from './spec-fixture.js';
import { TsrunError } from '../../../src/errors.js';
import type { Spec } from '../../../src/spec/types.js';


function ops(patch: (s: Spec) => void = () => {}): PlanOp[] {
  const s = defaultSpec();
  s.process!.terminal = false;
  patch(s);
  return compileCreate(s, ctx).plan.ops;
}

function find<N extends PlanOp['op']>(list: PlanOp[], name: N): Extract<PlanOp, { op: N }>[] {
  return list.filter((o) => o.op === name) as Extract<PlanOp, { op: N }>[];
}

test('parseMountOptions: recursive attributes go to mount_setattr bits, not to the fs data', () => {
  const o = parseMountOptions(['rbind', 'rro', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime', 'rnosymfollow', 'size=1m']);
  assert.equal(o.attrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC | MOUNT_ATTR.NOATIME | MOUNT_ATTR.NOSYMFOLLOW);
  assert.equal(o.attrClr, MOUNT_ATTR.ATIME_MASK);
  assert.deepEqual(o.data, ['size=1m']);
  assert.equal(o.flags, MS.BIND | MS.REC);
});

test('parseMountOptions: the later of two opposite recursive options wins', () => {
  const a = parseMountOptions(['rro', 'rrw']);
  assert.equal(a.attrSet & MOUNT_ATTR.RDONLY, 0);
  assert.equal(a.attrClr & MOUNT_ATTR.RDONLY, MOUNT_ATTR.RDONLY);
  const b = parseMountOptions(['rsuid', 'rnosuid']);
  assert.equal(b.attrSet & MOUNT_ATTR.NOSUID, MOUNT_ATTR.NOSUID);
  assert.equal(b.attrClr & MOUNT_ATTR.NOSUID, 0);
  const c = parseMountOptions(['rnoatime', 'rstrictatime']);
  assert.equal(c.attrSet, MOUNT_ATTR.STRICTATIME);
  assert.equal(c.attrClr, MOUNT_ATTR.ATIME_MASK);
});

test('parseMountOptions: flags set and cleared in order, propagation apart, unknown options are fs data', () => {
  const o = parseMountOptions(['ro', 'nosuid', 'rw', 'noexec', 'rslave', 'mode=755', 'nosymfollow']);
  assert.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.NOSYMFOLLOW);
  assert.equal(o.propagation, MS.SLAVE | MS.REC);
  assert.deepEqual(o.data, ['mode=755']);
  assert.equal(o.attrSet, 0);
});

test('mounts: a recursive option adds a mount_attr op for that destination, right after its mount', () => {
  const list = ops((s) => s.mounts!.push({ destination: '/data/', type: 'bind', source: 'rel', options: ['rbind', 'rro'] }));
  const i = list.findIndex((o) => o.op === 'mount' && o.args.target === '/data');
  assert.ok(i > 0);
  const m = list[i]! as Extract<PlanOp, { op: 'mount' }>;
  assert.equal(m.args.source, '/b/rel', 'a relative bind source is relative to the bundle');
  const a = list[i + 1]! as Extract<PlanOp, { op: 'mount_attr' }>;
  assert.equal(a.op, 'mount_attr');
  assert.deepEqual(a.args, { target: '/data', attr_set: MOUNT_ATTR.RDONLY, attr_clr: 0 });
  assert.equal(a.field, m.field);
  assert.equal(find(ops(), 'mount_attr').length, 0, 'none without recursive options');
});

test('mounts: destinations under /proc are refused unless procfs on /proc, a bind onto /proc, or a bind onto an lxcfs file (runc\'s checkProcMount)', () => {
  for (const [m, ok] of [
    [{ destination: '/proc/cpuinfo', type: 'bind', source: '/var/lib/lxcfs/proc/cpuinfo', options: ['bind'] }, true],
    [{ destination: '/proc/uptime', source: '/x', options: ['rbind'] }, true],
    [{ destination: '/proc/sys', type: 'bind', source: '/x', options: ['bind'] }, false],
    [{ destination: '/proc/../proc/self', type: 'tmpfs', source: 'tmpfs' }, false],
    [{ destination: '/proc', type: 'bind', source: '/proc', options: ['rbind'] }, true],
    [{ destination: '/procfoo', type: 'tmpfs', source: 'tmpfs' }, true],
  ] as const) {
    const run = () => ops((s) => {
      s.mounts = s.mounts!.filter((x) => x.destination !== '/proc' || m.destination !== '/proc');
      s.mounts.push({ ...m, options: 'options' in m ? [...m.options] : undefined });
    });
    if (ok) assert.doesNotThrow(run, m.destination);
    else {
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof TsrunError);
        assert.match(e.message, /cannot be mounted because it is inside \/proc/);
        assert.match(e.field ?? '', /^\/mounts\/\d+\/destination$/);
        return true;
      }, m.destination);
    }
  }
});

test('mounts: a bind onto /proc asks the executor to check its source is a procfs; a non-bind non-proc mount there is refused naming the type', () => {
  const mounts = (m: Spec['mounts']) => (s: Spec) => {
    s.mounts = [...m!, ...s.mounts!.filter((x) => x.destination !== '/proc')];
  };
  const bound = find(ops(mounts([{ destination: '/proc/', type: 'bind', source: '/proc', options: ['rbind'] }])), 'mount').find((o) => o.args.target === '/proc')!;
  assert.equal(bound.args.options, MOUNT_OPT_BIND | MOUNT_OPT_PROC_SOURCE);
  const procfs = find(ops(), 'mount').find((o) => o.args.target === '/proc')!;
  assert.equal(procfs.args.options, 0, 'a procfs is checked as such already');
  const lxcfs = find(ops(mounts([{ destination: '/proc/uptime', type: 'bind', source: '/x', options: ['bind'] }])), 'mount').find((o) => o.args.target === '/proc/uptime')!;
  assert.equal(lxcfs.args.options, MOUNT_OPT_BIND, 'an allowed file under /proc takes any source');
  assert.throws(() => ops(mounts([{ destination: '/proc', type: 'tmpfs', source: 'tmpfs' }])), (e: unknown) => {
    assert.ok(e instanceof TsrunError);
    assert.equal(e.message, '"/proc" cannot be mounted because it is not of type proc');
    assert.equal(e.field, '/mounts/0/type');
    return true;
  });
});

test('mounts: in a new user namespace every bind source is opened by stage 0 (mount_sources right after the id maps); not without one, nor rootless', () => {
  const userns = (s: Spec) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] });
    s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs' });
  };
  const list = ops(userns);
  const binds = find(list, 'mount').filter((o) => o.args.options & MOUNT_OPT_BIND);
  assert.ok(binds.length > 0);
  for (const b of binds) assert.equal(b.args.options & MOUNT_OPT_HOST_SOURCE, MOUNT_OPT_HOST_SOURCE, b.args.target);
  assert.equal(find(list, 'mount').find((o) => o.args.target === '/t')!.args.options & MOUNT_OPT_HOST_SOURCE, 0, 'a tmpfs has no source to open');
  const at = list.findIndex((o) => o.op === 'mount_sources');
  assert.equal(list[at - 1]!.op, 'id_map', 'once the child and its mount namespace exist');
  assert.equal(list.filter((o) => o.op === 'mount_sources').length, 1);
  const plain = ops((s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] }));
  assert.equal(find(plain, 'mount_sources').length, 0);
  assert.equal(find(plain, 'mount').find((o) => o.args.target === '/data')!.args.options, MOUNT_OPT_BIND);
  const s = defaultSpec();
  s.process!.terminal = false;
  userns(s);
  const rootless = compileCreate(s, { ...ctx, rootless: true }).plan.ops;
  assert.equal(find(rootless, 'mount_sources').length, 0, 'rootless: stage 0 has no better credentials to open them with');
  assert.equal(find(rootless, 'mount').find((o) => o.args.target === '/data')!.args.options & MOUNT_OPT_HOST_SOURCE, 0);
});

test('mounts: a read-only tmpfs, and a read-only /dev, are mounted writable and remounted read-only after the pivot and console, before the root (runc\'s finalizeRootfs)', () => {
  const s = defaultSpec();
  s.process!.terminal = true;
  s.root!.readonly = true;
  s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
  s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid'] });
  s.mounts!.push({ destination: '/b', type: 'bind', source: '/x', options: ['bind', 'ro'] });
  const list = compileCreate(s, { ...ctx, consoleSocket: '/run/console.sock' }).plan.ops;
  const mounts = find(list, 'mount');
  const dev = mounts.find((o) => o.args.target === '/dev')!;
  assert.equal(dev.args.flags & MS.RDONLY, 0, '/dev is filled first');
  assert.equal(mounts.find((o) => o.args.target === '/t')!.args.flags, MS.NOSUID);
  assert.equal(mounts.find((o) => o.args.target === '/b')!.args.flags & MS.RDONLY, MS.RDONLY, 'a bind is read-only at once');
  const remounts = list.map((o, i) => [o, i] as const).filter(([o]) => o.op === 'remount_ro');
  assert.deepEqual(remounts.map(([o]) => [(o.args as { path: string }).path, o.field]), [['/dev', `${dev.field}/options`], ['/t', `/mounts/${s.mounts!.length - 2}/options`], ['/', '/root/readonly']]);
  const console = list.findIndex((o) => o.op === 'console');
  assert.ok(console > list.findIndex((o) => o.op === 'pivot_root'));
  assert.ok(remounts.every(([, i]) => i > console), 'the console binds /dev/console before /dev goes read-only');
  const shared = ops((s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
    s.root!.readonly = false;
    s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['ro'] });
  });
  assert.equal(find(shared, 'remount_ro').length, 0, 'no mount namespace: no mounts made, none remounted');
});

test('linux.rootfsPropagation: the tree takes it before the rootfs bind (rslave when none, as runc); / alone takes it again at the pivot', () => {
  const cases = [
    ['private', MS.PRIVATE], ['shared', MS.SHARED], ['unbindable', MS.UNBINDABLE], ['slave', MS.SLAVE],
    ['rshared', MS.SHARED | MS.REC], ['rslave', MS.SLAVE | MS.REC], ['rprivate', MS.PRIVATE | MS.REC], ['runbindable', MS.UNBINDABLE | MS.REC],
  ] as const;
  for (const [prop, flags] of cases) {
    const list = ops((s) => {
      s.linux!.rootfsPropagation = prop;
    });
    const names = list.map((o) => o.op);
    assert.ok(names.indexOf('propagation') < names.indexOf('rootfs') && names.indexOf('rootfs') < names.indexOf('mount'), `${prop}: propagation, rootfs bind, then the mounts`);
    // unbindable: the rootfs is bound from the tree, so the tree goes private
    const tree = flags & MS.UNBINDABLE ? (flags & MS.REC) | MS.PRIVATE : flags;
    assert.equal(find(list, 'propagation')[0]!.args.flags, tree, prop);
    // recursive at the pivot would override each bind's own propagation
    assert.equal(find(list, 'pivot_root')[0]!.args.propagation, flags & ~MS.REC, prop);
  }
  assert.equal(find(ops(), 'propagation')[0]!.args.flags, MS.SLAVE | MS.REC, 'none asked: rslave');
  assert.equal(find(ops(), 'pivot_root')[0]!.args.propagation, 0);
  const bind = ops((s) => {
    s.linux!.rootfsPropagation = 'rshared';
    s.mounts!.push({ destination: '/csi', type: 'bind', source: '/var/lib/csi', options: ['rbind', 'rshared'] });
  });
  const m = find(bind, 'mount').find((o) => o.args.target === '/csi')!;
  assert.equal(m.args.propagation, MS.SHARED | MS.REC, 'the bind keeps its own');
});

test('devices: defaults skip nodes the config gives or mounts over; a joined user namespace binds and becomes root', () => {
  const list = ops((s) => {
    s.mounts!.push({ destination: '/dev/null', type: 'bind', source: '/x', options: ['bind'] });
    s.linux!.devices = [{ path: '/dev/zero', type: 'c', major: 1, minor: 5 }];
  });
  const paths = find(list, 'mknod').map((o) => o.args.path);
  assert.ok(!paths.includes('/dev/null'));
  assert.equal(paths.filter((p) => p === '/dev/zero').length, 1);
  const joined = ops((s) => {
    s.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' });
    s.linux!.devices = [{ path: '/dev/mine', type: 'c', major: 1, minor: 5 }];
  });
  assert.equal(find(joined, 'mknod').find((o) => o.args.path === '/dev/mine')!.args.bind_fallback, 1);
  assert.equal(find(joined, 'become_root').length, 1, 'setns keeps host ids: become root in the joined namespace');
  assert.equal(find(ops(), 'become_root').length, 0);
});

test('a cgroup mount on pure cgroup v2 is cgroup2, or a bind of the host\'s /sys/fs/cgroup in a user namespace without a cgroup one (runc)', () => {
  const at = (list: PlanOp[]) => find(list, 'mount').find((o) => o.args.target === '/sys/fs/cgroup')!;
  const v2 = (patch: (s: Spec) => void = () => {}) => {
    const s = defaultSpec();
    s.process!.terminal = false;
    patch(s);
    return compileCreate(s, { ...ctx, cgroupV2: true }).plan.ops;
  };
  const plain = at(v2());
  assert.equal(plain.args.fstype, 'cgroup2');
  assert.equal(plain.args.flags & MS.RDONLY, MS.RDONLY, 'ro as the config asks');
  assert.equal(plain.args.flags & MS.BIND, 0);
  // runc's default config has a cgroup namespace; without one, as root, cgroup2 still mounts
  assert.equal(at(v2((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup')))).args.fstype, 'cgroup2');
  const userNoCgroupNs = at(v2((s) => {
    s.linux!.namespaces = [...s.linux!.namespaces!.filter((n) => n.type !== 'cgroup'), { type: 'user' }];
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }));
  assert.equal(userNoCgroupNs.args.fstype, '');
  assert.equal(userNoCgroupNs.args.source, '/sys/fs/cgroup');
  assert.equal(userNoCgroupNs.args.flags & MS.BIND, MS.BIND);
  const userWithCgroupNs = at(v2((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }));
  assert.equal(userWithCgroupNs.args.fstype, 'cgroup2');
  // on v1 without binds (no manager paths given), the config's type is kept
  assert.equal(at(ops()).args.fstype, 'cgroup');
});

test('/dev/core links to /proc/kcore only where the host has it (runc checks, a kernel without CONFIG_PROC_KCORE has none)', () => {
  const coreLinks = (hostKcore: boolean | undefined) => {
    const s = defaultSpec();
    s.process!.terminal = false;
    return find(compileCreate(s, { ...ctx, hostKcore }).plan.ops, 'symlink').filter((o) => o.args.path === '/dev/core');
  };
  assert.equal(coreLinks(true).length, 1);
  assert.equal(coreLinks(undefined).length, 1);
  assert.deepEqual(coreLinks(false), []);
});
