// v2 cpu: cpu.weight (converted from shares), cpu.max ("quota period" or
// "max period"), cpu.max.burst, cpu.idle.
import { TsrunError } from '../../errors.js';
import { intText, readKeyValues, writeCg } from '../fsio.js';
import { sharesToWeight } from '../convert.js';
import type { CgroupResources } from '../manager.js';
import type { CgroupStats } from '../stats.js';

const F = '/linux/resources/cpu';

export function cpuRequested(r: CgroupResources): string | undefined {
  const c = r.cpu;
  if (!c) return undefined;
  if (c.shares) return `${F}/shares`;
  if (c.quota) return `${F}/quota`;
  if (c.period) return `${F}/period`;
  if (c.burst !== undefined) return `${F}/burst`;
  if (c.idle !== undefined) return `${F}/idle`;
  if (c.realtimeRuntime || c.realtimePeriod) return `${F}/realtimeRuntime`;
  return undefined;
}

/** The cpu.max line for a quota/period pair (quota <= 0 = no limit). */
function cpuMaxText(quota: number | undefined, period: number | undefined): string {
  const q = quota !== undefined && quota > 0 ? intText(quota) : 'max';
  return `${q} ${intText(period || 100000)}`;
}

export function setCpu(dir: string, r: CgroupResources): void {
  const c = r.cpu;
  if (!c) return;
  if (c.realtimeRuntime || c.realtimePeriod) {
    // cgroup v2 has no realtime budget; runc refuses it too.
    throw new TsrunError('realtime scheduling (cpu.realtimeRuntime/realtimePeriod) is not supported on cgroup v2', {
      field: c.realtimeRuntime ? `${F}/realtimeRuntime` : `${F}/realtimePeriod`,
    });
  }
  if (c.idle !== undefined) writeCg(dir, 'cpu.idle', intText(c.idle), `${F}/idle`);
  const weight = sharesToWeight(c.shares ?? 0);
  if (weight !== 0) writeCg(dir, 'cpu.weight', String(weight), `${F}/shares`);
  let burstLater = false;
  if (c.burst !== undefined) {
    try {
      writeCg(dir, 'cpu.max.burst', intText(c.burst), `${F}/burst`);
    } catch (err) {
      // A burst above the current quota is refused until the new quota is in.
      if (!(err instanceof TsrunError && err.errno === 'EINVAL' && c.quota)) throw err;
      burstLater = true;
    }
  }
  if (c.quota || c.period) {
    writeCg(dir, 'cpu.max', cpuMaxText(c.quota, c.period), c.quota ? `${F}/quota` : `${F}/period`);
    if (burstLater) writeCg(dir, 'cpu.max.burst', intText(c.burst!), `${F}/burst`);
  }
}

export function cpuStats(dir: string, out: CgroupStats): void {
  const st = readKeyValues(dir, 'cpu.stat');
  out.cpu.usage.total = (st.get('usage_usec') ?? 0) * 1000;
  out.cpu.usage.user = (st.get('user_usec') ?? 0) * 1000;
  out.cpu.usage.kernel = (st.get('system_usec') ?? 0) * 1000;
  out.cpu.throttling.periods = st.get('nr_periods') ?? 0;
  out.cpu.throttling.throttledPeriods = st.get('nr_throttled') ?? 0;
  out.cpu.throttling.throttledTime = (st.get('throttled_usec') ?? 0) * 1000;
}
