// The v1 -> v2 value conversions, with the same results as runc (and so as
// systemd and crun), because a container moved between runtimes must get
// the same weights.
import { TsrunError } from '../errors.js';

/**
 * cpu.shares [2..262144], default 1024 -> cpu.weight [1..10000], default 100.
 * A quadratic in log2(shares) fitted through the minimum, the default and the
 * maximum (current runc; runc <= 1.2 used a linear map that put 1024 at 39).
 * 0 means unset and stays 0.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/** blkio.weight [10..1000] -> io.weight [1..10000]; 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * memory.swap in the spec is memory+swap (the v1 memsw limit); cgroup v2 has
 * swap alone. Returns the memory.swap.max value: -1 = "max", 0 = leave unset
 * (unless the caller asked for 0 explicitly, see memorySwapText).
 */
export function swapToV2(memorySwap: number, memory: number): number {
  if (memory === -1 && memorySwap === 0) return -1; // both unlimited, as v1 does
  if (memorySwap === -1 || memorySwap === 0) return memorySwap;
  if (memory === -1) return memorySwap;
  if (memory === 0) {
    throw new TsrunError('unable to set swap limit without memory limit', { field: '/linux/resources/memory/swap' });
  }
  if (memory < 0) throw new TsrunError(`invalid memory value: ${memory}`, { field: '/linux/resources/memory/limit' });
  if (memorySwap < memory) {
    throw new TsrunError('memory+swap limit should be >= memory limit', { field: '/linux/resources/memory/swap' });
  }
  return memorySwap - memory;
}

/** "2MB" -> bytes (base 1024), undefined when malformed. */
export function pageSizeBytes(pageSize: string): number | undefined {
  const m = /^(\d+)([KMGT]?)B$/.exec(pageSize);
  if (!m) return undefined;
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * unit;
}

/** bytes -> the kernel's hugetlb file infix: 2097152 -> "2MB", 1073741824 -> "1GB". */
export function pageSizeName(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1024 && bytes % 1024 === 0 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes}${units[i]}`;
}
