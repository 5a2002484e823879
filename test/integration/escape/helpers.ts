// The escape suite's witness: a host canary directory (listing, types, modes
// and hashes of everything in it) and the host's own mount table, taken
// before and after a crafted container, must be identical.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { tempDir } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';
import { makeRoot, type Root } from '../lifecycle/helpers.js';

export interface Canary {
  path: string;
  /** A file in the canary a container must never read, write or cover. */
  file: string;
  snapshot(): string;
  remove(): void;
}

export function makeCanary(): Canary {
  const dir = tempDir('tsrun-canary-');
  chmodSync(dir.path, 0o755);
  const file = join(dir.path, 'secret');
  writeFileSync(file, 'host secret\n', { mode: 0o644 });
  mkdirSync(join(dir.path, 'etc'));
  writeFileSync(join(dir.path, 'etc', 'passwd'), 'root:x:0:0:host:/:/bin/sh\n');
  return { path: dir.path, file, snapshot: () => snapshotTree(dir.path), remove: dir.remove };
}

/** Every entry below dir: path, type, mode, owner, and a hash of file contents or link targets. */
export function snapshotTree(dir: string): string {
  const out: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = lstatSync(p);
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(readFileSync(p)).digest('hex');
    else if (st.isSymbolicLink()) what = `-> ${readlinkSync(p)}`;
    else if (st.isCharacterDevice() || st.isBlockDevice()) what = `dev ${st.rdev}`;
    out.push(`${rel} ${(st.mode >>> 0).toString(8)} ${st.uid}:${st.gid} ${what}`);
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n), `${rel}/${n}`);
  };
  walk(dir, '.');
  return out.join('\n');
}

/**
 * The host mount table, as mount point + source + fs type. Mounts other
 * tests make under /tmp at the same time are left out, except any under the
 * paths this test watches (its canary and bundle), where none may appear.
 */
export function hostMounts(watch: string[]): string {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
  const rows = lines.map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return `${f[4]} ${f[sep + 1]} ${f[sep + 2]} ${f[5]}`;
  });
  return rows
    .filter((r) => {
      const mp = r.split(' ')[0]!;
      if (watch.some((w) => mp === w || mp.startsWith(`${w}/`))) return true;
      return !mp.startsWith('/tmp/') && !mp.startsWith('/run/netns') && !mp.startsWith('/var/run/netns');
    })
    .sort()
    .join('\n');
}

export interface Scenario {
  root: Root;
  bundle: Bundle;
  canary: Canary;
  rootfs: string;
  /** tsrun run; returns the result (stdout of the container, stderr of tsrun). */
  run(id: string): { code: number | null; stdout: string; stderr: string };
  /** Assert nothing outside the rootfs changed since the scenario was made. */
  hostUnchanged(): { canaryBefore: string; canaryAfter: string; mountsBefore: string; mountsAfter: string };
  cleanup(...ids: string[]): void;
}

/**
 * A busybox bundle whose rootfs `craft` may booby-trap (symlinks to the
 * canary, loops...), with a config `patch`. The canary and the host mounts
 * are recorded after crafting, before any tsrun call.
 */
export function scenario(script: string | ((c: Canary) => string), craft: (rootfs: string, canary: Canary) => void, patch: (s: Spec, canary: Canary) => void): Scenario {
  const canary = makeCanary();
  const bundle = makeBundle({ args: ['sh', '-c', typeof script === 'string' ? script : script(canary)], patch: (s) => patch(s, canary) });
  chmodSync(bundle.dir, 0o755);
  const rootfs = join(bundle.dir, 'rootfs');
  craft(rootfs, canary);
  const root = makeRoot();
  const watch = [canary.path, bundle.dir];
  const canaryBefore = canary.snapshot();
  const mountsBefore = hostMounts(watch);
  return {
    root,
    bundle,
    canary,
    rootfs,
    run: (id) => root.ts(['run', '--bundle', bundle.dir, id]),
    hostUnchanged: () => ({ canaryBefore, canaryAfter: canary.snapshot(), mountsBefore, mountsAfter: hostMounts(watch) }),
    cleanup(...ids) {
      root.cleanup(...ids);
      bundle.remove();
      canary.remove();
    },
  };
}
