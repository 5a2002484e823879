// Controllers on cgroup v2 must be enabled in cgroup.subtree_control of
// every ancestor before a child sees their files. Each is enabled on its
// own: one the kernel refuses (a threaded subtree, an ancestor with
// processes of its own) must not keep the others off; the file writes that
// need it fail later with the config field named.
import { dirname } from 'node:path';
import { hasFile, tryReadCg, writeCg } from '../fsio.js';
import { log } from '../../log.js';

/** The ancestors of dir inside its cgroup2 mount, root first (dir itself excluded). */
export function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dirname(dir); hasFile(d, 'cgroup.subtree_control'); d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) break;
  }
  return out;
}

/** Enable `wanted` (default: every available controller) on the path down to dir. */
export function enableControllers(dir: string, wanted?: string[]): void {
  for (const a of ancestors(dir)) {
    const available = (tryReadCg(a, 'cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean);
    const enabled = new Set((tryReadCg(a, 'cgroup.subtree_control') ?? '').trim().split(/\s+/));
    for (const c of available) {
      if (enabled.has(c) || (wanted && !wanted.includes(c))) continue;
      try {
        writeCg(a, 'cgroup.subtree_control', `+${c}`);
      } catch (err) {
        log.debug(`cannot enable the ${c} controller in ${a}: ${(err as Error).message}`);
      }
    }
  }
}

export function controllersOf(dir: string): Set<string> {
  return new Set((tryReadCg(dir, 'cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean));
}
