// v1 cpu: shares, CFS bandwidth (period, quota, burst), SCHED_IDLE, and the
// realtime budget. Bandwidth writes are ordered so that moving both period
// and quota works from any current pair: a period the kernel refuses against
// the current quota (EINVAL) is retried once the quota is written.
import { TsrunError } from '../../errors.js';
import { errnoOf, intText, readKeyValues, readNumber, writeCg } from '../fsio.js';
import { isSet, type V1Controller } from './controller.js';

const F = '/linux/resources/cpu';

function tryWrite(dir: string, file: string, value: string, field: string, retryable: boolean): boolean {
  try {
    writeCg(dir, file, value, field);
    return true;
  } catch (err) {
    const code = err instanceof TsrunError ? err.errno : errnoOf(err);
    if (retryable && code === 'EINVAL') return false;
    throw err;
  }
}

export const cpu: V1Controller = {
  name: 'cpu',
  requested(r) {
    const c = r.cpu;
    if (!c) return undefined;
    if (isSet(c.shares)) return `${F}/shares`;
    if (isSet(c.quota)) return `${F}/quota`;
    if (isSet(c.period)) return `${F}/period`;
    if (c.burst !== undefined) return `${F}/burst`;
    if (c.idle !== undefined) return `${F}/idle`;
    if (isSet(c.realtimeRuntime)) return `${F}/realtimeRuntime`;
    if (isSet(c.realtimePeriod)) return `${F}/realtimePeriod`;
    return undefined;
  },
  set(dir, r) {
    const c = r.cpu;
    if (!c) return;
    if (isSet(c.shares)) {
      writeCg(dir, 'cpu.shares', intText(c.shares), `${F}/shares`);
      // The kernel clamps instead of failing; say so, as runc does.
      const got = readNumber(dir, 'cpu.shares');
      if (got !== undefined && got !== c.shares) {
        throw new TsrunError(`the ${c.shares > got ? 'maximum' : 'minimum'} allowed cpu-shares is ${got}`, { field: `${F}/shares` });
      }
    }
    const hasQuota = isSet(c.quota);
    let periodLater = false;
    if (isSet(c.period)) periodLater = !tryWrite(dir, 'cpu.cfs_period_us', intText(c.period), `${F}/period`, hasQuota);
    let burstLater = false;
    if (c.burst !== undefined && readNumber(dir, 'cpu.cfs_burst_us') !== undefined) {
      burstLater = !tryWrite(dir, 'cpu.cfs_burst_us', intText(c.burst), `${F}/burst`, hasQuota);
    }
    if (hasQuota) {
      writeCg(dir, 'cpu.cfs_quota_us', intText(c.quota!), `${F}/quota`);
      if (periodLater) writeCg(dir, 'cpu.cfs_period_us', intText(c.period!), `${F}/period`);
      if (burstLater) writeCg(dir, 'cpu.cfs_burst_us', intText(c.burst!), `${F}/burst`);
    }
    if (c.idle !== undefined) writeCg(dir, 'cpu.idle', intText(c.idle), `${F}/idle`);
    // Realtime: the same retry dance between period and runtime.
    let rtPeriodLater = false;
    if (isSet(c.realtimePeriod)) {
      rtPeriodLater = !tryWrite(dir, 'cpu.rt_period_us', intText(c.realtimePeriod), `${F}/realtimePeriod`, isSet(c.realtimeRuntime));
    }
    if (isSet(c.realtimeRuntime)) {
      writeCg(dir, 'cpu.rt_runtime_us', intText(c.realtimeRuntime), `${F}/realtimeRuntime`);
      if (rtPeriodLater) writeCg(dir, 'cpu.rt_period_us', intText(c.realtimePeriod!), `${F}/realtimePeriod`);
    }
  },
  stats(dir, out) {
    const st = readKeyValues(dir, 'cpu.stat');
    out.cpu.throttling.periods = st.get('nr_periods') ?? 0;
    out.cpu.throttling.throttledPeriods = st.get('nr_throttled') ?? 0;
    out.cpu.throttling.throttledTime = st.get('throttled_time') ?? 0;
  },
};
