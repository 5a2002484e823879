// linux.resources -> the unit properties systemd owns, mapped as runc maps
// them (its docs/systemd.md tables), so `systemctl show` tells the same
// limits as the cgroup files and systemd never puts back other values when it
// re-applies a unit (daemon-reload, a sibling's change). What has no property
// (burst, hugetlb, rdma, io.max on v1, ...) is written to the files by the
// cgroupfs manager afterwards, as is everything else again (runc does too).
// Pure: the systemd version is passed in.
import { TsrunError } from '../../errors.js';
import type { Variant } from '../../sys/sd-bus.js';
import { variant } from '../../sys/sd-bus.js';
import { blkioWeightToIoWeight, sharesToWeight, swapToV2 } from '../convert.js';
import type { CgroupResources } from '../manager.js';
import { deviceProperties } from './devices.js';

export type Property = readonly [name: string, value: Variant];

/** systemd's "infinity" for uint64 properties. */
export const INFINITY = 0xffffffffffffffffn;
const DEFAULT_PERIOD = 100000;

const u64 = (n: number | bigint): Variant => variant('t', n === -1 || n === -1n ? INFINITY : BigInt(n));
const prop = (name: string, v: Variant): Property => [name, v];

export interface Mapped {
  properties: Property[];
  /** The resources to write to the files: cpu.quota rounded up as systemd will hold it. */
  resources: CgroupResources;
}

/** The properties every unit starts with (runc's set): accounting on, no default dependencies. */
export function baseProperties(opts: { description: string; slice: string; sliceUnit: boolean; pid?: number; v2: boolean }): Property[] {
  const out: Property[] = [prop('Description', variant('s', opts.description))];
  if (opts.sliceUnit) {
    // a slice's parent is its name; Wants= keeps the slice it is meant for started
    out.push(prop('Wants', variant('as', [opts.slice])));
  } else {
    out.push(prop('Slice', variant('s', opts.slice)), prop('Delegate', variant('b', true)));
  }
  if (opts.pid !== undefined) out.push(prop('PIDs', variant('au', [opts.pid])));
  out.push(
    prop('MemoryAccounting', variant('b', true)),
    prop('CPUAccounting', variant('b', true)),
    prop(opts.v2 ? 'IOAccounting' : 'BlockIOAccounting', variant('b', true)),
    prop('TasksAccounting', variant('b', true)),
    prop('DefaultDependencies', variant('b', false)),
  );
  return out;
}

/**
 * "0-2,7" -> the byte mask systemd takes for AllowedCPUs/AllowedMemoryNodes:
 * bit n of byte n/8 for CPU n (systemd's cpu_set_t order).
 */
export function rangeToMask(list: string, field: string): Buffer {
  const bits: number[] = [];
  for (const raw of list.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new TsrunError(`invalid CPU or node list ${JSON.stringify(list)}`, { field });
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > 1 << 16) throw new TsrunError(`invalid range ${JSON.stringify(part)} in ${JSON.stringify(list)}`, { field });
    for (let i = a; i <= b; i++) bits.push(i);
  }
  if (bits.length === 0) throw new TsrunError(`empty CPU or node list ${JSON.stringify(list)}`, { field });
  const mask = Buffer.alloc(Math.floor(Math.max(...bits) / 8) + 1);
  for (const i of bits) mask[i >> 3]! |= 1 << (i & 7);
  return mask;
}

/**
 * CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec from systemd 242): systemd keeps
 * the quota as a whole percent of a CPU, so a quota is rounded up to the
 * next 10 ms per second, and that rounded quota is what the file gets too.
 */
function cpuQuota(quota: number, period: number, version: number, out: Property[]): number {
  if (period !== 0 && version >= 242) out.push(prop('CPUQuotaPeriodUSec', u64(period)));
  if (quota === 0 && period === 0) return quota;
  let perSec = INFINITY;
  if (quota > 0) {
    const p = BigInt(period || DEFAULT_PERIOD);
    perSec = (BigInt(quota) * 1000000n) / p;
    if (perSec % 10000n !== 0n) {
      perSec = (perSec / 10000n + 1n) * 10000n;
      quota = Number((perSec * p) / 1000000n);
    }
  }
  out.push(prop('CPUQuotaPerSecUSec', variant('t', perSec)));
  return quota;
}

function tasksMax(limit: number): Variant {
  // systemd refuses TasksMax=0; 1 is the nearest it takes
  return u64(limit < 0 ? -1 : limit === 0 ? 1 : limit);
}

const block = (d: { major: number; minor: number }) => `/dev/block/${d.major}:${d.minor}`;

/**
 * linux.resources.unified keys systemd has a property for (cgroup v2 only);
 * the rest are written to the files.
 */
function unifiedProperties(unified: Record<string, string>, version: number, out: Property[]): void {
  const f = (k: string) => `/linux/resources/unified/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  const num = (k: string, v: string): bigint => {
    if (v === 'max') return INFINITY;
    if (!/^\d+$/.test(v)) throw new TsrunError(`unified resource ${JSON.stringify(k)}: ${JSON.stringify(v)} is not a number or "max"`, { field: f(k) });
    return BigInt(v);
  };
  const idle = (unified['cpu.idle'] ?? '').trim() === '1' && version >= 252;
  for (const [k, raw] of Object.entries(unified)) {
    const v = raw.trim();
    switch (k) {
      case 'cpu.idle':
        if (idle) out.push(prop('CPUWeight', variant('t', 0n)));
        break;
      case 'cpu.weight':
        if (!idle) out.push(prop('CPUWeight', variant('t', num(k, v))));
        break;
      case 'cpu.max': {
        const [q, p, extra] = v.split(/\s+/);
        if (!q || extra !== undefined) throw new TsrunError(`unified resource "cpu.max": ${JSON.stringify(v)} is not "QUOTA [PERIOD]"`, { field: f(k) });
        cpuQuota(q === 'max' ? 0 : Number(num(k, q)), p === undefined ? DEFAULT_PERIOD : Number(num(k, p)), version, out);
        break;
      }
      case 'cpuset.cpus':
      case 'cpuset.mems':
        if (version >= 244) out.push(prop(k === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', variant('ay', rangeToMask(v, f(k)))));
        break;
      case 'memory.high':
      case 'memory.low':
      case 'memory.min':
      case 'memory.max':
      case 'memory.swap.max': {
        const name = { 'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax' }[k];
        out.push(prop(name, variant('t', num(k, v))));
        break;
      }
      case 'pids.max': {
        const n = num(k, v);
        out.push(prop('TasksMax', variant('t', n === 0n ? 1n : n)));
        break;
      }
      default:
      // no property: the file is written as given
    }
  }
}

export interface MapOptions {
  v2: boolean;
  /** systemd's version (Manager.Version): some properties are newer than others. */
  version: number;
  /** Devices: on a unit's start and when given; update leaves them as they are. */
  devices?: boolean;
}

/** The resource properties for linux.resources, and the resources the files then get. */
export function resourceProperties(r: CgroupResources, o: MapOptions): Mapped {
  const out: Property[] = [];
  const resources: CgroupResources = { ...r };
  if (o.devices !== false && (r.deviceRules || r.devices)) out.push(...deviceProperties(r));
  const mem = r.memory;
  const cpu = r.cpu;
  if (o.v2) {
    if (mem?.limit) out.push(prop('MemoryMax', u64(mem.limit)));
    if (mem?.reservation) out.push(prop('MemoryLow', u64(mem.reservation)));
    if (mem?.swap !== undefined) {
      const swap = swapToV2(mem.swap, mem.limit ?? 0);
      if (swap !== 0) out.push(prop('MemorySwapMax', u64(swap)));
    }
    let idle = false;
    if (cpu?.idle === 1 && o.version >= 252) {
      out.push(prop('CPUWeight', variant('t', 0n)));
      idle = true;
    }
    const weight = sharesToWeight(cpu?.shares ?? 0);
    if (weight !== 0 && !idle) out.push(prop('CPUWeight', variant('t', BigInt(weight))));
  } else {
    if (mem?.limit) out.push(prop('MemoryLimit', u64(mem.limit)));
    if (cpu?.shares) out.push(prop('CPUShares', variant('t', BigInt(cpu.shares))));
  }
  if (cpu && (cpu.quota || cpu.period)) {
    const quota = cpuQuota(cpu.quota ?? 0, cpu.period ?? 0, o.version, out);
    if (quota !== (cpu.quota ?? 0)) resources.cpu = { ...cpu, quota };
  }
  const io = r.blockIO;
  if (io?.weight) {
    out.push(o.v2 ? prop('IOWeight', variant('t', BigInt(blkioWeightToIoWeight(io.weight)))) : prop('BlockIOWeight', variant('t', BigInt(io.weight))));
  }
  if (o.v2 && io) {
    const dev = (name: string, list: Array<{ major: number; minor: number; rate: number }> | undefined) => {
      if (list?.length) out.push(prop(name, variant('a(st)', list.map((d) => [block(d), BigInt(d.rate)]))));
    };
    const weights = (io.weightDevice ?? []).filter((d) => d.weight);
    if (weights.length) out.push(prop('IODeviceWeight', variant('a(st)', weights.map((d) => [block(d), BigInt(blkioWeightToIoWeight(d.weight!))]))));
    dev('IOReadBandwidthMax', io.throttleReadBpsDevice);
    dev('IOWriteBandwidthMax', io.throttleWriteBpsDevice);
    dev('IOReadIOPSMax', io.throttleReadIOPSDevice);
    dev('IOWriteIOPSMax', io.throttleWriteIOPSDevice);
  }
  if (r.pids?.limit !== undefined) out.push(prop('TasksMax', tasksMax(r.pids.limit)));
  if (o.version >= 244) {
    if (cpu?.cpus) out.push(prop('AllowedCPUs', variant('ay', rangeToMask(cpu.cpus, '/linux/resources/cpu/cpus'))));
    if (cpu?.mems) out.push(prop('AllowedMemoryNodes', variant('ay', rangeToMask(cpu.mems, '/linux/resources/cpu/mems'))));
  }
  if (o.v2 && r.unified) unifiedProperties(r.unified, o.version, out);
  return { properties: out, resources };
}

/** OOMPolicy= from unified memory.oom.group: systemd takes it only when the unit starts (from 253). */
export function startOnlyProperties(r: CgroupResources, version: number): Property[] {
  const v = r.unified?.['memory.oom.group']?.trim();
  if (v === undefined || version < 253) return [];
  if (v === '0') return [prop('OOMPolicy', variant('s', 'continue'))];
  if (v === '1') return [prop('OOMPolicy', variant('s', 'kill'))];
  return [];
}

/** Whether mapping these resources needs systemd's version (otherwise no round trip is spent asking). */
export function needsVersion(r: CgroupResources): boolean {
  const u = r.unified ?? {};
  return !!(r.cpu?.period || r.cpu?.cpus || r.cpu?.mems || r.cpu?.idle === 1 ||
    'cpu.max' in u || 'cpu.idle' in u || 'cpuset.cpus' in u || 'cpuset.mems' in u || 'memory.oom.group' in u);
}
