// From a bundle's config.json (the full one, before any --drop-field) to the
// list of probes the in-container checker runs. Everything the checker knows
// about the spec is decided here, in one place; the checker only observes.
import { CAP_NAMES, NS_FILES, fsRootOf, hostHasContent, inodeOf, pathExists } from './host.mjs';

/** @typedef {{probe: string, name: string, args: string[]}} Check */

/** @param {string} probe @param {string} name @param {...(string|number)} args @returns {Check} */
export const check = (probe, name, ...args) => ({ probe, name, args: args.map(String) });

/** One expectation line: TAB-separated, with \t \n \\ escaped. @param {Check} c */
export function serialize(c) {
  const esc = (s) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  return [c.probe, c.name, ...c.args].map(esc).join('\t');
}

/** @param {bigint} mask */
const hex16 = (mask) => mask.toString(16).padStart(16, '0');

/** @param {string[]|undefined} names @param {string[]} known */
export function capMask(names, known, grantable = known) {
  let m = 0n;
  for (const n of names ?? []) {
    const i = known.indexOf(n);
    if (i >= 0 && grantable.includes(n)) m |= 1n << BigInt(i);
  }
  return m;
}

/** tmpfs prints size in KiB; config may say 65536k, 1m, 1g or bytes. */
export function tmpfsSizeOpt(v) {
  const m = /^(\d+)([kmg%]?)$/i.exec(v);
  if (!m || m[2] === '%') return null;
  const n = BigInt(m[1]);
  const bytes = m[2] === '' ? n : n * 1024n ** BigInt('kmg'.indexOf(m[2].toLowerCase()) + 1);
  const pages = (bytes + 4095n) / 4096n;
  return `size=${pages * 4n}k`;
}

const flagOpts = new Set(['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'noatime', 'relatime', 'nodiratime', 'nosymfollow']);
// superblock flags, shown among the superblock options
const sbOpts = new Set(['sync', 'dirsync', 'lazytime']);
const negOpts = { suid: 'nosuid', dev: 'nodev', exec: 'noexec' };
const propOpts = {
  shared: 'shared', rshared: 'shared', slave: 'slave', rslave: 'slave',
  private: 'private', rprivate: 'private', unbindable: 'unbindable', runbindable: 'unbindable',
};

/**
 * Checks for one mount. Bind mounts are identified by the source's place in
 * its filesystem (mountinfo "root"); other mounts by fs type and options.
 */
function mountChecks(m, i, userns) {
  const d = m.destination;
  const tag = `mounts[${i}] ${d}`;
  const opts = m.options ?? [];
  const isBind = m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
  if (m.type === 'cgroup') {
    const out = [check('cgmnt', `${tag}: cgroup hierarchies mounted at or under ${d}`, d, 'exists')];
    if (opts.includes('ro')) out.push(check('cgmnt', `${tag}: option ro (every cgroup mount read-only)`, d, 'ro'));
    return out;
  }
  const out = [check('mnt', `${tag}: is a mount point`, d, 'exists')];
  if (isBind) {
    out.push(check('mnt', `${tag}: bind of ${m.source}`, d, 'root', fsRootOf(m.source)));
  } else if (m.type) {
    out.push(check('mnt', `${tag}: type ${m.type}`, d, 'fstype', m.type));
  }
  for (const o of opts) {
    if (flagOpts.has(o) || sbOpts.has(o)) out.push(check('mnt', `${tag}: option ${o}`, d, 'opt', o));
    else if (o in negOpts) out.push(check('mnt', `${tag}: option ${o}`, d, 'noopt', negOpts[o]));
    else if (o === 'strictatime') {
      out.push(check('mnt', `${tag}: option strictatime (no relatime)`, d, 'noopt', 'relatime'));
      out.push(check('mnt', `${tag}: option strictatime (no noatime)`, d, 'noopt', 'noatime'));
    } else if (o in propOpts) out.push(check('mnt', `${tag}: propagation ${o}`, d, 'prop', propOpts[o]));
    else if (m.type === 'tmpfs' && o.startsWith('size=')) {
      const s = tmpfsSizeOpt(o.slice(5));
      if (s) out.push(check('mnt', `${tag}: option ${o}`, d, 'opt', s));
    } else if (m.type === 'tmpfs' && o.startsWith('mode=')) {
      out.push(check('node', `${tag}: option ${o} (mode of the mount root)`, d, 'follow', `mode=${o.slice(5).padStart(4, '0').slice(-4)}`));
    } else if (m.type === 'tmpfs' && (o.startsWith('uid=') || o.startsWith('gid=')) && !userns) {
      // the owner of the tmpfs root, as the container sees it
      const uid = opts.find((x) => x.startsWith('uid='))?.slice(4) ?? '0';
      const gid = opts.find((x) => x.startsWith('gid='))?.slice(4) ?? '0';
      if (o.startsWith('uid=')) out.push(check('node', `${tag}: options uid=${uid},gid=${gid} (owner of the mount root)`, d, 'follow', `owner=${uid}:${gid}`));
    } else if (m.type === 'devpts' && /^(ptmxmode|mode)=/.test(o)) {
      const [k, v] = o.split('=');
      out.push(check('mnt', `${tag}: option ${o}`, d, 'opt', `${k}=${v.replace(/^0+(?=\d{3})/, '').padStart(3, '0')}`));
    } else if (m.type === 'devpts' && o.startsWith('gid=') && !userns) {
      out.push(check('mnt', `${tag}: option ${o}`, d, 'opt', o));
    }
  }
  return out;
}

/**
 * After execve the kernel recomputes permitted/effective (no file caps here):
 * for uid 0 without securebits, P' = bounding | inheritable, but with
 * no_new_privs whatever that would gain beyond the old permitted set is cut
 * off (P' &= P); ambient is added back. For any other uid, P' = ambient.
 * E' = P' in both cases. So permitted/effective are seen through this rule.
 */
function capChecks(caps, uid, known, grantable, nnp) {
  // What cannot be granted here (unknown names, caps outside our bounding set)
  // is only warned about (config.md), so it is absent from what we expect.
  const b = capMask(caps?.bounding, known, grantable);
  const i = capMask(caps?.inheritable, known, grantable);
  const p = capMask(caps?.permitted, known, grantable);
  const a = capMask(caps?.ambient, known, grantable) & p & i;
  const pe = uid === 0 ? ((b | i) & (nnp ? p : ~0n)) | a : a;
  const how = uid === 0 ? `after execve as uid 0: (bounding|inheritable)${nnp ? '&permitted (no_new_privs)' : ''}|ambient` : 'after execve as non-root: ambient';
  return [
    check('status', 'process.capabilities.bounding: CapBnd', 'CapBnd', hex16(b)),
    check('status', 'process.capabilities.inheritable: CapInh', 'CapInh', hex16(i)),
    check('status', 'process.capabilities.ambient: CapAmb', 'CapAmb', hex16(a)),
    check('status', `process.capabilities.permitted: CapPrm (${how})`, 'CapPrm', hex16(pe)),
    check('status', `process.capabilities.effective: CapEff (${how})`, 'CapEff', hex16(pe)),
  ];
}

const limitStr = (v) => (v === '__U64_MAX__' || BigInt(v) >= 2n ** 64n - 1n ? 'unlimited' : String(v));

const DEFAULT_DEVICES = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7],
  ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
];

const SCHED_POLICIES = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const IOPRIO_CLASSES = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const MPOL_MODES = { MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6 };

/** "0-1,3" -> mask */
export function listToMask(list) {
  let m = 0n;
  for (const part of list.split(',').filter(Boolean)) {
    const [a, b = a] = part.split('-').map(Number);
    for (let x = a; x <= b; x++) m |= 1n << BigInt(x);
  }
  return m;
}

/**
 * @param {any} config the full config.json object
 * @param {ReturnType<typeof import('./host.mjs').gatherHost>} host
 * @returns {Check[]}
 */
export function expectationsFor(config, host) {
  const out = [];
  const proc = config.process ?? {};
  const linux = config.linux ?? {};
  const nss = linux.namespaces ?? [];
  const userns = nss.some((n) => n.type === 'user');

  // namespaces
  for (const [type, file] of Object.entries(NS_FILES)) {
    const entry = nss.find((n) => n.type === type);
    if (host.ns[type] === null) continue;
    if (!entry) {
      out.push(check('ns', `linux.namespaces: no ${type} entry: shares the runtime's ${type} namespace`, file, 'eq', host.ns[type]));
    } else if (entry.path) {
      out.push(check('ns', `linux.namespaces[${type}].path: joins ${entry.path}`, file, 'eq', inodeOf(entry.path)));
    } else {
      out.push(check('ns', `linux.namespaces[${type}]: new ${type} namespace`, file, 'ne', host.ns[type]));
    }
  }
  const idmap = (maps) => (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join(' ');
  if (linux.uidMappings) out.push(check('file', 'linux.uidMappings: /proc/self/uid_map', '/proc/self/uid_map', idmap(linux.uidMappings)));
  if (linux.gidMappings) out.push(check('file', 'linux.gidMappings: /proc/self/gid_map', '/proc/self/gid_map', idmap(linux.gidMappings)));
  if (linux.timeOffsets) {
    const o = linux.timeOffsets;
    const line = (k) => `${k} ${o[k]?.secs ?? 0} ${o[k]?.nanosecs ?? 0}`;
    out.push(check('file', 'linux.timeOffsets: /proc/self/timens_offsets', '/proc/self/timens_offsets', `${line('monotonic')} ${line('boottime')}`));
  }

  // uts
  if (config.hostname !== undefined) out.push(check('uts', `hostname: ${config.hostname}`, 'hostname', config.hostname));
  if (config.domainname !== undefined) out.push(check('uts', `domainname: ${config.domainname}`, 'domainname', config.domainname));

  // root
  if (config.root) {
    out.push(check('access', `root.readonly: ${!!config.root.readonly} (write access to / ${config.root.readonly ? 'fails with EROFS' : 'allowed'})`, '/', config.root.readonly ? 'ro' : 'rw'));
  }
  if (linux.rootfsPropagation) {
    out.push(check('mnt', `linux.rootfsPropagation: ${linux.rootfsPropagation} (propagation of /)`, '/', 'prop', propOpts[linux.rootfsPropagation] ?? linux.rootfsPropagation));
  }

  // mounts
  (config.mounts ?? []).forEach((m, i) => out.push(...mountChecks(m, i, userns)));

  // default devices and links, when /dev is the runtime's to fill
  const devMounted = (config.mounts ?? []).some((m) => m.destination === '/dev');
  if (devMounted) {
    for (const [p, maj, min] of DEFAULT_DEVICES) {
      out.push(check('node', `default device ${p}: c ${maj}:${min}`, p, 'follow', `rdev=c ${maj}:${min}`));
      if (p !== '/dev/tty') out.push(check('open', `default device ${p}: opens for reading`, p, 'r', '0'));
    }
    if ((config.mounts ?? []).some((m) => m.destination === '/dev/pts')) {
      out.push(check('same', 'default device /dev/ptmx: is /dev/pts/ptmx (bind or symlink)', '/dev/ptmx', '/dev/pts/ptmx'));
    }
    out.push(check('link', 'runtime-linux dev symlink /dev/fd -> /proc/self/fd', '/dev/fd', '/proc/self/fd'));
    out.push(check('link', 'runtime-linux dev symlink /dev/stdin -> /proc/self/fd/0', '/dev/stdin', '/proc/self/fd/0'));
    out.push(check('link', 'runtime-linux dev symlink /dev/stdout -> /proc/self/fd/1', '/dev/stdout', '/proc/self/fd/1'));
    out.push(check('link', 'runtime-linux dev symlink /dev/stderr -> /proc/self/fd/2', '/dev/stderr', '/proc/self/fd/2'));
  }

  // linux.devices
  (linux.devices ?? []).forEach((d, i) => {
    const tag = `linux.devices[${i}] ${d.path}`;
    const t = d.type === 'u' ? 'c' : d.type;
    out.push(check('node', `${tag}: type ${d.type}`, d.path, 'follow', `type=${t}`));
    if (t !== 'p') out.push(check('node', `${tag}: major:minor ${d.major}:${d.minor}`, d.path, 'follow', `rdev=${t} ${d.major}:${d.minor}`));
    if (userns) return; // a bind of the host's node may stand in; its mode and owner are the host's
    if (d.fileMode !== undefined) out.push(check('node', `${tag}: fileMode ${d.fileMode.toString(8).padStart(4, '0')}`, d.path, 'nofollow', `mode=${(d.fileMode & 0o7777).toString(8).padStart(4, '0')}`));
    if (d.uid !== undefined || d.gid !== undefined) out.push(check('node', `${tag}: uid ${d.uid ?? 0} gid ${d.gid ?? 0}`, d.path, 'nofollow', `owner=${d.uid ?? 0}:${d.gid ?? 0}`));
  });

  // masked / read-only paths: only those whose masking can be seen here
  for (const p of linux.maskedPaths ?? []) {
    const hostPath = p.startsWith('/proc/') || p.startsWith('/sys/') ? p : null;
    if (hostPath && !hostHasContent(hostPath)) continue;
    out.push(check('masked', `linux.maskedPaths ${p}: cannot be read`, p));
  }
  for (const p of linux.readonlyPaths ?? []) {
    if ((p.startsWith('/proc/') || p.startsWith('/sys/')) && !pathExists(p)) continue;
    out.push(check('access', `linux.readonlyPaths ${p}: write access fails with EROFS`, p, 'ro'));
  }

  // sysctl
  for (const [k, v] of Object.entries(linux.sysctl ?? {})) {
    out.push(check('file', `linux.sysctl ${k}=${v}`, `/proc/sys/${k.replace(/\./g, '/')}`, v));
  }

  // personality
  if (linux.personality) {
    const dom = linux.personality.domain === 'LINUX32' ? '0x08' : '0x00';
    out.push(check('personality', `linux.personality.domain ${linux.personality.domain}: personality(2) domain`, dom));
    if (linux.personality.domain === 'LINUX32' && host.arch === 'x64') out.push(check('machine', 'linux.personality.domain LINUX32: uname machine i686', 'i686'));
  }

  // memory policy
  if (linux.memoryPolicy) {
    const mp = linux.memoryPolicy;
    const mask = mp.nodes ? listToMask(mp.nodes) : 0n;
    out.push(check('mempolicy', `linux.memoryPolicy ${mp.mode} nodes ${mp.nodes ?? ''}`, `${MPOL_MODES[mp.mode]} 0x${mask.toString(16)}`));
  }

  // cgroups
  const cgns = nss.some((n) => n.type === 'cgroup');
  if (linux.cgroupsPath && linux.cgroupsPath.startsWith('/')) {
    for (const ctl of ['memory', 'pids', 'cpu']) {
      if (!host.cgroupMounts.some((m) => m.super.split(',').includes(ctl))) continue;
      const want = cgns ? '/' : linux.cgroupsPath;
      out.push(check('selfcg', `linux.cgroupsPath: /proc/self/cgroup ${ctl} is ${cgns ? '/ (cgroup namespace root)' : 'the cgroupsPath'}`, ctl, want));
    }
  }
  // limits are read back through a cgroup mount in the container, when the config has one
  const r = (config.mounts ?? []).some((m) => m.type === 'cgroup') ? linux.resources ?? {} : {};
  const cg = (ctl, file, v, field) => out.push(check('cgfile', `linux.resources.${field}: ${ctl}/${file} = ${v}`, ctl, file, v));
  // 0 for cpu shares/quota/period is "not set" to engines (Docker writes shares 0); the kernel refuses 0 anyway
  const setCpu = (v) => v !== undefined && v !== 0;
  // -1 is "unlimited": the v1 memory controller then shows PAGE_COUNTER_MAX pages (4 KiB pages)
  const UNLIMITED_MEM = '9223372036854771712';
  // so does int64 max, rounded down to whole pages
  const memLimit = (v) => (v === -1 || v === '__I64_MAX__' ? UNLIMITED_MEM : v);
  if (r.memory?.limit !== undefined) cg('memory', 'memory.limit_in_bytes', memLimit(r.memory.limit), 'memory.limit');
  if (r.memory?.reservation !== undefined) cg('memory', 'memory.soft_limit_in_bytes', r.memory.reservation, 'memory.reservation');
  if (r.memory?.swap !== undefined && host.hasMemsw) cg('memory', 'memory.memsw.limit_in_bytes', r.memory.swap, 'memory.swap');
  if (r.memory?.swappiness !== undefined) cg('memory', 'memory.swappiness', r.memory.swappiness, 'memory.swappiness');
  if (r.memory?.disableOOMKiller) cg('memory', 'memory.oom_control', 'oom_kill_disable 1 under_oom 0 oom_kill 0', 'memory.disableOOMKiller');
  if (r.pids?.limit !== undefined) cg('pids', 'pids.max', r.pids.limit < 0 ? 'max' : r.pids.limit, 'pids.limit');
  if (setCpu(r.cpu?.shares)) cg('cpu', 'cpu.shares', r.cpu.shares, 'cpu.shares');
  if (setCpu(r.cpu?.quota)) cg('cpu', 'cpu.cfs_quota_us', r.cpu.quota, 'cpu.quota');
  if (setCpu(r.cpu?.period)) cg('cpu', 'cpu.cfs_period_us', r.cpu.period, 'cpu.period');
  if (r.cpu?.burst !== undefined) cg('cpu', 'cpu.cfs_burst_us', r.cpu.burst, 'cpu.burst');
  if (r.cpu?.idle !== undefined) cg('cpu', 'cpu.idle', r.cpu.idle, 'cpu.idle');
  if (r.cpu?.cpus !== undefined) cg('cpuset', 'cpuset.cpus', r.cpu.cpus, 'cpu.cpus');
  if (r.cpu?.mems !== undefined) cg('cpuset', 'cpuset.mems', r.cpu.mems, 'cpu.mems');
  for (const [k, file] of [['throttleReadBpsDevice', 'read_bps_device'], ['throttleWriteBpsDevice', 'write_bps_device'], ['throttleReadIOPSDevice', 'read_iops_device'], ['throttleWriteIOPSDevice', 'write_iops_device']]) {
    for (const t of r.blockIO?.[k] ?? []) cg('blkio', `blkio.throttle.${file}`, `${t.major}:${t.minor} ${t.rate}`, `blockIO.${k}`);
  }

  // process
  if (proc.args) proc.args.forEach((a, i) => out.push(check('argv', `process.args[${i}]: ${a}`, i, a)));
  if (proc.cwd) out.push(check('cwd', `process.cwd: ${proc.cwd}`, proc.cwd));
  for (const e of proc.env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) out.push(check('env', `process.env ${e.slice(0, eq)}`, e.slice(0, eq), e.slice(eq + 1)));
  }
  const user = proc.user ?? {};
  out.push(check('id', `process.user.uid ${user.uid ?? 0}: real uid`, 'uid', user.uid ?? 0));
  out.push(check('id', `process.user.uid ${user.uid ?? 0}: effective uid`, 'euid', user.uid ?? 0));
  out.push(check('id', `process.user.gid ${user.gid ?? 0}: real gid`, 'gid', user.gid ?? 0));
  out.push(check('id', `process.user.gid ${user.gid ?? 0}: effective gid`, 'egid', user.gid ?? 0));
  if (user.additionalGids) {
    const g = [...new Set(user.additionalGids)].sort((a, b) => a - b).join(',');
    out.push(check('id', `process.user.additionalGids [${user.additionalGids}]: supplementary groups`, 'groups', g));
  }
  if (user.umask !== undefined) out.push(check('status', `process.user.umask ${user.umask.toString(8).padStart(4, '0')}`, 'Umask', user.umask.toString(8).padStart(4, '0')));
  out.push(...capChecks(proc.capabilities, user.uid ?? 0, host.knownCaps, host.grantableCaps, !!proc.noNewPrivileges));
  for (const rl of proc.rlimits ?? []) {
    out.push(check('rlimit', `process.rlimits ${rl.type}: soft ${limitStr(rl.soft)} hard ${limitStr(rl.hard)}`, rl.type, `${limitStr(rl.soft)} ${limitStr(rl.hard)}`));
  }
  out.push(check('status', `process.noNewPrivileges ${!!proc.noNewPrivileges}: NoNewPrivs`, 'NoNewPrivs', proc.noNewPrivileges ? '1' : '0'));
  if (proc.oomScoreAdj !== undefined) out.push(check('file', `process.oomScoreAdj ${proc.oomScoreAdj}: /proc/self/oom_score_adj`, '/proc/self/oom_score_adj', proc.oomScoreAdj));
  else out.push(check('file', `process.oomScoreAdj unset: oom_score_adj unchanged (${host.oomScoreAdj})`, '/proc/self/oom_score_adj', host.oomScoreAdj));
  if (linux.seccomp) out.push(check('status', 'linux.seccomp: filter mode (Seccomp: 2)', 'Seccomp', '2'));
  else out.push(check('status', 'linux.seccomp unset: no filter (Seccomp: 0)', 'Seccomp', '0'));
  if (proc.terminal) {
    for (const fd of [0, 1, 2]) out.push(check('tty', `process.terminal true: fd ${fd} is a terminal`, fd, 'yes'));
    out.push(check('ctty', 'process.terminal true: the terminal is the controlling terminal'));
    out.push(check('same', 'process.terminal true: /dev/console is the pseudoterminal', '/dev/console', '/proc/self/fd/0'));
    if (proc.consoleSize) out.push(check('winsize', `process.consoleSize ${proc.consoleSize.height}x${proc.consoleSize.width}`, `${proc.consoleSize.height} ${proc.consoleSize.width}`));
  } else {
    out.push(check('tty', 'process.terminal false: stdout is not a terminal', 1, 'no'));
  }
  if (proc.scheduler) {
    const s = proc.scheduler;
    out.push(check('sched', `process.scheduler ${s.policy} priority ${s.priority ?? 0} nice ${s.nice ?? 0}`, `${SCHED_POLICIES[s.policy]} ${s.priority ?? 0} ${s.nice ?? 0}`));
  }
  if (proc.ioPriority) {
    out.push(check('ioprio', `process.ioPriority ${proc.ioPriority.class} ${proc.ioPriority.priority}`, `${IOPRIO_CLASSES[proc.ioPriority.class]} ${proc.ioPriority.priority}`));
  }
  return out;
}

export { CAP_NAMES };
