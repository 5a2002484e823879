// The container's filesystem: config mounts in order, /dev's default nodes
// and links, the pivot, a read-only root, masked and read-only paths.
import { isAbsolute, join, normalize } from 'node:path/posix';
import { TsrunError } from '../errors.js';
import type { LinuxDevice, Mount, Spec } from '../spec/types.js';
import type { CgroupBind } from './context.js';
import { MKDIR, MOUNT_FLAGS, MOUNT_OPT_BIND, MS, PROPAGATION, S_IFBLK, S_IFCHR, S_IFIFO } from './linux.js';
import { op, type PlanOp } from './types.js';

export interface ParsedOptions {
  flags: number;
  propagation: number;
  data: string[];
  bind: boolean;
}

/** Split mount options into flags, propagation and fs data, as runc's parseMountOptions. */
export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
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
  return { flags, propagation, data, bind: (flags & MS.BIND) !== 0 };
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

export interface MountContext {
  bundle: string;
  rootfs: string;
  newUser: boolean;
  cgroupBinds?: CgroupBind[];
}

function mountOp(m: Mount, i: number, ctx: MountContext): PlanOp {
  const field = `/mounts/${i}`;
  if (!isAbsolute(m.destination)) {
    throw new TsrunError(`mount destination ${JSON.stringify(m.destination)} is not absolute`, { field: `${field}/destination`, file: 'config.json' });
  }
  const o = parseMountOptions(m.options);
  const type = m.type ?? '';
  const bind = o.bind || type === 'bind';
  let source = m.source ?? '';
  if (bind && source && !isAbsolute(source)) source = join(ctx.bundle, source);
  if (type === 'cgroup' && ctx.cgroupBinds) {
    return op('cgroup_v1_binds', {
      target: normalize(m.destination),
      flags: o.flags,
      sources: ctx.cgroupBinds.map((b) => b.source),
      names: ctx.cgroupBinds.map((b) => b.name),
    }, field);
  }
  return op('mount', {
    source: source || type || 'none',
    target: normalize(m.destination),
    fstype: bind ? '' : type,
    flags: bind ? o.flags | MS.BIND : o.flags,
    data: o.data.join(','),
    propagation: o.propagation,
    mkdir: bind ? MKDIR.auto : MKDIR.dir,
    options: bind ? MOUNT_OPT_BIND : 0,
  }, field);
}

/** Ops from the rootfs bind to the pivot (in the new mount namespace, old root still visible). */
export function planRootfs(config: Spec, ctx: MountContext & { noPivot?: boolean; cwd?: string; createContainerHooks: PlanOp[] }): { beforePivot: PlanOp[]; pivot: PlanOp } {
  const ops: PlanOp[] = [];
  const rootProp = config.linux?.rootfsPropagation ? PROPAGATION[config.linux.rootfsPropagation] ?? 0 : 0;
  // Nothing we mount may leak back to the host: slave (or what the config asks) from /.
  ops.push(op('propagation', { target: '/', flags: rootProp && !(rootProp & MS.SHARED) ? rootProp : MS.SLAVE | MS.REC }, '/linux/rootfsPropagation'));
  ops.push(op('rootfs', { path: ctx.rootfs }, '/root/path'));
  const mounts = config.mounts ?? [];
  mounts.forEach((m, i) => ops.push(mountOp(m, i, ctx)));

  // /dev gets the default nodes unless the host's /dev is bound in.
  const devBound = mounts.some((m) => normalize(m.destination) === '/dev' && (m.type === 'bind' || parseMountOptions(m.options).bind));
  if (!devBound) {
    const configured = new Set((config.linux?.devices ?? []).map((d) => normalize(d.path)));
    for (const d of DEFAULT_DEVICES) {
      if (configured.has(d.path)) continue;
      ops.push(op('mknod', { path: d.path, type: S_IFCHR, major: d.major, minor: d.minor, mode: 0o666, uid: 0, gid: 0, bind_fallback: 1 }, undefined));
    }
  }
  (config.linux?.devices ?? []).forEach((d, i) => {
    ops.push(op('mknod', {
      path: normalize(d.path), type: deviceType(d), major: d.major ?? 0, minor: d.minor ?? 0,
      mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0, bind_fallback: ctx.newUser ? 1 : 0,
    }, `/linux/devices/${i}`));
  });
  if (!devBound) {
    for (const [target, path] of DEV_LINKS) ops.push(op('symlink', { target, path }, undefined));
    if (mounts.some((m) => normalize(m.destination) === '/proc')) ops.push(op('symlink', { target: '/proc/kcore', path: '/dev/core' }, undefined));
    const pts = mounts.some((m) => normalize(m.destination) === '/dev/pts');
    if (pts) ops.push(op('symlink', { target: 'pts/ptmx', path: '/dev/ptmx' }, undefined));
  }
  if (ctx.cwd && normalize(ctx.cwd) !== '/') ops.push(op('mkdir', { path: ctx.cwd, mode: 0o755 }, '/process/cwd'));
  ops.push(...ctx.createContainerHooks);
  const pivot = op('pivot_root', { no_pivot: ctx.noPivot ? 1 : 0, propagation: rootProp & MS.SHARED ? rootProp : 0 }, '/root/path');
  return { beforePivot: ops, pivot };
}

/** After the pivot: read-only root, read-only and masked paths. */
export function planAfterPivot(config: Spec): { readonlyRoot: PlanOp[]; paths: PlanOp[] } {
  const readonlyRoot = config.root?.readonly ? [op('remount_ro', { path: '/' }, '/root/readonly')] : [];
  const paths: PlanOp[] = [];
  (config.linux?.readonlyPaths ?? []).forEach((p, i) => paths.push(op('readonly_path', { path: p }, `/linux/readonlyPaths/${i}`)));
  (config.linux?.maskedPaths ?? []).forEach((p, i) => paths.push(op('mask_path', { path: p }, `/linux/maskedPaths/${i}`)));
  return { readonlyRoot, paths };
}
