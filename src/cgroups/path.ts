// linux.cgroupsPath, resolved as runc's cgroupfs driver does:
//   "/a/b"  absolute: /a/b below the root of every hierarchy
//   "a/b"   relative: below the cgroup the runtime itself is in (per hierarchy)
//   ""      default: relative "<container id>"
// Paths are cleaned lexically, and a relative one is cleaned as if rooted, so
// "../../x" can never climb out of the runtime's cgroup.
import { posix } from 'node:path';
import { type CgroupMount, type Host, dirOf } from './layout.js';

export interface InnerPath {
  absolute: boolean;
  /** "/a/b" when absolute, "a/b" when relative; never contains "..". */
  path: string;
}

export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string): InnerPath {
  const raw = cgroupsPath ?? '';
  if (raw === '') return { absolute: false, path: cleanRelative(id) };
  if (raw.startsWith('/')) return { absolute: true, path: posix.normalize(raw).replace(/\/+$/, '') || '/' };
  return { absolute: false, path: cleanRelative(raw) };
}

function cleanRelative(p: string): string {
  return posix.relative('/', posix.resolve('/', p));
}

/** The directory of this cgroup in one hierarchy. */
export function cgroupDir(host: Host, mount: CgroupMount, subsystem: string, inner: InnerPath): string {
  if (inner.absolute) return posix.join(host.fsRoot + mount.mountPoint, inner.path);
  const own = host.self.get(subsystem) ?? '/';
  return posix.join(dirOf(mount, own, host.fsRoot), inner.path);
}
