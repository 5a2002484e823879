// One container as every command sees it: its record loaded and checked
// once, its status, the state hooks get, its config typed, and the one
// writer of its record. Writing the record also writes the fast form beside
// it (fast-form.ts) for bin/tsrun's later hot commands, so the two are
// never out of step.
import type { Spec } from '../spec/types.js';
import { FAST_FILE } from './generated/fast.js';
import { CGROUP_FILE, STATE_FILE, containerDir } from './paths.js';
import { Dir, readRegular } from './safe-fs.js';
import { type FreezerProbe, cgroupFrozen, containerStatus, stateObject } from './status.js';
import { processStartTime } from './proc.js';
import { readRecord, writeRecord } from './store.js';
import { nowRfc3339Nano } from './time.js';
import type { ContainerRecord, ContainerStatus, StateObject } from './types.js';

declare const require: (id: string) => unknown;

/** The state the runtime-spec hooks get on stdin (config-linux.md, runtime.md). */
export interface HookState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

/** Hook state from a record (or the parts of one a create has before its record exists). */
export function hookState(record: Pick<ContainerRecord, 'ociVersion' | 'id' | 'pid' | 'bundle' | 'annotations'>, status: string, withPid = true): HookState {
  const s: HookState = { ociVersion: record.ociVersion, id: record.id, status, ...(withPid ? { pid: record.pid } : {}), bundle: record.bundle };
  if (record.annotations && Object.keys(record.annotations).length > 0) s.annotations = record.annotations;
  return s;
}

/** What a new record is made of (Container.started). */
export interface NewRecord {
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  config: Spec;
  cgroupPaths: Record<string, string>;
  cgroupUnit?: ContainerRecord['cgroupUnit'];
  /** create had --systemd-cgroup: the fast form leaves delete to Node */
  systemdCgroup: boolean;
}

export class Container {
  private constructor(
    readonly root: string,
    readonly record: ContainerRecord,
    readonly dir: string = containerDir(root, record.id),
  ) {}

  /** The container `id` under `root`: `container does not exist`, or UnreadableRecord (store.ts). */
  static load(root: string, id: string): Container {
    return new Container(root, readRecord(root, id));
  }

  /** A container whose record is new (create), not yet written. */
  static of(root: string, record: ContainerRecord): Container {
    return new Container(root, record);
  }

  /**
   * The record of a container whose init is `pid` (create's, and restore's
   * at criu's post-restore), written with its fast form beside it.
   */
  static started(root: string, o: NewRecord): Container {
    const record: ContainerRecord = {
      ociVersion: o.config.ociVersion,
      id: o.id,
      pid: o.pid,
      pidStartTime: processStartTime(o.pid) ?? 0,
      bundle: o.bundle,
      rootfs: o.rootfs,
      created: nowRfc3339Nano(),
      annotations: o.config.annotations ?? {},
      owner: process.getuid?.() ?? 0,
      config: o.config as unknown as ContainerRecord['config'],
      cgroupPaths: o.cgroupPaths,
      ...(o.cgroupUnit ? { cgroupUnit: o.cgroupUnit } : {}),
    };
    const c = new Container(root, record);
    c.save({ paths: o.cgroupPaths, systemd: o.systemdCgroup });
    return c;
  }

  get id(): string {
    return this.record.id;
  }

  /** The validated config create stored (a Spec: create stores nothing else). */
  get config(): Spec {
    return this.record.config as unknown as Spec;
  }

  status(frozen: FreezerProbe = cgroupFrozen): ContainerStatus {
    return containerStatus(this.record, this.dir, frozen);
  }

  state(status: ContainerStatus = this.status()): StateObject {
    return stateObject(this.record, status);
  }

  hookState(status: string, withPid = true): HookState {
    return hookState(this.record, status, withPid);
  }

  /**
   * Write the record (atomically), then its fast form for those exact
   * bytes. `cgroup`: what create knows of the cgroup record (its paths, and
   * whether systemd manages it); otherwise cgroup.json is read back.
   */
  save(cgroup?: { paths: Record<string, unknown>; systemd: boolean }): void {
    writeRecord(this.dir, this.record);
    writeFastForm(this.dir, this.record, cgroup);
  }
}

/**
 * Best effort: without a fast form, or with one of another state.json, every
 * later command just goes to Node. A failure here removes the old one so
 * that it cannot describe a record it no longer matches (its identity check
 * would catch that too).
 */
function writeFastForm(dir: string, record: ContainerRecord, cgroup?: { paths: Record<string, unknown>; systemd: boolean }): void {
  let d: Dir | undefined;
  try {
    d = Dir.open(dir, { owned: true });
    const { lstatSync } = require('node:fs') as typeof import('node:fs');
    const st = lstatSync(d.at(STATE_FILE));
    let cgroupRecord = cgroup?.paths;
    if (!cgroup) {
      try {
        cgroupRecord = JSON.parse(readRegular(d.at(CGROUP_FILE), 1 << 16, CGROUP_FILE, { owned: true }).toString('utf8')) as Record<string, unknown>;
      } catch {
        cgroupRecord = undefined;
      }
    }
    const { encodeFastForm, recordIdentity } = require('./fast-form.js') as typeof import('./fast-form.js');
    const form = encodeFastForm(record, recordIdentity(st), cgroupRecord, cgroup?.systemd ?? false);
    d.replace(FAST_FILE, form, 0o600);
  } catch {
    try {
      d?.remove(FAST_FILE);
    } catch {
      /* the identity check keeps a stale one unused */
    }
  } finally {
    d?.close();
  }
}
