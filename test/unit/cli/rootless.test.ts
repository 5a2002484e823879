// The defaults that depend on who calls: --root and --rootless auto, by runc 1.1's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRoot, rootlessCgroups, type Caller } from '../../../src/cli/rootless.js';

const caller = (euid: number, env: NodeJS.ProcessEnv, inUserNS = false): Caller => ({ euid, env, inUserNS: () => inUserNS });

test('default --root: $XDG_RUNTIME_DIR/tsrun for a non-root euid, /run/tsrun without XDG_RUNTIME_DIR', () => {
  assert.equal(defaultRoot(caller(1000, { XDG_RUNTIME_DIR: '/run/user/1000' })), '/run/user/1000/tsrun');
  assert.equal(defaultRoot(caller(1000, {})), '/run/tsrun', 'unset: runc keeps its /run default');
  assert.equal(defaultRoot(caller(1000, { XDG_RUNTIME_DIR: '' })), '/run/tsrun', 'empty counts as unset');
});

test('default --root: real root keeps /run/tsrun even with XDG_RUNTIME_DIR set; root in a user namespace uses it unless USER=root', () => {
  assert.equal(defaultRoot(caller(0, { XDG_RUNTIME_DIR: '/run/user/0' })), '/run/tsrun');
  assert.equal(defaultRoot(caller(0, { XDG_RUNTIME_DIR: '/run/user/1000' }, true)), '/run/user/1000/tsrun');
  assert.equal(defaultRoot(caller(0, { XDG_RUNTIME_DIR: '/run/user/1000', USER: 'alice' }, true)), '/run/user/1000/tsrun');
  assert.equal(defaultRoot(caller(0, { XDG_RUNTIME_DIR: '/run/user/0', USER: 'root' }, true)), '/run/tsrun');
});

test('--rootless auto: true for a non-root euid (with --systemd-cgroup: the user manager) and for root in a user namespace without --systemd-cgroup, false for real root', () => {
  assert.equal(rootlessCgroups('auto', false, caller(1000, {})), true);
  assert.equal(rootlessCgroups('auto', false, caller(0, {}, true)), true);
  assert.equal(rootlessCgroups('auto', false, caller(0, {})), false);
  assert.equal(rootlessCgroups('auto', true, caller(1000, {})), true);
  assert.equal(rootlessCgroups('auto', true, caller(0, {}, true)), false);
  assert.equal(rootlessCgroups('auto', true, caller(0, {})), false);
  assert.equal(rootlessCgroups(undefined, false, caller(1000, {})), true, 'auto is the default');
});

test('--rootless true|false win over who calls; Go\'s bool spellings are accepted, anything else is refused by name', () => {
  assert.equal(rootlessCgroups('true', false, caller(0, {})), true);
  assert.equal(rootlessCgroups('1', false, caller(0, {})), true);
  assert.equal(rootlessCgroups('false', false, caller(1000, {})), false);
  assert.equal(rootlessCgroups('F', false, caller(1000, {})), false);
  assert.throws(() => rootlessCgroups('maybe', false, caller(0, {})), /invalid --rootless value "maybe"/);
});
