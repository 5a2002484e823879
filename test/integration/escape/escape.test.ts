// Crafted rootfs layouts that try to make tsrun create, write or mount
// something outside the rootfs. Each proves the host canary (listing, modes,
// hashes) and the host mount table are unchanged afterwards, and where tsrun
// refuses, that it says why and names the config field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rootSkip } from '../../helpers/tsrun.js';
import { scenario, type Scenario } from './helpers.js';

function assertHostUnchanged(s: Scenario): void {
  const h = s.hostUnchanged();
  assert.equal(h.canaryAfter, h.canaryBefore, 'the host canary directory is unchanged');
  assert.equal(h.mountsAfter, h.mountsBefore, 'the host mount table is unchanged');
}

/** A relative link from `from` (a path inside the rootfs) climbing to the host path `to`. */
function climb(rootfs: string, from: string, to: string): string {
  const depth = relative(rootfs, from).split('/').length - 1;
  return `${'../'.repeat(depth + 12)}${to.replace(/^\//, '')}`;
}

test('escape: a mount destination through a symlink to / lands inside the rootfs', { skip: rootSkip }, () => {
  const s = scenario(
    (c) => `grep " ${c.path}/mnt " /proc/self/mountinfo`,
    (rootfs) => symlinkSync('/', join(rootfs, 'escape')),
    (spec, c) => {
      spec.mounts!.push({ destination: `/escape${c.path}/mnt`, type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  );
  try {
    // the container sees its mount where the link resolves inside its own root
    const res = s.run('e1');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, / - tmpfs /, 'the container sees a tmpfs at the resolved path');
    assert.ok(lstatSync(join(s.rootfs, s.canary.path, 'mnt')).isDirectory(), 'the mountpoint was made inside the rootfs');
    assert.ok(!existsSync(join(s.canary.path, 'mnt')), 'no mountpoint on the host');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e1');
  }
});

test('escape: a mount destination through an absolute symlink to a host directory (an /etc) stays inside', { skip: rootSkip }, () => {
  const s = scenario(
    'cat /etc2/passwd 2>/dev/null; echo done',
    (rootfs, c) => symlinkSync(join(c.path, 'etc'), join(rootfs, 'etc2')),
    (spec, c) => {
      spec.mounts!.push({ destination: '/etc2', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      spec.mounts!.push({ destination: '/etc2/passwd', type: 'bind', source: c.file, options: ['bind', 'ro'] });
    },
  );
  try {
    const res = s.run('e2');
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(join(s.rootfs, s.canary.path, 'etc')), 'the link target was made inside the rootfs');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e2');
  }
});

test('escape: a mount destination through a `..` symlink chain cannot climb out', { skip: rootSkip }, () => {
  const s = scenario(
    'echo ok',
    (rootfs, c) => {
      mkdirSync(join(rootfs, 'a/b'), { recursive: true });
      symlinkSync(climb(rootfs, join(rootfs, 'a/b/up'), c.path), join(rootfs, 'a/b/up'));
    },
    (spec) => {
      spec.mounts!.push({ destination: '/a/b/up/mnt', type: 'tmpfs', source: 'tmpfs', options: [] });
      // and a destination that is itself full of `..`
      spec.mounts!.push({ destination: '/../../../../../../tmp/../a/../../x', type: 'tmpfs', source: 'tmpfs', options: [] });
    },
  );
  try {
    const res = s.run('e3');
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(join(s.rootfs, s.canary.path, 'mnt')), 'the climb ended at the rootfs top');
    assert.ok(existsSync(join(s.rootfs, 'x')), 'a `..`-laden destination is clamped to the root');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e3');
  }
});

test('escape: a symlink loop in a mount destination is refused with ELOOP and the mount named', { skip: rootSkip }, () => {
  const s = scenario(
    'echo never',
    (rootfs) => {
      symlinkSync('loop2', join(rootfs, 'loop1'));
      symlinkSync('loop1', join(rootfs, 'loop2'));
    },
    (spec) => spec.mounts!.push({ destination: '/loop1/x', type: 'tmpfs', source: 'tmpfs', options: [] }),
  );
  try {
    const n = s.bundle.config.mounts!.length - 1;
    const res = s.run('e4');
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`config\\.json: /mounts/${n}: .*destination /loop1/x.*too many (levels of )?symbolic links`, 'i'));
    assert.equal(s.root.state('e4'), null, 'no container is left');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e4');
  }
});

test('escape: /proc as a symlink (to a host directory) is refused: procfs needs a real directory', { skip: rootSkip }, () => {
  const s = scenario(
    'echo never',
    (rootfs, c) => {
      renameSync(join(rootfs, 'proc'), join(rootfs, 'proc.orig'));
      symlinkSync(c.path, join(rootfs, 'proc'));
    },
    () => {},
  );
  try {
    const i = s.bundle.config.mounts!.findIndex((m) => m.destination === '/proc');
    const res = s.run('e5');
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`/mounts/${i}: .*destination /proc: filesystem \\\\"proc\\\\" must be mounted on ordinary directory`));
    assert.ok(!existsSync(join(s.rootfs, s.canary.path)), 'not even the link target was made');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e5');
  }
});

test('escape: /sys as a relative symlink climbing out is refused: sysfs needs a real directory', { skip: rootSkip }, () => {
  const s = scenario(
    'echo never',
    (rootfs, c) => {
      renameSync(join(rootfs, 'sys'), join(rootfs, 'sys.orig'));
      symlinkSync(climb(rootfs, join(rootfs, 'sys'), c.path), join(rootfs, 'sys'));
    },
    (spec) => {
      if (!spec.mounts!.some((m) => m.destination === '/sys')) {
        spec.mounts!.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
      }
    },
  );
  try {
    const i = s.bundle.config.mounts!.findIndex((m) => m.destination === '/sys');
    const res = s.run('e6');
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`/mounts/${i}: .*destination /sys: filesystem \\\\"sysfs\\\\" must be mounted on ordinary directory`));
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e6');
  }
});

test('escape: /dev/null covered by a regular file before masking is refused (CVE-2025-31133)', { skip: rootSkip }, () => {
  const s = scenario(
    'echo never',
    (rootfs) => writeFileSync(join(rootfs, 'fake-null'), 'not null\n'),
    (spec) => {
      spec.mounts!.push({ destination: '/dev/null', type: 'bind', source: 'rootfs/fake-null', options: ['bind'] });
      spec.linux!.maskedPaths = ['/etc/hostname'];
    },
  );
  try {
    const res = s.run('e7');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /config\.json: \/linux\/maskedPaths\/0: .*\/dev\/null is not the null device/);
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e7');
  }
});

test('escape: a rootfs /dev/null that is a symlink to a host file is refused, never followed', { skip: rootSkip }, () => {
  const s = scenario(
    'ls -l /dev/null; echo data > /dev/null; cat /etc/hostname | wc -c',
    (rootfs, c) => symlinkSync(c.file, join(rootfs, 'dev/null')),
    (spec) => {
      // no /dev tmpfs: the rootfs's own /dev (with the planted link) is used
      spec.mounts = spec.mounts!.filter((m) => !m.destination.startsWith('/dev'));
      spec.linux!.maskedPaths = ['/etc/hostname'];
    },
  );
  try {
    const res = s.run('e8');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /device \/dev\/null: the path exists and is not the requested device: file exists/);
    assert.equal(readFileSync(s.canary.file, 'utf8'), 'host secret\n');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e8');
  }
});

test('escape: a masked path and a read-only path that are symlinks to host files hide nothing of the host', { skip: rootSkip }, () => {
  const s = scenario(
    'cat /secret 2>&1; echo x > /rodir/f 2>/dev/null && echo wrote || echo ro; touch /rwdir && echo rw-ok',
    (rootfs, c) => {
      symlinkSync(c.file, join(rootfs, 'secret'));
      symlinkSync(join(c.path, 'etc'), join(rootfs, 'rodir'));
      mkdirSync(join(rootfs, c.path, 'etc'), { recursive: true });
    },
    (spec) => {
      spec.linux!.maskedPaths = ['/secret'];
      spec.linux!.readonlyPaths = ['/rodir'];
      spec.root!.readonly = false;
    },
  );
  try {
    const res = s.run('e9');
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /host secret/);
    assert.match(res.stdout, /\bro\b/, 'the read-only path (resolved in the root) refuses writes');
    assert.match(res.stdout, /rw-ok/, 'the rest of the root is writable: the refusal came from the read-only path');
    assert.match(res.stdout, /can't open '\/secret': No such file or directory/, 'the masked link resolves inside the root, where nothing is (skipped)');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e9');
  }
});

test('escape: a device path through a symlink to a host directory is made inside the rootfs', { skip: rootSkip }, () => {
  const s = scenario(
    'ls -l /devlink/evil-null',
    (rootfs, c) => symlinkSync(c.path, join(rootfs, 'devlink')),
    (spec) => {
      spec.linux!.devices = [{ path: '/devlink/evil-null', type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
    },
  );
  try {
    const res = s.run('e10');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^c.* 1, +3 /m);
    assert.ok(lstatSync(join(s.rootfs, s.canary.path, 'evil-null')).isCharacterDevice(), 'the node is inside the rootfs');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e10');
  }
});

test('escape: a cwd that is a symlink out of the root is made and entered inside the root', { skip: rootSkip }, () => {
  const s = scenario(
    'pwd; touch here',
    (rootfs, c) => symlinkSync(c.path, join(rootfs, 'work')),
    (spec) => {
      spec.process!.cwd = '/work/sub';
      spec.root!.readonly = false;
    },
  );
  try {
    const res = s.run('e11');
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(join(s.rootfs, s.canary.path, 'sub', 'here')), 'the cwd was made and written inside the rootfs');
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e11');
  }
});

test('escape: a bind destination whose parent is swapped between a directory and a symlink while create runs', { skip: rootSkip }, async () => {
  const s = scenario(
    'true',
    (rootfs, c) => {
      mkdirSync(join(rootfs, 'race'));
      symlinkSync(c.path, join(rootfs, 'race.link'));
    },
    (spec, c) => {
      spec.mounts!.push({ destination: '/race/mnt', type: 'bind', source: join(c.path, '..'), options: ['bind'] });
      spec.mounts!.push({ destination: '/race/tmpfs', type: 'tmpfs', source: 'tmpfs', options: [] });
    },
  );
  // A swapper of our own: rename(2) the directory and the link back and forth
  // (rename never follows a link; mv(1) would move into the link's target).
  const swap = `const fs = require('fs'); process.chdir(process.argv[1]);
    const mv = (a, b) => { try { fs.renameSync(a, b); } catch {} };
    for (;;) { mv('race', 'race.dir'); mv('race.link', 'race'); mv('race', 'race.link'); mv('race.dir', 'race'); }`;
  const swapper = spawn(process.execPath, ['-e', swap, s.rootfs], { stdio: 'ignore' });
  try {
    // Each run either works (the mount landed inside the rootfs, wherever the
    // swap left it) or is refused naming its mount; both are fine, leaking is not.
    for (let i = 0; i < 15; i++) {
      const res = s.run(`race${i}`);
      s.root.ts(['delete', '--force', `race${i}`]);
      if (res.code !== 0) assert.match(res.stderr, /config\.json: \/mounts\/\d+: /, `a refusal names its mount: ${res.stderr}`);
    }
  } finally {
    swapper.kill('SIGKILL');
    await new Promise((r) => (swapper.exitCode !== null || swapper.signalCode !== null ? r(null) : swapper.once('exit', r)));
  }
  try {
    assertHostUnchanged(s);
    assert.ok(!existsSync(join(s.canary.path, 'mnt')) && !existsSync(join(s.canary.path, 'tmpfs')), 'nothing was made in the host canary');
  } finally {
    s.cleanup();
  }
});

test('escape: a mount destination under /proc other than the lxcfs files is refused before anything runs', { skip: rootSkip }, () => {
  const s = scenario('echo never', () => {}, (spec, c) => {
    spec.mounts!.push({ destination: '/proc/sys/kernel/core_pattern', type: 'bind', source: c.file, options: ['bind'] });
  });
  try {
    const n = s.bundle.config.mounts!.length - 1;
    const res = s.run('e13');
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`config\\.json: /mounts/${n}/destination: \\\\?"/proc/sys/kernel/core_pattern\\\\?" cannot be mounted because it is inside /proc`));
    assertHostUnchanged(s);
  } finally {
    s.cleanup('e13');
  }
});
