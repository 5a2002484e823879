// Facts about the machine the runtime runs on, gathered once per run: the
// namespaces a container must differ from (or share), the limits and
// capabilities a runtime can grant here, and where cgroup hierarchies live.
import { readFileSync, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';

/** Capability names by bit number (linux/capability.h). */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const NS_FILES = {
  pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** @param {string} path */
export function inodeOf(path) {
  return String(statSync(path).ino);
}

/** Does reading `path` on the host give at least one byte (or is it a non-empty dir)? */
export function hostHasContent(path) {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return readdirSync(path).length > 0;
    const fd = openSync(path, 'r');
    try {
      return readSync(fd, Buffer.alloc(16), 0, 16, null) > 0;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

export function pathExists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** @returns {Record<string, {soft: string, hard: string}>} from /proc/self/limits, keyed RLIMIT_* */
function readLimits() {
  const names = {
    'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
    'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
    'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
    'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
    'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE',
    'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
  };
  /** @type {Record<string, {soft: string, hard: string}>} */
  const out = {};
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    for (const [label, key] of Object.entries(names)) {
      if (line.startsWith(label)) {
        const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
        out[key] = { soft, hard };
      }
    }
  }
  return out;
}

function statusField(key) {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${key}:\\s*(.*)$`, 'm'));
  return m ? m[1].trim() : '';
}

/** The host's mountinfo, one entry a line, paths unescaped: {root, point, fstype, super}. */
function mountinfo() {
  const unesc = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      const dash = f.indexOf('-');
      return { root: unesc(f[3]), point: unesc(f[4]), fstype: f[dash + 1], super: f[dash + 3] ?? '' };
    });
}

/** cgroup hierarchies mounted on the host. */
export function cgroupMounts() {
  return mountinfo().filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
}

/**
 * Where `path` sits inside its filesystem, as a bind mount's mountinfo "root"
 * shows it: the root of the host mount holding it joined with the rest.
 */
export function fsRootOf(path) {
  let best = { root: '/', point: '/' };
  for (const m of mountinfo()) {
    if ((path === m.point || path.startsWith(m.point === '/' ? '/' : m.point + '/')) && m.point.length >= best.point.length) best = m;
  }
  const rest = path.slice(best.point === '/' ? 0 : best.point.length);
  const joined = (best.root === '/' ? '' : best.root) + rest;
  return joined === '' ? '/' : joined;
}

export function gatherHost() {
  const ns = {};
  for (const [type, file] of Object.entries(NS_FILES)) {
    try {
      ns[type] = inodeOf(`/proc/self/ns/${file}`);
    } catch {
      ns[type] = null;
    }
  }
  const capBnd = BigInt('0x' + statusField('CapBnd'));
  const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const knownCaps = CAP_NAMES.slice(0, lastCap + 1);
  return {
    ns,
    limits: readLimits(),
    lastCap,
    knownCaps,
    /** capabilities the runtime can hand out here (in our bounding set) */
    grantableCaps: knownCaps.filter((_, i) => (capBnd >> BigInt(i)) & 1n),
    missingCaps: knownCaps.filter((_, i) => !((capBnd >> BigInt(i)) & 1n)),
    oomScoreAdj: readFileSync('/proc/self/oom_score_adj', 'utf8').trim(),
    umask: statusField('Umask'),
    cgroupMounts: cgroupMounts(),
    cpus: readFileSync('/sys/devices/system/cpu/online', 'utf8').trim(),
    hasMemsw: pathExists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    arch: process.arch,
  };
}

/** major:minor of a real block device (for blkio throttling), or null. */
export function someBlockDevice() {
  try {
    const names = readdirSync('/sys/block').filter((n) => /^(vd|sd|nvme|xvd|hd)/.test(n)).sort();
    if (names.length === 0) return null;
    const [major, minor] = readFileSync(`/sys/block/${names[0]}/dev`, 'utf8').trim().split(':').map(Number);
    return { major, minor };
  } catch {
    return null;
  }
}
