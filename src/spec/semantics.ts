// The rules of the runtime-spec prose (and of runc's config validator) that a
// JSON schema cannot state: fields that depend on each other, names from
// kernel tables, paths that must be absolute. Runs on a config that already
// passed the schema, so the types can be trusted; the first broken rule is
// thrown as a TsrunError naming the field.
import { TsrunError } from '../errors.js';
import { HOOKS, RLIMITS } from './known.js';
import type { Linux, LinuxIDMapping, LinuxNamespace, Mount, NamespaceType, Process, Spec } from './types.js';
import { checkOciVersion } from './version.js';

export interface SemanticOptions {
  /** create/run: a process and a root are required. */
  forCreate: boolean;
  /** --systemd-cgroup: cgroupsPath must be "slice:prefix:name". */
  systemdCgroup?: boolean;
  file: string;
}

class Checker {
  constructor(readonly file: string) {}

  fail(field: string | undefined, message: string): never {
    throw new TsrunError(message, { file: this.file, field });
  }

  absolute(field: string, path: string, what = 'path'): void {
    if (!path.startsWith('/')) this.fail(field, `${JSON.stringify(path)} is not an absolute ${what}`);
  }
}

// ------------------------------------------------------------------ process

function checkProcess(p: Process, at: string, c: Checker, requireArgs: boolean): void {
  if (p.cwd === '') c.fail(`${at}/cwd`, 'must not be empty');
  c.absolute(`${at}/cwd`, p.cwd);
  if (requireArgs && (!p.args || p.args.length === 0)) {
    c.fail(`${at}/args`, 'must have at least one entry (the program to run)');
  }
  if (p.args?.[0] === '') c.fail(`${at}/args/0`, 'the program to run must not be empty');
  // runc's init refuses it, in these words, after the container is half made
  p.env?.forEach((e, i) => {
    if (!e.includes('=')) c.fail(`${at}/env/${i}`, invalidEnv(e));
  });

  const seen = new Map<string, number>();
  p.rlimits?.forEach((r, i) => {
    const f = `${at}/rlimits/${i}`;
    if (!(r.type in RLIMITS)) c.fail(`${f}/type`, `unknown rlimit ${JSON.stringify(r.type)}; known: ${Object.keys(RLIMITS).join(', ')}`);
    const first = seen.get(r.type);
    if (first !== undefined) c.fail(`${f}/type`, `duplicate rlimit ${r.type} (also at ${at}/rlimits/${first})`);
    seen.set(r.type, i);
    if (r.soft > r.hard) c.fail(`${f}/soft`, `soft limit ${r.soft} is above the hard limit ${r.hard}`);
  });

  // An unknown capability name is no error (config.md: warn, SHOULD NOT
  // fail): src/plan/process.ts warns and leaves it out.

  const s = p.scheduler;
  if (s) {
    const f = `${at}/scheduler`;
    if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) c.fail(`${f}/nice`, `must be from -20 to 19, got ${s.nice}`);
    const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
    if (s.priority !== undefined && s.priority !== 0 && !realtime) {
      c.fail(`${f}/priority`, `a priority needs policy SCHED_FIFO or SCHED_RR, not ${s.policy}`);
    }
    if (realtime && s.priority !== undefined && (s.priority < 1 || s.priority > 99)) {
      c.fail(`${f}/priority`, `must be from 1 to 99 for ${s.policy}, got ${s.priority}`);
    }
    for (const k of ['runtime', 'deadline', 'period'] as const) {
      if (s[k] && s.policy !== 'SCHED_DEADLINE') c.fail(`${f}/${k}`, `only applies to policy SCHED_DEADLINE, not ${s.policy}`);
    }
  }

  for (const k of ['initial', 'final'] as const) {
    const list = p.execCPUAffinity?.[k];
    if (list !== undefined) checkList(c, `${at}/execCPUAffinity/${k}`, list, 'CPU');
  }
}

/** runc's words for an environment entry without "=" (Go's %q quoting). */
export function invalidEnv(entry: string): string {
  return `invalid environment variable: ${JSON.stringify(entry)}`;
}

// "0-3,7": the kernel's list format for CPUs and memory nodes.
const listFormat = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function checkList(c: Checker, field: string, list: string, what: string): void {
  if (!listFormat.test(list)) c.fail(field, `${JSON.stringify(list)} is not a ${what} list like "0-3,7"`);
  for (const range of list.split(',')) {
    const [a, b] = range.split('-').map(Number);
    if (b !== undefined && b < a!) c.fail(field, `${JSON.stringify(range)} is a reversed range`);
  }
}

// ------------------------------------------------------------------ config

function checkHooks(spec: Spec, c: Checker): void {
  for (const name of HOOKS) {
    spec.hooks?.[name]?.forEach((h, i) => c.absolute(`/hooks/${name}/${i}/path`, h.path));
  }
}

function checkMounts(mounts: Mount[], ns: Namespaces, c: Checker): void {
  mounts.forEach((m, i) => {
    const f = `/mounts/${i}`;
    // The spec still tolerates relative destinations (deprecated, read as
    // relative to "/"); tsrun refuses them so a typo cannot land elsewhere.
    c.absolute(`${f}/destination`, m.destination);
    if (!!m.uidMappings !== !!m.gidMappings) {
      c.fail(f, 'an idmapped mount needs both uidMappings and gidMappings');
    }
    if (m.uidMappings) checkMappings(c, `${f}/uidMappings`, m.uidMappings);
    if (m.gidMappings) checkMappings(c, `${f}/gidMappings`, m.gidMappings);
    const idmap = m.options?.find((o) => o === 'idmap' || o === 'ridmap');
    if (idmap && !m.uidMappings && !ns.has('user')) {
      c.fail(`${f}/options`, `"${idmap}" needs uidMappings/gidMappings on the mount or a user namespace`);
    }
  });
}

function checkMappings(c: Checker, field: string, maps: LinuxIDMapping[]): void {
  maps.forEach((m, i) => {
    if (m.size === 0) c.fail(`${field}/${i}/size`, 'must be at least 1');
    for (const side of ['containerID', 'hostID'] as const) {
      if (m[side] + m.size > 2 ** 32) c.fail(`${field}/${i}`, `${side} range ${m[side]}+${m.size} goes past 2^32`);
    }
    for (let j = 0; j < i; j++) {
      const o = maps[j]!;
      for (const side of ['containerID', 'hostID'] as const) {
        if (m[side] < o[side] + o.size && o[side] < m[side] + m.size) {
          c.fail(`${field}/${i}`, `${side} range ${m[side]}-${m[side] + m.size - 1} overlaps ${field}/${j} (${o[side]}-${o[side] + o.size - 1})`);
        }
      }
    }
  });
  // The kernel takes at most 340 lines in uid_map/gid_map (since 4.15).
  if (maps.length > 340) c.fail(field, `has ${maps.length} entries; the kernel takes at most 340`);
}

/** The namespace entries of a config, by type. */
export class Namespaces {
  private readonly byType = new Map<NamespaceType, LinuxNamespace>();

  constructor(list: LinuxNamespace[] | undefined, c: Checker) {
    list?.forEach((ns, i) => {
      const f = `/linux/namespaces/${i}`;
      const first = this.byType.get(ns.type);
      if (first) c.fail(`${f}/type`, `duplicate namespace type "${ns.type}" (also at /linux/namespaces/${list.indexOf(first)})`);
      if (ns.path !== undefined) {
        if (ns.path === '') c.fail(`${f}/path`, 'must not be empty (leave it out to create a new namespace)');
        c.absolute(`${f}/path`, ns.path);
      }
      this.byType.set(ns.type, ns);
    });
  }

  /** The container has its own namespace of this type (new or joined). */
  has(type: NamespaceType): boolean {
    return this.byType.has(type);
  }

  /** The runtime creates this namespace (no path to join). */
  isNew(type: NamespaceType): boolean {
    const ns = this.byType.get(type);
    return ns !== undefined && ns.path === undefined;
  }
}

// Sysctls the kernel keeps per IPC namespace (ipc_sysctl.c, mq_sysctl.c).
const ipcSysctls = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

function checkSysctl(sysctl: Record<string, string>, ns: Namespaces, c: Checker): void {
  for (const raw of Object.keys(sysctl)) {
    const f = `/linux/sysctl/${raw.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    // "net/ipv4/ip_forward" is another spelling of "net.ipv4.ip_forward".
    const name = raw.replace(/\//g, '.');
    if (ipcSysctls.has(name) || name.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) c.fail(f, `sysctl ${JSON.stringify(raw)} needs a new ipc namespace (it would change the host's)`);
    } else if (name.startsWith('net.')) {
      if (!ns.has('network')) c.fail(f, `sysctl ${JSON.stringify(raw)} needs a new network namespace (it would change the host's)`);
    } else if (name === 'kernel.hostname' || name === 'kernel.domainname') {
      if (!ns.has('uts')) c.fail(f, `sysctl ${JSON.stringify(raw)} needs a new uts namespace (it would change the host's)`);
      // runc: the hostname has its own field, which this would silently
      // override; kernel.domainname stays allowed, after the domainname field
      if (name === 'kernel.hostname') c.fail(f, `sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field`);
    } else {
      c.fail(f, `sysctl ${JSON.stringify(raw)} is not namespaced: setting it would change the host`);
    }
  }
}

function checkCgroupsPath(path: string, systemd: boolean, c: Checker): void {
  const f = '/linux/cgroupsPath';
  if (!systemd) return; // any path: src/cgroups/path.ts cleans it lexically
  if (path === '') return;
  const parts = path.split(':');
  if (parts.length !== 3) {
    c.fail(f, `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(path)} instead`);
  }
  const [slice, , name] = parts as [string, string, string];
  if (slice !== '' && (!slice.endsWith('.slice') || slice.includes('/'))) {
    c.fail(f, `${JSON.stringify(slice)} is not a systemd slice name (like "system.slice")`);
  }
  if (name === '') c.fail(f, 'the name part of "slice:prefix:name" must not be empty');
}

function checkResources(linux: Linux, c: Checker): void {
  const r = linux.resources;
  if (!r) return;
  const f = '/linux/resources';
  const mem = r.memory;
  if (mem?.limit !== undefined && mem.swap !== undefined && mem.limit > 0 && mem.swap > 0 && mem.swap < mem.limit) {
    c.fail(`${f}/memory/swap`, `memory+swap limit ${mem.swap} is below the memory limit ${mem.limit}`);
  }
  if (mem?.reservation !== undefined && mem.limit !== undefined && mem.limit > 0 && mem.reservation > mem.limit) {
    c.fail(`${f}/memory/reservation`, `reservation ${mem.reservation} is above the memory limit ${mem.limit}`);
  }
  const cpu = r.cpu;
  if (cpu?.burst !== undefined && cpu.quota !== undefined && cpu.quota > 0 && cpu.burst > cpu.quota) {
    c.fail(`${f}/cpu/burst`, `burst ${cpu.burst} is above the quota ${cpu.quota}`);
  }
  if (cpu?.cpus) checkList(c, `${f}/cpu/cpus`, cpu.cpus, 'CPU');
  if (cpu?.mems) checkList(c, `${f}/cpu/mems`, cpu.mems, 'memory node');
  r.blockIO?.weightDevice?.forEach((d, i) => {
    if (d.weight === undefined && d.leafWeight === undefined) {
      c.fail(`${f}/blockIO/weightDevice/${i}`, 'needs weight or leafWeight');
    }
  });
  for (const [dev, limit] of Object.entries(r.rdma ?? {})) {
    if (limit.hcaHandles === undefined && limit.hcaObjects === undefined) {
      c.fail(`${f}/rdma/${dev}`, 'needs hcaHandles or hcaObjects');
    }
  }
}

const errnoActions = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

function checkSeccomp(linux: Linux, c: Checker): void {
  const s = linux.seccomp;
  if (!s) return;
  const f = '/linux/seccomp';
  if (s.defaultErrnoRet !== undefined && !errnoActions.has(s.defaultAction)) {
    c.fail(`${f}/defaultErrnoRet`, `${s.defaultAction} returns no errno; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do`);
  }
  if (s.defaultAction === 'SCMP_ACT_NOTIFY') c.fail(`${f}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action');
  if (s.listenerMetadata !== undefined && !s.listenerPath) c.fail(`${f}/listenerMetadata`, 'is set but listenerPath is not');
  if (s.listenerPath) c.absolute(`${f}/listenerPath`, s.listenerPath);
  s.syscalls?.forEach((sc, i) => {
    const g = `${f}/syscalls/${i}`;
    if (sc.errnoRet !== undefined && !errnoActions.has(sc.action)) {
      c.fail(`${g}/errnoRet`, `${sc.action} returns no errno; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do`);
    }
    if (sc.action === 'SCMP_ACT_NOTIFY') {
      if (!s.listenerPath) c.fail(`${g}/action`, 'SCMP_ACT_NOTIFY needs /linux/seccomp/listenerPath');
      // The runtime itself writes to the container's fds while the filter is
      // live; a notified write would wait on an agent that may never answer.
      if (sc.names.includes('write')) c.fail(`${g}/names`, 'SCMP_ACT_NOTIFY cannot be used for the write syscall');
    }
    sc.names.forEach((n, j) => {
      if (n === '') c.fail(`${g}/names/${j}`, 'must not be empty');
    });
  });
}

// Interface names: at most 15 bytes (IFNAMSIZ - 1), no "/", ":" or spaces, not "." or "..".
const ifName = /^[^/:\s]{1,15}$/;

function checkLinux(spec: Spec, linux: Linux, ns: Namespaces, opts: SemanticOptions, c: Checker): void {
  if (linux.uidMappings || linux.gidMappings) {
    if (!ns.has('user')) c.fail('/linux/uidMappings', 'uid/gid mappings need a user namespace in /linux/namespaces');
  }
  if (ns.isNew('user')) {
    if (!linux.uidMappings?.length) c.fail('/linux/uidMappings', 'a new user namespace needs uid mappings');
    if (!linux.gidMappings?.length) c.fail('/linux/gidMappings', 'a new user namespace needs gid mappings');
  }
  if (linux.uidMappings) checkMappings(c, '/linux/uidMappings', linux.uidMappings);
  if (linux.gidMappings) checkMappings(c, '/linux/gidMappings', linux.gidMappings);

  if (linux.timeOffsets) {
    if (!ns.isNew('time')) c.fail('/linux/timeOffsets', 'time offsets need a new time namespace in /linux/namespaces');
    for (const [clock, off] of Object.entries(linux.timeOffsets)) {
      const f = `/linux/timeOffsets/${clock}`;
      if (clock !== 'monotonic' && clock !== 'boottime') c.fail(f, `unknown clock ${JSON.stringify(clock)}; known: monotonic, boottime`);
      if (off.nanosecs !== undefined && off.nanosecs >= 1e9) c.fail(`${f}/nanosecs`, `must be below 1000000000, got ${off.nanosecs}`);
    }
  }

  linux.devices?.forEach((d, i) => {
    const f = `/linux/devices/${i}`;
    c.absolute(`${f}/path`, d.path);
    // major/minor are optional for a fifo and meaningless: mknod ignores them (runc and crun accept them too).
  });

  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    const list = linux[key];
    list?.forEach((p, i) => c.absolute(`/linux/${key}/${i}`, p));
    if (list?.length && !ns.has('mount')) c.fail(`/linux/${key}`, 'needs a mount namespace (it would change the host)');
  }

  if (linux.sysctl) checkSysctl(linux.sysctl, ns, c);
  if (linux.cgroupsPath !== undefined) checkCgroupsPath(linux.cgroupsPath, opts.systemdCgroup ?? false, c);
  checkResources(linux, c);
  checkSeccomp(linux, c);

  if (linux.personality?.flags?.length) c.fail('/linux/personality/flags', 'no personality flags are defined; leave it empty');

  if (linux.netDevices) {
    if (!ns.has('network')) c.fail('/linux/netDevices', 'moving network devices needs a network namespace');
    const targets = new Map<string, string>();
    for (const [host, dev] of Object.entries(linux.netDevices)) {
      const f = `/linux/netDevices/${host}`;
      if (!ifName.test(host) || host === '.' || host === '..') c.fail(f, `${JSON.stringify(host)} is not a valid interface name`);
      const name = dev.name ?? host;
      if (!ifName.test(name) || name === '.' || name === '..') c.fail(`${f}/name`, `${JSON.stringify(name)} is not a valid interface name`);
      const other = targets.get(name);
      if (other !== undefined && !name.includes('%d')) c.fail(`${f}/name`, `${JSON.stringify(name)} is also the name for ${other}`);
      targets.set(name, host);
    }
  }

  const mp = linux.memoryPolicy;
  if (mp) {
    const f = '/linux/memoryPolicy';
    const noNodes = mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL';
    if (noNodes && mp.nodes) c.fail(`${f}/nodes`, `${mp.mode} takes no nodes`);
    if (!noNodes && mp.mode !== 'MPOL_PREFERRED' && !mp.nodes) c.fail(`${f}/nodes`, `${mp.mode} needs at least one node`);
    if (mp.nodes) checkList(c, `${f}/nodes`, mp.nodes, 'memory node');
  }

  const rdt = linux.intelRdt;
  if (rdt?.closID !== undefined && rdt.closID !== '/') {
    if (rdt.closID === '' || rdt.closID === '.' || rdt.closID === '..' || rdt.closID.includes('/') || /\s/.test(rdt.closID)) {
      c.fail('/linux/intelRdt/closID', `${JSON.stringify(rdt.closID)} is not a resctrl group name`);
    }
  }

  if (spec.hostname !== undefined && spec.hostname !== '' && !ns.has('uts')) {
    c.fail('/hostname', 'setting the hostname needs a uts namespace (it would change the host)');
  }
  if (spec.domainname !== undefined && spec.domainname !== '' && !ns.has('uts')) {
    c.fail('/domainname', 'setting the domainname needs a uts namespace (it would change the host)');
  }
}

/** Throws the first rule of the spec prose that `spec` breaks. */
export function checkSemantics(spec: Spec, opts: SemanticOptions): void {
  const c = new Checker(opts.file);
  checkOciVersion(spec.ociVersion, opts.file);
  if (opts.forCreate) {
    if (!spec.process) c.fail(undefined, 'missing required property "process": there is nothing to run');
    if (!spec.root) c.fail(undefined, 'missing required property "root"');
  }
  if (spec.root && spec.root.path === '') c.fail('/root/path', 'must not be empty');
  if (spec.process) checkProcess(spec.process, '/process', c, true);
  checkHooks(spec, c);
  const linux = spec.linux ?? {};
  const ns = new Namespaces(linux.namespaces, c);
  if (spec.mounts) checkMounts(spec.mounts, ns, c);
  checkLinux(spec, linux, ns, opts, c);
}

/** For exec --process files: the process rules alone. */
export function checkProcessSemantics(p: Process, file: string): void {
  checkProcess(p, '', new Checker(file), true);
}
