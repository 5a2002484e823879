// The test VM's disk image: a Debian 12 root made by mmdebstrap from Debian
// packages only (the kernel too), with the host's own Node, turned into an
// ext4 file system image. Cached outside the checkout, keyed by everything
// that goes into it, so that a second run only boots.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { step, withHeartbeat } from './progress.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const GUEST = join(here, 'guest');

export const CACHE_DIR = process.env.TSRUN_VM_CACHE || '/var/cache/tsrun-vm';

/** What the guest has besides Debian's essential set and apt. */
export const PACKAGES = [
  // the host: Debian's kernel, booted with its initramfs, systemd as PID 1
  'linux-image-amd64', 'initramfs-tools', 'systemd', 'systemd-sysv', 'udev', 'dbus', 'dbus-user-session',
  'libpam-systemd', 'kmod', 'iproute2', 'procps', 'psmisc', 'util-linux', 'mount',
  // AppArmor on, as Debian 12 boots it: apparmor_parser, the profiles, the unit that loads them
  'apparmor',
  // the engines and runtimes tsrun stands in for or is compared with
  'docker.io', 'containerd', 'podman', 'runc', 'crun', 'criu', 'uidmap', 'slirp4netns', 'fuse-overlayfs',
  'iptables',
  // CNI's bridge, host-local and loopback for the CRI pods (test/integration/cri/)
  'containernetworking-plugins',
  // what the build and the tests use (README's list)
  'busybox-static', 'gcc', 'make', 'pkg-config', 'libc6-dev', 'libseccomp-dev', 'python3', 'time', 'git',
];

/** mmdebstrap's options apart from the packages, hooks and mirrors. */
const MMDEBSTRAP_OPTS = [
  '--variant=apt',
  '--aptopt=Apt::Install-Recommends "false"',
  '--aptopt=Acquire::Languages "none"',
  '--dpkgopt=force-unsafe-io',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-exclude=/usr/share/info/*',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  '--dpkgopt=path-include=/usr/share/locale/locale.alias',
];

/** Free space in the guest's file system beyond what the root takes (builds, bundles, engine roots). */
const FREE_BYTES = 3 * 1024 ** 3;

/**
 * The host's apt sources, as files mmdebstrap pastes into the guest:
 * read at run time, so that no mirror is written into the project.
 */
export function hostSources() {
  const files = [];
  if (existsSync('/etc/apt/sources.list') && /^\s*deb\s/m.test(readFileSync('/etc/apt/sources.list', 'utf8'))) {
    files.push('/etc/apt/sources.list');
  }
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) {
    for (const f of readdirSync(d).sort()) {
      if (!/\.(sources|list)$/.test(f)) continue;
      const text = readFileSync(join(d, f), 'utf8');
      // Only Debian's own archive: the guest is built from Debian packages.
      if (/debian-archive-keyring|\bbookworm\b/.test(text)) files.push(join(d, f));
    }
  }
  if (files.length === 0) throw new Error('test/vm: no Debian apt source on this host (/etc/apt/sources.list{,.d})');
  return files;
}

function npmDir() {
  const p = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  return existsSync(join(p, 'bin', 'npm-cli.js')) ? p : '';
}

/** The cache key: the packages, the options, this file and the guest files, and the Node copied in. */
export function imageKey() {
  const h = createHash('sha256');
  h.update(JSON.stringify({ PACKAGES, MMDEBSTRAP_OPTS, FREE_BYTES, node: process.version, npm: npmDir() }));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  // The agent itself is not in the image (start-agent.sh runs the checkout's).
  for (const f of readdirSync(GUEST).sort()) if (f !== 'agent.mjs') h.update(f).update(readFileSync(join(GUEST, f)));
  const st = statSync(process.execPath);
  h.update(`${st.size}:${st.mtimeMs}`);
  return h.digest('hex').slice(0, 16);
}

/** The files of a built image, or undefined when it is not in the cache. */
export function cachedImage(key = imageKey()) {
  const dir = join(CACHE_DIR, `bookworm-${key}`);
  return existsSync(join(dir, 'manifest.json')) ? imageFiles(dir) : undefined;
}

function imageFiles(dir) {
  return { dir, disk: join(dir, 'root.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) };
}

function run(cmd, args, { log, nice = true } = {}) {
  const argv = nice ? ['-n', '19', 'ionice', '-c3', cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const fd = log ? openSync(log, 'a') : 'ignore';
    const child = spawn(nice ? 'nice' : cmd, nice ? argv : args, { stdio: ['ignore', fd, fd] });
    if (typeof fd === 'number') closeSync(fd);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} failed (${signal ?? `exit ${code}`})${log ? `; see ${log}` : ''}`));
    });
  });
}

function lastLine(file) {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines[lines.length - 1].replace(/\s+/g, ' ').slice(0, 100);
  } catch {
    return '';
  }
}

function installedCount(root) {
  try {
    return readdirSync(join(root, 'var/lib/dpkg/info')).filter((f) => f.endsWith('.list')).length;
  } catch {
    return 0;
  }
}

function duBytes(dir) {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]);
}

/** Take the build lock (a directory holding the builder's pid); a dead builder's lock is taken over. */
function lock(path) {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
      } catch { /* being written */ }
      let alive = false;
      try {
        if (pid) process.kill(pid, 0), (alive = true);
      } catch { /* gone */ }
      if (pid && !alive) rmSync(path, { recursive: true, force: true });
      else throw new Error(`test/vm: another build of this image runs (lock ${path}, pid ${pid || '?'})`);
    }
  }
}

/** The image for this key: from the cache, or built now (minutes). */
export async function ensureImage({ rebuild = false } = {}) {
  // A given image directory (debugging an image by hand, or one built by an
  // older script): used as it is.
  if (process.env.TSRUN_VM_IMAGE) {
    const img = imageFiles(process.env.TSRUN_VM_IMAGE);
    step(`image: ${img.dir} (TSRUN_VM_IMAGE)`);
    return img;
  }
  const key = imageKey();
  if (!rebuild) {
    const hit = cachedImage(key);
    if (hit) {
      step(`image bookworm-${key}: cached (${hit.dir})`);
      return hit;
    }
  }
  for (const tool of ['mmdebstrap', 'mkfs.ext4', 'qemu-img']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`test/vm: ${tool} is missing (apt-get install mmdebstrap e2fsprogs qemu-utils qemu-system-x86)`);
    }
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const final = join(CACHE_DIR, `bookworm-${key}`);
  const unlock = lock(`${final}.lock`);
  const tmp = `${final}.tmp`;
  const t0 = Date.now();
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const root = join(tmp, 'root');
    const log = join(tmp, 'build.log');
    step(`image bookworm-${key}: building in ${tmp} (log: ${log})`);
    const sources = hostSources();
    const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
    const args = [
      ...MMDEBSTRAP_OPTS,
      `--include=${PACKAGES.join(',')}`,
      `--essential-hook=sh ${q(join(GUEST, 'essential.sh'))} "$1"`,
      `--customize-hook=sh ${q(join(GUEST, 'customize.sh'))} "$1" ${q(process.execPath)} ${q(npmDir())} ${q(GUEST)}`,
      'bookworm', root, ...sources,
    ];
    await withHeartbeat('mmdebstrap (download and install the packages)', () => run('mmdebstrap', args, { log }), {
      detail: () => `${installedCount(root)} packages in; ${lastLine(log)}`,
    });
    const boot = join(root, 'boot');
    const kernel = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
    const initrd = readdirSync(boot).find((f) => f.startsWith('initrd.img-'));
    if (!kernel || !initrd) throw new Error(`test/vm: no kernel or initramfs in ${boot}`);
    copyFileSync(join(boot, kernel), join(tmp, 'vmlinuz'));
    copyFileSync(join(boot, initrd), join(tmp, 'initrd.img'));
    const used = duBytes(root);
    const size = Math.ceil((used * 1.1 + FREE_BYTES) / 1024 ** 2);
    await withHeartbeat(`mkfs.ext4 -d (${Math.round(used / 1024 ** 2)} MiB of files into a ${size} MiB image)`, () =>
      run('mkfs.ext4', ['-q', '-F', '-L', 'tsrun-root', '-d', root, join(tmp, 'root.img'), `${size}M`], { log }));
    const versions = spawnSync('chroot', [root, 'dpkg-query', '-W', '-f', '${Package} ${Version}\\n', ...PACKAGES], { encoding: 'utf8' }).stdout;
    rmSync(root, { recursive: true, force: true });
    const manifest = {
      key, built: new Date().toISOString(), buildSeconds: Math.round((Date.now() - t0) / 1000), kernel, rootBytes: used,
      imageMiB: size, packages: versions.trim().split('\n'), node: process.version,
    };
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    step(`image bookworm-${key}: built in ${manifest.buildSeconds}s (${kernel}, root ${Math.round(used / 1024 ** 2)} MiB)`);
    return imageFiles(final);
  } catch (e) {
    step(`image build failed; what was made is left in ${tmp}`);
    throw e;
  } finally {
    unlock();
  }
}

