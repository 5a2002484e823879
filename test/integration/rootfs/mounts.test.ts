// Every kind of mount and option, checked from inside the container through
// its /proc/self/mountinfo and by trying writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import { makeRoot, mountsUnder } from '../lifecycle/helpers.js';
import { cgroupLayout } from '../../helpers/requires.js';
import { kv, mountAt, mountinfoOf, MOUNTINFO, runIn } from './helpers.js';

function has(set: Set<string>, ...want: string[]): void {
  for (const w of want) assert.ok(set.has(w), `${w} in ${[...set].join(',')}`);
}

test('mounts: tmpfs with size, mode, uid, gid and per-mount flags; writable', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const res = runIn(r, 'tmpfs', `${MOUNTINFO}; echo data=$(stat -c '%a %u %g' /data); touch /data/x && echo write=ok`, (s) => {
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'noatime', 'size=1m', 'mode=757', 'uid=1', 'gid=2'] });
    });
    assert.equal(res.code, 0, res.stderr);
    const m = mountAt(mountinfoOf(res.stdout), '/data');
    assert.ok(m, 'a mount at /data');
    assert.equal(m.fstype, 'tmpfs');
    has(m.opts, 'rw', 'nosuid', 'nodev', 'noexec', 'noatime');
    has(m.superOpts, 'size=1024k', 'mode=757', 'uid=1', 'gid=2');
    assert.equal(kv(res.stdout).data, '757 1 2');
    assert.equal(kv(res.stdout).write, 'ok');
  } finally {
    r.cleanup();
  }
});

test('mounts: bind of a directory (ro, nosuid) and of a file (destination made as a file), rw bind writes through', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-bindsrc-');
  chmodSync(src.path, 0o755);
  writeFileSync(join(src.path, 'f'), 'from host\n');
  mkdirSync(join(src.path, 'rw'));
  try {
    const script = [
      MOUNTINFO,
      'echo x > /b-ro/new 2>/dev/null && echo bro=w || echo bro=ro',
      'echo file=$(cat /b-file)',
      '[ -f /b-file ] && echo isfile=yes',
      'echo y > /b-rw/new && echo brw=w',
    ].join('; ');
    const res = runIn(r, 'binds', script, (s) => {
      s.mounts!.push({ destination: '/b-ro', type: 'bind', source: src.path, options: ['bind', 'ro', 'nosuid'] });
      s.mounts!.push({ destination: '/b-file', type: 'bind', source: join(src.path, 'f'), options: ['bind', 'ro'] });
      s.mounts!.push({ destination: '/b-rw', type: 'none', source: join(src.path, 'rw'), options: ['rbind', 'rw', 'nodiratime'] });
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    has(mountAt(mi, '/b-ro')!.opts, 'ro', 'nosuid');
    has(mountAt(mi, '/b-file')!.opts, 'ro');
    has(mountAt(mi, '/b-rw')!.opts, 'rw', 'nodiratime');
    const o = kv(res.stdout);
    assert.equal(o.bro, 'ro');
    assert.equal(o.file, 'from host');
    assert.equal(o.isfile, 'yes');
    assert.equal(o.brw, 'w');
    assert.equal(readFileSync(join(src.path, 'rw', 'new'), 'utf8'), 'y\n', 'the rw bind wrote to the host directory');
    assert.ok(!existsSync(join(src.path, 'new')), 'the ro bind did not');
  } finally {
    r.cleanup();
    src.remove();
  }
});

test('mounts: rbind with recursive attributes (rro, rnosuid, rnodev, rnoexec, rnoatime) reaches the submount; a plain bind has no submount', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-rbindsrc-');
  chmodSync(src.path, 0o755);
  const sub = join(src.path, 'sub');
  mkdirSync(sub);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsrun-test-sub', sub]);
  assert.equal(mounted.status, 0, String(mounted.stderr));
  try {
    const script = [MOUNTINFO, 'touch /rb/sub/x 2>/dev/null && echo sub=w || echo sub=ro', 'touch /rw/sub/x 2>/dev/null && echo rwsub=w || echo rwsub=ro'].join('; ');
    const res = runIn(r, 'rattr', script, (s) => {
      s.mounts!.push({ destination: '/rb', type: 'bind', source: src.path, options: ['rbind', 'rro', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime'] });
      s.mounts!.push({ destination: '/rw', type: 'bind', source: src.path, options: ['rbind', 'rro', 'rrw'] });
      s.mounts!.push({ destination: '/plain', type: 'bind', source: src.path, options: ['bind'] });
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    for (const mp of ['/rb', '/rb/sub']) {
      const m = mountAt(mi, mp);
      assert.ok(m, `a mount at ${mp}`);
      has(m.opts, 'ro', 'nosuid', 'nodev', 'noexec', 'noatime');
    }
    assert.equal(mountAt(mi, '/rb/sub')!.fstype, 'tmpfs');
    assert.equal(kv(res.stdout).sub, 'ro');
    assert.equal(kv(res.stdout).rwsub, 'w', 'a later rrw wins over rro');
    has(mountAt(mi, '/rw/sub')!.opts, 'rw');
    assert.equal(mountAt(mi, '/plain/sub'), undefined, 'bind without rbind leaves the submount out');
  } finally {
    r.cleanup();
    spawnSync('umount', ['-l', sub]);
    src.remove();
  }
});

test('mounts: bind propagation shared, private and unbindable show in the container\'s mountinfo', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-propsrc-');
  chmodSync(src.path, 0o755);
  try {
    const res = runIn(r, 'prop', MOUNTINFO, (s) => {
      s.mounts!.push({ destination: '/p-shared', type: 'bind', source: src.path, options: ['rbind', 'rshared'] });
      s.mounts!.push({ destination: '/p-private', type: 'bind', source: src.path, options: ['bind', 'private'] });
      s.mounts!.push({ destination: '/p-unbindable', type: 'bind', source: src.path, options: ['bind', 'unbindable'] });
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    assert.ok(mountAt(mi, '/p-shared')!.tags.some((t) => t.startsWith('shared:')), 'shared');
    assert.deepEqual(mountAt(mi, '/p-private')!.tags, [], 'private: no peer group, no master');
    assert.ok(mountAt(mi, '/p-unbindable')!.tags.includes('unbindable'), 'unbindable');
  } finally {
    r.cleanup();
    src.remove();
  }
});

test('mounts: nosymfollow stops symlinks on that mount', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = `${MOUNTINFO}; ln -s /etc/hostname /ns/l; cat /ns/l >/dev/null 2>&1 && echo follow=yes || echo follow=no; cat /nsb/l >/dev/null 2>&1 && echo bfollow=yes || echo bfollow=no`;
    const res = runIn(r, 'nosym', script, (s) => {
      s.mounts!.push({ destination: '/ns', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow'] });
      // the same tmpfs bound again with nosymfollow: the bind's remount keeps the flag
      s.mounts!.push({ destination: '/nsb', type: 'bind', source: 'rootfs/tmp', options: ['bind', 'nosymfollow'] });
    }, [], (rootfs) => symlinkSync('/etc/hostname', join(rootfs, 'tmp/l')));
    assert.equal(res.code, 0, res.stderr);
    has(mountAt(mountinfoOf(res.stdout), '/ns')!.opts, 'nosymfollow');
    has(mountAt(mountinfoOf(res.stdout), '/nsb')!.opts, 'nosymfollow');
    assert.equal(kv(res.stdout).follow, 'no');
    assert.equal(kv(res.stdout).bfollow, 'no');
  } finally {
    r.cleanup();
  }
});

test('mounts: proc, read-only sysfs, devpts (newinstance, ptmxmode, mode, gid), mqueue, cgroup, and another fs type with its data', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = [MOUNTINFO, 'touch /sys/x 2>/dev/null && echo sysw=yes || echo sysw=no', 'echo ramfs=$(stat -c %a /ram)'].join('; ');
    const res = runIn(r, 'special', script, (s) => {
      s.mounts = s.mounts!.map((m) => (m.destination === '/dev/pts'
        ? { ...m, options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] }
        : m));
      s.mounts!.push({ destination: '/ram', type: 'ramfs', source: 'ramfs', options: ['mode=700'] });
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    assert.equal(mountAt(mi, '/proc')!.fstype, 'proc');
    const sys = mountAt(mi, '/sys')!;
    assert.equal(sys.fstype, 'sysfs');
    has(sys.opts, 'ro', 'nosuid', 'nodev', 'noexec');
    assert.equal(kv(res.stdout).sysw, 'no');
    const pts = mountAt(mi, '/dev/pts')!;
    assert.equal(pts.fstype, 'devpts');
    has(pts.superOpts, 'ptmxmode=666', 'mode=620', 'gid=5');
    assert.equal(mountAt(mi, '/dev/mqueue')!.fstype, 'mqueue');
    const cg = mountAt(mi, '/sys/fs/cgroup')!;
    has(cg.opts, 'ro');
    if (cgroupLayout()?.kind === 'v2') assert.equal(cg.fstype, 'cgroup2', 'a pure v2 host: the cgroup2 hierarchy itself at /sys/fs/cgroup');
    else assert.ok(mi.some((m) => m.mountPoint.startsWith('/sys/fs/cgroup/') && (m.fstype === 'cgroup' || m.fstype === 'cgroup2')), 'cgroup hierarchies below /sys/fs/cgroup');
    assert.equal(mountAt(mi, '/ram')!.fstype, 'ramfs');
    assert.equal(kv(res.stdout).ramfs, '700', 'the data string reached the filesystem');
  } finally {
    r.cleanup();
  }
});

/** The host's mounts below /sys: a recursive bind of the host's /sys carries them, a fresh sysfs has none. */
const hostSysSubmounts = mountsUnder('/sys').filter((m) => m !== '/sys');

test('mounts: a new user namespace without a network namespace gets the host /sys bound (recursively) read-only instead of a sysfs', { skip: rootSkip || (hostSysSubmounts.length === 0 && 'the host has no mount below /sys: nothing would tell its /sys bound from a fresh sysfs') }, () => {
  const r = makeRoot();
  try {
    const res = runIn(r, 'sysbind', `${MOUNTINFO}; touch /sys/x 2>/dev/null && echo sysw=yes || echo sysw=no`, (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    const sys = mountAt(mi, '/sys')!;
    assert.equal(sys.fstype, 'sysfs');
    has(sys.opts, 'ro');
    assert.equal(kv(res.stdout).sysw, 'no');
    // the config's /sys/fs/cgroup mount was taken out: whatever is below /sys came with the host's /sys
    const inside = new Set(mi.map((m) => m.mountPoint));
    assert.deepEqual(hostSysSubmounts.filter((m) => !inside.has(m)), [], 'the host\'s mounts below /sys are there: its /sys was bound, recursively');
  } finally {
    r.cleanup();
  }
});

test('mounts: a failing mount names its index and destination (config.json: /mounts/N: ... destination /data: mount tmpfs: invalid argument)', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    let n = -1;
    const res = runIn(r, 'badmount', 'true', (s) => {
      n = s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['size=lots'] }) - 1;
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`config\\.json: /mounts/${n}: .*destination /data: mount tmpfs: invalid argument`));
    assert.equal(r.state('badmount'), null);
  } finally {
    r.cleanup();
  }
});

test('mounts: the container sees no host mount it was not given', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-onlysrc-');
  chmodSync(src.path, 0o755);
  try {
    let allowed: string[] = [];
    const res = runIn(r, 'only', MOUNTINFO, (s) => {
      s.mounts!.push({ destination: '/given', type: 'bind', source: src.path, options: ['rbind'] });
      allowed = ['/', ...s.mounts!.map((m) => m.destination), ...(s.linux!.maskedPaths ?? []), ...(s.linux!.readonlyPaths ?? [])];
    });
    assert.equal(res.code, 0, res.stderr);
    const mi = mountinfoOf(res.stdout);
    assert.ok(mi.length > 5);
    for (const m of mi) {
      // the cgroup hierarchies are bound in below the configured /sys/fs/cgroup
      const ok = allowed.includes(m.mountPoint) || m.mountPoint.startsWith('/sys/fs/cgroup/');
      assert.ok(ok, `unexpected mount ${m.mountPoint} (${m.fstype} ${m.source}) in the container`);
    }
  } finally {
    r.cleanup();
    src.remove();
  }
});

test('mounts: tmpcopyup fills a tmpfs with what it covers (modes and owners kept); without it the tmpfs is empty', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = [
      MOUNTINFO,
      'echo copied=$(cat /etc/hostname) n=$(ls -A /etc | wc -l) mode=$(stat -c %a /etc/passwd) sub=$(cat /etc/sub/deep)',
      'echo link=$(readlink /etc/link)',
      'echo empty=$(ls -A /empty | wc -l)',
      'touch /etc/x 2>/dev/null && echo etcw=yes || echo etcw=no',
    ].join('; ');
    const res = runIn(r, 'copyup', script, (s) => {
      s.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'ro', 'nosuid', 'mode=755'] });
      s.mounts!.push({ destination: '/empty', type: 'tmpfs', source: 'tmpfs', options: [] });
    }, [], (rootfs) => {
      mkdirSync(join(rootfs, 'etc/sub'));
      writeFileSync(join(rootfs, 'etc/sub/deep'), 'deep\n');
      spawnSync('ln', ['-s', '../hostname', join(rootfs, 'etc/link')]);
      mkdirSync(join(rootfs, 'empty'));
      writeFileSync(join(rootfs, 'empty/hidden'), 'x');
    });
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.match(o.copied ?? '', /^tsrun n=5 mode=644 sub=deep$/);
    assert.equal(o.link, '../hostname');
    assert.equal(o.empty, '0');
    assert.equal(o.etcw, 'no', 'ro applies once the copy is made');
    const etc = mountAt(mountinfoOf(res.stdout), '/etc')!;
    assert.equal(etc.fstype, 'tmpfs');
    has(etc.opts, 'ro', 'nosuid');
  } finally {
    r.cleanup();
  }
});
