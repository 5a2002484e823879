// The root itself: pivot and --no-pivot, root.readonly, rootfsPropagation
// applied to the container's /, a relative root.path; masked and read-only
// paths tried for reading and writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip } from '../../helpers/tsrun.js';
import { requires } from '../../helpers/requires.js';
import { makeRoot } from '../lifecycle/helpers.js';
import type { RootfsPropagation } from '../../../src/spec/types.js';
import { kv, mountAt, mountinfoOf, MOUNTINFO, runIn } from './helpers.js';

const WRITE_ROOT = 'touch /probe 2>/dev/null && echo rootw=yes || echo rootw=no';

test('root.readonly: / is mounted ro and refuses writes; without it / is writable', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    const ro = runIn(r, 'ro', `${MOUNTINFO}; ${WRITE_ROOT}`, (s) => {
      s.root!.readonly = true;
    });
    assert.equal(ro.code, 0, ro.stderr);
    assert.ok(mountAt(mountinfoOf(ro.stdout), '/')!.opts.has('ro'));
    assert.equal(kv(ro.stdout).rootw, 'no');
    const rw = runIn(r, 'rw', `${MOUNTINFO}; ${WRITE_ROOT}`, (s) => {
      s.root!.readonly = false;
    });
    assert.equal(rw.code, 0, rw.stderr);
    assert.ok(mountAt(mountinfoOf(rw.stdout), '/')!.opts.has('rw'));
    assert.equal(kv(rw.stdout).rootw, 'yes');
  } finally {
    r.cleanup();
  }
});

test('--no-pivot: MS_MOVE + chroot gives the same root (read-only too), and the host root is not reachable', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    // r.path is a directory on the host's root only; /rootfs-marker is in the rootfs only
    const look = (p: string) => `[ -e ${p} ] && echo yes || echo no`;
    const script = `${MOUNTINFO}; ${WRITE_ROOT}; echo hostname=$(cat /etc/hostname); echo mine=$(${look('/rootfs-marker')}); echo host=$(${look(r.path)}); cd /../../..; echo up=$(${look('rootfs-marker')}) uphost=$(${look(`.${r.path}`)})`;
    const res = runIn(r, 'nopivot', script, (s) => {
      s.root!.readonly = true;
    }, ['--no-pivot'], (rootfs) => writeFileSync(join(rootfs, 'rootfs-marker'), ''));
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.equal(o.mine, 'yes', 'the container\'s / is the rootfs');
    assert.equal(o.host, 'no', 'the host\'s root is not what / shows');
    assert.equal(o.up, 'yes uphost=no', '.. above / stays in the rootfs');
    assert.equal(o.rootw, 'no');
    assert.equal(o.hostname, 'tsrun');
    const mi = mountinfoOf(res.stdout);
    assert.ok(mi.some((m) => m.mountPoint === '/proc' && m.fstype === 'proc'));
  } finally {
    r.cleanup();
  }
});

test('linux.rootfsPropagation: shared, slave, private and unbindable are what / has after the pivot (the rootfs on a shared host mount)', { skip: requires('root', { binary: 'mount' }, { binary: 'umount' }) }, () => {
  const r = makeRoot();
  try {
    // The rootfs is made a shared mount on the host, so that the container's
    // copy of it has a master: slave keeps it (master:N), private drops it.
    const shared = (t: string[]) => t.some((x) => x.startsWith('shared:'));
    const want: Record<RootfsPropagation, (tags: string[]) => boolean> = {
      shared,
      slave: (t) => t.some((x) => x.startsWith('master:')) && !shared(t),
      private: (t) => t.length === 0,
      unbindable: (t) => t.includes('unbindable'),
    };
    for (const [prop, ok] of Object.entries(want) as Array<[RootfsPropagation, (tags: string[]) => boolean]>) {
      const b = makeBundle({ args: ['sh', '-c', MOUNTINFO], patch: (s) => void (s.linux!.rootfsPropagation = prop) });
      chmodSync(b.dir, 0o755);
      const rootfs = join(b.dir, 'rootfs');
      let mounted = false;
      try {
        for (const args of [['--bind', rootfs, rootfs], ['--make-shared', rootfs]]) {
          const m = spawnSync('mount', args, { encoding: 'utf8' });
          assert.equal(m.status, 0, m.stderr);
          mounted = true;
        }
        const res = r.ts(['run', '--bundle', b.dir, `prop-${prop}`]);
        assert.equal(res.code, 0, `${prop}: ${res.stderr}`);
        const tags = mountAt(mountinfoOf(res.stdout), '/')!.tags;
        assert.ok(ok(tags), `${prop}: / has ${tags.join(' ') || 'no tags'}`);
      } finally {
        r.ts(['delete', '--force', `prop-${prop}`]);
        if (mounted) spawnSync('umount', [rootfs]);
        b.remove();
      }
    }
  } finally {
    r.cleanup();
  }
});

test('root.path: relative to the bundle or absolute', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'echo ok=$(cat /etc/hostname)'], patch: (s) => { s.root!.path = 'other-root'; } });
  try {
    renameSync(join(b.dir, 'rootfs'), join(b.dir, 'other-root'));
    const rel = r.ts(['run', '--bundle', b.dir, 'relroot']);
    assert.equal(rel.code, 0, rel.stderr);
    assert.equal(kv(rel.stdout).ok, 'tsrun');
    r.ts(['delete', '--force', 'relroot']);
    const cfgPath = join(b.dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.root.path = join(b.dir, 'other-root');
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const abs = r.ts(['run', '--bundle', b.dir, 'absroot']);
    assert.equal(abs.code, 0, abs.stderr);
    assert.equal(kv(abs.stdout).ok, 'tsrun');
  } finally {
    r.cleanup('relroot', 'absroot');
    b.remove();
  }
});

test('linux.maskedPaths and readonlyPaths: files read empty, directories are empty and read-only, read-only paths refuse writes, missing ones are skipped', { skip: rootSkip }, () => {
  const r = makeRoot();
  const script = [
    MOUNTINFO,
    'echo hostname_len=$(cat /etc/hostname | wc -c)',
    'echo secret > /etc/hostname; echo after=$(cat /etc/hostname | wc -c)',
    'echo mdir=$(ls -A /mdir | wc -l)',
    'touch /mdir/x 2>/dev/null && echo mdirw=yes || echo mdirw=no',
    'touch /rodir/x 2>/dev/null && echo rodirw=yes || echo rodirw=no',
    'echo rofile=$(cat /rodir/keep)',
    'touch /tmp/x && echo tmpw=yes',
    'echo group_len=$(cat /etc/group | wc -c)',
  ].join('; ');
  try {
    const res = runIn(r, 'paths', script, (s) => {
      s.root!.readonly = false;
      s.linux!.maskedPaths = ['/etc/hostname', '/mdir', '/no/such/masked', '/group-link'];
      s.linux!.readonlyPaths = ['/rodir', '/no/such/ro'];
    }, [], (rootfs) => {
      mkdirSync(join(rootfs, 'mdir'));
      writeFileSync(join(rootfs, 'mdir', 'hidden'), 'hidden\n');
      mkdirSync(join(rootfs, 'rodir'));
      writeFileSync(join(rootfs, 'rodir', 'keep'), 'kept\n');
      // a masked link is followed inside the root: its target is masked
      symlinkSync('/etc/group', join(rootfs, 'group-link'));
    });
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    assert.equal(o.hostname_len, '0', 'a masked file reads as /dev/null');
    assert.equal(o.after, '0', 'writes to it go nowhere');
    assert.equal(o.mdir, '0', 'a masked directory is empty');
    assert.equal(o.mdirw, 'no', 'and read-only');
    assert.equal(o.rodirw, 'no');
    assert.equal(o.rofile, 'kept');
    assert.equal(o.tmpw, 'yes', 'the rest of the root stays writable');
    assert.equal(o.group_len, '0', 'a masked symlink masks its target in the root');
    const mi = mountinfoOf(res.stdout);
    assert.ok(mountAt(mi, '/rodir')!.opts.has('ro'));
    assert.ok(mountAt(mi, '/mdir')!.opts.has('ro'));
    assert.equal(mountAt(mi, '/mdir')!.fstype, 'tmpfs');
  } finally {
    r.cleanup();
  }
});
