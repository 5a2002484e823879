// v2 memory: memory.max, memory.swap.max (swap alone: the spec's
// memory+swap minus the memory limit), memory.low from the reservation.
// checkBeforeUpdate is enforced here by reading memory.current first, since
// v2 would rather OOM-kill than refuse a limit below usage.
import { hasFile, intText, readKeyValues, readNumber, writeCg } from '../fsio.js';
import { swapToV2 } from '../convert.js';
import { checkUsage } from '../v1/memory.js';
import { log } from '../../log.js';
import type { CgroupResources } from '../manager.js';
import type { CgroupStats } from '../stats.js';

const F = '/linux/resources/memory';

const limitText = (v: number): string => (v === -1 ? 'max' : intText(v));

export function memoryRequested(r: CgroupResources): string | undefined {
  const m = r.memory;
  if (!m) return undefined;
  if (m.limit) return `${F}/limit`;
  if (m.swap) return `${F}/swap`;
  if (m.reservation) return `${F}/reservation`;
  return undefined;
}

export function setMemory(dir: string, r: CgroupResources): void {
  const m = r.memory;
  if (!m) return;
  if (m.kernel !== undefined || m.kernelTCP !== undefined) log.warn('kernel memory settings are ignored and will be removed');
  if (m.swappiness !== undefined && m.swappiness !== -1) log.warn('memory.swappiness is not supported on cgroup v2: ignored');
  const limit = m.limit ?? 0;
  const swapIn = m.swap ?? 0;
  if (!limit && !swapIn && !m.reservation) return;
  if (m.checkBeforeUpdate && limit > 0) checkUsage(limit, readNumber(dir, 'memory.current'));
  const swap = swapToV2(swapIn, limit);
  // An explicit memory+swap equal to the memory limit means "no swap" (0), not "unset".
  const swapText = swap === -1 ? 'max' : swap > 0 || swapIn > 0 ? intText(swap) : '';
  if (swapText !== '') {
    if (hasFile(dir, 'memory.swap.max')) writeCg(dir, 'memory.swap.max', swapText, `${F}/swap`);
    else if (swapText !== 'max' && swapText !== '0') writeCg(dir, 'memory.swap.max', swapText, `${F}/swap`);
  }
  if (limit) writeCg(dir, 'memory.max', limitText(limit), `${F}/limit`);
  if (m.reservation) writeCg(dir, 'memory.low', limitText(m.reservation), `${F}/reservation`);
}

export function memoryStats(dir: string, out: CgroupStats): void {
  const raw = readKeyValues(dir, 'memory.stat');
  out.memory.raw = Object.fromEntries(raw);
  out.memory.cache = raw.get('file') ?? 0;
  const current = readNumber(dir, 'memory.current') ?? 0;
  const max = readNumber(dir, 'memory.max') ?? 0;
  const events = readKeyValues(dir, 'memory.events');
  out.memory.usage = { usage: current, max: readNumber(dir, 'memory.peak') ?? 0, failcnt: events.get('max') ?? 0, limit: max };
  const swapCur = readNumber(dir, 'memory.swap.current');
  if (swapCur !== undefined) {
    const swapMax = readNumber(dir, 'memory.swap.max') ?? 0;
    out.memory.swap = {
      usage: swapCur + current,
      max: 0,
      failcnt: readKeyValues(dir, 'memory.swap.events').get('fail') ?? 0,
      limit: swapMax === Infinity || max === Infinity ? Infinity : swapMax + max,
    };
  }
}

export function v2OomKills(dir: string): number {
  return readKeyValues(dir, 'memory.events').get('oom_kill') ?? 0;
}
