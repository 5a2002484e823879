// The process's environment and identity as the compiler decides them
// (runc parity, issue 12): one entry per name, HOME from the container's
// passwd unless set, stdio handed to the user, hooks given the process
// environment, no user meaning root, unknown capabilities a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCreate, compileExec, type PlanOp } from '../../../src/plan/index.js';
import { processEnv } from '../../../src/plan/process.js';
import { ctx, spec } from './spec-fixture.js';
import { checkSemantics } from '../../../src/spec/semantics.js';
import { TsrunError } from '../../../src/errors.js';
import type { Process } from '../../../src/spec/types.js';


const find = <N extends PlanOp['op']>(list: PlanOp[], name: N): Extract<PlanOp, { op: N }>[] =>
  list.filter((o) => o.op === name) as Extract<PlanOp, { op: N }>[];
const names = (list: PlanOp[]) => list.map((o) => o.op);

test('processEnv: one entry per name, in its first place, with its last value (runc: A=3 PATH=/usr/bin B=2)', () => {
  assert.deepEqual(processEnv(['A=1', 'PATH=/bin', 'B=2', 'A=3', 'PATH=/usr/bin']), ['A=3', 'PATH=/usr/bin', 'B=2']);
  assert.deepEqual(processEnv(['X=a=b', 'X=']), ['X=']);
  assert.deepEqual(processEnv(undefined), []);
});

test('process.env: duplicates are folded before exec and the PATH lookup uses the value that won', () => {
  const ops = compileCreate(spec((s) => (s.process!.env = ['PATH=/bin', 'A=1', 'PATH=/usr/bin'])), ctx).plan.ops;
  assert.deepEqual(find(ops, 'exec')[0]!.args.env, ['PATH=/usr/bin', 'A=1']);
  assert.equal(find(ops, 'lookup_exec')[0]!.args.path_env, '/usr/bin');
});

test('exec -e PATH=... replaces the config PATH in its place (runc getProcess appends, the init folds)', () => {
  const config = spec((s) => (s.process!.env = ['PATH=/bin', 'TERM=xterm']));
  const proc: Process = { ...config.process!, args: ['env'], env: [...config.process!.env!, 'PATH=/usr/bin', 'A=1'] };
  const ops = compileExec(proc, config, { initPid: 1 }, 'config.json').plan.ops;
  assert.deepEqual(find(ops, 'exec')[0]!.args.env, ['PATH=/usr/bin', 'TERM=xterm', 'A=1']);
  assert.equal(find(ops, 'lookup_exec')[0]!.args.path_env, '/usr/bin');
});

test('HOME: home_env for the process uid before the credentials change, unless the env has a non-empty HOME', () => {
  const ops = compileCreate(spec((s) => (s.process!.user = { uid: 1000, gid: 1000 })), ctx).plan.ops;
  const home = find(ops, 'home_env');
  assert.equal(home.length, 1);
  assert.equal(home[0]!.args.uid, 1000);
  assert.ok(ops.indexOf(home[0]!) > names(ops).indexOf('pivot_root'), 'read after the pivot: the container\'s /etc/passwd');
  assert.ok(ops.indexOf(home[0]!) < names(ops).indexOf('user'));
  assert.equal(find(compileCreate(spec((s) => s.process!.env!.push('HOME=/h')), ctx).plan.ops, 'home_env').length, 0);
  // runc tests os.Getenv("HOME") == "": an empty HOME is filled in too
  assert.equal(find(compileCreate(spec((s) => s.process!.env!.push('HOME=')), ctx).plan.ops, 'home_env').length, 1);
  // exec reads the file as it is then
  const config = spec();
  assert.equal(find(compileExec({ args: ['sh'], cwd: '/', user: { uid: 7, gid: 7 } }, config, { initPid: 1 }).plan.ops, 'home_env')[0]!.args.uid, 7);
});

test('stdio_owner: the process uid, before setuid (runc fixStdioPermissions), for create and exec', () => {
  const ops = compileCreate(spec((s) => { s.process!.terminal = true; s.process!.user = { uid: 1000, gid: 1000 }; }), { ...ctx, consoleSocket: '/c.sock' }).plan.ops;
  const own = find(ops, 'stdio_owner')[0]!;
  assert.equal(own.args.uid, 1000);
  assert.ok(ops.indexOf(own) > names(ops).indexOf('console'), 'after the pty became the stdio');
  assert.ok(ops.indexOf(own) < names(ops).indexOf('user'));
  const ex = compileExec({ args: ['sh'], cwd: '/', terminal: true, user: { uid: 5, gid: 5 } }, spec(), { initPid: 1, consoleSocket: '/c.sock' }).plan.ops;
  assert.ok(names(ex).indexOf('console') < names(ex).indexOf('stdio_owner'));
});

test('an exec process.json without user runs as 0:0', () => {
  const ops = compileExec({ args: ['id'], cwd: '/' }, spec(), { initPid: 1 }).plan.ops;
  const user = find(ops, 'user')[0]!;
  assert.deepEqual([user.args.uid, user.args.gid, user.args.gids], [0, 0, []]);
  assert.equal(find(ops, 'home_env')[0]!.args.uid, 0);
});

test('createContainer/startContainer hooks without env get the process environment; env: [] stays empty', () => {
  const ops = compileCreate(spec((s) => {
    s.process!.env = ['PATH=/bin', 'A=1', 'A=2'];
    s.hooks = { createContainer: [{ path: '/h' }], startContainer: [{ path: '/h', env: [] }, { path: '/h', env: ['X=1'] }] };
  }), ctx).plan.ops;
  const hooks = find(ops, 'hook');
  assert.deepEqual(hooks.map((h) => [h.args.env, h.args.process_env]), [[['PATH=/bin', 'A=2'], 1], [[], 0], [['X=1'], 0]]);
  // startContainer's inherit HOME: they come after home_env
  assert.ok(names(ops).indexOf('home_env') < ops.indexOf(hooks[1]!));
});

test('createContainer hooks run in the rootfs with umask 0022, startContainer where the process is with its umask (runc)', () => {
  const hooks = (umask?: number) => find(compileCreate(spec((s) => {
    if (umask !== undefined) s.process!.user!.umask = umask;
    s.hooks = { createContainer: [{ path: '/h' }], startContainer: [{ path: '/h' }] };
  }), ctx).plan.ops, 'hook').map((h) => [h.args.kind, h.args.dir, h.args.umask]);
  assert.deepEqual(hooks(), [['createContainer', ctx.rootfs, 0o022], ['startContainer', '', 0o022]]);
  assert.deepEqual(hooks(0o077), [['createContainer', ctx.rootfs, 0o022], ['startContainer', '', 0o077]]);
});

test('an unknown capability is a warning in runc\'s words, not an error (config.md: SHOULD NOT fail)', () => {
  const s = spec((x) => {
    x.process!.capabilities!.bounding!.push('CAP_UNKNOWN', 'CAP_FOO');
    x.process!.capabilities!.effective!.push('CAP_UNKNOWN');
  });
  checkSemantics(s, { forCreate: true, file: 'config.json' });
  const { plan, warnings } = compileCreate(s, ctx);
  assert.deepEqual(warnings, ['ignoring unknown or unavailable capabilities: [CAP_FOO CAP_UNKNOWN]']);
  assert.equal(find(plan.ops, 'caps_bounding')[0]!.args.mask, 0x20000420n, 'the known ones are kept');
});

test('linux.sysctl kernel.hostname with a uts namespace is refused (runc: it conflicts with "hostname"); kernel.domainname is not', () => {
  for (const key of ['kernel.hostname', 'kernel/hostname']) {
    for (const hostname of ['h', undefined]) {
      const s = spec((x) => { x.hostname = hostname; x.linux!.sysctl = { [key]: 'other' }; });
      assert.throws(() => checkSemantics(s, { forCreate: true, file: 'config.json' }), (e: TsrunError) =>
        e.message.includes('sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field') && e.field === `/linux/sysctl/${key.replace('/', '~1')}`);
    }
  }
  checkSemantics(spec((x) => { x.domainname = 'd'; x.linux!.sysctl = { 'kernel.domainname': 'other' }; }), { forCreate: true, file: 'config.json' });
});
