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

test('linux.rootfsPropagation: shared, (r)slave, (r)private and unbindable on / and on a bind of a shared host dir (the rootfs on a shared host mount)', { skip: requires('root', { binary: 'mount' }, { binary: 'umount' }) }, () => {
  const r = makeRoot();
  try {
    // As under runc, the mount holding the rootfs is made private for
    // pivot_root, so / itself never has a master; slave shows on what the
    // tree brought along: a bind of a shared host dir keeps that dir's peer
    // group as its master under rslave, and loses it under rprivate (the
    // non-recursive slave and private leave it shared, as runc does).
    const shared = (t: string[]) => t.some((x) => x.startsWith('shared:'));
    const master = (t: string[]) => t.some((x) => x.startsWith('master:'));
    const want: Partial<Record<RootfsPropagation, { root: (tags: string[]) => boolean; bind?: (tags: string[]) => boolean }>> = {
      shared: { root: shared },
      slave: { root: (t) => !shared(t) },
      rslave: { root: (t) => !shared(t), bind: (t) => master(t) && !shared(t) },
      private: { root: (t) => t.length === 0 },
      rprivate: { root: (t) => t.length === 0, bind: (t) => t.length === 0 },
      unbindable: { root: (t) => t.includes('unbindable') },
    };
    for (const [prop, ok] of Object.entries(want) as Array<[RootfsPropagation, { root: (tags: string[]) => boolean; bind?: (tags: string[]) => boolean }]>) {
      const b = makeBundle({
        args: ['sh', '-c', MOUNTINFO],
        patch: (s) => {
          s.linux!.rootfsPropagation = prop;
          s.mounts!.push({ destination: '/hostdir', type: 'bind', source: 'hostdir' /* relative to the bundle */, options: ['rbind'] });
        },
      });
      chmodSync(b.dir, 0o755);
      const rootfs = join(b.dir, 'rootfs');
      const hostdir = join(b.dir, 'hostdir');
      mkdirSync(hostdir);
      const mounted: string[] = [];
      try {
        for (const dir of [rootfs, hostdir]) {
          for (const args of [['--bind', dir, dir], ['--make-shared', dir]]) {
            const m = spawnSync('mount', args, { encoding: 'utf8' });
            assert.equal(m.status, 0, m.stderr);
            if (args[0] === '--bind') mounted.push(dir);
          }
        }
        const res = r.ts(['run', '--bundle', b.dir, `prop-${prop}`]);
        assert.equal(res.code, 0, `${prop}: ${res.stderr}`);
        const info = mountinfoOf(res.stdout);
        const tags = mountAt(info, '/')!.tags;
        assert.ok(ok.root(tags), `${prop}: / has ${tags.join(' ') || 'no tags'}`);
        if (ok.bind) {
          const bt = mountAt(info, '/hostdir')!.tags;
          assert.ok(ok.bind(bt), `${prop}: /hostdir has ${bt.join(' ') || 'no tags'}`);
        }
      } finally {
        r.ts(['delete', '--force', `prop-${prop}`]);
        for (const dir of mounted.reverse()) spawnSync('umount', [dir]);
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
