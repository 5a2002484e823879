// v1 hugetlb: hugetlb.<size>.limit_in_bytes, and the reservation limit
// (.rsvd.) where the kernel has it, so a reservation fails at mmap() time
// instead of a SIGBUS at fault time.
import { readdirSync } from 'node:fs';
import { TsrunError } from '../../errors.js';
import { hasFile, intText, readNumber, writeCg } from '../fsio.js';
import type { V1Controller } from './controller.js';

const F = '/linux/resources/hugepageLimits';

export const hugetlb: V1Controller = {
  name: 'hugetlb',
  requested: (r) => (r.hugepageLimits?.length ? F : undefined),
  set(dir, r) {
    (r.hugepageLimits ?? []).forEach((h, i) => {
      const file = `hugetlb.${h.pageSize}.limit_in_bytes`;
      if (!hasFile(dir, file)) {
        throw new TsrunError(`hugepage size ${JSON.stringify(h.pageSize)} is not supported by this kernel (no ${file})`, {
          field: `${F}/${i}/pageSize`,
        });
      }
      writeCg(dir, file, intText(h.limit), `${F}/${i}/limit`);
      const rsvd = `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`;
      if (hasFile(dir, rsvd)) writeCg(dir, rsvd, intText(h.limit), `${F}/${i}/limit`);
    });
  },
  stats(dir, out) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.usage_in_bytes$/.exec(n);
      if (!m) continue;
      const size = m[1]!;
      out.hugetlb[size] = {
        usage: readNumber(dir, `hugetlb.${size}.usage_in_bytes`) ?? 0,
        max: readNumber(dir, `hugetlb.${size}.max_usage_in_bytes`) ?? 0,
        failcnt: readNumber(dir, `hugetlb.${size}.failcnt`) ?? 0,
      };
    }
  },
};
