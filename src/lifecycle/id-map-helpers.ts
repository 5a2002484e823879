// A caller without root may write one line of each id map of its user
// namespace itself: its own uid (and its own gid, with setgroups denied).
// Anything more goes through shadow's setuid helpers (Debian's uidmap:
// newuidmap, newgidmap), which map what /etc/subuid and /etc/subgid give the
// caller, as runc and podman use them. Decided here, before the plan: which
// map needs a helper, where it is, and whether each range is the caller's,
// so a refusal names the config entry and the range instead of the helper's
// exit status alone.
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import type { IdMapHelper, IdMapHelpers } from '../plan/context.js';
import type { LinuxIDMapping, Spec } from '../spec/types.js';

export interface MapCaller {
  uid: number;
  gid: number;
  /** The caller's login name (subuid lines name it or its uid), if it has one. */
  name?: string;
  /** /etc/subuid and /etc/subgid text; undefined: not readable. */
  subuid?: string;
  subgid?: string;
  /** Another source of subordinate ids (nsswitch `subid:`): the helper alone decides. */
  subidService: boolean;
  /** Absolute paths of the helpers, where found. */
  newuidmap?: string;
  newgidmap?: string;
}

/** A subordinate range, [start, start + count). */
interface Range {
  start: number;
  count: number;
}

/** The caller's ranges in a subuid/subgid file: lines `owner:start:count`, owner its name or its id. */
export function subordinateRanges(text: string, name: string | undefined, id: number): Range[] {
  const out: Range[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || owner.startsWith('#') || (owner !== name && owner !== String(id))) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

const own = (maps: LinuxIDMapping[], id: number) => maps.length === 1 && maps[0]!.hostID === id && maps[0]!.size === 1;
const span = (start: number, count: number) => `${start}-${start + count - 1}`;

function helperFor(kind: 'uid' | 'gid', maps: LinuxIDMapping[], c: MapCaller): IdMapHelper {
  const field = kind === 'uid' ? '/linux/uidMappings' : '/linux/gidMappings';
  const id = kind === 'uid' ? c.uid : c.gid;
  const tool = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  const file = `/etc/sub${kind}`;
  const who = c.name ? `${c.name} (${kind} ${id})` : `${kind} ${id}`;
  const path = kind === 'uid' ? c.newuidmap : c.newgidmap;
  if (!path) {
    throw new TsrunError(`${field.slice(1).replace('/', '.')}: mapping more than ${kind} ${id} to itself without root needs ${tool} (Debian's uidmap package), not found on PATH`, { field, file: 'config.json' });
  }
  const text = kind === 'uid' ? c.subuid : c.subgid;
  if (text !== undefined && !c.subidService) {
    const ranges = subordinateRanges(text, c.name, id);
    maps.forEach((m, i) => {
      // the helper maps the caller's own id too (one id, as the kernel would)
      if (m.hostID === id && m.size === 1) return;
      if (ranges.some((r) => m.hostID >= r.start && m.hostID + m.size <= r.start + r.count)) return;
      const given = ranges.length ? ranges.map((r) => span(r.start, r.count)).join(', ') : 'none';
      throw new TsrunError(
        `${field.slice(1).replace('/', '.')}[${i}]: host ${kind}s ${span(m.hostID, m.size)} (container ${kind}s ${span(m.containerID, m.size)}) are not among the subordinate ${kind}s ${file} gives ${who}: ${given}`,
        { field: `${field}/${i}`, file: 'config.json', errno: 'EPERM' },
      );
    });
  }
  return { path, args: maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)]) };
}

/**
 * The helpers a create or run by `c` needs for the config's user namespace:
 * undefined for root, for a namespace joined by path, and for maps of the
 * caller's own ids only (written directly, as before).
 */
export function idMapHelpers(config: Spec, c: MapCaller): IdMapHelpers | undefined {
  if (c.uid === 0) return undefined;
  const nss = config.linux?.namespaces ?? [];
  if (!nss.some((n) => n.type === 'user' && !n.path)) return undefined;
  const uids = config.linux?.uidMappings ?? [];
  const gids = config.linux?.gidMappings ?? [];
  const out: IdMapHelpers = {};
  if (uids.length && !own(uids, c.uid)) out.uid = helperFor('uid', uids, c);
  if (gids.length && !own(gids, c.gid)) out.gid = helperFor('gid', gids, c);
  return out.uid || out.gid ? out : undefined;
}

const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** A setuid helper where runc looks for it: PATH, then the usual directories. */
function findHelper(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), '/usr/bin', '/usr/sbin', '/bin', '/sbin'];
  for (const d of dirs) {
    try {
      if (statSync(join(d, name)).isFile()) return join(d, name);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** This process as a map caller: its ids, its name, the subid files and the helpers. */
export function thisMapCaller(): MapCaller {
  const uid = process.geteuid?.() ?? 0;
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    /* no passwd entry: subuid lines by number still count */
  }
  return {
    uid, gid: process.getegid?.() ?? 0, name,
    subuid: read('/etc/subuid') ?? '', subgid: read('/etc/subgid') ?? '',
    subidService: /^\s*subid\s*:/m.test(read('/etc/nsswitch.conf') ?? ''),
    newuidmap: findHelper('newuidmap'), newgidmap: findHelper('newgidmap'),
  };
}
