// What the compiler needs besides the config: facts about this create/exec
// call and the host, gathered by the lifecycle (the compiler itself touches
// nothing: no fs, no clock, no koffi).
import type { AppArmorRequest } from './apparmor.js';

export interface CgroupBind {
  /** Name under /sys/fs/cgroup in the container: "memory", "cpu,cpuacct". */
  name: string;
  /** The container's cgroup directory on the host. */
  source: string;
}

/** A setuid helper that writes one id map of the child: `path <child pid> ...args`. */
export interface IdMapHelper {
  path: string;
  args: string[];
}

/**
 * For an unprivileged caller whose config maps more than its own id: the
 * helper of each map the kernel would not take from it (src/lifecycle/id-map-helpers.ts).
 */
export interface IdMapHelpers {
  uid?: IdMapHelper;
  gid?: IdMapHelper;
}

export interface CreateContext {
  id: string;
  /** Absolute bundle directory. */
  bundle: string;
  /** Absolute rootfs path. */
  rootfs: string;
  /** Absolute state directory of the container. */
  stateDir: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** cgroup.procs files stage 0 writes the child's pid into before it runs. */
  cgroupProcs?: string[];
  /**
   * The runtime needs the child's pid before its cgroup exists (systemd's
   * driver starts the unit with it): stage 0 says it, then waits.
   */
  cgroupAnnounce?: boolean;
  /** For a `cgroup` mount on cgroup v1: the container's cgroup directories. */
  cgroupBinds?: CgroupBind[];
  /** The host is pure cgroup v2: a `cgroup` mount is a cgroup2 one (runc's mountCgroupV2). */
  cgroupV2?: boolean;
  /** Stage 0 stays and reports the exit (foreground run). */
  monitor?: boolean;
  /** Foreground with a terminal and no console socket: stage 0 proxies the pty. */
  proxyTty?: boolean;
  /** tsrun runs without root (rootless): setgroups is denied in the user namespace. */
  rootless?: boolean;
  /** The maps newuidmap/newgidmap write for an unprivileged caller. */
  idMapHelpers?: IdMapHelpers;
  /** linux.seccomp compiled to BPF (src/sys/seccomp.ts): the compiler itself stays pure. */
  seccomp?: { program: Uint8Array; flags: number; listenerPath?: string };
  /** tsrun's own capability bounding set (CapBnd); capabilities outside it are dropped with a warning. */
  bounding?: bigint;
  /** The host has /proc/kcore (runc links /dev/core to it only then); unset counts as yes. */
  hostKcore?: boolean;
  /** The host has AppArmor on (/sys/module/apparmor/parameters/enabled is Y): process.apparmorProfile can be applied. */
  apparmorEnabled?: boolean;
}

export interface ExecContext {
  /** Host pid of the container's init, whose namespaces are joined. */
  initPid: number;
  consoleSocket?: string;
  pidfdSocket?: string;
  preserveFds?: number;
  cgroupProcs?: string[];
  /** A cgroup v2 directory the process is cloned into (clone3 CLONE_INTO_CGROUP): its pids.max holds for the exec too. */
  cloneIntoCgroup?: string;
  monitor?: boolean;
  proxyTty?: boolean;
  rootless?: boolean;
  seccomp?: { program: Uint8Array; flags: number; listenerPath?: string };
  bounding?: bigint;
  /** The profile the process takes (runc: the process's, else the container's), and where it was asked for. */
  apparmor?: AppArmorRequest;
  apparmorEnabled?: boolean;
}
