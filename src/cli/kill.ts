// `tsrun kill [--all] ID [SIGNAL]`: signal the init after the pid + start
// time check; --all signals every process of the container's cgroup.
import { RuncText, TsrunError } from '../errors.js';
import { parseSignal } from '../lifecycle/signals.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { commandMain } from './command.js';

export const main = commandMain(async (ctx) => {
  const id = ctx.args[0]!;
  const sig = parseSignal(ctx.args[1] ?? 'SIGTERM');
  const root = ctx.globals.root;
  const record = readRecord(root, id);
  const status = containerStatus(record, containerDir(root, id));
  if (ctx.opts.all === true) {
    if (status === 'stopped') return 0;
    const { killCgroup } = await import('../cgroups/teardown.js');
    killCgroup(record.cgroupPaths, sig);
    return 0;
  }
  // containerStatus already checked pid + start time: not stopped means alive.
  if (status === 'stopped' || status === 'creating') throw new TsrunError(RuncText.notRunning);
  try {
    process.kill(record.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError(RuncText.notRunning);
    throw new TsrunError(`kill: ${(err as Error).message}`, { errno: (err as NodeJS.ErrnoException).code });
  }
  return 0;
});
