// What criu must be told about the container because it cannot find it in
// the container itself: mounts whose source is outside the rootfs (binds,
// files masked with /dev/null, bind-mounted devices), namespaces the config
// joins by path, and the stdio pipes of the init. Keys are written at dump
// (the name criu stores in its image) and mapped back to host paths at
// restore, as runc does, so a checkpoint moves between the two runtimes.
import { isAbsolute, posix, resolve } from 'node:path';
import type { Mount, Spec } from '../spec/types.js';

export interface ExtMount {
  key: string;
  val: string;
}

/** The file in the image directory that holds the init's stdio (runc's name). */
export const DESCRIPTORS = 'descriptors.json';

function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

const inRoot = (p: string): string => posix.normalize(`/${p}`).replace(/(.)\/+$/, '$1');

/**
 * Dump: every bind mount and device keyed by its path in the container;
 * masked paths that are files (`isFile(path)`: bind-mounted /dev/null) keyed
 * by their path with the value /dev/null.
 */
export function dumpExtMounts(config: Spec, isFile: (path: string) => boolean): ExtMount[] {
  const out: ExtMount[] = [];
  for (const m of config.mounts ?? []) {
    if (isBind(m)) out.push({ key: inRoot(m.destination), val: inRoot(m.destination) });
  }
  for (const p of config.linux?.maskedPaths ?? []) {
    if (isFile(p)) out.push({ key: inRoot(p), val: '/dev/null' });
  }
  for (const d of config.linux?.devices ?? []) out.push({ key: inRoot(d.path), val: inRoot(d.path) });
  return out;
}

/** Restore: the same keys mapped to the host: a bind's source (relative to the bundle), /dev/null, the device's host node. */
export function restoreExtMounts(config: Spec, bundle: string): ExtMount[] {
  const out: ExtMount[] = [];
  for (const m of config.mounts ?? []) {
    if (isBind(m) && m.source) out.push({ key: inRoot(m.destination), val: isAbsolute(m.source) ? m.source : resolve(bundle, m.source) });
  }
  if ((config.linux?.maskedPaths ?? []).length > 0) out.push({ key: '/dev/null', val: '/dev/null' });
  for (const d of config.linux?.devices ?? []) out.push({ key: inRoot(d.path), val: inRoot(d.path) });
  return out;
}

/** criu's key for a namespace the container joined by path (runc's "extRootNetNS"). */
export function nsKey(type: 'network' | 'pid'): string {
  return type === 'network' ? 'extRootNetNS' : 'extRootPidNS';
}

/** criu's name of the namespace kind ("net", "pid"). */
export function criuNsName(type: 'network' | 'pid'): string {
  return type === 'network' ? 'net' : 'pid';
}

/** The namespaces of the config that are joined by path and that criu takes as external (network, pid). */
export function externalNamespaces(config: Spec): Array<{ type: 'network' | 'pid'; path: string }> {
  const out: Array<{ type: 'network' | 'pid'; path: string }> = [];
  for (const ns of config.linux?.namespaces ?? []) {
    if ((ns.type === 'network' || ns.type === 'pid') && ns.path) out.push({ type: ns.type, path: ns.path });
  }
  return out;
}

/**
 * Restore: the init's stdio that were pipes ("pipe:[1234]") are replaced by
 * criu's own fd of the same number, which is ours: the caller's new stdio.
 */
export function inheritStdio(descriptors: unknown): Array<{ key: string; fd: number }> {
  if (!Array.isArray(descriptors)) return [];
  const out: Array<{ key: string; fd: number }> = [];
  descriptors.forEach((d, i) => {
    if (typeof d === 'string' && d.includes('pipe:')) out.push({ key: d, fd: i });
  });
  return out;
}
