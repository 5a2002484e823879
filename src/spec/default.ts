// The config `tsrun spec` writes: the same shape as `runc spec`, so tools and
// people that edit runc's default find every field where they expect it.
import type { Linux, Mount, Spec } from './types.js';

export interface DefaultSpecOptions {
  /** A config an unprivileged user can run: user namespace, no network namespace, /sys bound. */
  rootless?: boolean;
  args?: string[];
  /** Host ids mapped to root in the rootless variant; default: the caller's euid/egid. */
  uid?: number;
  gid?: number;
  /**
   * A cgroup namespace (default true). `spec` asks for one only on a pure
   * cgroup v2 host, as runc does: on v1 a cgroup namespace shows the
   * container its hierarchies' roots, which v1 tools are not written for.
   */
  cgroupNamespace?: boolean;
}

/** The spec version tsrun writes into configs it generates. */
export const SPEC_VERSION = '1.3.0';

const defaultCaps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const hardening = ['nosuid', 'noexec', 'nodev'];

function defaultMounts(rootless: boolean): Mount[] {
  // gid=5 names the host's tty group, which does not exist inside an
  // unprivileged user namespace: mounting devpts with it would fail.
  const ptsOptions = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  if (!rootless) ptsOptions.push('gid=5');
  // A fresh sysfs needs a network namespace owned by our user namespace;
  // without one, bind the host's /sys read-only instead.
  const sys: Mount = rootless
    ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', ...hardening, 'ro'] }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...hardening, 'ro'] };
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ptsOptions },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [...hardening, 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: [...hardening] },
    sys,
  ];
  // runc 1.1 keeps this mount in its rootless config too; we leave it out
  // there: an unprivileged user cannot mount the v1 hierarchies of a hybrid
  // host, and the bound /sys already shows /sys/fs/cgroup read-only.
  if (!rootless) {
    mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...hardening, 'relatime', 'ro'] });
  }
  return mounts;
}

const maskedPaths = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
  '/proc/scsi',
];
const readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// Key order follows runc's output, so a diff against `runc spec` shows only real differences.
function defaultLinux(rootless: boolean, opts: DefaultSpecOptions): Linux {
  const cgroup: Linux['namespaces'] = opts.cgroupNamespace === false ? [] : [{ type: 'cgroup' }];
  if (rootless) {
    // Without privilege there is no device cgroup to program, no network
    // namespace to configure, and only our own ids to map.
    return {
      uidMappings: [{ containerID: 0, hostID: opts.uid ?? process.geteuid?.() ?? 0, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: opts.gid ?? process.getegid?.() ?? 0, size: 1 }],
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...cgroup, { type: 'user' }],
      maskedPaths: [...maskedPaths],
      readonlyPaths: [...readonlyPaths],
    };
  }
  return {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...cgroup],
    maskedPaths: [...maskedPaths],
    readonlyPaths: [...readonlyPaths],
  };
}

export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const rootless = opts.rootless ?? false;
  const spec: Spec = {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: opts.args ?? ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...defaultCaps],
        effective: [...defaultCaps],
        permitted: [...defaultCaps],
        ambient: [...defaultCaps],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsrun',
    mounts: defaultMounts(rootless),
    linux: defaultLinux(rootless, opts),
  };
  return spec;
}
