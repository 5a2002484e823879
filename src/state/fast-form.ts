// The fast form: what create decided for the later hot commands, in the
// small binary form bin/tsrun reads (src/state/fast.def.mjs defines it,
// native/fastpath.c carries it out). Written beside state.json each time the
// record is written, with the identity of that state.json: a record changed
// by anything else (or damaged) no longer matches, and the launcher leaves
// every command to Node.
import { encodeTlv } from '../plan/encode.js';
import { FAST_BUILD_ID, FAST_MAGIC, FAST_VERSION, fastRecords, nodeOnly } from './generated/fast.js';
import { goJson } from './json.js';
import { stateObject } from './status.js';
import type { ContainerRecord } from './types.js';

/**
 * What the launcher compares with state.json's fstat before it trusts the
 * fast form: ino, size, mtimeMs and ctimeMs as Node's lstat gives them (a
 * double each; Node computes the times as sec * 1e3 + nsec / 1e6, and so
 * does the launcher). Not a hash of the bytes: hashing in JS tiered a hot
 * loop up and cost create ~4 MiB of peak RSS.
 */
export function recordIdentity(st: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeDoubleLE(st.ino, 0);
  b.writeDoubleLE(st.size, 8);
  b.writeDoubleLE(st.mtimeMs, 16);
  b.writeDoubleLE(st.ctimeMs, 24);
  return b;
}

interface StateText {
  beforePid: string;
  beforeStatus: string;
  afterStatus: string;
}

/**
 * `tsrun state`'s output cut around the two values that change (pid and
 * status), so that the launcher prints exactly what stateObject + goJson
 * print. undefined when the cut does not give the text back for every
 * status the launcher prints (then `state` stays with Node).
 */
export function stateText(record: ContainerRecord): StateText | undefined {
  const head = goJson({ ociVersion: record.ociVersion, id: record.id, pid: 0 }, 2);
  if (!head.endsWith('0\n}')) return undefined;
  const beforePid = head.slice(0, -3);
  const beforeStatus = ',\n  "status": "';
  const full = goJson(stateObject(record, 'running'), 2);
  const at = beforePid.length + String(record.pid).length + beforeStatus.length + 'running'.length;
  const text = { beforePid, beforeStatus, afterStatus: full.slice(at) };
  for (const status of ['created', 'running', 'stopped'] as const) {
    const pid = status === 'stopped' ? 0 : record.pid;
    if (text.beforePid + pid + text.beforeStatus + status + text.afterStatus !== goJson(stateObject(record, status), 2)) return undefined;
  }
  return text;
}

/** Every value an absolute directory: what cgroup_dirs lists is the whole cgroup. */
const plain = (paths: Record<string, unknown> | undefined) => Object.values(paths ?? {}).every((p) => typeof p === 'string' && p.startsWith('/'));

/** A cgroup that systemd manages (a unit recorded, or "slice:prefix:name"): delete must stop the unit, in Node. */
function systemdManaged(record: ContainerRecord, cgroupRecord: Record<string, unknown> | undefined, systemd = false): boolean {
  if (systemd || record.cgroupUnit) return true;
  if (!plain(record.cgroupPaths) || !plain(cgroupRecord)) return true;
  const cgroupsPath = record.config?.linux?.cgroupsPath;
  return typeof cgroupsPath === 'string' && cgroupsPath.includes(':');
}

function hooksOf(record: ContainerRecord, kind: string): number {
  const hooks = record.config?.hooks as Record<string, unknown[] | undefined> | undefined;
  return hooks?.[kind]?.length ?? 0;
}

/** The commands of this container that need JavaScript (nodeOnly bits). */
export function nodeOnlyBits(record: ContainerRecord, cgroupRecord?: Record<string, unknown>, text = stateText(record), systemd = false): number {
  let bits = 0;
  if (hooksOf(record, 'poststart') > 0) bits |= nodeOnly.start;
  if (hooksOf(record, 'poststop') > 0 || systemdManaged(record, cgroupRecord, systemd)) bits |= nodeOnly.delete;
  if (!text) bits |= nodeOnly.state;
  // kill --all of a stopped container is the launcher's only when it can see every directory is empty
  if (!plain(record.cgroupPaths)) bits |= nodeOnly.killAll;
  return bits;
}

/** `cgroupRecord`: what cgroup.json holds; `systemd`: the cgroup is systemd's (--systemd-cgroup). */
export function encodeFastForm(record: ContainerRecord, identity: Uint8Array, cgroupRecord?: Record<string, unknown>, systemd = false): Buffer {
  const text = stateText(record);
  const paths = record.cgroupPaths ?? {};
  const desc = fastRecords.container;
  return encodeTlv(FAST_MAGIC, FAST_VERSION, FAST_BUILD_ID, [{
    code: desc.code,
    fields: desc.fields,
    args: {
      id: record.id,
      node_only: nodeOnlyBits(record, cgroupRecord, text, systemd),
      pid: record.pid,
      pid_start: record.pidStartTime,
      record_stat: identity,
      state_before_pid: text?.beforePid ?? '',
      state_before_status: text?.beforeStatus ?? '',
      state_after_status: text?.afterStatus ?? '',
      bundle: record.bundle,
      created: record.created,
      freezer_v1: paths.freezer ?? '',
      freezer_v2: paths.unified ?? '',
      // the order removeEmptyCgroups tries them in
      cgroup_dirs: Object.values(paths).filter((p) => typeof p === 'string' && p.startsWith('/')),
    },
  }]);
}
