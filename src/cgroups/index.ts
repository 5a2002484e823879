/**
 * Control groups for tsrun: one CgroupManager interface (manager.ts), with a
 * v1 implementation (v1/, one module per controller; also used on hybrid
 * hosts, where the container is created in the cgroup2 tree too) and a v2
 * implementation (v2/, devices through an eBPF program).
 *
 * How the lifecycle uses it:
 *
 *   // create
 *   const cg = openCgroup({ id, cgroupsPath: config.linux?.cgroupsPath, systemd: globals.systemdCgroup,
 *                           rootless: globals.rootless === 'true' || (globals.rootless === 'auto' && euid !== 0) });
 *   cg.create({ ...config.linux?.resources,
 *               deviceRules: containerDeviceRules(config.linux?.resources?.devices) });
 *   cg.addPid(initPid);                       // before the init is released
 *   record.cgroupPaths = cg.paths();          // into state.json
 *
 *   // every later command (never re-reads the bundle)
 *   const cg = fromPaths(record.cgroupPaths);
 *   cg.freeze(); cg.thaw(); cg.freezerState();   // pause / resume / status "paused"
 *   cg.killAll(9);                               // kill --all, delete --force
 *   cg.pids(); cg.stats(); cg.oomKillCount();    // ps, events
 *   withRollback(() => cg.set(resources));       // update: old values back if one is refused
 *   cg.destroy();                                // delete (after the processes are gone)
 *
 * paths() keys: v1 subsystem names ("memory", "cpu", "name=systemd"), and
 * "unified" for the cgroup2 directory (the only key on a pure v2 host).
 * cgroupsPath: "/a/b" is below every hierarchy's root, "a/b" and the default
 * "<id>" below the runtime's own cgroup (as runc). --systemd-cgroup: the
 * systemd driver (systemd/): "slice:prefix:name" becomes a transient unit,
 * started with the init's pid (SystemdManager.start, before prepare), and
 * later commands reopen it with fromRecord(paths, unit).
 *
 * Every failure is a TsrunError; one caused by a config value carries the
 * JSON pointer in `field` (/linux/resources/cpu/cpus) and names the cgroup
 * file in its text. Nothing here loads koffi except v2 device filters and
 * the systemd driver (libsystemd's sd-bus, only with --systemd-cgroup).
 */
import type { CgroupManager, CgroupPaths } from './manager.js';
import { type HostOptions, probeHost } from './layout.js';
import { cgroupDir, resolveCgroupsPath } from './path.js';
import { V1Manager } from './v1/manager.js';
import { V2Manager } from './v2/manager.js';
import { tolerateRootless } from './rootless.js';
import type { SystemdUnit } from './systemd/unit.js';

export type { CgroupManager, CgroupPaths, CgroupResources, FreezerState } from './manager.js';
export type { CgroupStats } from './stats.js';
export { eventData, emptyStats } from './stats.js';
export { withRollback } from './fsio.js';
export { detectLayout, parseProcCgroup, probeHost, type HostOptions, type Layout, type LayoutKind } from './layout.js';
export { resolveCgroupsPath } from './path.js';
export { parseSystemdPath, type SystemdUnit } from './systemd/unit.js';
export type { SystemdManager } from './systemd/manager.js';

declare const require: (id: string) => unknown;
/** The systemd driver's code (and through it koffi and libsystemd) only on the --systemd-cgroup path. */
function systemdDriver(): typeof import('./systemd/open.js') {
  return require('./systemd/open.js') as typeof import('./systemd/open.js');
}
export { containerDeviceRules, defaultDeviceRules, normalizeRules, type DeviceRule } from './devices/rules.js';

export interface OpenOptions {
  /** Container id: the default cgroupsPath is relative "<id>". */
  id: string;
  /** linux.cgroupsPath from the config. */
  cgroupsPath?: string;
  /** --systemd-cgroup */
  systemd?: boolean;
  /**
   * --rootless (true, or auto with a non-root euid): permission errors on
   * creating/joining the cgroup are logged instead of failing, unless limits
   * were asked for.
   */
  rootless?: boolean;
  /** Injected host (tests): fake cgroupfs root, mountinfo, /proc/self/cgroup. */
  host?: HostOptions;
  /** The config's annotations: org.systemd.property.* ones are unit properties (--systemd-cgroup). */
  annotations?: Record<string, string>;
}

/** The manager for a container's cgroup; nothing is created until create(). */
export function openCgroup(opts: OpenOptions): CgroupManager {
  if (opts.systemd) {
    return systemdDriver().openSystemd({ id: opts.id, cgroupsPath: opts.cgroupsPath, rootless: opts.rootless, annotations: opts.annotations, host: probeHost(opts.host) });
  }
  const m = openPlain(opts);
  return opts.rootless ? tolerateRootless(m) : m;
}

function openPlain(opts: OpenOptions): CgroupManager {
  const host = probeHost(opts.host);
  const inner = resolveCgroupsPath(opts.cgroupsPath, opts.id);
  const { layout } = host;
  if (layout.kind === 'v2') return new V2Manager(cgroupDir(host, layout.unified!, '', inner));
  const dirs: CgroupPaths = {};
  for (const [subsystem, mount] of layout.v1) dirs[subsystem] = cgroupDir(host, mount, subsystem, inner);
  if (layout.kind === 'hybrid') dirs.unified = cgroupDir(host, layout.unified!, '', inner);
  return new V1Manager(dirs);
}

/** Reopen a container's cgroup as create recorded it: its paths, and its systemd unit if it has one. */
export function fromRecord(paths: CgroupPaths, unit: SystemdUnit | undefined, id: string): CgroupManager {
  const inner = fromPaths(paths);
  return unit ? systemdDriver().reopenSystemd(unit, inner, id) : inner;
}

/** Reopen a cgroup from the paths() a previous command stored (a rootless container without one stored {}). */
export function fromPaths(paths: CgroupPaths): CgroupManager {
  const keys = Object.keys(paths);
  if (keys.length === 0) return new V1Manager({});
  // "" is runc's key for it; accepted too.
  if (keys.length === 1 && (keys[0] === 'unified' || keys[0] === '')) return new V2Manager(paths[keys[0]]!);
  return new V1Manager(paths);
}
