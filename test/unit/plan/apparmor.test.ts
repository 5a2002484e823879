// process.apparmorProfile: an `apparmor` op placed just before the
// executable lookup (and before a seccomp filter loaded there), and a
// refusal naming the field where the host has AppArmor off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCreate, compileExec } from '../../../src/plan/index.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { TsrunError } from '../../../src/errors.js';
import { execAppArmor } from '../../../src/lifecycle/exec.js';

const base = { id: 'x', bundle: '/b', rootfs: '/b/r', stateDir: '/s' };
const flags = { args: ['true'], env: [], tty: false, additionalGids: [], caps: [], noNewPrivs: false };

function spec(profile?: string) {
  const s = defaultSpec();
  s.process!.terminal = false;
  if (profile !== undefined) s.process!.apparmorProfile = profile;
  return s;
}

test('process.apparmorProfile: one apparmor op with the profile, right before the exec lookup, after the credentials', () => {
  const ops = compileCreate(spec('tsrun-test'), { ...base, apparmorEnabled: true }).plan.ops;
  const names = ops.map((o) => o.op);
  const at = names.indexOf('apparmor');
  assert.equal(names.filter((n) => n === 'apparmor').length, 1);
  assert.equal(names[at + 1], 'lookup_exec');
  assert.ok(at > names.indexOf('caps') && at > names.indexOf('user'));
  assert.deepEqual(ops[at], { op: 'apparmor', args: { profile: 'tsrun-test' }, field: '/process/apparmorProfile' });
});

test('process.apparmorProfile with noNewPrivileges and seccomp: written before the filter that could deny the write', () => {
  const s = spec('tsrun-test');
  s.process!.noNewPrivileges = true;
  s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
  const names = compileCreate(s, { ...base, apparmorEnabled: true, seccomp: { program: new Uint8Array(8), flags: 0 } }).plan.ops.map((o) => o.op);
  assert.equal(names.indexOf('apparmor') + 1, names.indexOf('seccomp'));
  assert.equal(names.indexOf('seccomp') + 1, names.indexOf('lookup_exec'));
});

test('no process.apparmorProfile (or ""): no apparmor op, whether the host has AppArmor or not', () => {
  for (const p of [undefined, '']) {
    for (const apparmorEnabled of [true, false]) {
      assert.ok(!compileCreate(spec(p), { ...base, apparmorEnabled }).plan.ops.some((o) => o.op === 'apparmor'));
    }
  }
});

test('process.apparmorProfile where AppArmor is off: refused, naming /process/apparmorProfile and runc\'s words', () => {
  assert.throws(() => compileCreate(spec('tsrun-test'), { ...base, apparmorEnabled: false }), (e) => {
    assert.ok(e instanceof TsrunError);
    assert.equal(e.field, '/process/apparmorProfile');
    assert.equal(e.file, 'config.json');
    assert.match(e.message, /unable to apply apparmor profile: apparmor failed to apply profile: .*AppArmor is not enabled/);
    return true;
  });
});

test('exec: the process\'s profile, else --apparmor, else the container\'s (runc); refused where AppArmor is off', () => {
  const container = spec('container-profile');
  const proc = { ...container.process!, apparmorProfile: undefined };
  assert.deepEqual(execAppArmor(container, proc, 'p.json', { ...flags, process: 'p.json' }), { profile: 'container-profile', file: 'config.json', field: '/process/apparmorProfile' });
  assert.deepEqual(execAppArmor(container, { ...proc, apparmorProfile: 'own' }, 'p.json', { ...flags, process: 'p.json' }), { profile: 'own', file: 'p.json', field: '/apparmorProfile' });
  assert.deepEqual(execAppArmor(container, proc, 'config.json', { ...flags, apparmor: 'flag' }), { profile: 'flag', flag: '--apparmor' });
  assert.equal(execAppArmor(spec(), proc, 'config.json', flags), undefined);
  const ctx = { initPid: 1, apparmor: { profile: 'own', file: 'p.json', field: '/apparmorProfile' } };
  const ops = compileExec(proc, container, { ...ctx, apparmorEnabled: true }, 'p.json').plan.ops.map((o) => o.op);
  assert.equal(ops.indexOf('apparmor') + 1, ops.indexOf('lookup_exec'));
  assert.throws(() => compileExec(proc, container, { ...ctx, apparmorEnabled: false }, 'p.json'), (e) => e instanceof TsrunError && e.field === '/apparmorProfile' && e.file === 'p.json');
  assert.throws(() => compileExec(proc, container, { initPid: 1, apparmor: { profile: 'flag', flag: '--apparmor' } }, 'config.json'), /--apparmor flag: AppArmor is not enabled/);
});
