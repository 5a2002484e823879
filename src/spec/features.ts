// What `tsrun features` claims (runtime-spec features.md, features-linux.md).
// Engines act on these claims: containerd sends idmapped mounts only when
// mountExtensions.idmap.enabled is true, for example. So every claim here
// MUST stay true: when you land (or remove) a feature, flip its flag here in
// the same commit, and keep the lists in known.ts equal to what the code
// accepts.
import { CAPABILITIES, HOOKS, MOUNT_OPTIONS, NAMESPACES, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './known.js';
import type { Features } from './types.js';
import { SUPPORTED_MAX, SUPPORTED_MIN } from './version.js';

/** Feature switches; the lists below derive from them. */
export const claims = {
  cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
  seccomp: true,
  /** Flags the seccomp code passes to seccomp(2); all of them need kernel >= 4.17 but WAIT_KILLABLE_RECV (5.19). */
  seccompSupportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
  /** features.md: support in the runtime, whatever the host has (process.apparmorProfile is applied, or refused where AppArmor is off) */
  apparmor: true,
  selinux: false,
  intelRdt: false,
  idmapMounts: true,
  netDevices: false,
};

/**
 * Config annotations tsrun acts on that can change security-relevant
 * behaviour (features.md, potentiallyUnsafeConfigAnnotations). None yet: add
 * the key (or "prefix.") when code starts reading one.
 */
const unsafeAnnotations: string[] = ['org.systemd.property.'];

export function featuresDocument(version: string, commit: string): Features {
  // idmap/ridmap are recognised option names only once idmapped mounts work.
  const mountOptions = MOUNT_OPTIONS.filter((o) => claims.idmapMounts || (o !== 'idmap' && o !== 'ridmap'));
  return {
    ociVersionMin: SUPPORTED_MIN,
    ociVersionMax: SUPPORTED_MAX,
    hooks: [...HOOKS],
    mountOptions,
    linux: {
      namespaces: [...NAMESPACES],
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { ...claims.cgroup },
      seccomp: {
        enabled: claims.seccomp,
        actions: [...SECCOMP_ACTIONS],
        operators: [...SECCOMP_OPERATORS],
        archs: [...SECCOMP_ARCHES],
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: claims.seccomp ? [...claims.seccompSupportedFlags] : [],
      },
      apparmor: { enabled: claims.apparmor },
      selinux: { enabled: claims.selinux },
      intelRdt: { enabled: claims.intelRdt },
      mountExtensions: { idmap: { enabled: claims.idmapMounts } },
      netDevices: { enabled: claims.netDevices },
    },
    annotations: {
      'io.github.tsrun.version': version,
      'io.github.tsrun.commit': commit,
    },
    potentiallyUnsafeConfigAnnotations: [...unsafeAnnotations],
  };
}
