// The process attributes issue 3 listed that isolation.test.ts does not:
// personality, ioPriority, scheduler, execCPUAffinity, signal dispositions and
// O_NONBLOCK reset before execve, socket activation (LISTEN_FDS), and a config
// without a mount namespace. Each is read inside the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir, tsrunBin } from '../../helpers/tsrun.js';
import { allowedCpus, requires } from '../../helpers/requires.js';
import type { Spec } from '../../../src/spec/types.js';
import { makeRoot, mountsUnder } from '../lifecycle/helpers.js';

function lines(out: string): Record<string, string> {
  return Object.fromEntries(out.trim().split('\n').filter((l) => l.includes('=')).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
}

/** `tsrun run` a script with stdout into a file opened O_NONBLOCK (the container must get it blocking). */
function runWithNonblockingStdout(script: string, patch: (s: Spec) => void, env: NodeJS.ProcessEnv = process.env): { code: number | null; out: string; err: string } {
  const r = makeRoot();
  const io = tempDir('tsrun-extras-');
  const b = makeBundle({ args: ['sh', '-c', script], patch });
  try {
    const outFile = join(io.path, 'out');
    const errFile = join(io.path, 'err');
    const out = openSync(outFile, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
    const err = openSync(errFile, 'w');
    let res;
    try {
      res = spawnSync(tsrunBin, ['--root', r.path, 'run', '--bundle', b.dir, 'px'], { stdio: ['ignore', out, err], timeout: 30_000, env });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    return { code: res.status, out: readFileSync(outFile, 'utf8'), err: readFileSync(errFile, 'utf8') };
  } finally {
    r.cleanup('px');
    b.remove();
    io.remove();
  }
}

test('ioPriority and scheduler; no signal ignored and stdio blocking at execve', { skip: rootSkip }, () => {
  const script = [
    'echo ionice=$(ionice -p $$)',
    // /proc/self/stat: field 19 nice, field 41 policy (3 = SCHED_BATCH)
    "echo sched=$(sed 's/.*) //' /proc/$$/stat | awk '{print $17, $39}')",
    'echo sigign=$(grep SigIgn /proc/self/status | cut -f2)',
    'echo flags1=$(grep flags /proc/self/fdinfo/1 | cut -f2)',
  ].join('; ');
  const res = runWithNonblockingStdout(script, (s) => {
    s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
    s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
  });
  assert.equal(res.code, 0, res.err);
  const o = lines(res.out);
  assert.equal(o.ionice, 'best-effort: prio 6');
  assert.equal(o.sched, '7 3', 'nice 7, policy SCHED_BATCH');
  // Node ignores SIGPIPE in the runtime; the container starts with default dispositions
  assert.equal(o.sigign, '0000000000000000');
  assert.equal(Number.parseInt(o.flags1!, 8) & constants.O_NONBLOCK, 0, `stdout flags ${o.flags1}`);
});

test('linux.personality LINUX32: uname -m says i686 on an x86_64 host', { skip: requires('root', { arch: 'x64' }) }, () => {
  const res = runWithNonblockingStdout('echo arch=$(uname -m)', (s) => {
    s.linux!.personality = { domain: 'LINUX32' };
  });
  assert.equal(res.code, 0, res.err);
  assert.equal(lines(res.out).arch, 'i686');
});

test('process.execCPUAffinity.final: the payload runs on the CPU named', { skip: requires('root', { cpus: 2 }) }, () => {
  // the second CPU we may use: pinning to the only one would prove nothing
  const cpu = String(allowedCpus()[1]);
  const res = runWithNonblockingStdout('echo cpus=$(grep Cpus_allowed_list /proc/self/status | cut -f2)', (s) => {
    s.process!.execCPUAffinity = { final: cpu };
  });
  assert.equal(res.code, 0, res.err);
  assert.equal(lines(res.out).cpus, cpu);
});

test('socket activation: LISTEN_FDS fds of the runtime reach the container before --preserve-fds, as LISTEN_FDS=n LISTEN_PID=1', { skip: rootSkip }, () => {
  const r = makeRoot();
  const io = tempDir('tsrun-listen-');
  const b = makeBundle({ args: ['sh', '-c', 'echo env=$LISTEN_FDS:$LISTEN_PID >&2; echo to3 >&3; echo to4 >&4'] });
  try {
    const f3 = join(io.path, 'fd3');
    const f4 = join(io.path, 'fd4');
    const err = join(io.path, 'err');
    // the shell sets LISTEN_PID to its own pid and execs tsrun (the launcher execs node: same pid)
    const cmd = `LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" --root "$1" run --preserve-fds 1 --bundle "$2" la 3>"$3" 4>"$4" 2>"$5"`;
    const res = spawnSync('sh', ['-c', cmd, tsrunBin, r.path, b.dir, f3, f4, err], { stdio: 'ignore', timeout: 30_000 });
    assert.equal(res.status, 0, readFileSync(err, 'utf8'));
    assert.match(readFileSync(err, 'utf8'), /env=1:1/);
    assert.equal(readFileSync(f3, 'utf8'), 'to3\n');
    assert.equal(readFileSync(f4, 'utf8'), 'to4\n');
  } finally {
    r.cleanup('la');
    b.remove();
    io.remove();
  }
});

test('no mount namespace: the init shares the runtime\'s mount namespace, is chrooted into root.path, and no mount is made', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({
    args: ['sh', '-c', 'ls /marker-in-rootfs && echo seen'],
    patch: (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
      s.linux!.maskedPaths = [];
      s.linux!.readonlyPaths = [];
      s.root!.readonly = false;
    },
  });
  try {
    const rootfs = join(b.dir, 'rootfs');
    mkdirSync(join(rootfs, 'marker-in-rootfs'));
    let res = r.ts(['create', '--bundle', b.dir, 'nm']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /no mount namespace: the mounts in config.json are not made/);
    const pid = r.state('nm')!.pid;
    assert.equal(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'));
    assert.equal(readlinkSync(`/proc/${pid}/root`), rootfs);
    assert.deepEqual(mountsUnder(b.dir), [], 'nothing mounted in the shared table');
    res = r.ts(['start', 'nm']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(r.waitStatus('nm', 'stopped'));
  } finally {
    r.cleanup('nm');
    b.remove();
  }
});
