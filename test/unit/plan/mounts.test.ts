// The mount planner: option parsing (flags, propagation, recursive
// attributes, fs data), /proc destinations, rootfsPropagation placement,
// default devices and the joined user namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCreate, type PlanOp } from '../../../src/plan/index.js';
import { MS } from '../../../src/plan/linux.js';
import { MOUNT_ATTR, parseMountOptions } from '../../../src/plan/mounts.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { TsrunError } from '../../../src/errors.js';
import type { Spec } from '../../../src/spec/types.js';

const ctx = { id: 'x', bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/tsrun/x' };

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

test('mounts: destinations under /proc are refused unless procfs on /proc or a bind onto an lxcfs file', () => {
  for (const [m, ok] of [
    [{ destination: '/proc/cpuinfo', type: 'bind', source: '/var/lib/lxcfs/proc/cpuinfo', options: ['bind'] }, true],
    [{ destination: '/proc/uptime', source: '/x', options: ['rbind'] }, true],
    [{ destination: '/proc/sys', type: 'bind', source: '/x', options: ['bind'] }, false],
    [{ destination: '/proc/../proc/self', type: 'tmpfs', source: 'tmpfs' }, false],
    [{ destination: '/proc', type: 'bind', source: '/proc', options: ['rbind'] }, false],
    [{ destination: '/proc', type: 'tmpfs', source: 'tmpfs' }, false],
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

test('linux.rootfsPropagation: the tree is always made rslave first; the asked propagation goes to / at the pivot', () => {
  for (const [prop, flags] of [['private', MS.PRIVATE], ['shared', MS.SHARED], ['unbindable', MS.UNBINDABLE], ['slave', MS.SLAVE]] as const) {
    const list = ops((s) => {
      s.linux!.rootfsPropagation = prop;
    });
    assert.equal(find(list, 'propagation')[0]!.args.flags, MS.SLAVE | MS.REC, prop);
    assert.equal(find(list, 'pivot_root')[0]!.args.propagation, flags, prop);
  }
  assert.equal(find(ops(), 'pivot_root')[0]!.args.propagation, 0);
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
