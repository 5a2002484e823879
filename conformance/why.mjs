// Why runc 1.1.5 fails a check on this machine: reasons found by
// investigation (the runtime's error text, runc's source and docs, the kernel
// rules), written once here and shown in RESULTS.md's "why" column. A row runc
// fails with no entry here shows "not investigated" - add one, never guess.

/** @type {{bundle?: string, name: RegExp, why: string}[]} */
export const RUNC_WHY = [
  {
    bundle: 'oom-score-adj-lower',
    name: /oomScoreAdj/,
    why: "Machine: the bounding set lacks CAP_SYS_RESOURCE, which the kernel requires to set oom_score_adj below the writer's oom_score_adj_min (0 here); runc's write gets EACCES and it aborts. No runtime can pass this row here.",
  },
  {
    bundle: 'caps-ungrantable',
    name: /capabilities/,
    why: 'config.md: capabilities that cannot be granted are only warned about (SHOULD NOT fail). runc 1.1.5 warns about unknown names but keeps CAP_SYS_RESOURCE, which this machine\'s bounding set lacks, so its capset() fails with EPERM and the container does not start.',
  },
  {
    bundle: 'scheduler',
    name: /scheduler/,
    why: 'process.scheduler is runtime-spec 1.1; runc 1.1.5 vendors spec 1.0.2-dev and ignores the field (runc docs/spec-conformance.md lists it as not implemented).',
  },
  {
    bundle: 'io-priority',
    name: /ioPriority/,
    why: 'process.ioPriority is runtime-spec 1.1; runc 1.1.5 ignores it (runc docs/spec-conformance.md lists it as not implemented until runc 1.2).',
  },
  {
    bundle: 'uts-names',
    name: /domainname/,
    why: 'domainname is runtime-spec 1.1; runc 1.1.5 (spec 1.0.2-dev) does not know the field and leaves the domain name unset.',
  },
  {
    bundle: 'time-namespace',
    name: /./,
    why: 'runc 1.1.5 has no time namespace support ("namespace time does not exist"); runc docs/spec-conformance.md lists time namespaces as not implemented until runc 1.2.',
  },
  {
    bundle: 'personality',
    name: /./,
    why: 'linux.personality is not implemented by runc 1.1.5 (runc docs/spec-conformance.md: pending PR #3126); the field is ignored.',
  },
  {
    bundle: 'mounts-idmap',
    name: /./,
    why: 'Idmapped mounts (mount uidMappings/gidMappings and the idmap option, runtime-spec 1.1) came with runc 1.2; runc 1.1.5 ignores them, so a file owned by 0 on disk shows as the overflow id 65534 in the user namespace.',
  },
  {
    bundle: 'net-devices',
    name: /./,
    why: 'linux.netDevices is new in runtime-spec 1.3; runc 1.1.5 ignores it and the device stays in the host namespace. (The check itself was verified by moving the device with a createRuntime hook: it then passes.)',
  },
  {
    bundle: 'devices-userns-new-path',
    name: /./,
    why: 'In a user namespace (no mknod) runc bind-mounts each linux.devices entry from the same path on the host; /dev/conf-zero does not exist there, so create fails, although the device (c 1:5) does. crun finds a host node by its numbers and passes.',
  },
  {
    bundle: 'cgroup-cpu-burst',
    name: /cpu\.burst/,
    why: 'cpu.burst (runtime-spec 1.1) is not written by runc 1.1.5: cpu.cfs_burst_us stays 0 although the kernel has it.',
  },
  {
    bundle: 'cgroup-cpu-idle',
    name: /cpu\.idle/,
    why: 'cpu.idle (runtime-spec 1.1) is not written by runc 1.1.5 on cgroup v1: cpu.idle stays 0 although the kernel has it.',
  },
  {
    bundle: 'memory-policy',
    name: /./,
    why: 'linux.memoryPolicy is new in runtime-spec 1.3; runc 1.1.5 ignores it.',
  },
  {
    name: /^rootfs|linux\.rootfsPropagation/,
    why: "runc 1.1.5 applies rootfsPropagation to the copy of the host's / before pivot_root, then makes the rootfs's parent mount private (pivot_root requires it) and bind-mounts the rootfs from there, so the container's / ends up private whatever the value.",
  },
  {
    bundle: 'lifecycle',
    name: /delete of a created container/,
    why: 'runc deletes a container in the created state without --force (its process never ran the user program, so runc treats it like a stopped one); runtime.md allows delete only for stopped containers.',
  },
  {
    bundle: 'lifecycle',
    name: /startContainer runs before poststart/,
    why: 'runc start runs the poststart hooks as soon as it has released the exec fifo, concurrently with the startContainer hooks the container init runs before execve (the hook sleeps 0.3 s to make the race deterministic); config.md wants poststart after the user process is executed.',
  },
  {
    bundle: 'lifecycle',
    name: /hooks\.startContainer failing: start fails/,
    why: "runc start returns as soon as it has released the container's init through the exec fifo; the startContainer hooks run after that inside the init, so their failure only ends the container (it is stopped) and start has already exited 0.",
  },
  {
    bundle: 'lifecycle',
    name: /rlimits: duplicate type/,
    why: 'runc 1.1.5 has no duplicate-type check for process.rlimits: it converts and applies every entry in turn, so the container starts.',
  },
  {
    bundle: 'lifecycle',
    name: /path exists as a different file/,
    why: "runc's createDeviceNode treats EEXIST from mknod as success (it returns nil on os.IsExist), so an existing regular file at a linux.devices path is kept and the container starts.",
  },
];

/** @param {string} bundle @param {string} name */
export function runcWhy(bundle, name) {
  return RUNC_WHY.find((w) => (!w.bundle || w.bundle === bundle) && w.name.test(name))?.why ?? null;
}
