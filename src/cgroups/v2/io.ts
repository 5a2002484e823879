// v2 io: io.weight (blkio weight converted) or io.bfq.weight (the BFQ
// scheduler takes the v1 scale as is), per-device BFQ weights, and io.max.
import { hasFile, intText, readCg, tryReadCg, writeCg } from '../fsio.js';
import { blkioWeightToIoWeight } from '../convert.js';
import type { CgroupResources } from '../manager.js';
import type { BlkioEntry, CgroupStats } from '../stats.js';

const F = '/linux/resources/blockIO';

const limits = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

export function ioRequested(r: CgroupResources): string | undefined {
  const b = r.blockIO;
  if (!b) return undefined;
  if (b.weight) return `${F}/weight`;
  if (b.weightDevice?.length) return `${F}/weightDevice`;
  for (const [key] of limits) if (b[key]?.length) return `${F}/${key}`;
  return undefined;
}

export function setIo(dir: string, r: CgroupResources): void {
  const b = r.blockIO;
  if (!b) return;
  const bfq = hasFile(dir, 'io.bfq.weight');
  // io.bfq.weight takes "MAJ:MIN WEIGHT" lines only on kernels whose file
  // starts with "default N" (older ones hold a bare number).
  const bfqPerDevice = bfq && /^default/.test(tryReadCg(dir, 'io.bfq.weight') ?? '');
  if (b.weight) {
    if (bfq) writeCg(dir, 'io.bfq.weight', intText(b.weight), `${F}/weight`);
    else writeCg(dir, 'io.weight', String(blkioWeightToIoWeight(b.weight)), `${F}/weight`);
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    if (!d.weight) return;
    const line = `${d.major}:${d.minor} ${d.weight}`;
    if (bfqPerDevice) writeCg(dir, 'io.bfq.weight', line, `${F}/weightDevice/${i}`);
    else writeCg(dir, 'io.weight', `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}`, `${F}/weightDevice/${i}`);
  });
  for (const [key, name] of limits) {
    (b[key] ?? []).forEach((d, i) => writeCg(dir, 'io.max', `${d.major}:${d.minor} ${name}=${intText(d.rate)}`, `${F}/${key}/${i}`));
  }
}

export function ioStats(dir: string, out: CgroupStats): void {
  let text = '';
  try {
    text = readCg(dir, 'io.stat');
  } catch {
    return;
  }
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    for (const pair of kv) {
      const [k, v] = pair.split('=');
      const value = Number(v);
      if (k === 'rbytes') bytes.push({ major, minor, op: 'Read', value });
      else if (k === 'wbytes') bytes.push({ major, minor, op: 'Write', value });
      else if (k === 'rios') ios.push({ major, minor, op: 'Read', value });
      else if (k === 'wios') ios.push({ major, minor, op: 'Write', value });
    }
  }
  out.blkio.ioServiceBytesRecursive = bytes;
  out.blkio.ioServicedRecursive = ios;
}
