// What a test needs of the host, declared and checked, the way runc's bats
// helpers gate their tests (`requires cgroups_v1 root`): `{ skip: requires(...) }`
// gives node:test the reason of the first need this host does not meet, or
// false where every one is met. A test that depends on the host says so here
// instead of failing on a host unlike the one it was written on, and its twin
// for the other host type (v2 beside v1) runs there.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectLayout, type Layout } from '../../src/cgroups/layout.js';

export type Requirement =
  /** Euid 0: real containers, cgroups, mounts. */
  | 'root'
  /** cgroup v1 controller hierarchies (a v1 or a hybrid host). */
  | 'cgroup-v1'
  /** v1 controllers plus a cgroup2 mount beside them (systemd's /sys/fs/cgroup/unified). */
  | 'cgroup-hybrid'
  /** One cgroup2 mount and no v1 controller: the stock host of today. */
  | 'cgroup-v2'
  /** The memory controller accounts swap (v1 memory.memsw.*, v2 memory.swap.max). */
  | 'swap-accounting'
  /** A disk under /sys/block (vd*, sd*, nvme*, xvd*, hd*): throttling needs a real major:minor. */
  | 'block-device'
  /** The BFQ I/O scheduler on some block device (the only scheduler with weights since CFQ left). */
  | 'bfq'
  /** An unprivileged user may create a user namespace (user.max_user_namespaces > 0; Debian's unprivileged_userns_clone not 0). */
  | 'unprivileged-userns'
  /** criu on PATH (checkpoint/restore). */
  | 'criu'
  /** A freezer: v1's freezer hierarchy or v2's cgroup.freeze. */
  | 'freezer'
  /** systemd is PID 1 and its manager answers on its private socket (root) or the bus: --systemd-cgroup. */
  | 'systemd'
  /** 2 MiB huge pages (hugetlb.2MB.* files). */
  | 'hugepages-2MB'
  /** AppArmor enforced (/sys/module/apparmor/parameters/enabled is Y) and apparmor_parser to load profiles. */
  | 'apparmor'
  /** AppArmor off: where process.apparmorProfile must be refused. */
  | 'no-apparmor'
  | { cpus: number }
  | { arch: NodeJS.Architecture }
  | { binary: string }
  | { engine: 'docker' | 'containerd' | 'podman' }
  /** A v1 controller mounted as its own hierarchy (or, on v2, offered by the root). */
  | { controller: string }
  /** A controller the cgroup2 mount offers (a hybrid host's /sys/fs/cgroup/unified, or the v2 root). */
  | { unifiedController: string };

const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The first of `bin` found where runc's helpers look (PATH, then the usual dirs). */
export function findOnPath(bin: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...BIN_DIRS]) {
    const p = join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

let layout: Layout | null | undefined;
/** The host's cgroup layout (null: no cgroup mounted at all). */
export function cgroupLayout(): Layout | null {
  if (layout === undefined) {
    try {
      layout = detectLayout(readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      layout = null;
    }
  }
  return layout;
}

/** Controllers a v2 root offers its children. */
function v2Controllers(): string[] {
  const l = cgroupLayout();
  if (!l?.unified) return [];
  try {
    return readFileSync(join(l.unified.mountPoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Ids of the CPUs this process may run on (its affinity: what a cpuset or execCPUAffinity can pick from). */
export function allowedCpus(): number[] {
  const m = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const out: number[] = [];
  for (const part of (m?.[1] ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number) as [number, number?];
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

export interface BlockDevice {
  name: string;
  major: number;
  minor: number;
}

/** The disks under /sys/block (not loop, ram or zram devices), sorted by name. */
export function blockDevices(): BlockDevice[] {
  let names: string[] = [];
  try {
    names = readdirSync('/sys/block').filter((n) => /^(vd|sd|nvme|xvd|hd)/.test(n)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number) as [number, number];
    return { name, major, minor };
  });
}

/** Schedulers the kernel offers for a device ("[none] mq-deadline kyber" -> none, mq-deadline, kyber). */
function schedulersOf(name: string): string[] {
  try {
    return readFileSync(`/sys/block/${name}/queue/scheduler`, 'utf8').replace(/[[\]]/g, '').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/**
 * Does a v2 cgroup below the root have `file`? The root itself carries no
 * memory.* or cgroup.freeze files: the first child with `probe` (a file every
 * child with that controller has) tells. A host with no such child (no
 * systemd, nothing below the root yet) gets a probe cgroup of our own, with
 * the controller enabled as the runtime enables it for a container, removed
 * again at once.
 */
function v2ChildHas(probe: string, file: string, controller?: string): boolean {
  const root = cgroupLayout()?.unified?.mountPoint;
  if (!root) return false;
  try {
    for (const e of readdirSync(root, { withFileTypes: true })) {
      if (e.isDirectory() && existsSync(join(root, e.name, probe))) return existsSync(join(root, e.name, file));
    }
  } catch {
    /* unreadable: say no */
  }
  if (process.getuid?.() !== 0) return false;
  const dir = join(root, `tsrun-probe-${process.pid}`);
  try {
    if (controller) {
      if (!readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)) return false;
      writeFileSync(join(root, 'cgroup.subtree_control'), `+${controller}`);
    }
    mkdirSync(dir);
    return existsSync(join(dir, probe)) && existsSync(join(dir, file));
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      /* not made */
    }
  }
}

/** Why this host cannot give `r`, or '' when it can. */
function unmet(r: Requirement): string {
  const l = cgroupLayout();
  if (r === 'root') return process.getuid?.() === 0 ? '' : 'needs root: runs real containers, cgroups and mounts';
  if (r === 'cgroup-v1') return l && l.kind !== 'v2' ? '' : `needs cgroup v1 controllers; this host is ${l?.kind ?? 'without cgroups'}`;
  if (r === 'cgroup-hybrid') return l?.kind === 'hybrid' ? '' : `needs a hybrid cgroup host (v1 controllers and a cgroup2 mount); this host is ${l?.kind ?? 'without cgroups'}`;
  if (r === 'cgroup-v2') return l?.kind === 'v2' ? '' : `needs a pure cgroup v2 host; this host is ${l?.kind ?? 'without cgroups'}`;
  if (r === 'freezer') {
    if (l?.v1.has('freezer')) return '';
    return l?.kind === 'v2' && v2ChildHas('cgroup.procs', 'cgroup.freeze') ? '' : 'needs a freezer (a v1 freezer hierarchy, or cgroup.freeze: cgroup v2 on kernel 5.2 or later)';
  }
  if (r === 'swap-accounting') {
    if (l && l.kind !== 'v2') {
      const mem = l.v1.get('memory');
      return mem && existsSync(join(mem.mountPoint, 'memory.memsw.limit_in_bytes')) ? '' : 'needs swap accounting (memory.memsw.*: boot with swapaccount=1)';
    }
    return v2ChildHas('memory.max', 'memory.swap.max', 'memory') ? '' : 'needs swap accounting (memory.swap.max: a kernel with CONFIG_MEMCG_SWAP, swapaccount not off)';
  }
  if (r === 'block-device') return blockDevices().length > 0 ? '' : 'needs a disk under /sys/block (vd*, sd*, nvme*, xvd*, hd*) to throttle';
  if (r === 'bfq') {
    return blockDevices().some((d) => schedulersOf(d.name).includes('bfq')) ? '' : 'needs the BFQ I/O scheduler (modprobe bfq): no other scheduler has weights';
  }
  if (r === 'hugepages-2MB') return existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB') ? '' : 'needs 2 MiB huge pages (/sys/kernel/mm/hugepages/hugepages-2048kB)';
  if (r === 'unprivileged-userns') {
    const read = (p: string) => {
      try {
        return readFileSync(p, 'utf8').trim();
      } catch {
        return undefined;
      }
    };
    if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'needs unprivileged user namespaces (kernel.unprivileged_userns_clone is 0)';
    return Number(read('/proc/sys/user/max_user_namespaces') ?? 0) > 0 ? '' : 'needs unprivileged user namespaces (user.max_user_namespaces is 0)';
  }
  if (r === 'apparmor' || r === 'no-apparmor') {
    let on = false;
    try {
      on = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
    } catch {
      /* no AppArmor in this kernel */
    }
    if (r === 'no-apparmor') return on ? 'needs a host with AppArmor off (here it is on: the refusal cannot be seen)' : '';
    if (!on) return 'needs AppArmor on (/sys/module/apparmor/parameters/enabled is not Y: the kernel lacks it or boots with it off; the test VM has it)';
    return findOnPath('apparmor_parser') ? '' : 'needs apparmor_parser to load a test profile (apt-get install apparmor)';
  }
  if (r === 'systemd') {
    if (!existsSync('/run/systemd/system')) return 'needs systemd running as PID 1 (no /run/systemd/system): --systemd-cgroup talks to it';
    return existsSync('/run/systemd/private') || existsSync('/run/dbus/system_bus_socket') ? '' : 'needs systemd\'s D-Bus API (/run/systemd/private or the system bus)';
  }
  if (r === 'criu') return findOnPath('criu') ? '' : 'needs criu on PATH (apt-get install criu)';
  if ('cpus' in r) {
    const n = allowedCpus().length;
    return n >= r.cpus ? '' : `needs ${r.cpus} CPUs this process may use; it has ${n}`;
  }
  if ('arch' in r) return process.arch === r.arch ? '' : `needs a ${r.arch} host; this one is ${process.arch}`;
  if ('binary' in r) return findOnPath(r.binary) ? '' : `needs ${r.binary} on PATH`;
  if ('engine' in r) {
    const bins = { docker: ['dockerd', 'docker', 'containerd'], containerd: ['containerd', 'ctr'], podman: ['podman', 'conmon'] }[r.engine];
    const missing = bins.filter((b) => !findOnPath(b));
    return missing.length === 0 ? '' : `needs ${r.engine} (${missing.join(', ')} not installed)`;
  }
  if ('controller' in r) {
    if (!l) return 'needs cgroups';
    // v2 controls devices with an eBPF program, not a controller
    if (l.kind === 'v2') return r.controller === 'devices' || v2Controllers().includes(r.controller) ? '' : `needs the ${r.controller} controller (not in the cgroup v2 root's cgroup.controllers)`;
    return l.v1.has(r.controller) ? '' : `needs a v1 ${r.controller} hierarchy`;
  }
  if ('unifiedController' in r) {
    return v2Controllers().includes(r.unifiedController) ? '' : `needs the ${r.unifiedController} controller on the cgroup2 mount (${l?.unified ? `not in ${l.unified.mountPoint}/cgroup.controllers` : 'there is none'})`;
  }
  return `unknown requirement ${JSON.stringify(r)}`;
}

/** The reason of the first requirement this host does not meet, or false: pass it as a test's `skip`. */
export function requires(...reqs: Requirement[]): string | false {
  for (const r of reqs) {
    const why = unmet(r);
    if (why) return why;
  }
  return false;
}
