// v1 cpuset. A new cpuset cgroup starts with empty cpus and mems, and the
// kernel refuses to take a process into it until both are filled, so every
// level the manager creates is seeded from its parent first (prepare()).
import { dirname } from 'node:path';
import { hasFile, readNumber, tryReadCg, writeCg } from '../fsio.js';
import { parseCpuList } from '../stats.js';
import type { V1Controller } from './controller.js';

const F = '/linux/resources/cpu';

/**
 * Fill cpuset.cpus/mems of `dir` and of its ancestors (up to the hierarchy's
 * root) where empty. `made`: the directories this create just made, parents
 * first; when `dir` is one of them only those are seeded, from the nearest
 * one that already existed (new cgroups are always empty: no reads there).
 */
export function seedCpuset(dir: string, made: readonly string[] = []): void {
  const mine = made.filter((d) => d === dir || dir.startsWith(`${d}/`));
  if (mine.includes(dir)) {
    const from = dirname(mine[0]!);
    const cpus = tryReadCg(from, 'cpuset.cpus')?.trim();
    const mems = tryReadCg(from, 'cpuset.mems')?.trim();
    if (cpus && mems) {
      for (const d of mine) {
        writeCg(d, 'cpuset.cpus', cpus);
        writeCg(d, 'cpuset.mems', mems);
      }
      return;
    }
  }
  seedExisting(dir); // an existing cgroup, or an ancestor left empty by someone else
}

function seedExisting(dir: string): void {
  const parent = dirname(dir);
  if (parent === dir || !hasFile(parent, 'cpuset.cpus')) return;
  seedExisting(parent);
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = tryReadCg(dir, file);
    if (mine === undefined || mine.trim() !== '') continue;
    const theirs = tryReadCg(parent, file)?.trim();
    if (theirs) writeCg(dir, file, theirs);
  }
}

export const cpuset: V1Controller = {
  name: 'cpuset',
  requested(r) {
    if (r.cpu?.cpus) return `${F}/cpus`;
    if (r.cpu?.mems) return `${F}/mems`;
    return undefined;
  },
  set(dir, r) {
    if (r.cpu?.cpus) writeCg(dir, 'cpuset.cpus', r.cpu.cpus, `${F}/cpus`);
    if (r.cpu?.mems) writeCg(dir, 'cpuset.mems', r.cpu.mems, `${F}/mems`);
  },
  stats(dir, out) {
    const s = out.cpuset;
    s.cpus = parseCpuList(tryReadCg(dir, 'cpuset.effective_cpus') ?? tryReadCg(dir, 'cpuset.cpus') ?? '');
    s.mems = parseCpuList(tryReadCg(dir, 'cpuset.effective_mems') ?? tryReadCg(dir, 'cpuset.mems') ?? '');
    s.cpu_exclusive = readNumber(dir, 'cpuset.cpu_exclusive') ?? 0;
    s.mem_exclusive = readNumber(dir, 'cpuset.mem_exclusive') ?? 0;
    s.mem_hardwall = readNumber(dir, 'cpuset.mem_hardwall') ?? 0;
    s.memory_migrate = readNumber(dir, 'cpuset.memory_migrate') ?? 0;
    s.memory_spread_page = readNumber(dir, 'cpuset.memory_spread_page') ?? 0;
    s.memory_spread_slab = readNumber(dir, 'cpuset.memory_spread_slab') ?? 0;
    s.memory_pressure = readNumber(dir, 'cpuset.memory_pressure') ?? 0;
    s.sched_load_balance = readNumber(dir, 'cpuset.sched_load_balance') ?? 0;
    s.sched_relax_domain_level = Number(tryReadCg(dir, 'cpuset.sched_relax_domain_level')?.trim() ?? 0) || 0;
  },
};
