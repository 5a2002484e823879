// v2 hugetlb: hugetlb.<size>.max, and .rsvd.max where the kernel has it.
// Also used on hybrid hosts whose hugetlb controller is bound to the
// cgroup2 mount rather than to a v1 hierarchy.
import { readdirSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { hasFile, intText, readKeyValues, readNumber, writeCg } from '../fsio.js';
import type { CgroupResources } from '../manager.js';
import type { CgroupStats } from '../stats.js';

const F = '/linux/resources/hugepageLimits';

export function setHugetlb(dir: string, r: CgroupResources): void {
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const file = `hugetlb.${h.pageSize}.max`;
    if (!hasFile(dir, file)) {
      throw new TsrunError(`hugepage size ${JSON.stringify(h.pageSize)} is not supported here (no ${file}: unknown size, or the hugetlb controller is not enabled)`, {
        field: `${F}/${i}/pageSize`,
      });
    }
    writeCg(dir, file, intText(h.limit), `${F}/${i}/limit`);
    const rsvd = `hugetlb.${h.pageSize}.rsvd.max`;
    if (hasFile(dir, rsvd)) writeCg(dir, rsvd, intText(h.limit), `${F}/${i}/limit`);
  });
}

export function hugetlbStats(dir: string, out: CgroupStats): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^hugetlb\.([0-9]+[KMG]B)\.current$/.exec(n);
    if (!m) continue;
    const size = m[1]!;
    out.hugetlb[size] = {
      usage: readNumber(dir, `hugetlb.${size}.current`) ?? 0,
      max: 0,
      failcnt: readKeyValues(dir, `hugetlb.${size}.events`).get('max') ?? 0,
    };
  }
}
