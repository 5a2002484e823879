// Every check runs INSIDE the container and prints what it sees; the test
// compares that with the config. Titles name the spec field they prove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir, tsrunBin } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';
import { makeRoot, type Root } from '../lifecycle/helpers.js';
import { startConsoleReceiver } from '../lifecycle/console.js';

/** `tsrun run` a busybox shell script with a patched config; returns its stdout (asserting exit 0). */
function runScript(r: Root, id: string, script: string, patch: (s: Spec) => void = () => {}, extra: string[] = []): string {
  const b = makeBundle({ args: ['sh', '-c', script], patch });
  // a mapped root of a user namespace must reach the rootfs (mkdtemp makes 0700 dirs)
  chmodSync(b.dir, 0o755);
  try {
    const res = r.ts(['run', ...extra, '--bundle', b.dir, id]);
    assert.equal(res.code, 0, `run ${id}: ${res.stderr}`);
    return res.stdout;
  } finally {
    r.ts(['delete', '--force', id]);
    b.remove();
  }
}

function lines(out: string): Record<string, string> {
  return Object.fromEntries(out.trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
}

test('linux.namespaces: new pid/net/ipc/uts/mnt/cgroup namespaces differ from the host\'s; a network namespace given by path is joined', { skip: rootSkip }, () => {
  const r = makeRoot();
  const nsDir = tempDir('tsrun-netns-');
  const nsFile = join(nsDir.path, 'net');
  try {
    const types = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];
    const out = lines(runScript(r, 'ns1', types.map((t) => `echo ${t}=$(readlink /proc/self/ns/${t})`).join('; ')));
    for (const t of types) {
      assert.match(out[t] ?? '', new RegExp(`^${t}:\\[\\d+\\]$`));
      assert.notEqual(out[t], readlinkSync(`/proc/self/ns/${t}`), `${t} namespace is new`);
    }
    // a persistent network namespace of our own, joined by path
    writeFileSync(nsFile, '');
    const u = spawnSync('unshare', [`--net=${nsFile}`, 'true'], { encoding: 'utf8' });
    assert.equal(u.status, 0, u.stderr);
    const ino = statSync(nsFile).ino;
    const joined = lines(runScript(r, 'ns2', 'echo net=$(readlink /proc/self/ns/net)', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: nsFile } : n));
    }));
    assert.equal(joined.net, `net:[${ino}]`);
  } finally {
    spawnSync('umount', [nsFile]);
    rmSync(nsFile, { force: true });
    nsDir.remove();
    r.cleanup();
  }
});

test('linux.uidMappings/gidMappings: a user namespace with several ranges, seen in /proc/self/uid_map and gid_map', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const out = runScript(r, 'un', 'echo UID; cat /proc/self/uid_map; echo GID; cat /proc/self/gid_map; echo ID=$(id -u):$(id -g)', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 300000, size: 10 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 70000, hostID: 400000, size: 5 }];
    });
    const norm = (t: string) => t.trim().split(/\s+/).join(' ');
    const [, uid, gid] = out.split(/UID\n|GID\n/);
    assert.equal(norm(uid!), '0 100000 1000 1000 300000 10');
    assert.equal(norm(gid!.split('ID=')[0]!), '0 100000 65536 70000 400000 5');
    assert.match(out, /ID=0:0/);
  } finally {
    r.cleanup();
  }
});

test('hostname, domainname, linux.sysctl, process.oomScoreAdj, rlimits, umask, user/additionalGids, capabilities, noNewPrivileges', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = [
      'echo host=$(hostname)',
      'echo domain=$(cat /proc/sys/kernel/domainname)',
      'echo fwd=$(cat /proc/sys/net/ipv4/ip_forward)',
      'echo oom=$(cat /proc/self/oom_score_adj)',
      'echo nofile=$(ulimit -n)',
      'echo umask=$(umask)',
      'echo ids=$(id -u) $(id -g) $(id -G)',
      'echo eff=$(grep CapEff /proc/self/status | cut -f2)',
      'echo bnd=$(grep CapBnd /proc/self/status | cut -f2)',
      'echo nnp=$(grep NoNewPrivs /proc/self/status | cut -f2)',
    ].join('; ');
    const out = lines(runScript(r, 'attrs', script, (s) => {
      s.hostname = 'box-a';
      s.domainname = 'example.test';
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.process!.oomScoreAdj = 500;
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [10, 20], umask: 0o027 };
      const caps = ['CAP_CHOWN', 'CAP_KILL'];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps };
      s.process!.noNewPrivileges = true;
    }));
    assert.equal(out.host, 'box-a');
    assert.equal(out.domain, 'example.test');
    assert.equal(out.fwd, '1');
    assert.equal(out.oom, '500');
    assert.equal(out.nofile, '123');
    assert.equal(out.umask, '0027');
    assert.equal(out.ids, '1000 1001 1001 10 20');
    assert.equal(out.eff, '0000000000000021', 'ambient caps survive setuid into the effective set');
    assert.equal(out.bnd, '0000000000000021');
    assert.equal(out.nnp, '1');
  } finally {
    r.cleanup();
  }
});

// The runtime's own bounding set (a test process shares tsrun's): the first capability it lacks.
const hostBounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
const capBits: Record<string, bigint> = { CAP_SYS_RESOURCE: 24n, CAP_SYS_MODULE: 16n, CAP_SYS_TIME: 25n, CAP_MAC_ADMIN: 33n };
const missingCap = Object.keys(capBits).find((c) => !(hostBounding & (1n << capBits[c]!)));

test('process.capabilities outside the runtime\'s bounding set: dropped with a warning, the container runs (docker --privileged on a reduced host)', {
  skip: rootSkip || (missingCap ? false : 'this host\'s bounding set has every capability: nothing to drop'),
}, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'grep CapEff /proc/self/status | cut -f2'], patch: (s) => {
    const caps = ['CAP_KILL', missingCap!];
    s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
  } });
  try {
    const res = r.ts(['run', '--bundle', b.dir, 'capdrop']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), '0000000000000020', 'only CAP_KILL is held');
    assert.match(res.stderr, new RegExp(`level=warning msg=".*${missingCap} is not in tsrun's bounding set: dropped`));
  } finally {
    r.cleanup('capdrop');
    b.remove();
  }
});

test('linux.timeOffsets: a time namespace shows the offsets in /proc/self/timens_offsets', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const out = runScript(r, 'tns', 'cat /proc/self/timens_offsets; echo up=$(cut -d. -f1 /proc/uptime)', (s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 1000000, nanosecs: 5 } };
    });
    assert.match(out, /monotonic\s+86400\s+0/);
    assert.match(out, /boottime\s+1000000\s+5/);
    const up = Number(/up=(\d+)/.exec(out)![1]);
    assert.ok(up >= 1000000, `uptime ${up} includes the boottime offset`);
  } finally {
    r.cleanup();
  }
});

test('process.terminal: the pty master goes to --console-socket; inside, stdin is a tty', { skip: rootSkip, timeout: 30_000 }, async () => {
  const r = makeRoot();
  const dir = tempDir('tsrun-console-');
  const b = makeBundle({
    args: ['sh', '-c', 'test -t 0 && echo STDIN-IS-TTY; tty; stty size'],
    terminal: true,
    patch: (s) => (s.process!.consoleSize = { height: 33, width: 111 }),
  });
  const recv = await startConsoleReceiver(dir.path);
  try {
    const res = r.ts(['run', '-d', '--console-socket', recv.socket, '--bundle', b.dir, 'tty']);
    assert.equal(res.code, 0, res.stderr);
    await recv.done(10_000);
    const output = recv.output();
    assert.match(output, /name=\/dev\/pts\/\d+ fds=1/);
    assert.match(output, /STDIN-IS-TTY/);
    assert.match(output, /\/dev\/pts\/\d+/);
    assert.match(output, /33 111/);
  } finally {
    recv.stop();
    r.cleanup('tty');
    b.remove();
    dir.remove();
  }
});

test('--preserve-fds: fd 3 of the runtime is fd 3 of the container; others are closed', { skip: rootSkip }, () => {
  const r = makeRoot();
  const dir = tempDir('tsrun-fds-');
  const b = makeBundle({ args: ['sh', '-c', 'echo preserved >&3; ls /proc/self/fd | sort -n | tr "\\n" " " >&3'] });
  try {
    const file = join(dir.path, 'fd3');
    const fd = openSync(file, 'w');
    const out = openSync(join(dir.path, 'out'), 'w');
    let res;
    try {
      res = spawnSync(tsrunBin, ['--root', r.path, 'run', '--preserve-fds', '1', '--bundle', b.dir, 'pf'], { stdio: ['ignore', out, out, fd], timeout: 30_000 });
    } finally {
      closeSync(fd);
      closeSync(out);
    }
    assert.equal(res.status, 0, readFileSync(join(dir.path, 'out'), 'utf8'));
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^preserved\n/);
    // 0-2, the preserved 3, and the fd ls itself opens for /proc/self/fd
    assert.deepEqual(text.split('\n')[1]!.trim().split(' ').map(Number).filter((n) => n > 3).length <= 1, true, `fds: ${text}`);
    assert.ok(!existsSync(join(r.path, 'pf')));
  } finally {
    r.cleanup('pf');
    b.remove();
    dir.remove();
  }
});

test('root.readonly, linux.maskedPaths and linux.readonlyPaths', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const out = lines(runScript(r, 'ro', [
      'touch /x 2>/dev/null && echo root=rw || echo root=ro',
      'echo timer_list=$(wc -c < /proc/timer_list)',
      'echo firmware=$(ls /sys/firmware | wc -l)',
      'echo sysrq=$( (echo h > /proc/sysrq-trigger) 2>/dev/null && echo writable || echo ro)',
      'echo acpi=$(ls /proc/acpi 2>/dev/null | wc -l)',
    ].join('; '), (s) => {
      s.root!.readonly = true;
    }));
    assert.equal(out.root, 'ro');
    assert.equal(out.timer_list, '0', 'a masked file reads as /dev/null');
    assert.equal(out.firmware, '0', 'a masked directory is an empty tmpfs');
    assert.equal(out.sysrq, 'ro');
    assert.equal(out.acpi, '0');
  } finally {
    r.cleanup();
  }
});

test('linux.seccomp: a rule with errnoRet answers that errno; the default action allows the rest; the second container gets the profile from the cache, enforced alike', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    // the second run finds the program the first compiled, in the cache directory (src/sys/seccomp-cache.ts)
    for (const id of ['sc', 'sc2']) {
      const out = runScript(r, id, 'mkdir /tmp/blocked 2>&1; echo rc=$?; echo allowed > /tmp/file && cat /tmp/file', (s) => {
        s.root!.readonly = false;
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
        };
      });
      assert.match(out, /Permission denied/, id);
      assert.match(out, /rc=1/, id);
      assert.match(out, /allowed/, id);
      // the cache has a directory of its own (src/state/cache-dir.ts): --root holds state only
      assert.deepEqual(readdirSync(r.path).filter((f) => f.includes('@')), [], 'no cache under --root');
    }
    const list = r.ts(['list', '-q']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, '', 'the cache is no container');
  } finally {
    r.cleanup();
  }
});

test('process.terminal without --console-socket: a foreground run proxies the pty to its own stdio', { skip: rootSkip, timeout: 30_000 }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'test -t 0 && echo IS-TTY; read x; echo got-$x; exit 3'], terminal: true });
  try {
    // script(1) gives tsrun a terminal, as a shell would
    const res = spawnSync('script', ['-qec', `${tsrunBin} --root ${r.path} run --bundle ${b.dir} pt`, '/dev/null'], {
      input: 'hello\n', encoding: 'utf8', timeout: 20_000,
    });
    assert.equal(res.status, 3, res.stderr);
    assert.match(res.stdout, /IS-TTY/);
    assert.match(res.stdout, /got-hello/);
    // no terminal on our side and input at its end: the container reads EOF
    const eof = r.ts(['run', '--bundle', b.dir, 'pt2']);
    assert.equal(eof.code, 3, eof.stderr);
    assert.match(eof.stdout, /got-\r?\n/);
  } finally {
    r.cleanup('pt', 'pt2');
    b.remove();
  }
});
