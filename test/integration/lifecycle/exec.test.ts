// `exec`: a process joins every namespace and the cgroup of a running
// container; flags override the config's process; setup failures exit 255.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip } from '../../helpers/tsrun.js';
import { cgroupLayout } from '../../helpers/requires.js';
import { makeRoot, processExists } from './helpers.js';

test('exec: joins the init\'s namespaces and cgroup, returns the payload\'s exit code', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'e']).code, 0);
    const pid = r.state('e')!.pid;
    // the container's own cgroup as it sees it: the memory hierarchy's (v1, hybrid) or the one cgroup2 directory (v2)
    const v2 = cgroupLayout()?.kind === 'v2';
    const mine = v2 ? "grep '^0::' /proc/self/cgroup" : 'grep memory /proc/self/cgroup';
    const procs = v2 ? '/sys/fs/cgroup/cgroup.procs' : '/sys/fs/cgroup/memory/cgroup.procs';
    const res = r.ts(['exec', 'e', 'sh', '-c', `for n in pid net ipc uts mnt; do echo $n=$(readlink /proc/self/ns/$n); done; ${mine}; echo procs=$(wc -l < ${procs}); exit 5`]);
    assert.equal(res.code, 5, res.stderr);
    for (const n of ['pid', 'net', 'ipc', 'uts', 'mnt']) {
      assert.match(res.stdout, new RegExp(`${n}=${readlinkNs(pid, n).replace(/[[\]]/g, '\\$&')}`), `${n} namespace joined`);
    }
    // the cgroup namespace is rooted at the container's cgroup, which the exec'd process joined
    assert.match(res.stdout, v2 ? /^0::\/$/m : /\d+:memory:\/\n/);
    assert.ok(Number(/procs=(\d+)/.exec(res.stdout)![1]) >= 2, res.stdout);
  } finally {
    r.cleanup('e');
    b.remove();
  }
});

function readlinkNs(pid: number, n: string): string {
  return require('node:fs').readlinkSync(`/proc/${pid}/ns/${n}`) as string;
}

test('exec flags: --user, --env, --cwd, --cap, --no-new-privs; --process file; -d with --pid-file', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'f']).code, 0);
    let res = r.ts(['exec', '--user', '1000:1001', '--env', 'FOO=bar', '--cwd', '/tmp', '--no-new-privs', 'f', 'sh', '-c', 'echo $(id -u):$(id -g) $FOO $(pwd) $(grep NoNewPrivs /proc/self/status | cut -f2)']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), '1000:1001 bar /tmp 1');
    res = r.ts(['exec', '--cap', 'CAP_SYS_ADMIN', 'f', 'sh', '-c', 'grep CapEff /proc/self/status | cut -f2']);
    assert.equal((BigInt(`0x${res.stdout.trim()}`) >> 21n) & 1n, 1n, 'CAP_SYS_ADMIN added');
    const pf = join(b.dir, 'p.json');
    writeFileSync(pf, JSON.stringify({ user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh', '-c', 'echo from-file; exit 4'], env: ['PATH=/bin'] }));
    res = r.ts(['exec', '--process', pf, 'f']);
    assert.equal(res.code, 4, res.stderr);
    assert.equal(res.stdout, 'from-file\n');
    const pidFile = join(b.dir, 'exec.pid');
    res = r.ts(['exec', '-d', '--pid-file', pidFile, 'f', 'sleep', '30']);
    assert.equal(res.code, 0, res.stderr);
    const epid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(epid > 0 && processExists(epid));
  } finally {
    r.cleanup('f');
    b.remove();
  }
});

test('exec setup failures exit 255: missing executable, stopped container, unknown container', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'g']).code, 0);
    let res = r.ts(['exec', 'g', 'no-such-cmd']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /executable file not found in \$PATH/);
    assert.match(res.stderr, /\/process\/args\/0/);
    r.ts(['kill', 'g', 'KILL']);
    assert.ok(r.waitStatus('g', 'stopped'));
    res = r.ts(['exec', 'g', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /cannot exec in a stopped container/);
    res = r.ts(['exec', 'nope', 'true']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /does not exist/);
  } finally {
    r.cleanup('g');
    b.remove();
  }
});
