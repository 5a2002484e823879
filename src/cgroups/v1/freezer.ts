// v1 freezer. FROZEN is reached through FREEZING; a task stuck in an
// uninterruptible sleep can keep the cgroup FREEZING, so after a while the
// freeze is retried from THAWED (what runc does too), within a time bound.
import { TsrunError } from '../../errors.js';
import { tryReadCg, writeCg } from '../fsio.js';
import { type FreezerState, sleepMs } from '../manager.js';

export function v1FreezerState(dir: string): FreezerState {
  const s = tryReadCg(dir, 'freezer.state')?.trim();
  return s === 'FROZEN' || s === 'FREEZING' ? s : 'THAWED';
}

export function v1Freeze(dir: string, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    writeCg(dir, 'freezer.state', 'FROZEN');
    for (let i = 0; i < 50; i++) {
      if (v1FreezerState(dir) === 'FROZEN') return;
      sleepMs(Math.min(1 + i, 10));
    }
    // Stuck in FREEZING: thaw and try again.
    writeCg(dir, 'freezer.state', 'THAWED');
    sleepMs(10);
  }
  writeCg(dir, 'freezer.state', 'THAWED');
  throw new TsrunError(`unable to freeze the cgroup ${dir}: still FREEZING after ${timeoutMs} ms`);
}

export function v1Thaw(dir: string): void {
  writeCg(dir, 'freezer.state', 'THAWED');
  for (let i = 0; i < 1000 && v1FreezerState(dir) !== 'THAWED'; i++) sleepMs(1);
}
