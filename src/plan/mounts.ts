// The container's filesystem: config mounts in order, /dev's default nodes
// and links, the pivot, a read-only root, masked and read-only paths.
import { isAbsolute, join, normalize as normalizePosix } from 'node:path/posix';
import { TsrunError } from '../errors.js';
import type { LinuxDevice, LinuxIDMapping, Mount, Spec } from '../spec/types.js';
import type { CgroupBind } from './context.js';
import { MKDIR, MOUNT_FLAGS, MOUNT_OPT_BIND, MOUNT_OPT_HOST_SOURCE, MOUNT_OPT_PROC_SOURCE, MS, PROPAGATION, S_IFBLK, S_IFCHR, S_IFIFO } from './linux.js';
import { op, type PlanOp } from './types.js';

export interface ParsedOptions {
  flags: number;
  propagation: number;
  data: string[];
  bind: boolean;
  /** MOUNT_ATTR_* bits the recursive options (rro, rnosuid, ...) set and clear, for mount_setattr(AT_RECURSIVE). */
  attrSet: number;
  attrClr: number;
}

/** linux/mount.h MOUNT_ATTR_* */
export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, ATIME_MASK: 0x70, RELATIME: 0, NOATIME: 0x10,
  STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

/**
 * The recursive mount options: each sets or clears one attribute on the
 * mount and every submount. The atime family replaces the whole atime mode,
 * so those also clear the mask.
 */
const RECURSIVE_ATTRS: Record<string, { set?: number; clr?: number }> = {
  rro: { set: MOUNT_ATTR.RDONLY },
  rrw: { clr: MOUNT_ATTR.RDONLY },
  rnosuid: { set: MOUNT_ATTR.NOSUID },
  rsuid: { clr: MOUNT_ATTR.NOSUID },
  rnodev: { set: MOUNT_ATTR.NODEV },
  rdev: { clr: MOUNT_ATTR.NODEV },
  rnoexec: { set: MOUNT_ATTR.NOEXEC },
  rexec: { clr: MOUNT_ATTR.NOEXEC },
  rnodiratime: { set: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clr: MOUNT_ATTR.NODIRATIME },
  rnoatime: { set: MOUNT_ATTR.NOATIME, clr: MOUNT_ATTR.ATIME_MASK },
  ratime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  rrelatime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  rstrictatime: { set: MOUNT_ATTR.STRICTATIME, clr: MOUNT_ATTR.ATIME_MASK },
  rnosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clr: MOUNT_ATTR.NOSYMFOLLOW },
  // relatime is the zero atime mode: clearing it, or strictatime, means relatime
  rnorelatime: { clr: MOUNT_ATTR.ATIME_MASK },
  rnostrictatime: { clr: MOUNT_ATTR.ATIME_MASK },
};

/** Options that are neither flags nor fs data. */
const IDMAP_OPTIONS = new Set(['idmap', 'ridmap']);

/** native/exec/rootfs.c MOUNT_OPT_TMPCOPYUP: the tmpfs starts with a copy of the directory it covers. */
const MOUNT_OPT_TMPCOPYUP = 2;

/** Split mount options into flags, propagation and fs data, as runc's parseMountOptions. */
export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0;
  let propagation = 0;
  let attrSet = 0;
  let attrClr = 0;
  const data: string[] = [];
  for (const o of options) {
    const r = RECURSIVE_ATTRS[o];
    if (r) {
      // A later option wins over an earlier one for the same attribute.
      const bits = (r.set ?? 0) | (r.clr ?? 0);
      attrSet = (attrSet & ~bits) | (r.set ?? 0);
      attrClr = (attrClr & ~bits) | (r.clr ?? 0);
      continue;
    }
    if (o === 'symfollow') {
      flags &= ~MS.NOSYMFOLLOW;
      continue;
    }
    if (IDMAP_OPTIONS.has(o) || o === 'tmpcopyup') continue;
    const f = MOUNT_FLAGS[o];
    if (f) {
      flags = f.clear ? flags & ~f.flag : flags | f.flag;
      continue;
    }
    const p = PROPAGATION[o];
    if (p !== undefined) {
      propagation |= p;
      continue;
    }
    data.push(o);
  }
  return { flags, propagation, data, bind: (flags & MS.BIND) !== 0, attrSet, attrClr };
}

/** A container path as the executor and the comparisons here want it: no `.`, `..` or trailing slash. */
function normalize(p: string): string {
  const n = normalizePosix(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** The default device nodes of every container (runc's AllowedDevices). */
export const DEFAULT_DEVICES: Array<{ path: string; major: number; minor: number }> = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/tty', major: 5, minor: 0 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/random', major: 1, minor: 8 },
];

const DEV_LINKS: Array<[string, string]> = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

function deviceType(d: LinuxDevice): number {
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;
  }
}

function mapText(maps: LinuxIDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

export interface MountContext {
  bundle: string;
  rootfs: string;
  newUser: boolean;
  /** The container's user namespace mappings, for idmap options without mappings of their own. */
  userMappings?: { uid?: LinuxIDMapping[]; gid?: LinuxIDMapping[] };
  cgroupBinds?: CgroupBind[];
  /**
   * Bind sources are opened by stage 0 with the runtime's credentials (op
   * mount_sources), as runc does for a new user namespace: its root may not
   * be able to reach a source the runtime can (a 0700 directory on the way).
   */
  hostSources?: boolean;
  cgroupV2?: boolean;
  /** In a user namespace (new or joined) without a cgroup namespace of its own: cgroup2 cannot be mounted. */
  cgroup2NeedsBind?: boolean;
  /** false: the host has no /proc/kcore (a kernel without CONFIG_PROC_KCORE), so no /dev/core link to it. */
  hostKcore?: boolean;
}

/** The host's cgroup2 mount, bound in where a cgroup2 mount would be refused. */
const CGROUP2_MOUNTPOINT = '/sys/fs/cgroup';

/**
 * Files under /proc a bind may cover (what lxcfs provides); anything else
 * there could hide or fake the kernel's own controls from the container.
 */
const PROC_BIND_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

/**
 * A mount at or below /proc is a procfs on /proc itself, a bind of a procfs
 * onto /proc (true: the executor checks the source is one, as runc's
 * checkProcMount does with statfs), or a bind onto an allowed file.
 */
function checkProcDestination(dest: string, type: string, bind: boolean, field: string): boolean {
  if (dest !== '/proc' && !dest.startsWith('/proc/')) return false;
  if (dest === '/proc') {
    if (bind) return true;
    if (type === 'proc') return false;
    throw new TsrunError(`${JSON.stringify(dest)} cannot be mounted because it is not of type proc`, { field: `${field}/type`, file: 'config.json' });
  }
  if (bind && PROC_BIND_ALLOWED.has(dest)) return false;
  throw new TsrunError(`${JSON.stringify(dest)} cannot be mounted because it is inside /proc`, { field: `${field}/destination`, file: 'config.json' });
}

/**
 * A tmpfs, and whatever is mounted on /dev, is made writable and remounted
 * read-only after the pivot (the op planAfterPivot adds): /dev gets its
 * nodes, links and submounts first, as runc's finalizeRootfs does.
 */
function readonlyLater(m: Mount, bind: boolean, target: string, flags: number): boolean {
  return (flags & MS.RDONLY) !== 0 && !bind && (m.type === 'tmpfs' || target === '/dev');
}

function mountOps(m: Mount, i: number, ctx: MountContext): PlanOp[] {
  const field = `/mounts/${i}`;
  if (!isAbsolute(m.destination)) {
    throw new TsrunError(`mount destination ${JSON.stringify(m.destination)} is not absolute`, { field: `${field}/destination`, file: 'config.json' });
  }
  const o = parseMountOptions(m.options);
  const type = m.type ?? '';
  const bind = o.bind || type === 'bind';
  const target = normalize(m.destination);
  const procSource = checkProcDestination(target, type, bind, field);
  let source = m.source ?? '';
  if (bind && source && !isAbsolute(source)) source = join(ctx.bundle, source);
  const idmapOpt = m.options?.find((x) => IDMAP_OPTIONS.has(x));
  if (m.uidMappings || m.gidMappings || idmapOpt) {
    if (!bind) {
      throw new TsrunError('an idmapped mount must be a bind mount (options bind or rbind)', { field: `${field}/options`, file: 'config.json' });
    }
    // Without mappings of its own, the mount takes the container's.
    const uid = m.uidMappings ?? ctx.userMappings?.uid;
    const gid = m.gidMappings ?? ctx.userMappings?.gid;
    if (!uid?.length || !gid?.length) {
      throw new TsrunError('an idmapped mount needs uidMappings and gidMappings (on the mount or the container)', { field, file: 'config.json' });
    }
    const idmapOp = op('mount_idmap', {
      source, target, recursive: idmapOpt === 'ridmap' || (o.flags & MS.REC) !== 0 ? 1 : 0,
      uid_map: mapText(uid), gid_map: mapText(gid), flags: o.flags & ~(MS.BIND | MS.REC), mkdir: MKDIR.auto,
    }, field);
    const attrOps = o.attrSet || o.attrClr ? [op('mount_attr', { target, attr_set: o.attrSet, attr_clr: o.attrClr }, field)] : [];
    return [idmapOp, ...attrOps];
  }
  const attrs = o.attrSet || o.attrClr ? [op('mount_attr', { target, attr_set: o.attrSet, attr_clr: o.attrClr }, field)] : [];
  if (type === 'cgroup' && ctx.cgroupBinds) {
    return [op('cgroup_v1_binds', {
      target: normalize(m.destination),
      flags: o.flags,
      sources: ctx.cgroupBinds.map((b) => b.source),
      names: ctx.cgroupBinds.map((b) => b.name),
    }, field), ...attrs];
  }
  if (type === 'cgroup' && ctx.cgroupV2) {
    // Pure v2 has no `cgroup` (v1) hierarchies to mount: runc mounts cgroup2
    // there. The kernel refuses that (EPERM) in a user namespace whose cgroup
    // namespace is the host's; runc then binds the host's /sys/fs/cgroup,
    // which we do up front.
    if (ctx.cgroup2NeedsBind) {
      return [op('mount', {
        source: CGROUP2_MOUNTPOINT, target, fstype: '', flags: o.flags | MS.BIND, data: '', propagation: o.propagation,
        mkdir: MKDIR.auto, options: MOUNT_OPT_BIND,
      }, field), ...attrs];
    }
    return [op('mount', {
      source: source || 'cgroup', target, fstype: 'cgroup2', flags: o.flags, data: o.data.join(','), propagation: o.propagation,
      mkdir: MKDIR.dir, options: 0,
    }, field), ...attrs];
  }
  const bindOptions = MOUNT_OPT_BIND | (ctx.hostSources ? MOUNT_OPT_HOST_SOURCE : 0) | (procSource ? MOUNT_OPT_PROC_SOURCE : 0);
  return [op('mount', {
    source: source || type || 'none',
    target,
    fstype: bind ? '' : type,
    flags: bind ? o.flags | MS.BIND : readonlyLater(m, bind, target, o.flags) ? o.flags & ~MS.RDONLY : o.flags,
    data: o.data.join(','),
    propagation: o.propagation,
    mkdir: bind ? MKDIR.auto : MKDIR.dir,
    options: bind ? bindOptions : type === 'tmpfs' && m.options?.includes('tmpcopyup') ? MOUNT_OPT_TMPCOPYUP : 0,
  }, field), ...attrs];
}

/** Ops from the rootfs bind to the pivot (in the new mount namespace, old root still visible). */
export function planRootfs(config: Spec, ctx: MountContext & { noPivot?: boolean; cwd?: string; createContainerHooks: PlanOp[] }): { beforePivot: PlanOp[]; pivot: PlanOp } {
  const ops: PlanOp[] = [];
  const rootProp = config.linux?.rootfsPropagation ? PROPAGATION[config.linux.rootfsPropagation] ?? 0 : 0;
  // runc's order (prepareRoot): the tree takes the asked propagation, rslave
  // when none is asked, so that nothing we mount leaks back to the host; the
  // rootfs op then makes only the mount holding the rootfs private (pivot_root
  // refuses a shared parent) before binding it; each bind then takes its own
  // propagation. Making the tree rslave whatever the config says would turn
  // the copy of a shared host directory into a slave, and an rshared bind of
  // it (what a CSI node plugin mounts through) would no longer reach the host.
  // unbindable is private that may not be bound: the tree takes private, as
  // the rootfs bind must bind from it (runc fails there, EINVAL), and / is
  // made unbindable at the pivot.
  const treeProp = rootProp & MS.UNBINDABLE ? (rootProp & ~MS.UNBINDABLE) | MS.PRIVATE : rootProp;
  ops.push(op('propagation', { target: '/', flags: treeProp || MS.SLAVE | MS.REC }, '/linux/rootfsPropagation'));
  ops.push(op('rootfs', { path: ctx.rootfs }, '/root/path'));
  const mounts = config.mounts ?? [];
  const namespaces = config.linux?.namespaces ?? [];
  const mctx = {
    ...ctx,
    userMappings: ctx.userMappings ?? { uid: config.linux?.uidMappings, gid: config.linux?.gidMappings },
    cgroup2NeedsBind: (ctx.newUser || namespaces.some((n) => n.type === 'user')) && !namespaces.some((n) => n.type === 'cgroup'),
  };
  mounts.forEach((m, i) => ops.push(...mountOps(m, i, mctx)));

  // /dev gets the default nodes unless the host's /dev is bound in.
  // A joined user namespace forbids mknod just as a new one does.
  const inUserNs = ctx.newUser || (config.linux?.namespaces ?? []).some((n) => n.type === 'user');
  const devBound = mounts.some((m) => normalize(m.destination) === '/dev' && (m.type === 'bind' || parseMountOptions(m.options).bind));
  if (!devBound) {
    // a device the config gives or mounts over itself is not made here
    const configured = new Set([...(config.linux?.devices ?? []).map((d) => normalize(d.path)), ...mounts.map((m) => normalize(m.destination))]);
    for (const d of DEFAULT_DEVICES) {
      if (configured.has(d.path)) continue;
      ops.push(op('mknod', { path: d.path, type: S_IFCHR, major: d.major, minor: d.minor, mode: 0o666, uid: 0, gid: 0, bind_fallback: 1 }, undefined));
    }
  }
  (config.linux?.devices ?? []).forEach((d, i) => {
    ops.push(op('mknod', {
      path: normalize(d.path), type: deviceType(d), major: d.major ?? 0, minor: d.minor ?? 0,
      mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0, bind_fallback: inUserNs ? 1 : 0,
    }, `/linux/devices/${i}`));
  });
  if (!devBound) {
    for (const [target, path] of DEV_LINKS) ops.push(op('symlink', { target, path }, undefined));
    if (ctx.hostKcore !== false && mounts.some((m) => normalize(m.destination) === '/proc')) ops.push(op('symlink', { target: '/proc/kcore', path: '/dev/core' }, undefined));
    const pts = mounts.some((m) => normalize(m.destination) === '/dev/pts');
    if (pts) ops.push(op('symlink', { target: 'pts/ptmx', path: '/dev/ptmx' }, undefined));
  }
  if (ctx.cwd && normalize(ctx.cwd) !== '/') ops.push(op('mkdir', { path: ctx.cwd, mode: 0o755 }, '/process/cwd'));
  ops.push(...ctx.createContainerHooks);
  // After the pivot the container's / (the rootfs bind, private by now) gets
  // the asked propagation itself, as the spec says; not its submounts: a
  // recursive flag there would override each bind's own.
  const pivot = op('pivot_root', { no_pivot: ctx.noPivot ? 1 : 0, propagation: rootProp & ~MS.REC }, '/root/path');
  return { beforePivot: ops, pivot };
}

/**
 * After the pivot (and the console): the mounts made writable to be filled
 * (readonlyLater) and the root go read-only, then read-only and masked paths.
 */
export function planAfterPivot(config: Spec): { readonlyMounts: PlanOp[]; readonlyRoot: PlanOp[]; paths: PlanOp[] } {
  const readonlyMounts: PlanOp[] = [];
  (config.mounts ?? []).forEach((m, i) => {
    const o = parseMountOptions(m.options);
    const target = normalize(m.destination);
    if (readonlyLater(m, o.bind || m.type === 'bind', target, o.flags)) readonlyMounts.push(op('remount_ro', { path: target }, `/mounts/${i}/options`));
  });
  const readonlyRoot = config.root?.readonly ? [op('remount_ro', { path: '/' }, '/root/readonly')] : [];
  const paths: PlanOp[] = [];
  (config.linux?.readonlyPaths ?? []).forEach((p, i) => paths.push(op('readonly_path', { path: p }, `/linux/readonlyPaths/${i}`)));
  (config.linux?.maskedPaths ?? []).forEach((p, i) => paths.push(op('mask_path', { path: p }, `/linux/maskedPaths/${i}`)));
  return { readonlyMounts, readonlyRoot, paths };
}
