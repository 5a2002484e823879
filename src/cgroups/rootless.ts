// --rootless: a runtime without the right to create cgroups (an
// unprivileged user with no delegated subtree) still runs containers, as
// runc does: permission errors on creating and joining the cgroup are
// logged and the container runs where its parent is. Asking for limits that
// cannot be applied stays an error; there is no silent "limit ignored".
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { CgroupManager, CgroupResources } from './manager.js';
import { blkio } from './v1/blkio.js';
import { cpu } from './v1/cpu.js';
import { cpuset } from './v1/cpuset.js';
import { hugetlb } from './v1/hugetlb.js';
import { memory } from './v1/memory.js';
import { netCls } from './v1/net-cls.js';
import { netPrio } from './v1/net-prio.js';
import { pids } from './v1/pids.js';
import { rdma } from './v1/rdma.js';

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

function permissionError(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; e && i < 4; i++) {
    const code = (e as { errno?: string; code?: string }).errno ?? (e as { code?: string }).code;
    if (code && PERMISSION.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return /permission denied|operation not permitted|read-only file system/.test(String((err as Error)?.message ?? ''));
}

/** The first limit the resources ask for (devices aside), or undefined. */
function askedLimit(r: CgroupResources | undefined): string | undefined {
  if (!r) return undefined;
  for (const c of [cpu, cpuset, memory, pids, blkio, hugetlb, netCls, netPrio, rdma]) {
    const field = c.requested(r);
    if (field) return field;
  }
  return Object.keys(r.unified ?? {}).length > 0 ? '/linux/resources/unified' : undefined;
}

/**
 * Whether this caller could make and join every one of the cgroup's
 * directories: the existing leaf's cgroup.procs, or the nearest existing
 * ancestor, writable. Asked before the plan is compiled, since the plan names
 * the cgroup.procs files the executor joins: one it may not write would kill
 * the create there instead of running without a cgroup.
 */
export function cgroupWritable(paths: Record<string, string>): boolean {
  return unwritable(paths) === undefined;
}

/** The first of `paths` this caller could not make or join, or undefined. */
function unwritable(paths: Record<string, string>): string | undefined {
  return Object.values(paths).find((p) => {
    let dir = p;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      accessSync(dir === p ? join(p, 'cgroup.procs') : dir, constants.W_OK);
      return false;
    } catch {
      return true;
    }
  });
}

/** The resources with no device rules at all (see prepare below). */
function withoutDevices(r: CgroupResources | undefined): CgroupResources | undefined {
  return r && { ...r, deviceRules: undefined, devices: undefined };
}

/**
 * The systemd driver under a user's manager: the scope is the user's and
 * limits go through it, but a device filter still takes root (systemd's
 * user manager leaves DevicePolicy alone too): not tried, as above.
 */
export function rootlessDevicesSkipped(m: CgroupManager): CgroupManager {
  // the manager is a class: its methods and fields stay its own, these three go through first
  return new Proxy(m, {
    get(target, key) {
      if (key === 'create') return (r?: CgroupResources) => target.create(withoutDevices(r));
      if (key === 'prepare') return (r?: CgroupResources) => target.prepare(withoutDevices(r));
      if (key === 'apply') return (r: CgroupResources, made: string[]) => target.apply(withoutDevices(r)!, made);
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export function tolerateRootless(m: CgroupManager, writable = cgroupWritable(m.paths())): CgroupManager {
  let usable = writable;
  /** Found out before the plan: prepare() has still to say so (or refuse the limits asked). */
  let refusePrepare = !writable;
  const skip = (what: string, err: unknown): void => {
    // runc says nothing here: a rootless container without a cgroup of its own is the usual case
    log.debug(`rootless: ${what}: ${(err as Error).message}; running without a cgroup of its own`);
    usable = false;
  };
  /** A cgroup we may not make is no error unless the config asks for limits. */
  const refused = (resources: CgroupResources | undefined, err: unknown): void => {
    if (!permissionError(err)) throw err;
    const field = askedLimit(resources);
    if (field) {
      throw new TsrunError(`cannot apply ${field.slice(1).split('/').join('.')} without a cgroup: ${(err as Error).message}`, { field, cause: err });
    }
    skip('cannot create the cgroup', err);
  };
  const wrapped: CgroupManager = {
    kind: m.kind,
    create(resources) {
      wrapped.apply(resources ?? {}, wrapped.prepare(resources));
    },
    prepare(resources) {
      if (refusePrepare) {
        // the plan joins no cgroup; only what was asked for is an error
        refusePrepare = false;
        refused(resources, new TsrunError(`no write access to make or join ${unwritable(m.paths()) ?? 'the cgroup'}`, { errno: 'EACCES' }));
        return [];
      }
      try {
        // no device filter: loading a BPF program (or writing v1
        // devices.deny) takes root, and a user namespace keeps the host's
        // devices from the container anyway (runc skips them rootless too).
        // Trying it undid the cgroup the plan was already compiled to join.
        return m.prepare(withoutDevices(resources));
      } catch (err) {
        refused(resources, err);
        return [];
      }
    },
    apply(resources, made) {
      if (!usable) return;
      try {
        m.apply(withoutDevices(resources)!, made);
      } catch (err) {
        refused(resources, err);
      }
    },
    addPid(pid) {
      if (!usable) return;
      try {
        m.addPid(pid);
      } catch (err) {
        if (!permissionError(err)) throw err;
        skip('cannot join the cgroup', err);
      }
    },
    procsFiles: () => (usable ? m.procsFiles() : []),
    set: (r) => m.set(r),
    pids: () => (usable || m.exists() ? m.pids() : []),
    stats: () => m.stats(),
    freeze: () => m.freeze(),
    thaw: () => m.thaw(),
    freezerState: () => m.freezerState(),
    killAll: (sig) => m.killAll(sig),
    destroy(timeoutMs) {
      try {
        m.destroy(timeoutMs);
      } catch (err) {
        if (!permissionError(err)) throw err;
      }
    },
    paths: () => (usable ? m.paths() : {}),
    exists: () => m.exists(),
    oomKillCount: () => m.oomKillCount(),
  };
  return wrapped;
}
