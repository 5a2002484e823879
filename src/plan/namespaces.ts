// Namespaces: which to join (setns in stage 0, user namespace first), which
// to create (clone flags), and what a new user or time namespace needs from
// outside (id maps, clock offsets).
import { TsrunError } from '../errors.js';
import type { LinuxIDMapping, Spec } from '../spec/types.js';
import type { IdMapHelpers } from './context.js';
import { CLONE } from './linux.js';
import { op, type PlanOp } from './types.js';

export interface NamespacePlan {
  /** Before the clone: joins and the time namespace. */
  pre: PlanOp[];
  cloneFlags: number;
  /** After the clone, from stage 0: id maps. */
  parent: PlanOp[];
  /** First ops of the child. */
  child: PlanOp[];
  /** Namespaces the child unshares itself, once in its cgroup. */
  late: PlanOp[];
  newUser: boolean;
  newMount: boolean;
  newPid: boolean;
}

function mapText(maps: LinuxIDMapping[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

export function planNamespaces(config: Spec, opts: { rootless?: boolean; idMapHelpers?: IdMapHelpers } = {}): NamespacePlan {
  const nss = config.linux?.namespaces ?? [];
  const out: NamespacePlan = { pre: [], cloneFlags: 0, parent: [], child: [], late: [], newUser: false, newMount: false, newPid: false };
  const joins: PlanOp[] = [];
  nss.forEach((ns, i) => {
    const field = `/linux/namespaces/${i}`;
    const flag = CLONE[ns.type];
    if (flag === undefined) throw new TsrunError(`unknown namespace type "${ns.type}"`, { field: `${field}/type`, file: 'config.json' });
    if (ns.path) {
      const join = op('join_ns', { nstype: flag, path: ns.path }, `${field}/path`);
      // Joining a user namespace first gives the rights to join the ones it owns.
      if (ns.type === 'user') joins.unshift(join);
      else joins.push(join);
      return;
    }
    if (ns.type === 'time') {
      const offsets = Object.entries(config.linux?.timeOffsets ?? {})
        .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`)
        .join('');
      out.pre.push(op('time_offsets', { offsets }, config.linux?.timeOffsets ? '/linux/timeOffsets' : field));
      return;
    }
    if (ns.type === 'cgroup') {
      // Its root is the cgroup the child is in when it is made: only after the runtime moved it.
      out.late.push(op('unshare', { flags: flag }, field));
      return;
    }
    out.cloneFlags |= flag;
    if (ns.type === 'user') out.newUser = true;
    if (ns.type === 'mount') out.newMount = true;
    if (ns.type === 'pid') out.newPid = true;
  });
  out.pre.unshift(...joins);
  if (out.newUser) {
    const helpers = opts.idMapHelpers ?? {};
    const uidMap = helpers.uid ? '' : mapText(config.linux?.uidMappings);
    const gidMap = helpers.gid ? '' : mapText(config.linux?.gidMappings);
    // An unprivileged creator may only map its own gid with setgroups denied
    // (CVE-2014-8989); newgidmap decides setgroups itself for what it maps.
    const setgroups = opts.rootless && !helpers.gid ? 'deny' : '';
    if (uidMap || gidMap || setgroups) out.parent.push(op('id_map', { uid_map: uidMap, gid_map: gidMap, setgroups }, '/linux/uidMappings'));
    if (helpers.uid) out.parent.push(op('id_map_helper', { path: helpers.uid.path, args: helpers.uid.args }, '/linux/uidMappings'));
    if (helpers.gid) out.parent.push(op('id_map_helper', { path: helpers.gid.path, args: helpers.gid.args }, '/linux/gidMappings'));
    out.child.push(op('become_root', {}, '/linux/namespaces'));
  } else if (nss.some((ns) => ns.type === 'user' && ns.path)) {
    // setns keeps the host ids, unmapped in the joined namespace: files made
    // there (mountpoints under a tmpfs /dev) would fail with EOVERFLOW.
    out.child.push(op('become_root', {}, '/linux/namespaces'));
  }
  out.child.push(...out.late);
  return out;
}
