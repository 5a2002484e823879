// v2 freezer: cgroup.freeze, and cgroup.events "frozen 1" once every task
// has stopped.
import { TsrunError } from '../../errors.js';
import { hasFile, readKeyValues, tryReadCg, writeCg } from '../fsio.js';
import { type FreezerState, sleepMs } from '../manager.js';

/**
 * cgroup.freeze is only this cgroup's own request; a cgroup below a parent
 * frozen by someone else keeps 0 there while cgroup.events says "frozen 1"
 * (v1's freezer.state shows the inherited FROZEN itself). Both count, so a
 * new container is never placed in a cgroup frozen from above.
 */
export function v2FreezerState(dir: string): FreezerState {
  const want = tryReadCg(dir, 'cgroup.freeze')?.trim();
  const frozen = readKeyValues(dir, 'cgroup.events').get('frozen') === 1;
  if (want !== '1') return frozen ? 'FROZEN' : 'THAWED';
  return frozen ? 'FROZEN' : 'FREEZING';
}

export function v2Freeze(dir: string, timeoutMs = 10_000): void {
  if (!hasFile(dir, 'cgroup.freeze')) throw new TsrunError(`freezer not supported: no ${dir}/cgroup.freeze (kernel older than 5.2)`);
  writeCg(dir, 'cgroup.freeze', '1');
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    if (v2FreezerState(dir) === 'FROZEN') return;
    sleepMs(Math.min(1 + i, 10));
  }
  writeCg(dir, 'cgroup.freeze', '0');
  throw new TsrunError(`timeout of ${timeoutMs} ms reached waiting for the cgroup ${dir} to freeze`);
}

export function v2Thaw(dir: string): void {
  if (!hasFile(dir, 'cgroup.freeze')) return;
  writeCg(dir, 'cgroup.freeze', '0');
  for (let i = 0; i < 1000 && readKeyValues(dir, 'cgroup.events').get('frozen') === 1; i++) sleepMs(1);
}
