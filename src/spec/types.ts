// The OCI runtime-spec v1.3.0 documents tsrun reads and writes: config.json
// (with its Linux part), the state object and the features document.
// Written from the spec prose (config.md, config-linux.md, runtime.md,
// features.md, features-linux.md). Field comments give the spec's integer
// width where it matters, since JSON numbers do not carry it.
// Types only: importing this module costs nothing at run time.

// ---------------------------------------------------------------- config.json

export interface Spec {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  /** Other platforms: accepted and ignored on Linux, kept opaque. */
  solaris?: Record<string, unknown>;
  windows?: Record<string, unknown>;
  vm?: Record<string, unknown>;
  zos?: Record<string, unknown>;
  freebsd?: Record<string, unknown>;
}

export interface Root {
  /** Relative paths are resolved against the bundle. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  /** Idmapped mounts (the `idmap`/`ridmap` options). */
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

export interface ConsoleSize {
  height: number;
  width: number;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: ConsoleSize;
  /** Root (0:0) when left out. */
  user?: User;
  /** Absolute path inside the container. */
  cwd: string;
  env?: string[];
  args?: string[];
  /** Windows only. */
  commandLine?: string;
  rlimits?: POSIXRlimit[];
  apparmorProfile?: string;
  capabilities?: LinuxCapabilities;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  selinuxLabel?: string;
  ioPriority?: IOPriority;
  execCPUAffinity?: CPUAffinity;
}

export interface User {
  /** uint32 */
  uid: number;
  /** uint32 */
  gid: number;
  /** uint32 */
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

export interface POSIXRlimit {
  type: string;
  /** uint64; values beyond 2^53 lose precision in JSON.parse (RLIM_INFINITY arrives as 18446744073709552000). */
  hard: number;
  soft: number;
}

export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export type SchedulerPolicy =
  | 'SCHED_OTHER'
  | 'SCHED_FIFO'
  | 'SCHED_RR'
  | 'SCHED_BATCH'
  | 'SCHED_ISO'
  | 'SCHED_IDLE'
  | 'SCHED_DEADLINE';

export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

export interface Scheduler {
  policy: SchedulerPolicy;
  /** int32 */
  nice?: number;
  /** int32 */
  priority?: number;
  flags?: SchedulerFlag[];
  /** uint64, nanoseconds (SCHED_DEADLINE) */
  runtime?: number;
  deadline?: number;
  period?: number;
}

export type IOPriorityClass = 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';

export interface IOPriority {
  class: IOPriorityClass;
  /** 0 (highest) to 7 (lowest) */
  priority: number;
}

export interface CPUAffinity {
  /** CPU list ("0-3,7") for the runtime's process while it joins the container. */
  initial?: string;
  /** CPU list the container process runs on after exec. */
  final?: string;
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds; must be > 0. */
  timeout?: number;
}

export interface Hooks {
  /** Deprecated, still run (between createRuntime and createContainer semantics). */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type HookName = keyof Hooks;

// ----------------------------------------------------------------- linux part

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: NamespaceType;
  /** A namespace file to join (/proc/<pid>/ns/<type>); absent: create a new one. */
  path?: string;
}

export interface LinuxIDMapping {
  /** uint32 */
  containerID: number;
  /** uint32 */
  hostID: number;
  /** uint32 */
  size: number;
}

export interface LinuxTimeOffset {
  /** int64 */
  secs?: number;
  /** uint32 */
  nanosecs?: number;
}

export type LinuxDeviceType = 'c' | 'b' | 'u' | 'p';

export interface LinuxDevice {
  path: string;
  type: LinuxDeviceType;
  /** int64; required unless type is "p". */
  major?: number;
  minor?: number;
  /** uint32, a decimal number holding the mode bits (438 = 0666). */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxNetDevice {
  /** Name inside the container; absent: keep the host name. */
  name?: string;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a", "c" or "b"; absent means "a". */
  type?: string;
  /** absent means "*" */
  major?: number;
  minor?: number;
  /** composition of r, w, m */
  access?: string;
}

export interface LinuxMemory {
  /** int64 bytes, -1 = unlimited */
  limit?: number;
  reservation?: number;
  /** memory+swap */
  swap?: number;
  /** not recommended, ignored by current kernels */
  kernel?: number;
  kernelTCP?: number;
  /** uint64, 0..100 */
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  /** uint64 */
  shares?: number;
  /** int64 microseconds */
  quota?: number;
  /** uint64 microseconds */
  burst?: number;
  /** uint64 microseconds */
  period?: number;
  /** int64 microseconds */
  realtimeRuntime?: number;
  /** uint64 microseconds */
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  /** int64: 0 default, 1 SCHED_IDLE */
  idle?: number;
}

export interface LinuxPids {
  /** int64, -1 = max; 0 is a real limit */
  limit?: number;
}

export interface LinuxBlockIODevice {
  major: number;
  minor: number;
}

export interface LinuxWeightDevice extends LinuxBlockIODevice {
  /** uint16 */
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice extends LinuxBlockIODevice {
  /** uint64 bytes or ops per second */
  rate: number;
}

export interface LinuxBlockIO {
  /** uint16 */
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** "<size><unit>B": 64KB, 2MB, 1GB (base 1024) */
  pageSize: string;
  /** uint64 bytes */
  limit: number;
}

export interface LinuxInterfacePriority {
  name: string;
  /** uint32 */
  priority: number;
}

export interface LinuxNetwork {
  /** uint32 */
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  /** uint32; at least one of the two must be set */
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** keyed by device name */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name -> content, written verbatim */
  unified?: Record<string, string>;
}

export interface LinuxIntelRdt {
  /** "/" = the resctrl root (default CLOS) */
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export type MemoryPolicyMode =
  | 'MPOL_DEFAULT'
  | 'MPOL_BIND'
  | 'MPOL_INTERLEAVE'
  | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY'
  | 'MPOL_LOCAL';

export type MemoryPolicyFlag = 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES';

export interface LinuxMemoryPolicy {
  mode: MemoryPolicyMode;
  /** node list "0-3,7" */
  nodes?: string;
  flags?: MemoryPolicyFlag[];
}

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export type SeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64'
  | 'SCMP_ARCH_M68K'
  | 'SCMP_ARCH_SH'
  | 'SCMP_ARCH_SHEB';

export type SeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export interface LinuxSeccompArg {
  /** uint, syscall argument index 0..5 */
  index: number;
  /** uint64; JSON.parse loses precision past 2^53 */
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

export interface LinuxSyscall {
  names: string[];
  action: SeccompAction;
  /** uint */
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: SeccompArch[];
  flags?: SeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: LinuxSyscall[];
}

/** The r-prefixed forms are not in the spec; containerd's CRI plugin sends rshared and rslave (schema/config-linux.json). */
export type RootfsPropagation = 'shared' | 'slave' | 'private' | 'unbindable' | 'rshared' | 'rslave' | 'rprivate' | 'runbindable';

export type PersonalityDomain = 'LINUX' | 'LINUX32';

export interface LinuxPersonality {
  domain: PersonalityDomain;
  flags?: string[];
}

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  /** keyed by clock name: "monotonic", "boottime" */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  devices?: LinuxDevice[];
  /** keyed by the host interface name */
  netDevices?: Record<string, LinuxNetDevice>;
  cgroupsPath?: string;
  resources?: LinuxResources;
  rootfsPropagation?: RootfsPropagation;
  seccomp?: LinuxSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: LinuxIntelRdt;
  personality?: LinuxPersonality;
  memoryPolicy?: LinuxMemoryPolicy;
}

// ---------------------------------------------------------------- state

export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped';

/** The state object of runtime.md, as `tsrun state` prints it (runc adds more fields; see src/state). */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Required when created or running. */
  pid?: number;
  /** Absolute path. */
  bundle: string;
  annotations?: Record<string, string>;
}

/** What a seccomp listener receives over its socket (config-linux.md, container process state). */
export interface ContainerProcessState {
  ociVersion: string;
  fds?: string[];
  pid: number;
  metadata?: string;
  state: State;
}

// ---------------------------------------------------------------- features

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks?: HookName[];
  mountOptions?: string[];
  linux?: LinuxFeatures;
  annotations?: Record<string, string>;
  potentiallyUnsafeConfigAnnotations?: string[];
}

export interface LinuxFeatures {
  namespaces?: NamespaceType[];
  capabilities?: string[];
  cgroup?: {
    v1?: boolean;
    v2?: boolean;
    systemd?: boolean;
    systemdUser?: boolean;
    rdma?: boolean;
  };
  seccomp?: {
    enabled?: boolean;
    actions?: string[];
    operators?: string[];
    archs?: string[];
    knownFlags?: string[];
    supportedFlags?: string[];
  };
  apparmor?: { enabled?: boolean };
  selinux?: { enabled?: boolean };
  intelRdt?: { enabled?: boolean; schemata?: boolean; monitoring?: boolean };
  memoryPolicy?: { modes?: string[]; flags?: string[] };
  mountExtensions?: { idmap?: { enabled?: boolean } };
  netDevices?: { enabled?: boolean };
}
