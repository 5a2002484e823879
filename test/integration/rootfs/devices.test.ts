// /dev: the default nodes and links, linux.devices of every type with modes
// and owners, and devices inside a user namespace (host nodes bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootSkip } from '../../helpers/tsrun.js';
import { makeRoot } from '../lifecycle/helpers.js';
import { kv, mountAt, mountinfoOf, MOUNTINFO, runIn } from './helpers.js';

/** busybox stat: type, major and minor in hex, octal mode, owner. */
const STAT = (p: string, key: string) => `echo ${key}=$(stat -c '%F %t:%T %a %u:%g' ${p})`;

test('/dev: a tmpfs with the default nodes (null, zero, full, random, urandom, tty), the fd/stdio/ptmx links, and core where the host has /proc/kcore', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = [
      MOUNTINFO,
      STAT('/dev/null', 'null'), STAT('/dev/zero', 'zero'), STAT('/dev/full', 'full'),
      STAT('/dev/random', 'random'), STAT('/dev/urandom', 'urandom'), STAT('/dev/tty', 'tty'),
      'for l in fd stdin stdout stderr ptmx core; do echo link_$l=$(readlink /dev/$l); done',
      'echo shm=$(stat -c %a /dev/shm)',
    ].join('; ');
    const res = runIn(r, 'devdefaults', script);
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.equal(o.null, 'character special file 1:3 666 0:0');
    assert.equal(o.zero, 'character special file 1:5 666 0:0');
    assert.equal(o.full, 'character special file 1:7 666 0:0');
    assert.equal(o.random, 'character special file 1:8 666 0:0');
    assert.equal(o.urandom, 'character special file 1:9 666 0:0');
    assert.equal(o.tty, 'character special file 5:0 666 0:0');
    assert.equal(o.link_fd, '/proc/self/fd');
    assert.equal(o.link_stdin, '/proc/self/fd/0');
    assert.equal(o.link_stdout, '/proc/self/fd/1');
    assert.equal(o.link_stderr, '/proc/self/fd/2');
    assert.equal(o.link_ptmx, 'pts/ptmx');
    // runc links /dev/core only where the host has /proc/kcore (not every kernel does)
    assert.equal(o.link_core, existsSync('/proc/kcore') ? '/proc/kcore' : '');
    assert.equal(o.shm, '1777');
    const mi = mountinfoOf(res.stdout);
    assert.equal(mountAt(mi, '/dev')!.fstype, 'tmpfs');
    assert.equal(mountAt(mi, '/dev/shm')!.fstype, 'tmpfs');
  } finally {
    r.cleanup();
  }
});

test('linux.devices: c, b, u and p nodes with major/minor, fileMode, uid and gid', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const script = [STAT('/dev/my-zero', 'c'), STAT('/dev/my-loop', 'b'), STAT('/dev/sub/my-full', 'u'), STAT('/dev/my-fifo', 'p')].join('; ');
    const res = runIn(r, 'devices', script, (s) => {
      s.linux!.devices = [
        { path: '/dev/my-zero', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1, gid: 2 },
        { path: '/dev/my-loop', type: 'b', major: 7, minor: 0, fileMode: 0o600, uid: 0, gid: 6 },
        { path: '/dev/sub/my-full', type: 'u', major: 1, minor: 7, fileMode: 0o666 },
        { path: '/dev/my-fifo', type: 'p', fileMode: 0o622, uid: 3, gid: 4 },
      ];
    });
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.equal(o.c, 'character special file 1:5 640 1:2');
    assert.equal(o.b, 'block special file 7:0 600 0:6');
    assert.equal(o.u, 'character special file 1:7 666 0:0');
    assert.equal(o.p, 'fifo 0:0 622 3:4');
  } finally {
    r.cleanup();
  }
});

test('linux.devices in a user namespace: bound from the host node of the same device, also at a path the host lacks; none at all is a clear error', { skip: rootSkip }, () => {
  const r = makeRoot();
  const userns = (s: import('../../../src/spec/types.js').Spec) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
  };
  try {
    const res = runIn(r, 'devuserns', [STAT('/dev/null', 'null'), STAT('/dev/tsrun-zero', 'zero'), 'head -c 4 /dev/tsrun-zero | od -An -tx1'].join('; '), (s) => {
      userns(s);
      s.linux!.devices = [{ path: '/dev/tsrun-zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
    });
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.match(o.null ?? '', /^character special file 1:3 666 /);
    assert.match(o.zero ?? '', /^character special file 1:5 666 /);
    assert.match(res.stdout, /00 00 00 00/);

    let i = -1;
    const bad = runIn(r, 'devnone', 'true', (s) => {
      userns(s);
      s.linux!.devices = [{ path: '/dev/nonesuch', type: 'c', major: 250, minor: 251 }];
      i = 0;
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`config\\.json: /linux/devices/${i}: .*device /dev/nonesuch \\(c 250:251\\): mknod is not allowed in a user namespace and the host has no such node to bind`));
  } finally {
    r.cleanup();
  }
});

test('linux.devices: a path that exists as the same device is kept (mode applied); as anything else create fails naming the device', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const same = runIn(r, 'devsame', STAT('/dev/keep-null', 'keep'), (s) => {
      s.mounts = s.mounts!.filter((m) => !m.destination.startsWith('/dev'));
      s.linux!.devices = [{ path: '/dev/keep-null', type: 'c', major: 1, minor: 3, fileMode: 0o640 }];
    }, [], (rootfs) => {
      const mk = spawnSync('mknod', ['-m', '666', join(rootfs, 'dev/keep-null'), 'c', '1', '3']);
      assert.equal(mk.status, 0, String(mk.stderr));
    });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(kv(same.stdout).keep, 'character special file 1:3 640 0:0');

    const other = runIn(r, 'devother', 'true', (s) => {
      s.linux!.devices = [{ path: '/not-a-device', type: 'c', major: 1, minor: 3 }];
    }, [], (rootfs) => writeFileSync(join(rootfs, 'not-a-device'), 'x'));
    assert.equal(other.code, 1);
    assert.match(other.stderr, /config\.json: \/linux\/devices\/0: .*device \/not-a-device: the path exists and is not the requested device/);
    assert.equal(r.state('devother'), null);
  } finally {
    r.cleanup();
  }
});
