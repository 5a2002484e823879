// v1 pids (the same file format as v2): -1 or any negative = "max"; 0 is a
// real limit (runtime-spec 1.3: "0 is a valid limit value").
import { intText, readNumber, writeCg } from '../fsio.js';
import type { CgroupStats } from '../stats.js';
import type { V1Controller } from './controller.js';

export function pidsMaxText(limit: number): string {
  return limit < 0 ? 'max' : intText(limit);
}

export function pidsStats(dir: string, out: CgroupStats): void {
  out.pids.current = readNumber(dir, 'pids.current') ?? 0;
  const max = readNumber(dir, 'pids.max');
  out.pids.limit = max === undefined || max === Infinity ? 0 : max;
}

export const pids: V1Controller = {
  name: 'pids',
  requested: (r) => (r.pids?.limit !== undefined ? '/linux/resources/pids/limit' : undefined),
  set(dir, r) {
    if (r.pids?.limit !== undefined) writeCg(dir, 'pids.max', pidsMaxText(r.pids.limit), '/linux/resources/pids/limit');
  },
  stats: pidsStats,
};
