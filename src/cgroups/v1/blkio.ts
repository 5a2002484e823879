// v1 blkio: weights (CFQ's blkio.weight, or BFQ's blkio.bfq.weight on
// kernels where CFQ is gone) and the throttle lists.
import { hasFile, intText, tryReadCg, writeCg } from '../fsio.js';
import type { BlkioEntry } from '../stats.js';
import { isSet, type V1Controller } from './controller.js';

const F = '/linux/resources/blockIO';

const throttles = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
] as const;

/** "8:0 Read 4096" lines, as blkio.*_recursive files hold them ("Total N" skipped). */
function parseBlkioRecursive(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!dev) continue;
    const [op, value] = f.length >= 3 ? [f[1]!, f[2]!] : ['', f[1]!];
    out.push({ major: Number(dev[1]), minor: Number(dev[2]), op, value: Number(value) });
  }
  return out;
}

function pickStats(dir: string, names: string[]): BlkioEntry[] {
  for (const n of names) {
    const list = parseBlkioRecursive(tryReadCg(dir, n));
    if (list.length > 0) return list;
  }
  return [];
}

export const blkio: V1Controller = {
  name: 'blkio',
  requested(r) {
    const b = r.blockIO;
    if (!b) return undefined;
    if (isSet(b.weight)) return `${F}/weight`;
    if (isSet(b.leafWeight)) return `${F}/leafWeight`;
    if (b.weightDevice?.length) return `${F}/weightDevice`;
    for (const [key] of throttles) if (b[key]?.length) return `${F}/${key}`;
    return undefined;
  },
  set(dir, r) {
    const b = r.blockIO;
    if (!b) return;
    const bfq = !hasFile(dir, 'blkio.weight') && hasFile(dir, 'blkio.bfq.weight');
    const weightFile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
    if (isSet(b.weight)) writeCg(dir, weightFile, intText(b.weight), `${F}/weight`);
    if (isSet(b.leafWeight)) writeCg(dir, 'blkio.leaf_weight', intText(b.leafWeight), `${F}/leafWeight`);
    (b.weightDevice ?? []).forEach((d, i) => {
      const field = `${F}/weightDevice/${i}`;
      if (isSet(d.weight)) writeCg(dir, bfq ? 'blkio.bfq.weight_device' : 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`, field);
      if (isSet(d.leafWeight)) writeCg(dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, field);
    });
    for (const [key, file] of throttles) {
      (b[key] ?? []).forEach((d, i) => writeCg(dir, file, `${d.major}:${d.minor} ${intText(d.rate)}`, `${F}/${key}/${i}`));
    }
  },
  stats(dir, out) {
    const s = out.blkio;
    s.ioServiceBytesRecursive = pickStats(dir, ['blkio.io_service_bytes_recursive', 'blkio.bfq.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive']);
    s.ioServicedRecursive = pickStats(dir, ['blkio.io_serviced_recursive', 'blkio.bfq.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive']);
    s.ioQueueRecursive = pickStats(dir, ['blkio.io_queued_recursive']);
    s.ioServiceTimeRecursive = pickStats(dir, ['blkio.io_service_time_recursive']);
    s.ioWaitTimeRecursive = pickStats(dir, ['blkio.io_wait_time_recursive']);
    s.ioMergedRecursive = pickStats(dir, ['blkio.io_merged_recursive']);
    s.ioTimeRecursive = pickStats(dir, ['blkio.time_recursive']);
    s.sectorsRecursive = pickStats(dir, ['blkio.sectors_recursive']);
  },
};
