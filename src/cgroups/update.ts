// `tsrun update`: runc's flags (or a LinuxResources JSON) turned into the
// resources to apply, merged onto what the container has now the way runc
// merges them: only the fields runc's update knows are taken, device rules
// never (an update must not open a window with no device filter), throttle
// and weight-device lists are upserted by major:minor.
import type { LinuxBlockIO, LinuxResources, LinuxThrottleDevice, LinuxWeightDevice } from '../spec/types.js';
import { TsrunError } from '../errors.js';

/** The update flags as the argv table names them (all strings, as given). */
export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuBurst?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuIdle?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
}

/** docker/go-units RAMInBytes: "512m", "1.5g", "100" (binary multipliers). */
export function ramInBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw new Error(`invalid size: '${text}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? '').toLowerCase() as 'k'];
  return Math.trunc(Number(m[1]) * mult);
}

function uint(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new TsrunError(`invalid value for ${name}: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function int(name: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new TsrunError(`invalid value for ${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function mem(name: string, v: string): number {
  if (v === '-1') return -1;
  try {
    return ramInBytes(v);
  } catch (err) {
    throw new TsrunError(`invalid value for ${name}: ${(err as Error).message}`);
  }
}

/** The requested change, from the flags (used when --resources is absent). */
export function resourcesFromFlags(f: UpdateFlags): LinuxResources {
  const r: LinuxResources = { memory: {}, cpu: {}, blockIO: {}, pids: {} };
  const cpu = r.cpu!;
  const memory = r.memory!;
  if (f.blkioWeight !== undefined && f.blkioWeight !== '') {
    const w = int('blkio-weight', f.blkioWeight);
    if (w !== 0) r.blockIO!.weight = w;
  }
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  if (f.cpuIdle) cpu.idle = int('cpu-idle', f.cpuIdle);
  if (f.cpuBurst) cpu.burst = uint('cpu-burst', f.cpuBurst);
  if (f.cpuPeriod) cpu.period = uint('cpu-period', f.cpuPeriod);
  if (f.cpuRtPeriod) cpu.realtimePeriod = uint('cpu-rt-period', f.cpuRtPeriod);
  if (f.cpuShare) cpu.shares = uint('cpu-share', f.cpuShare);
  if (f.cpuQuota) cpu.quota = int('cpu-quota', f.cpuQuota);
  if (f.cpuRtRuntime) cpu.realtimeRuntime = int('cpu-rt-runtime', f.cpuRtRuntime);
  if (f.memory) memory.limit = mem('memory', f.memory);
  if (f.memorySwap) memory.swap = mem('memory-swap', f.memorySwap);
  if (f.kernelMemory) memory.kernel = mem('kernel-memory', f.kernelMemory);
  if (f.kernelMemoryTcp) memory.kernelTCP = mem('kernel-memory-tcp', f.kernelMemoryTcp);
  if (f.memoryReservation) memory.reservation = mem('memory-reservation', f.memoryReservation);
  if (f.pidsLimit !== undefined) r.pids!.limit = int('pids-limit', f.pidsLimit);
  return r;
}

function upsert<T extends { major: number; minor: number }>(list: T[] | undefined, item: T): T[] {
  const out = (list ?? []).filter((d) => d.major !== item.major || d.minor !== item.minor);
  return [...out, item];
}

/**
 * The resources after the update: `prev` (what the container has) with the
 * change applied. The result is what set() receives, without device rules.
 */
export function mergeUpdate(prev: LinuxResources | undefined, u: LinuxResources): LinuxResources {
  const next: LinuxResources = structuredClone(prev ?? {});
  delete next.devices;
  const ucpu = u.cpu ?? {};
  const umem = u.memory ?? {};
  // runc: memory "unlimited" without a swap value means swap unlimited too.
  const swap = umem.limit === -1 && umem.swap === undefined ? 0 : umem.swap;

  const b: LinuxBlockIO = (next.blockIO ??= {});
  const ub = u.blockIO ?? {};
  if (ub.weight !== undefined) b.weight = ub.weight;
  if (ub.leafWeight !== undefined) b.leafWeight = ub.leafWeight;
  for (const wd of ub.weightDevice ?? []) b.weightDevice = upsert<LinuxWeightDevice>(b.weightDevice, wd);
  for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    for (const td of ub[key] ?? []) b[key] = upsert<LinuxThrottleDevice>(b[key], td);
  }

  const cpu = (next.cpu ??= {});
  const p = ucpu.period ?? 0;
  const q = ucpu.quota ?? 0;
  if ((p === 0 && q === 0) || (p !== 0 && q !== 0)) {
    cpu.period = p;
    cpu.quota = q;
  } else if (p !== 0) cpu.period = p;
  else cpu.quota = q;
  cpu.burst = ucpu.burst;
  if (ucpu.shares !== undefined) cpu.shares = ucpu.shares;
  else if (ucpu.idle !== undefined) cpu.shares = 0;
  if (ucpu.realtimePeriod !== undefined) cpu.realtimePeriod = ucpu.realtimePeriod;
  if (ucpu.realtimeRuntime !== undefined) cpu.realtimeRuntime = ucpu.realtimeRuntime;
  cpu.cpus = ucpu.cpus;
  cpu.mems = ucpu.mems;
  cpu.idle = ucpu.idle;

  const memory = (next.memory ??= {});
  if (umem.limit !== undefined) memory.limit = umem.limit;
  if (umem.reservation !== undefined) memory.reservation = umem.reservation;
  if (swap !== undefined) memory.swap = swap;
  memory.checkBeforeUpdate = umem.checkBeforeUpdate ?? false;
  delete memory.kernel;
  delete memory.kernelTCP;

  next.pids = u.pids?.limit !== undefined ? { limit: u.pids.limit } : {};
  if (u.unified) next.unified = u.unified;
  else delete next.unified;
  return stripUndefined(next);
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
