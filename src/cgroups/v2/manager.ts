// The cgroup v2 manager: one directory in the unified hierarchy.
import { existsSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { dottedField, hasFile, readProcs, walkCgroups, writeCg } from '../fsio.js';
import { joinCgroup, mkdirTracked, removeTree, applyOrUndo, refuseFrozen, undoOnFailure } from '../common.js';
import { killCgroup } from '../teardown.js';
import type { CgroupManager, CgroupPaths, CgroupResources, FreezerState } from '../manager.js';
import { type CgroupStats, emptyStats } from '../stats.js';
import { rulesOf } from '../v1/devices.js';
import { pidsMaxText, pidsStats } from '../v1/pids.js';
import { setRdma } from '../v1/rdma.js';
import { cpuRequested, cpuStats, setCpu } from './cpu.js';
import { cpusetStats, setCpuset } from './cpuset.js';
import { setDevices } from './devices.js';
import { controllersOf, enableControllers } from './enable.js';
import { v2Freeze, v2FreezerState, v2Thaw } from './freezer.js';
import { hugetlbStats, setHugetlb } from './hugetlb.js';
import { ioRequested, ioStats, setIo } from './io.js';
import { memoryRequested, memoryStats, setMemory, v2OomKills } from './memory.js';
import { setUnified } from './unified.js';

/** Which controller each group of fields needs, and the first field asking for it. */
function needs(r: CgroupResources): Array<[controller: string, field: string]> {
  const out: Array<[string, string]> = [];
  const add = (c: string, f: string | undefined) => f && out.push([c, f]);
  add('pids', r.pids?.limit !== undefined ? '/linux/resources/pids/limit' : undefined);
  add('memory', memoryRequested(r));
  add('io', ioRequested(r));
  add('cpu', cpuRequested(r));
  add('cpuset', r.cpu?.cpus ? '/linux/resources/cpu/cpus' : r.cpu?.mems ? '/linux/resources/cpu/mems' : undefined);
  add('hugetlb', r.hugepageLimits?.length ? '/linux/resources/hugepageLimits' : undefined);
  add('rdma', Object.keys(r.rdma ?? {}).length ? '/linux/resources/rdma' : undefined);
  return out;
}

export class V2Manager implements CgroupManager {
  readonly kind = 'v2' as const;

  constructor(readonly dir: string) {}

  create(resources: CgroupResources = {}): void {
    this.apply(resources, this.prepare(resources));
  }

  prepare(resources: CgroupResources = {}): string[] {
    return undoOnFailure(mkdirTracked(this.dir), () => {
      enableControllers(this.dir);
      setDevices(this.dir, rulesOf(resources));
      refuseFrozen(this);
    });
  }

  apply(resources: CgroupResources, made: string[]): void {
    applyOrUndo(this, resources, made);
  }

  addPid(pid: number): void {
    joinCgroup(this.dir, pid);
  }

  procsFiles(): string[] {
    return [`${this.dir}/cgroup.procs`];
  }

  set(r: CgroupResources): void {
    const have = controllersOf(this.dir);
    for (const [controller, field] of needs(r)) {
      if (!have.has(controller)) {
        throw new TsrunError(`cannot apply ${dottedField(field)}: the ${controller} controller is not enabled for cgroup ${this.dir}`, { field });
      }
    }
    if (r.network?.classID || r.network?.priorities?.length) {
      throw new TsrunError('cannot apply linux.resources.network: net_cls and net_prio do not exist on cgroup v2', { field: '/linux/resources/network' });
    }
    if (r.pids?.limit !== undefined) writeCg(this.dir, 'pids.max', pidsMaxText(r.pids.limit), '/linux/resources/pids/limit');
    setMemory(this.dir, r);
    setIo(this.dir, r);
    setCpu(this.dir, r);
    setDevices(this.dir, rulesOf(r));
    setCpuset(this.dir, r);
    setHugetlb(this.dir, r);
    setRdma(this.dir, r);
    setUnified(this.dir, r.unified);
  }

  pids(): number[] {
    return walkCgroups(this.dir).flatMap(readProcs);
  }

  stats(): CgroupStats {
    const s = emptyStats();
    cpuStats(this.dir, s);
    cpusetStats(this.dir, s);
    memoryStats(this.dir, s);
    pidsStats(this.dir, s);
    if (!hasFile(this.dir, 'pids.current')) s.pids.current = this.pids().length;
    ioStats(this.dir, s);
    hugetlbStats(this.dir, s);
    return s;
  }

  freeze(): void {
    v2Freeze(this.dir);
  }

  thaw(): void {
    v2Thaw(this.dir);
  }

  freezerState(): FreezerState {
    return v2FreezerState(this.dir);
  }

  killAll(signal: number): void {
    killCgroup(this.paths(), signal);
  }

  destroy(timeoutMs = 5000): void {
    removeTree(this.dir, Date.now() + timeoutMs);
  }

  paths(): CgroupPaths {
    return { unified: this.dir };
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  oomKillCount(): number {
    return v2OomKills(this.dir);
  }
}
