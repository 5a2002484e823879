// linux.seccomp compiled by libseccomp (through koffi) to the BPF bytes the
// plan carries, and placed where runc loads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp, actionValue } from '../../../src/sys/seccomp.js';
import { compileCreate } from '../../../src/plan/index.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { TsrunError } from '../../../src/errors.js';
import { engineConfig } from '../../helpers/fixtures.js';

const docker = engineConfig('docker-hooks.json');

test('Docker\'s default profile compiles to a BPF program (8-byte instructions)', () => {
  const { program, flags } = compileSeccomp(docker.linux!.seccomp!);
  assert.ok(program.length > 100 * 8, `program of ${program.length} bytes`);
  assert.equal(program.length % 8, 0);
  assert.equal(flags, 0);
});

test('actions: ERRNO carries errnoRet (default EPERM); NOTIFY needs a listenerPath', () => {
  assert.equal(actionValue('SCMP_ACT_ERRNO', undefined, ''), 0x00050001);
  assert.equal(actionValue('SCMP_ACT_ERRNO', 38, ''), 0x00050026);
  assert.equal(actionValue('SCMP_ACT_ALLOW', undefined, ''), 0x7fff0000);
  assert.equal(actionValue('SCMP_ACT_NOTIFY', undefined, ''), 0x7fc00000);
  assert.throws(
    () => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }),
    (e) => e instanceof TsrunError && e.field === '/linux/seccomp/listenerPath',
  );
  const withListener = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/l.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] });
  assert.equal(withListener.listenerPath, '/run/l.sock');
});

test('unknown syscall names are skipped; a bad operator names its field', () => {
  const ok = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_syscall_x', 'mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  assert.ok(ok.program.length > 0);
  assert.throws(
    () => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_BOGUS' as never }] }] }),
    (e) => e instanceof TsrunError && e.field === '/linux/seccomp/syscalls/0/args/0/op',
  );
});

test('placement: before the credentials without noNewPrivileges, just before the exec lookup with it', () => {
  const seccomp = { program: new Uint8Array(8), flags: 0 };
  const base = { id: 'x', bundle: '/b', rootfs: '/b/r', stateDir: '/s', seccomp };
  const s = defaultSpec();
  s.process!.terminal = false;
  s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
  s.process!.noNewPrivileges = false;
  let names = compileCreate(s, base).plan.ops.map((o) => o.op);
  assert.equal(names.indexOf('seccomp') + 1, names.indexOf('caps_bounding'));
  s.process!.noNewPrivileges = true;
  names = compileCreate(s, base).plan.ops.map((o) => o.op);
  assert.equal(names.indexOf('seccomp') + 1, names.indexOf('lookup_exec'));
  assert.ok(names.indexOf('no_new_privs') < names.indexOf('seccomp'));
});
