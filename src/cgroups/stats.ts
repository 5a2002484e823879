// Container statistics in the shape of runc's `events` (types/events.go), the
// JSON that `tsrun events --stats` prints and that callers decode. Managers
// fill a CgroupStats; eventData() drops the fields runc marks omitempty when
// they are zero, so the output matches field for field.

export interface CpuUsage {
  total: number;
  percpu: number[];
  percpu_kernel: number[];
  percpu_user: number[];
  kernel: number;
  user: number;
}

export interface Throttling {
  periods: number;
  throttledPeriods: number;
  throttledTime: number;
}

export interface CpuSetStats {
  cpus: number[];
  cpu_exclusive: number;
  mems: number[];
  mem_hardwall: number;
  mem_exclusive: number;
  memory_migrate: number;
  memory_spread_page: number;
  memory_spread_slab: number;
  memory_pressure: number;
  sched_load_balance: number;
  sched_relax_domain_level: number;
}

export interface MemoryEntry {
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface HugetlbStats {
  usage: number;
  max: number;
  failcnt: number;
}

export interface CgroupStats {
  cpu: { usage: CpuUsage; throttling: Throttling };
  cpuset: CpuSetStats;
  memory: { cache: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw: Record<string, number> };
  pids: { current: number; limit: number };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[];
    ioServicedRecursive: BlkioEntry[];
    ioQueueRecursive: BlkioEntry[];
    ioServiceTimeRecursive: BlkioEntry[];
    ioWaitTimeRecursive: BlkioEntry[];
    ioMergedRecursive: BlkioEntry[];
    ioTimeRecursive: BlkioEntry[];
    sectorsRecursive: BlkioEntry[];
  };
  /** keyed by page size name: "2MB" */
  hugetlb: Record<string, HugetlbStats>;
}

const entry = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });

export function emptyStats(): CgroupStats {
  return {
    cpu: {
      usage: { total: 0, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0, user: 0 },
      throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
    },
    cpuset: {
      cpus: [], cpu_exclusive: 0, mems: [], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0,
      memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0,
      sched_relax_domain_level: 0,
    },
    memory: { cache: 0, usage: entry(), swap: entry(), kernel: entry(), kernelTCP: entry(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: {
      ioServiceBytesRecursive: [], ioServicedRecursive: [], ioQueueRecursive: [], ioServiceTimeRecursive: [],
      ioWaitTimeRecursive: [], ioMergedRecursive: [], ioTimeRecursive: [], sectorsRecursive: [],
    },
    hugetlb: {},
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drop the listed keys whose value is 0, "", [] or {} (Go's omitempty / omitzero). */
function omit(obj: Record<string, unknown>, keys: string[]): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(obj)) {
    const empty =
      v === 0 || v === '' || v === undefined ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (empty && keys.includes(k)) continue;
    out[k] = v as Json;
  }
  return out;
}

function memEntry(e: MemoryEntry): { [k: string]: Json } {
  return omit({ ...e }, ['usage', 'max']);
}

/** The `data` of a runc "stats" event. */
export function eventData(s: CgroupStats): { [k: string]: Json } {
  const usage = omit({ ...s.cpu.usage }, ['total', 'percpu', 'percpu_kernel', 'percpu_user']);
  const throttling = omit({ ...s.cpu.throttling }, ['periods', 'throttledPeriods', 'throttledTime']);
  const cpu: { [k: string]: Json } = {};
  if (Object.keys(usage).length > 0 && (s.cpu.usage.total || s.cpu.usage.kernel || s.cpu.usage.user || s.cpu.usage.percpu.length)) cpu.usage = usage;
  if (Object.keys(throttling).length > 0) cpu.throttling = throttling;
  const mem = s.memory;
  const memory: { [k: string]: Json } = omit({ cache: mem.cache }, ['cache']);
  for (const k of ['usage', 'swap', 'kernel', 'kernelTCP'] as const) {
    const e = mem[k];
    if (e.limit || e.usage || e.max || e.failcnt) memory[k] = memEntry(e);
  }
  if (Object.keys(mem.raw).length > 0) memory.raw = mem.raw;
  const blkio: { [k: string]: Json } = {};
  for (const [k, list] of Object.entries(s.blkio)) {
    if (list.length > 0) blkio[k] = list.map((e) => omit({ ...e }, ['major', 'minor', 'op', 'value']));
  }
  const hugetlb: { [k: string]: Json } = {};
  for (const [k, h] of Object.entries(s.hugetlb)) hugetlb[k] = omit({ ...h }, ['usage', 'max']);
  return {
    cpu,
    cpuset: omit({ ...s.cpuset }, ['cpus', 'mems']),
    memory,
    pids: omit({ ...s.pids }, ['current', 'limit']),
    blkio,
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** "0-3,7" -> [0, 1, 2, 3, 7] */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}
