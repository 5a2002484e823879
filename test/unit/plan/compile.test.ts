// What the compiler decides, op by op: namespaces, mounts, process attributes
// and the errors it refuses a config with (each naming the field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCreate, compileExec, type PlanOp } from '../../../src/plan/index.js';
import { CLONE, MS } from '../../../src/plan/linux.js';
import { parseMountOptions } from '../../../src/plan/mounts.js';
import { capMask, cpuMask } from '../../../src/plan/process.js';
import { ctx, spec } from './spec-fixture.js';
import { TsrunError } from '../../../src/errors.js';
import type { Spec } from '../../../src/spec/types.js';


function ops(s: Spec, extra = {}): PlanOp[] {
  return compileCreate(s, { ...ctx, ...extra }).plan.ops;
}

function find<N extends PlanOp['op']>(list: PlanOp[], name: N): Extract<PlanOp, { op: N }>[] {
  return list.filter((o) => o.op === name) as Extract<PlanOp, { op: N }>[];
}

test('linux.namespaces: new ones become clone flags, paths become joins (user first)', () => {
  const list = ops(spec((s) => {
    s.linux!.namespaces = [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/x' }, { type: 'mount' }, { type: 'uts' }, { type: 'user', path: '/proc/1/ns/user' }];
  }));
  const clone = find(list, 'clone')[0]!;
  assert.equal(Number(clone.args.flags), CLONE.pid | CLONE.mount | CLONE.uts);
  const joins = find(list, 'join_ns');
  assert.deepEqual(joins.map((j) => j.args.path), ['/proc/1/ns/user', '/var/run/netns/x']);
  assert.equal(joins[1]!.field, '/linux/namespaces/1/path');
  assert.ok(list.indexOf(joins[1]!) < list.indexOf(clone));
});

test('linux.uidMappings/gidMappings: several ranges written from outside, then become_root in the child', () => {
  const list = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 200000, size: 10 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }));
  const map = find(list, 'id_map')[0]!;
  assert.equal(map.args.uid_map, '0 100000 1000\n1000 200000 10\n');
  assert.equal(map.args.gid_map, '0 100000 65536\n');
  assert.equal(map.args.setgroups, '');
  assert.ok(find(list, 'become_root').length === 1);
});

test('linux.timeOffsets: a time namespace is unshared by stage 0 with the offsets', () => {
  const list = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'time' });
    s.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 3600 } };
  }));
  const t = find(list, 'time_offsets')[0]!;
  assert.equal(t.args.offsets, 'monotonic 86400 0\nboottime 3600 0\n');
  assert.equal(Number(find(list, 'clone')[0]!.args.flags) & CLONE.time, 0);
});

test('mount options: flags, cleared flags, propagation and data are split as runc does', () => {
  const o = parseMountOptions(['nosuid', 'ro', 'rw', 'noexec', 'rshared', 'mode=755', 'size=64k', 'rbind']);
  assert.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.BIND | MS.REC);
  assert.equal(o.propagation, MS.SHARED | MS.REC);
  assert.deepEqual(o.data, ['mode=755', 'size=64k']);
  assert.ok(o.bind);
});

test('mounts: bind sources relative to the bundle, the mountpoint kind decided at run time', () => {
  const list = ops(spec((s) => {
    s.mounts = [...s.mounts!, { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] }];
  }));
  const m = find(list, 'mount').find((x) => x.args.target === '/data')!;
  assert.equal(m.args.source, '/b/data');
  assert.equal(m.args.mkdir, 2);
  assert.equal(m.args.flags & (MS.BIND | MS.RDONLY | MS.REC), MS.BIND | MS.RDONLY | MS.REC);
});

test('a bound /dev gets no default device nodes', () => {
  const list = ops(spec((s) => {
    s.mounts = s.mounts!.filter((m) => m.destination !== '/dev');
    s.mounts.push({ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] });
  }));
  assert.equal(find(list, 'mknod').length, 0);
});

test('capabilities: names to bits; unknown names are warned about, not fatal', () => {
  const unknown: string[] = [];
  assert.equal(capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NOPE'], unknown), (1n << 0n) | (1n << 5n));
  assert.deepEqual(unknown, ['CAP_NOPE']);
  const c = compileCreate(spec((s) => s.process!.capabilities!.bounding!.push('CAP_NOPE')), ctx);
  assert.match(c.warnings.join('\n'), /CAP_NOPE/);
});

test('process.capabilities outside tsrun\'s bounding set are dropped from every set with a warning (not a failed capset)', () => {
  const SYS_RESOURCE = 1n << 24n;
  const bounding = ((1n << 41n) - 1n) & ~SYS_RESOURCE;
  const s = spec((c) => {
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) c.process!.capabilities![set] = ['CAP_KILL', 'CAP_SYS_RESOURCE'];
  });
  const c = compileCreate(s, { ...ctx, bounding });
  const [bnd] = find(c.plan.ops, 'caps_bounding');
  const [caps] = find(c.plan.ops, 'caps');
  for (const m of [bnd!.args.mask, caps!.args.effective, caps!.args.permitted, caps!.args.inheritable, caps!.args.ambient]) assert.equal(m, 1n << 5n);
  assert.deepEqual(c.warnings.filter((w) => w.includes('CAP_SYS_RESOURCE')), ["/process/capabilities: CAP_SYS_RESOURCE is not in tsrun's bounding set: dropped"]);
  // Without a known bounding set nothing is dropped.
  const [all] = find(compileCreate(s, ctx).plan.ops, 'caps');
  assert.equal(all!.args.effective, (1n << 5n) | SYS_RESOURCE);
});

test('process: rlimits from outside, user with additionalGids, umask, oomScoreAdj, noNewPrivileges, cpu affinity', () => {
  const list = ops(spec((s) => {
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }];
    s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o077 };
    s.process!.oomScoreAdj = 100;
    s.process!.execCPUAffinity = { final: '0-1,3' };
  }));
  const rl = find(list, 'prlimit')[0]!;
  assert.deepEqual([rl.args.resource, Number(rl.args.soft), Number(rl.args.hard)], [7, 100, 200]);
  assert.deepEqual(find(list, 'user')[0]!.args.gids, [10, 20]);
  assert.equal(find(list, 'umask')[0]!.args.mask, 0o077);
  assert.equal(find(list, 'oom_score_adj')[0]!.args.value, 100);
  assert.equal(find(list, 'no_new_privs').length, 1);
  assert.equal(cpuMask('0-1,3', 'f', 'c')[0], 0b1011);
  // the order the kernel needs: bounding set before setuid, capset after
  const names = list.map((o) => o.op);
  assert.ok(names.indexOf('caps_bounding') < names.indexOf('user') && names.indexOf('user') < names.indexOf('caps'));
  assert.ok(names.indexOf('lookup_exec') < names.indexOf('ready') && names.indexOf('ready') < names.indexOf('wait_start'));
});

test('refusals name their field: seccomp not compiled to BPF, hostname without uts, terminal without a console socket', () => {
  const field = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof TsrunError);
      return e.field;
    }
    assert.fail('no error');
  };
  assert.equal(field(() => ops(spec((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' })))), '/linux/seccomp');
  assert.equal(field(() => ops(spec((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'))))), '/hostname');
  assert.equal(field(() => ops(spec((s) => (s.process!.terminal = true)))), '/process/terminal');
  assert.equal(field(() => ops(spec((s) => (s.process!.args = [])))), '/process/args');
});

test('exec: joins every namespace of the init, user first, no fifo wait', () => {
  const container = spec((s) => s.linux!.namespaces!.push({ type: 'user' }));
  const { plan } = compileExec({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] }, container, { initPid: 42 });
  const joins = plan.ops.filter((o) => o.op === 'join_ns').map((o) => (o.args as { path: string }).path);
  assert.equal(joins[0], '/proc/42/ns/user');
  assert.ok(joins.includes('/proc/42/ns/mnt') && joins.includes('/proc/42/ns/pid'));
  assert.ok(!plan.ops.some((o) => o.op === 'wait_start' || o.op === 'exec_fifo'));
});

test('linux.seccomp.listenerPath is connected in the runtime\'s namespaces: before exec joins the init\'s, and before create\'s joins', () => {
  const seccomp = { program: new Uint8Array(8), flags: 0, listenerPath: '/run/agent.sock' };
  const names = (list: PlanOp[]) => list.map((o) => o.op);
  const { plan } = compileExec({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] }, spec((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' })), { initPid: 42, seccomp });
  const listener = names(plan.ops).indexOf('seccomp_listener');
  assert.ok(listener >= 0 && listener < names(plan.ops).indexOf('join_ns'), names(plan.ops).join(' '));
  const joining = compileCreate(spec((s) => {
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/1/ns/net' } : n));
  }), { ...ctx, seccomp }).plan;
  const at = names(joining.ops).indexOf('seccomp_listener');
  assert.ok(at >= 0 && at < names(joining.ops).indexOf('join_ns'), names(joining.ops).join(' '));
});

test('rlimits: "unlimited" (2^64-1, a double in JSON) stays RLIM_INFINITY instead of wrapping around', () => {
  const list = ops(spec((s) => {
    s.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 }];
  }));
  const rl = find(list, 'prlimit')[0]!;
  assert.equal(BigInt(rl.args.hard), (1n << 64n) - 1n);
  assert.equal(BigInt(rl.args.soft), 0n);
});

test('no mount namespace: the shared mount table is untouched, the process is only chrooted (with a warning for the mounts)', () => {
  const s = spec((c) => {
    c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'mount');
    c.linux!.maskedPaths = [];
    c.linux!.readonlyPaths = [];
    c.root!.readonly = false;
  });
  const { plan, warnings } = compileCreate(s, ctx);
  const names = plan.ops.map((o) => o.op);
  for (const forbidden of ['propagation', 'rootfs', 'mount', 'mknod', 'symlink', 'pivot_root', 'remount_ro'] as const) {
    assert.ok(!names.includes(forbidden), `no ${forbidden} op`);
  }
  assert.deepEqual(find(plan.ops, 'chroot').map((o) => o.args.path), ['/b/rootfs']);
  assert.ok(names.indexOf('chroot') < names.indexOf('chdir'));
  assert.equal(Number(find(plan.ops, 'clone')[0]!.args.flags) & CLONE.mount, 0);
  assert.match(warnings.join('\n'), /no mount namespace: the mounts in config.json are not made/);
});

test('no mount namespace with a read-only root is refused naming /root/readonly', () => {
  const s = spec((c) => {
    c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'mount');
    c.linux!.maskedPaths = [];
    c.linux!.readonlyPaths = [];
    c.root!.readonly = true;
  });
  assert.throws(() => compileCreate(s, ctx), (e: unknown) => e instanceof TsrunError && /\/root\/readonly/.test(String(e)));
});

test('wait_go: the init prepares its rootfs (mounts, devices, links) first, then waits for GO before createContainer hooks and the pivot, as runc\'s init does', () => {
  const names = (list: PlanOp[]) => list.map((o) => o.op);
  const plain = ops(spec());
  const at = names(plain).indexOf('wait_go');
  assert.equal(names(plain).filter((n) => n === 'wait_go').length, 1);
  assert.equal(plain[at + 1]!.op, 'pivot_root');
  assert.ok(names(plain).lastIndexOf('mount') < at && names(plain).lastIndexOf('mknod') < at && names(plain).lastIndexOf('symlink') < at);
  assert.equal(find(plain, 'wait_go')[0]!.args.report, 0, 'no runtime-side hooks: nothing to report');
  assert.ok(names(plain).lastIndexOf('cgroup_join') < names(plain).indexOf('unshare'), 'the child runs only once placed');

  const hook = { path: '/bin/true' };
  const withHooks = ops(spec((s) => (s.hooks = { createContainer: [hook], prestart: [hook] })));
  const w = names(withHooks).indexOf('wait_go');
  assert.equal(withHooks[w + 1]!.op, 'hook', 'createContainer hooks need the state GO carries');
  assert.equal(find(withHooks, 'wait_go')[0]!.args.report, 1, 'prestart hooks run when the init says it is prepared');
  assert.equal(find(ops(spec((s) => (s.hooks = { createRuntime: [hook] }))), 'wait_go')[0]!.args.report, 1);
  assert.equal(find(ops(spec((s) => (s.hooks = { poststart: [hook] }))), 'wait_go')[0]!.args.report, 0);

  const shared = ops(spec((c) => {
    c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== 'mount');
    c.linux!.maskedPaths = [];
    c.linux!.readonlyPaths = [];
    c.root!.readonly = false;
  }));
  assert.equal(shared[names(shared).indexOf('wait_go') + 1]!.op, 'chroot');

  const { plan } = compileExec({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] }, spec(), { initPid: 42 });
  const firstChild = plan.ops.findIndex((o) => !['join_ns', 'clone', 'prlimit', 'cgroup_join', 'pidfd_socket', 'console_socket'].includes(o.op));
  assert.equal(plan.ops[firstChild]!.op, 'wait_go', 'exec: nothing to prepare, GO first');
});
