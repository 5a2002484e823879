// Mounts, side by side with runc: the same bundle and command through runc and
// tsrun (test/helpers/differential.ts), comparing the exit code, what the
// container saw, and the stderr words callers match on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { tempDir } from '../../helpers/tsrun.js';
import type { RunResult } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';
import { kv, userns } from '../rootfs/helpers.js';

/** `run` the script in a fresh bundle under each runtime; the bundle goes afterwards. */
function runBoth(id: string, script: string, patch: (s: Spec) => void, opts: { extra?: string[]; prepare?: (b: Bundle) => void } = {}): Record<'runc' | 'tsrun', RunResult> {
  const b = makeBundle({ args: ['sh', '-c', script], patch });
  // a mapped root must reach the rootfs
  chmodSync(b.dir, 0o755);
  try {
    opts.prepare?.(b);
    return differential((rt: Runtime) => rt.call(['run', ...(opts.extra ?? []), '--bundle', b.dir, id]), [id]);
  } finally {
    b.remove();
  }
}

test('mounts[].source in a new user namespace: a bind source under a 0700 host directory the mapped root cannot traverse is opened by the runtime, as runc does', { skip: differentialSkip }, () => {
  const host = tempDir('tsrun-parity-secret-'); // 0700, owned by root: uid 100000 cannot pass it
  mkdirSync(join(host.path, 'inner'));
  writeFileSync(join(host.path, 'inner', 'f'), 'behind a 0700 directory\n');
  writeFileSync(join(host.path, 'file'), 'a file source\n');
  // a read-only host mount: its bind stays locked read-only for the container's root
  const inner = join(host.path, 'inner');
  assert.equal(spawnSync('mount', ['--bind', inner, inner]).status, 0);
  assert.equal(spawnSync('mount', ['-o', 'remount,bind,ro', inner]).status, 0);
  try {
    const script = [
      'echo dir=$(cat /data/f); echo file=$(cat /file)',
      'echo uid=$(cat /proc/self/uid_map | tr -s " " | cut -d" " -f3)',
      'mount -o remount,bind,rw /dev/shm; echo control=$?', // the container's root may remount what is not locked
      'mount -o remount,bind,rw /data 2>/dev/null; echo remount_rw=$?',
    ].join('; ');
    const res = runBoth('parity-userns-src', script, (s) => {
      userns(s);
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_SYS_ADMIN');
      s.mounts!.push({ destination: '/data', type: 'bind', source: inner, options: ['rbind'] });
      s.mounts!.push({ destination: '/file', type: 'bind', source: join(host.path, 'file'), options: ['bind'] });
    }, {
      // the mapped root cannot make mountpoints in a rootfs owned by the host's root
      prepare: (b) => {
        mkdirSync(join(b.dir, 'rootfs', 'data'));
        writeFileSync(join(b.dir, 'rootfs', 'file'), '');
      },
    });
    for (const [name, r] of Object.entries(res)) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const o = kv(r.stdout);
      assert.equal(o.dir, 'behind a 0700 directory', name);
      assert.equal(o.file, 'a file source', name);
      assert.equal(o.uid, '100000', `${name}: the container really is in the user namespace`);
      assert.equal(o.control, '0', `${name}: ${r.stderr}`);
      assert.equal(o.remount_rw, '1', `${name}: the bind, made inside the user namespace, keeps the host mount's read-only locked`);
    }
    assert.equal(res.tsrun.stdout, res.runc.stdout);
  } finally {
    spawnSync('umount', [inner]);
    host.remove();
  }
});

test('mounts: a read-only /dev tmpfs gets its nodes, links and submounts first and goes read-only at the end, as with runc', { skip: differentialSkip }, () => {
  const script = [
    "echo devopts=$(awk '$5 == \"/dev\" { print $6 }' /proc/self/mountinfo)",
    "echo devsuper=$(awk '$5 == \"/dev\" { for (i = 7; $i != \"-\"; i++); print $(i + 1), $(i + 3) }' /proc/self/mountinfo)",
    'for p in null zero full tty urandom random ptmx pts/ptmx shm mqueue fd stdin stdout stderr; do [ -e /dev/$p ] || [ -L /dev/$p ] || echo missing=$p; done',
    'echo shm=$(touch /dev/shm/x && echo rw)',
    'touch /dev/x 2>&1; echo touch=$?',
  ].join('; ');
  const res = runBoth('parity-dev-ro', script, (s) => {
    s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
  });
  for (const [name, r] of Object.entries(res)) {
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const o = kv(r.stdout);
    assert.equal(o.devopts, 'ro,nosuid', `${name}: the mount is read-only`);
    assert.equal(o.devsuper, 'tmpfs rw,size=65536k,mode=755', `${name}: by a bind remount, the tmpfs itself stays rw`);
    assert.equal(o.missing, undefined, `${name}: /dev/${o.missing} was made before the remount`);
    assert.equal(o.shm, 'rw', `${name}: submounts keep their own flags`);
    assert.equal(o.touch, '1', name);
    assert.match(r.stdout, /touch: \/dev\/x: Read-only file system/, name);
  }
  assert.equal(res.tsrun.stdout, res.runc.stdout);
});

test('mounts: with no pid namespace, an rbind of the host\'s /proc onto /proc runs (runc\'s checkProcMount: a procfs source may cover /proc), maskedPaths still apply', { skip: differentialSkip }, () => {
  const hostPidNs = readlinkSync('/proc/self/ns/pid');
  const script = [
    'echo pidns=$(readlink /proc/self/ns/pid)',
    "echo fstype=$(awk '$5 == \"/proc\" { for (i = 7; $i != \"-\"; i++); print $(i + 1) }' /proc/self/mountinfo | head -1)",
    'echo timer_list=$(wc -c < /proc/timer_list)',
  ].join('; ');
  const noPidNs = (s: Spec) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    const proc = s.mounts!.find((m) => m.destination === '/proc')!;
    Object.assign(proc, { type: 'bind', source: '/proc', options: ['rbind'] });
  };
  const res = runBoth('parity-proc-rbind', script, noPidNs);
  for (const [name, r] of Object.entries(res)) {
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const o = kv(r.stdout);
    assert.equal(o.pidns, hostPidNs, `${name}: the host's pid namespace`);
    assert.equal(o.fstype, 'proc', name);
    assert.equal(o.timer_list, '0', `${name}: masked by /dev/null`);
  }
  assert.equal(res.tsrun.stdout, res.runc.stdout);

  // what stays refused, in runc's words to the end of the line: a bind of
  // something else onto /proc, and a bind over a /proc path not on the allow-list
  const other = tempDir('tsrun-parity-notproc-');
  try {
    for (const [patch, words] of [
      [(s: Spec) => {
        noPidNs(s);
        s.mounts!.find((m) => m.destination === '/proc')!.source = other.path;
      }, /\/proc\\?" cannot be mounted because it is not of type proc"$/m],
      [(s: Spec) => {
        noPidNs(s);
        s.mounts!.push({ destination: '/proc/sys', type: 'bind', source: other.path, options: ['bind'] });
      }, /\/proc\/sys\\?" cannot be mounted because it is inside \/proc"$/m],
    ] as const) {
      const bad = runBoth('parity-proc-refused', 'echo ran', patch);
      for (const [name, r] of Object.entries(bad)) {
        assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /ran/, name);
        assert.match(r.stderr, words, name);
      }
    }
  } finally {
    other.remove();
  }
});

test('--no-pivot: a nested user+pid namespace cannot mount a fresh procfs past maskedPaths (runc\'s msMoveRoot hides the host\'s proc and sys first)', { skip: differentialSkip }, () => {
  // unshare -r maps uid 0, which takes CAP_SETFCAP; the nested user namespace
  // gets every capability over its own mount namespace
  const caps = (s: Spec) => {
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_SETFCAP');
  };
  const script = [
    'echo nested=$(unshare -Urf id -u)', // the nested namespace itself is allowed: the test is not vacuous
    'unshare -Urpf --mount-proc wc -c /proc/timer_list; echo mount_proc=$?',
  ].join('; ');
  for (const [label, patch] of [
    ['host user namespace', caps],
    ['own user namespace (the host mounts are locked: covered, not detached)', (s: Spec) => {
      caps(s);
      userns(s);
    }],
  ] as const) {
    const res = runBoth('parity-no-pivot', script, patch, { extra: ['--no-pivot'] });
    for (const [name, r] of Object.entries(res)) {
      assert.equal(r.code, 0, `${label}, ${name}: ${r.stderr}`);
      const o = kv(r.stdout);
      assert.equal(o.nested, '0', `${label}, ${name}: ${r.stderr}`);
      assert.equal(o.mount_proc, '1', `${label}, ${name}: ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /timer_list/, `${label}, ${name}: the masked file was read`);
      assert.match(r.stderr, /unshare: can't mount proc on \/proc \(flags:0xe\): Operation not permitted/, `${label}, ${name}`);
    }
    assert.equal(res.tsrun.stdout, res.runc.stdout, label);
  }
});
