// The cgroup v1 manager: one directory per hierarchy. On a hybrid host it
// also keeps the container's cgroup in the cgroup2 hierarchy (key "unified"), as
// runc does, so tools reading the unified tree see the container, and uses
// it for controllers that only the cgroup2 side has (hugetlb here), for the
// freezer when no v1 freezer is mounted, and for cgroup.kill.
import { existsSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { dottedField, hasFile } from '../fsio.js';
import { joinCgroup, mkdirTracked, applyOrUndo, refuseFrozen, undoOnFailure } from '../common.js';
import { cgroupPids, killCgroup, removeCgroup } from '../teardown.js';
import type { CgroupManager, CgroupPaths, CgroupResources, FreezerState } from '../manager.js';
import { type CgroupStats, emptyStats } from '../stats.js';
import { controllersOf, enableControllers } from '../v2/enable.js';
import { v2Freeze, v2FreezerState, v2Thaw } from '../v2/freezer.js';
import { hugetlbStats, setHugetlb } from '../v2/hugetlb.js';
import { setUnified } from '../v2/unified.js';
import type { V1Controller } from './controller.js';
import { blkio } from './blkio.js';
import { cpu } from './cpu.js';
import { cpuacct } from './cpuacct.js';
import { cpuset, seedCpuset } from './cpuset.js';
import { devices, setV1Devices } from './devices.js';
import { v1Freeze, v1FreezerState, v1Thaw } from './freezer.js';
import { hugetlb } from './hugetlb.js';
import { memory, oomKills } from './memory.js';
import { netCls } from './net-cls.js';
import { netPrio } from './net-prio.js';
import { pids } from './pids.js';
import { rdma } from './rdma.js';

/** runc's order: cpuset before anything joins, devices early, freezer last. */
const controllers: V1Controller[] = [cpuset, devices, memory, cpu, cpuacct, pids, blkio, hugetlb, netCls, netPrio, rdma];

export class V1Manager implements CgroupManager {
  readonly kind: 'v1' | 'hybrid';

  /** @param dirs subsystem -> directory; "unified" = the cgroup2 directory on a hybrid host */
  constructor(private readonly dirs: CgroupPaths) {
    if (dirs[''] !== undefined && dirs.unified === undefined) {
      // runc's key for the cgroup2 directory.
      const { '': unified, ...rest } = dirs;
      this.dirs = { ...rest, unified: unified! };
    }
    this.kind = this.dirs.unified !== undefined ? 'hybrid' : 'v1';
  }

  private get unified(): string | undefined {
    return this.dirs.unified;
  }

  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs))].sort();
  }

  /** hugetlb limits go to the cgroup2 side when no v1 hierarchy has the controller. */
  private hugetlbOnUnified(): boolean {
    return this.dirs.hugetlb === undefined && this.unified !== undefined;
  }

  create(resources: CgroupResources = {}): void {
    this.apply(resources, this.prepare(resources));
  }

  prepare(resources: CgroupResources = {}): string[] {
    const made: string[] = [];
    return undoOnFailure(made, () => {
      for (const d of this.uniqueDirs()) made.push(...mkdirTracked(d));
      // the kernel takes no process into a cpuset cgroup with empty cpus or mems
      if (this.dirs.cpuset) seedCpuset(this.dirs.cpuset, made);
      if (this.unified && this.hugetlbOnUnified() && resources.hugepageLimits?.length) {
        enableControllers(this.unified, ['hugetlb']);
      }
      const dev = this.dirs.devices;
      if (dev) setV1Devices(dev, resources, made.includes(dev));
      else this.setController(devices, resources);
      refuseFrozen(this);
    });
  }

  apply(resources: CgroupResources, made: string[]): void {
    applyOrUndo(this, resources, made);
  }

  addPid(pid: number): void {
    for (const d of this.uniqueDirs()) joinCgroup(d, pid);
  }

  procsFiles(): string[] {
    return this.uniqueDirs().map((d) => `${d}/cgroup.procs`);
  }

  private setController(c: V1Controller, r: CgroupResources): void {
    const dir = this.dirs[c.name];
    if (dir) {
      c.set(dir, r);
      return;
    }
    const field = c.requested(r);
    if (!field) return;
    if (c.name === 'hugetlb' && this.hugetlbOnUnified()) {
      const u = this.unified!;
      if (!controllersOf(u).has('hugetlb')) enableControllers(u, ['hugetlb']);
      setHugetlb(u, r);
      return;
    }
    throw new TsrunError(`cannot apply ${dottedField(field)}: the ${c.name} cgroup controller is not mounted on this host`, { field });
  }

  set(r: CgroupResources): void {
    for (const c of controllers) this.setController(c, r);
    if (r.unified && Object.keys(r.unified).length > 0) {
      if (!this.unified) {
        throw new TsrunError('cannot apply linux.resources.unified: the host uses cgroup v1 only', { field: '/linux/resources/unified' });
      }
      setUnified(this.unified, r.unified);
    }
  }

  /** The directory to list processes from: any hierarchy the container surely joined. */
  pids(): number[] {
    return cgroupPids(this.dirs);
  }

  stats(): CgroupStats {
    const s = emptyStats();
    for (const c of controllers) {
      const dir = this.dirs[c.name];
      if (dir && c.stats) c.stats(dir, s);
    }
    if (this.dirs.pids === undefined) s.pids.current = this.pids().length;
    if (this.hugetlbOnUnified()) hugetlbStats(this.unified!, s);
    return s;
  }

  private freezerDir(): { dir: string; v2: boolean } {
    if (this.dirs.freezer) return { dir: this.dirs.freezer, v2: false };
    if (this.unified && hasFile(this.unified, 'cgroup.freeze')) return { dir: this.unified, v2: true };
    throw new TsrunError('the freezer cgroup controller is not available on this host');
  }

  freeze(): void {
    const f = this.freezerDir();
    if (f.v2) v2Freeze(f.dir);
    else v1Freeze(f.dir);
  }

  thaw(): void {
    const f = this.freezerDir();
    if (f.v2) v2Thaw(f.dir);
    else v1Thaw(f.dir);
  }

  freezerState(): FreezerState {
    if (this.dirs.freezer) return v1FreezerState(this.dirs.freezer);
    if (this.unified) return v2FreezerState(this.unified);
    return 'THAWED';
  }

  killAll(signal: number): void {
    killCgroup(this.dirs, signal);
  }

  destroy(timeoutMs = 5000): void {
    removeCgroup(this.dirs, timeoutMs);
  }

  paths(): CgroupPaths {
    return { ...this.dirs };
  }

  exists(): boolean {
    return this.uniqueDirs().some((d) => existsSync(d));
  }

  oomKillCount(): number {
    return this.dirs.memory ? oomKills(this.dirs.memory) : 0;
  }
}

