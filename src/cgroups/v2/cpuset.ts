// v2 cpuset: cpuset.cpus and cpuset.mems (empty = inherit, no seeding needed).
import { tryReadCg, writeCg } from '../fsio.js';
import type { CgroupResources } from '../manager.js';
import { parseCpuList, type CgroupStats } from '../stats.js';

export function setCpuset(dir: string, r: CgroupResources): void {
  if (r.cpu?.cpus) writeCg(dir, 'cpuset.cpus', r.cpu.cpus, '/linux/resources/cpu/cpus');
  if (r.cpu?.mems) writeCg(dir, 'cpuset.mems', r.cpu.mems, '/linux/resources/cpu/mems');
}

export function cpusetStats(dir: string, out: CgroupStats): void {
  out.cpuset.cpus = parseCpuList(tryReadCg(dir, 'cpuset.cpus.effective') ?? '');
  out.cpuset.mems = parseCpuList(tryReadCg(dir, 'cpuset.mems.effective') ?? '');
}
