// v1 cpuacct: usage only (nothing to set).
import { readKeyValues, readNumber, tryReadCg } from '../fsio.js';
import type { V1Controller } from './controller.js';

// cpuacct.stat counts USER_HZ ticks; USER_HZ is 100 on every Linux ABI.
const NS_PER_TICK = 1e9 / 100;

const numbers = (text: string | undefined): number[] => (text ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

export const cpuacct: V1Controller = {
  name: 'cpuacct',
  requested: () => undefined,
  set() {},
  stats(dir, out) {
    const u = out.cpu.usage;
    u.total = readNumber(dir, 'cpuacct.usage') ?? 0;
    u.percpu = numbers(tryReadCg(dir, 'cpuacct.usage_percpu'));
    u.percpu_kernel = numbers(tryReadCg(dir, 'cpuacct.usage_percpu_sys'));
    u.percpu_user = numbers(tryReadCg(dir, 'cpuacct.usage_percpu_user'));
    const st = readKeyValues(dir, 'cpuacct.stat');
    u.user = (st.get('user') ?? 0) * NS_PER_TICK;
    u.kernel = (st.get('system') ?? 0) * NS_PER_TICK;
  },
};
