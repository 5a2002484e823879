// Run a busybox script in a container and read back what it saw: the
// container's /proc/self/mountinfo, parsed, and key=value lines.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import type { Spec } from '../../../src/spec/types.js';
import type { Root } from '../lifecycle/helpers.js';

export interface MountLine {
  mountPoint: string;
  /** per-mount options: rw/ro, nosuid, nodev, noexec, atime family, nosymfollow */
  opts: Set<string>;
  /** optional fields: shared:N, master:N, unbindable */
  tags: string[];
  fstype: string;
  source: string;
  /** superblock options */
  superOpts: Set<string>;
}

export function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter((l) => /^\d+ \d+ /.test(l))
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return {
        mountPoint: f[4]!.replace(/\\040/g, ' '),
        opts: new Set(f[5]!.split(',')),
        tags: f.slice(6, sep),
        fstype: f[sep + 1]!,
        source: f[sep + 2]!,
        superOpts: new Set((f[sep + 3] ?? '').split(',')),
      };
    });
}

/** The last (topmost) mount at a mount point. */
export function mountAt(lines: MountLine[], mp: string): MountLine | undefined {
  return lines.filter((m) => m.mountPoint === mp).at(-1);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  bundle: Bundle;
}

/** `tsrun run` the script with a patched config; the bundle is removed before returning. */
export function runIn(r: Root, id: string, script: string, patch: (s: Spec) => void = () => {}, extra: string[] = [], prepare?: (rootfs: string) => void): Ran {
  const b = makeBundle({ args: ['sh', '-c', script], patch });
  chmodSync(b.dir, 0o755);
  try {
    prepare?.(join(b.dir, 'rootfs'));
    const res = r.ts(['run', ...extra, '--bundle', b.dir, id]);
    return { ...res, bundle: b };
  } finally {
    r.ts(['delete', '--force', id]);
    b.remove();
  }
}

/** Split `key=value` lines the scripts print. */
export function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0 && /^[A-Za-z0-9_.-]+$/.test(l.slice(0, i))) o[l.slice(0, i)] = l.slice(i + 1);
  }
  return o;
}

/** The mountinfo part of a script's output (between MI-BEGIN and MI-END). */
export const MOUNTINFO = 'echo MI-BEGIN; cat /proc/self/mountinfo; echo MI-END';
export function mountinfoOf(out: string): MountLine[] {
  const m = /MI-BEGIN\n([\s\S]*?)MI-END/.exec(out);
  return parseMountinfo(m?.[1] ?? '');
}

/**
 * A new user namespace with the container's root mapped to host uid/gid
 * 100000, without the cgroup v1 mount (binding host cgroup directories
 * into a user namespace is a matter of its own).
 */
export function userns(s: Spec): void {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
}
