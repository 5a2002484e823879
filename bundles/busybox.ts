// A ready-to-run bundle from the host's static busybox: a rootfs with
// /bin/busybox and its applet links, the usual directories, /etc/passwd and
// /etc/group with root and nobody, and config.json from defaultSpec().
// Used by `npm run bundle:busybox`, the demo, and the tests' makeBundle().
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultSpec } from '../src/spec/default.js';
import type { Spec } from '../src/spec/types.js';

export const HOST_BUSYBOX = '/bin/busybox';

export interface BusyboxBundleOptions {
  /** process.args; default ['sh']. */
  args?: string[];
  /** process.terminal; default false (the output goes to the caller's stdio). */
  terminal?: boolean;
  /** The static busybox to copy; default /bin/busybox (Debian's busybox-static). */
  busybox?: string;
  /** Edit the config before it is written. */
  patch?: (spec: Spec) => void;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

/** Applet paths relative to the rootfs ("bin/sh", "usr/bin/env"), as busybox itself places them. */
export function appletPaths(busybox = HOST_BUSYBOX): string[] {
  const out = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' });
  // linuxrc is an initrd entry point, not a command.
  return out.split('\n').filter((p) => p && p !== 'linuxrc' && !p.includes('..') && !p.startsWith('/'));
}

/** Build the rootfs under `rootfs` (created if missing). */
export function makeBusyboxRootfs(rootfs: string, busybox = HOST_BUSYBOX): void {
  if (!existsSync(busybox)) {
    throw new Error(`${busybox} not found: apt-get install busybox-static`);
  }
  for (const [dir, mode] of [
    ['bin', 0o755], ['sbin', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['etc', 0o755],
    ['proc', 0o555], ['sys', 0o555], ['dev', 0o755], ['tmp', 0o1777], ['root', 0o700],
    ['home', 0o755], ['var', 0o755], ['run', 0o755],
  ] as const) {
    mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, dir), mode);
  }
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of appletPaths(busybox)) {
    const link = join(rootfs, applet);
    if (applet === 'bin/busybox' || existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync('/bin/busybox', link);
  }
  writeFileSync(join(rootfs, 'etc/passwd'), PASSWD, { mode: 0o644 });
  writeFileSync(join(rootfs, 'etc/group'), GROUP, { mode: 0o644 });
  writeFileSync(join(rootfs, 'etc/hostname'), 'tsrun\n', { mode: 0o644 });
}

/** The config for a busybox bundle: defaultSpec() with our args and terminal. */
export function busyboxConfig(opts: BusyboxBundleOptions = {}): Spec {
  const spec = defaultSpec({ args: opts.args ?? ['sh'] });
  spec.process!.terminal = opts.terminal ?? false;
  opts.patch?.(spec);
  return spec;
}

/** Make a bundle in `dir` (created if missing): rootfs/ and config.json. Returns the config written. */
export function makeBusyboxBundle(dir: string, opts: BusyboxBundleOptions = {}): Spec {
  mkdirSync(dir, { recursive: true });
  makeBusyboxRootfs(join(dir, 'rootfs'), opts.busybox);
  const spec = busyboxConfig(opts);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, '\t') + '\n');
  return spec;
}
