// Bundles on disk: a shared tmpfs work area, a busybox + checker rootfs per
// bundle (hard links, so sixty bundles cost one copy), and the base config
// every matrix entry starts from.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { serialize } from './expect.mjs';

export const CHECKER_IN_CONTAINER = '/conformance-checker';
export const EXPECT_IN_CONTAINER = '/.conformance/expect';
const APPLETS = ['sh', 'readlink', 'sleep', 'cat', 'echo', 'ls', 'mkdir', 'true', 'false', 'kill', 'id', 'test', 'touch', 'mount'];

/**
 * The work area: <tmp>/tsrun-conformance-XXXX/b is a tmpfs made shared, so a
 * bind from it has a peer group and "slave"/"shared" propagation is visible.
 */
export class Workspace {
  /** @param {string} checkerPath @param {string} busyboxPath */
  constructor(checkerPath, busyboxPath) {
    this.dir = mkdtempSync('/tmp/tsrun-conformance-');
    chmodSync(this.dir, 0o755); // user-namespaced containers must reach their rootfs
    this.bundles = join(this.dir, 'b');
    mkdirSync(this.bundles);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=755,size=512m', 'conformance', this.bundles]);
    execFileSync('mount', ['--make-shared', this.bundles]);
    this.mounted = [this.bundles];
    this.shared = join(this.bundles, '.shared');
    mkdirSync(this.shared);
    copyFileSync(checkerPath, join(this.shared, 'checker'));
    copyFileSync(busyboxPath, join(this.shared, 'busybox'));
    chmodSync(join(this.shared, 'checker'), 0o755);
    chmodSync(join(this.shared, 'busybox'), 0o755);
  }

  /** Mount something inside the work area for a bundle; undone by destroy(). */
  mount(args, target) {
    mkdirSync(target, { recursive: true });
    execFileSync('mount', [...args, target]);
    this.mounted.push(target);
  }

  /**
   * A fresh bundle directory with a rootfs: busybox applets, the checker, the
   * usual top-level directories and any extra paths the entry asks for.
   */
  newBundle(name) {
    const dir = join(this.bundles, name);
    rmSync(dir, { recursive: true, force: true });
    const rootfs = join(dir, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'mnt', '.conformance']) mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    linkSync(join(this.shared, 'busybox'), join(rootfs, 'bin', 'busybox'));
    linkSync(join(this.shared, 'checker'), join(rootfs, CHECKER_IN_CONTAINER.slice(1)));
    for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
    return { dir, rootfs };
  }

  destroy() {
    for (const m of [...this.mounted].reverse()) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * In a user namespace, make the mount destinations that lie directly in the
 * rootfs (not inside another mount): the runtime, as the mapped root, cannot
 * create them in a directory owned by the host's root. Elsewhere leave them
 * to the runtime (runc, for one, keeps an existing directory's mode on a tmpfs).
 */
export function precreateDestinations(rootfs, config) {
  if (!(config.linux?.namespaces ?? []).some((n) => n.type === 'user')) return;
  const dests = (config.mounts ?? []).map((m) => m.destination);
  for (const m of config.mounts ?? []) {
    const d = m.destination;
    if (dests.some((o) => o !== d && o !== '/' && d.startsWith(o + '/'))) continue;
    const p = join(rootfs, d);
    if (existsSync(p)) continue;
    const isFileBind = (m.options ?? []).some((o) => o === 'bind' || o === 'rbind') && m.source && existsSync(m.source) && !isDir(m.source);
    if (isFileBind) {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, '');
    } else {
      mkdirSync(p, { recursive: true });
    }
  }
}

function isDir(p) {
  try {
    return readdirSync(p) !== null;
  } catch {
    return false;
  }
}

/**
 * uint64 max cannot be a JS number; configs carry this string where they mean
 * it and the JSON text gets the exact digits (RLIM_INFINITY, 2^64-1).
 */
export const U64_MAX = '__U64_MAX__';
/** int64 max, likewise (9223372036854775807). */
export const I64_MAX = '__I64_MAX__';

/** config.json text, with U64_MAX and I64_MAX written as exact integers. */
export function configText(config) {
  return JSON.stringify(config, null, 2)
    .replaceAll(`"${U64_MAX}"`, '18446744073709551615')
    .replaceAll(`"${I64_MAX}"`, '9223372036854775807');
}

/** Write config.json and the checker's expectations into the bundle. */
export function writeBundle(bundle, runtimeConfig, checks) {
  writeFileSync(join(bundle.dir, 'config.json'), configText(runtimeConfig));
  writeFileSync(join(bundle.rootfs, EXPECT_IN_CONTAINER.slice(1)), checks.map((c) => serialize(c) + '\n').join(''), { mode: 0o644 });
}

export const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export const SPEC_VERSION = '1.3.0';

/** The base config: what `runc spec` writes, with the checker as the process. */
export function baseConfig(cgroupsPath, ociVersion = SPEC_VERSION) {
  return {
    ociVersion,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [CHECKER_IN_CONTAINER, EXPECT_IN_CONTAINER],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath,
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
