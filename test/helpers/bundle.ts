// Ready-to-run busybox bundles for tests, each in its own temp dir and with an
// ABSOLUTE linux.cgroupsPath under a parent of the test's own
// (/tsrun-test-<pid>-<random>/<name>): a test never uses the default cgroup
// placement of the machine, and remove() takes the whole parent away.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxBundle } from '../../bundles/busybox.js';
import { removeCgroupParent } from './cgroup-dirs.mjs';
import type { Spec } from '../../src/spec/types.js';

export interface BundleOptions {
  /** process.args; default ['sh']. */
  args?: string[];
  /** Edit the config before it is written. */
  patch?: (spec: Spec) => void;
  /** Cgroup parent (no slashes); default tsrun-test-<pid>-<random>. */
  cgroupParent?: string;
  /** Leaf cgroup name under the parent; default 'c'. */
  name?: string;
  terminal?: boolean;
}

export interface Bundle {
  dir: string;
  config: Spec;
  /** The parent, relative to each hierarchy's root: "tsrun-test-123-abcd". */
  cgroupParent: string;
  /** linux.cgroupsPath as written: "/tsrun-test-123-abcd/c". */
  cgroupsPath: string;
  /** Remove the bundle dir and every cgroup left under the parent (rmdir only). */
  remove(): void;
}

export function makeBundle(opts: BundleOptions = {}): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-bundle-'));
  const cgroupParent = opts.cgroupParent ?? `tsrun-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const cgroupsPath = `/${cgroupParent}/${opts.name ?? 'c'}`;
  try {
    const config = makeBusyboxBundle(dir, {
      args: opts.args,
      terminal: opts.terminal,
      patch: (spec) => {
        spec.linux = { ...spec.linux, cgroupsPath };
        opts.patch?.(spec);
      },
    });
    return {
      dir,
      config,
      cgroupParent,
      cgroupsPath,
      remove() {
        rmSync(dir, { recursive: true, force: true });
        removeCgroupParent(cgroupParent);
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
