// Matrix entries for config.md's mounts, rootfsPropagation and masked/read-only paths.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../lib/expect.mjs';

/** @typedef {import('./index.mjs').Entry} Entry */

const bind = (source, destination, ...options) => ({ destination, type: 'bind', source, options: ['bind', ...options] });
const rbind = (source, destination, ...options) => ({ destination, type: 'bind', source, options: ['rbind', ...options] });

/** A source directory with one file and a tmpfs submount at sub/. */
function sourceTree(ctx, b, name) {
  const dir = join(b.dir, name);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'file'), `${name}\n`);
  ctx.ws.mount(['-t', 'tmpfs', '-o', 'size=1m', `sub-${name}`], join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'inner'), 'inner\n');
  return dir;
}

/** @param {string} prop */
const rootfsPropagation = (prop) => ({
  name: `rootfs-propagation-${prop}`,
  about: `linux.rootfsPropagation ${prop} (rootfs on a shared mount, so every value is visible)`,
  focus: ['linux.rootfsPropagation'],
  mutate(c) {
    c.linux.rootfsPropagation = prop;
  },
});

/** @type {Entry[]} */
export const entries = [
  {
    name: 'mounts-tmpfs',
    about: 'tmpfs with size, mode, uid, gid and per-mount flags',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    mutate(c) {
      c.mounts.push(
        { destination: '/mnt/t1', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=0700', 'uid=1000', 'gid=1001', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/mnt/t2', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'noatime', 'size=8192k'] },
        { destination: '/mnt/t3', type: 'tmpfs', source: 'tmpfs', options: ['relatime', 'nodiratime', 'mode=1750', 'suid', 'dev', 'exec'] },
        { destination: '/mnt/t4', type: 'tmpfs', source: 'tmpfs', options: ['strictatime', 'rw', 'size=40960'] },
      );
    },
    extra: () => [check('access', 'mounts[/mnt/t2] ro tmpfs: write access fails with EROFS', '/mnt/t2', 'ro')],
  },
  {
    name: 'mounts-bind',
    about: 'bind and rbind of directories and a file, with flags',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    prepare(ctx) {
      const b = ctx.bundle;
      ctx.state.tree = sourceTree(ctx, b, 'src');
      writeFileSync(join(b.dir, 'a-file'), 'file-bind-content\n');
    },
    mutate(c, ctx) {
      const t = ctx.state.tree;
      c.mounts.push(
        bind(t, '/mnt/bind'),
        rbind(t, '/mnt/rbind'),
        bind(t, '/mnt/bind-ro', 'ro'),
        bind(t, '/mnt/bind-flags', 'nosuid', 'nodev', 'noexec'),
        bind(join(ctx.bundle.dir, 'a-file'), '/mnt/a-file', 'ro'),
      );
    },
    extra: () => [
      check('mnt', 'mounts[/mnt/bind] bind: not recursive (source submount absent)', '/mnt/bind/sub', 'absent'),
      check('mnt', 'mounts[/mnt/rbind] rbind: recursive (source submount present)', '/mnt/rbind/sub', 'exists'),
      check('file', 'mounts[/mnt/rbind] rbind: submount content visible', '/mnt/rbind/sub/inner', 'inner'),
      check('access', 'mounts[/mnt/bind-ro] bind ro: write access fails with EROFS', '/mnt/bind-ro', 'ro'),
      check('file', 'mounts[/mnt/a-file] file bind: content of the source file', '/mnt/a-file', 'file-bind-content'),
    ],
  },
  {
    name: 'mounts-flags-extra',
    about: 'superblock flags sync, dirsync and lazytime on a tmpfs',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    mutate(c) {
      c.mounts.push({ destination: '/mnt/flags', type: 'tmpfs', source: 'tmpfs', options: ['sync', 'dirsync', 'lazytime'] });
    },
  },
  {
    name: 'mounts-nosymfollow',
    about: 'nosymfollow (kernel 5.10) on a tmpfs',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    mutate(c) {
      c.mounts.push({ destination: '/mnt/nosymfollow', type: 'tmpfs', source: 'tmpfs', options: ['nosymfollow'] });
    },
  },
  {
    name: 'mounts-recursive-attrs',
    about: 'rbind with recursive rnosuid, rnodev, rnoexec, rnoatime: the submount gets them too',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    prepare(ctx) {
      ctx.state.tree = sourceTree(ctx, ctx.bundle, 'src');
    },
    mutate(c, ctx) {
      c.mounts.push(rbind(ctx.state.tree, '/mnt/rec', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime'));
    },
    extra: () => ['nosuid', 'nodev', 'noexec', 'noatime'].map((o) =>
      check('mnt', `mounts[6] /mnt/rec r${o}: the submount has ${o} too`, '/mnt/rec/sub', 'opt', o)),
  },
  {
    name: 'mounts-idmap',
    about: 'an idmapped bind (mount uidMappings/gidMappings, option idmap) in a user namespace with the same mapping',
    focus: ['linux.namespaces[user]'],
    prepare(ctx) {
      const dir = join(ctx.bundle.dir, 'idmap-src');
      mkdirSync(dir);
      writeFileSync(join(dir, 'owned-by-root'), 'x\n');
    },
    mutate(c, ctx) {
      const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = map;
      c.linux.gidMappings = map;
      c.mounts.push({ destination: '/mnt/idmap', type: 'bind', source: join(ctx.bundle.dir, 'idmap-src'), options: ['rbind', 'idmap'], uidMappings: map, gidMappings: map });
    },
    // on disk 0:0; through the idmapped mount the container sees 0:0 (without it: the overflow id 65534)
    extra: () => [
      check('node', 'mounts[6] /mnt/idmap uidMappings/gidMappings: a file owned by 0:0 on disk shows as 0:0 in the container', '/mnt/idmap/owned-by-root', 'nofollow', 'owner=0:0'),
      check('mnt', 'mounts[6] /mnt/idmap option idmap: mount is idmapped (mountinfo idmapped)', '/mnt/idmap', 'opt', 'idmapped'),
    ],
  },
  {
    name: 'mounts-rro',
    about: 'recursive read-only bind (rro): the submount is read-only too',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    prepare(ctx) {
      ctx.state.tree = sourceTree(ctx, ctx.bundle, 'src');
    },
    mutate(c, ctx) {
      c.mounts.push(rbind(ctx.state.tree, '/mnt/rro', 'rro'));
    },
    extra: () => [
      check('access', 'mounts[/mnt/rro] rro: the bind itself is read-only', '/mnt/rro', 'ro'),
      check('access', 'mounts[/mnt/rro] rro: the submount is read-only too', '/mnt/rro/sub', 'ro'),
    ],
  },
  {
    name: 'mounts-propagation',
    about: 'bind propagation flags (sources on a shared host mount)',
    focus: [/^mounts\[([6-9]|\d\d)\]/],
    prepare(ctx) {
      for (const p of ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable']) {
        mkdirSync(join(ctx.bundle.dir, `p-${p}`));
      }
    },
    mutate(c, ctx) {
      for (const p of ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable']) {
        c.mounts.push((p.startsWith('r') ? rbind : bind)(join(ctx.bundle.dir, `p-${p}`), `/mnt/p-${p}`, p));
      }
    },
  },
  rootfsPropagation('shared'),
  rootfsPropagation('slave'),
  rootfsPropagation('private'),
  rootfsPropagation('unbindable'),
  {
    name: 'mounts-special',
    about: 'a cgroup mount (read-only) and sysfs read-write',
    focus: [/^mounts\[[56]\]/],
    mutate(c) {
      c.mounts = c.mounts.filter((m) => m.type !== 'sysfs');
      c.mounts.push(
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      );
    },
    extra: () => [check('access', 'mounts[5] /sys without ro: sysfs writable (no EROFS)', '/sys/kernel', 'rw')],
  },
  {
    name: 'mounts-proc-elsewhere',
    about: 'a second proc mount outside /proc',
    focus: [/^mounts\[6\]/],
    mutate(c) {
      c.mounts.push({ destination: '/mnt/proc2', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
    },
  },
  {
    name: 'paths-masked-readonly',
    about: 'maskedPaths and readonlyPaths on files and directories of the rootfs',
    focus: ['linux.maskedPaths', 'linux.readonlyPaths'],
    setup(b) {
      writeFileSync(join(b.rootfs, 'masked-file'), 'secret\n');
      mkdirSync(join(b.rootfs, 'masked-dir'));
      writeFileSync(join(b.rootfs, 'masked-dir', 'inside'), 'secret\n');
      mkdirSync(join(b.rootfs, 'ro-dir'));
      writeFileSync(join(b.rootfs, 'ro-file'), 'x\n');
    },
    mutate(c) {
      c.root.readonly = false;
      c.linux.maskedPaths = ['/masked-file', '/masked-dir'];
      c.linux.readonlyPaths = ['/ro-dir', '/ro-file'];
    },
  },
];
