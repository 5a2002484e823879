// Which cgroup layout the host has, read from /proc/self/mountinfo:
//   v1     - one cgroup (v1) hierarchy per controller group
//   hybrid - v1 controller hierarchies plus a cgroup2 mount (systemd's
//            /sys/fs/cgroup/unified), which may own some controllers itself
//            (this project's CI VM: hugetlb lives only on the cgroup2 side)
//   v2     - one cgroup2 mount, no v1 controller hierarchies
// Pure text in, plain data out, so every layout is unit-tested from samples.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TsrunError } from '../errors.js';

/** Controllers a v1 hierarchy can carry; "name=..." hierarchies carry none. */
const V1_CONTROLLERS = [
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
] as const;

export type LayoutKind = 'v1' | 'hybrid' | 'v2';

export interface CgroupMount {
  /** Where it is mounted: /sys/fs/cgroup/memory */
  mountPoint: string;
  /** Which cgroup of the hierarchy is the mount's root ("/" unless bind-mounted or in a cgroupns). */
  root: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers and "name=" of this hierarchy; cgroup2: empty (read cgroup.controllers). */
  subsystems: string[];
}

export interface Layout {
  kind: LayoutKind;
  /** v1 hierarchy for each subsystem (controller or "name=systemd"). */
  v1: Map<string, CgroupMount>;
  /** The cgroup2 mount (hybrid and v2). */
  unified?: CgroupMount;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fsType = right[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const superOpts = (right[2] ?? '').split(',');
    out.push({
      mountPoint: unescapeMount(left[4] ?? ''),
      root: unescapeMount(left[3] ?? '/'),
      fsType,
      subsystems:
        fsType === 'cgroup'
          ? superOpts.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o) || o.startsWith('name='))
          : [],
    });
  }
  return out;
}

export function detectLayout(mountinfo: string): Layout {
  const mounts = parseCgroupMounts(mountinfo);
  const v1 = new Map<string, CgroupMount>();
  let unified: CgroupMount | undefined;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') {
      // Prefer the canonical places if it is mounted more than once.
      if (!unified || m.mountPoint === '/sys/fs/cgroup' || m.mountPoint === '/sys/fs/cgroup/unified') unified = m;
      continue;
    }
    for (const s of m.subsystems) {
      const seen = v1.get(s);
      // A hierarchy mounted twice (bind mounts): keep the one showing its root.
      if (!seen || (seen.root !== '/' && m.root === '/')) v1.set(s, m);
    }
  }
  const hasV1Controllers = [...v1.keys()].some((s) => !s.startsWith('name='));
  if (hasV1Controllers) return { kind: unified ? 'hybrid' : 'v1', v1, unified };
  if (unified) return { kind: 'v2', v1: new Map(), unified };
  throw new TsrunError('no cgroup mount found in mountinfo');
}

/** /proc/<pid>/cgroup: subsystem -> path; the cgroup2 entry ("0::/x") is keyed "". */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , subs, path] = m;
    if (subs === '') out.set('', path!);
    else for (const s of subs!.split(',')) out.set(s, path!);
  }
  return out;
}

/** Map a cgroup path inside a hierarchy to a directory under its mount. */
export function dirOf(mount: CgroupMount, cgroupPath: string, fsRoot = ''): string {
  const rel = posix.relative(mount.root, posix.resolve('/', cgroupPath));
  // A cgroup outside the mount's root (rel starts with ..) cannot be reached; clamp to the root.
  const inside = rel.startsWith('..') ? '' : rel;
  return join(fsRoot + mount.mountPoint, inside);
}

/**
 * The host as the cgroup code sees it. Everything is injectable so the
 * managers run on a fake tree in a temp dir: `fsRoot` is prefixed to every
 * mount point found in `mountinfo`.
 */
export interface HostOptions {
  /** Prefix for every mount point (a temp dir in unit tests); default "". */
  fsRoot?: string;
  /** /proc/self/mountinfo text. */
  mountinfo?: string;
  /** /proc/self/cgroup text: the runtime's own cgroups, base of relative cgroupsPaths. */
  selfCgroup?: string;
}

export interface Host {
  fsRoot: string;
  layout: Layout;
  self: Map<string, string>;
}

let cachedHost: Host | undefined;

export function probeHost(opts: HostOptions = {}): Host {
  const injected = opts.fsRoot !== undefined || opts.mountinfo !== undefined || opts.selfCgroup !== undefined;
  if (!injected && cachedHost) return cachedHost;
  let self: Map<string, string> | undefined;
  const host: Host = {
    fsRoot: opts.fsRoot ?? '',
    layout: detectLayout(opts.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8')),
    // read only for a relative cgroupsPath: the engines give absolute ones
    get self() {
      return (self ??= parseProcCgroup(opts.selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8')));
    },
  };
  if (!injected) cachedHost = host;
  return host;
}
