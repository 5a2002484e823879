// Opening the systemd driver for a container: the unit from cgroupsPath,
// its directories on this host's layout, and a connection made when first
// needed (a later command that only reads files never connects).
import { existsSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { type Host, dirOf } from '../layout.js';
import type { CgroupManager, CgroupPaths } from '../manager.js';
import { V1Manager } from '../v1/manager.js';
import { V2Manager } from '../v2/manager.js';
import { annotationProperties } from './annotations.js';
import { Systemd } from './client.js';
import { SystemdManager } from './manager.js';
import { type SystemdUnit, parseSystemdPath, systemdUnit, unitCgroup } from './unit.js';

const FIELD = '/linux/cgroupsPath';

export interface SystemdOpen {
  id: string;
  cgroupsPath?: string;
  rootless?: boolean;
  annotations?: Record<string, string>;
  host: Host;
}

/** sd_booted(3): systemd is PID 1 when /run/systemd/system is a directory. */
export function systemdRunning(root = ''): boolean {
  return existsSync(`${root}/run/systemd/system`);
}

function connector(bus: SystemdUnit['bus']): () => Systemd {
  let conn: Systemd | undefined;
  return () => (conn ??= Systemd.connect(bus));
}

export function openSystemd(o: SystemdOpen): SystemdManager {
  const path = parseSystemdPath(o.cgroupsPath, o.id);
  const extra = annotationProperties(o.annotations);
  if (!systemdRunning()) throw new TsrunError('--systemd-cgroup: systemd is not running on this host', { field: FIELD });
  const unit = systemdUnit(path, o.rootless ?? false);
  const { layout } = o.host;
  if (unit.bus === 'user' && layout.kind !== 'v2') {
    throw new TsrunError('--systemd-cgroup: a rootless container needs cgroup v2 with the systemd driver (this host has cgroup v1)', { field: FIELD });
  }
  const systemd = connector(unit.bus);
  // the user's manager runs in a cgroup of its own; PID 1's is the root
  const cgroup = unitCgroup(unit, unit.bus === 'user' ? systemd().controlGroup() : '/');
  return new SystemdManager({ unit, inner: innerManager(o.host, cgroup), extra, id: o.id, systemd });
}

function innerManager(host: Host, cgroup: string): CgroupManager {
  const { layout } = host;
  if (layout.kind === 'v2') return new V2Manager(dirOf(layout.unified!, cgroup, host.fsRoot));
  const dirs: CgroupPaths = {};
  for (const [subsystem, mount] of layout.v1) dirs[subsystem] = dirOf(mount, cgroup, host.fsRoot);
  if (layout.kind === 'hybrid') dirs.unified = dirOf(layout.unified!, cgroup, host.fsRoot);
  return new V1Manager(dirs);
}

/** A later command's manager, from the unit and the paths create recorded. */
export function reopenSystemd(unit: SystemdUnit, inner: CgroupManager, id: string): SystemdManager {
  return new SystemdManager({ unit, inner, extra: [], id, systemd: connector(unit.bus) });
}
