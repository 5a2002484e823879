// `tsrun kill [--all] ID [SIGNAL]`: signal the init after the pid + start
// time check; --all signals every process of the container's cgroup.
import { RuncText, TsrunError } from '../errors.js';
import { parseSignal } from '../lifecycle/signals.js';
import { containerDir } from '../state/paths.js';
import { isAlive } from '../state/proc.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { commandMain } from './command.js';

export const main = commandMain(async (ctx) => {
  const id = ctx.args[0]!;
  const sig = parseSignal(ctx.args[1] ?? 'SIGTERM');
  const root = ctx.globals.root;
  const record = readRecord(root, id);
  if (ctx.opts.all === true) {
    if (containerStatus(record, containerDir(root, id)) === 'stopped') return 0;
    const { killCgroup } = await import('../cgroups/teardown.js');
    killCgroup(record.cgroupPaths, sig);
    return 0;
  }
  // Only stopped and creating refuse a signal; created, running and paused
  // take it, so the freezer and the fifo need not be looked at: one read of
  // /proc/<pid>/stat (pid + start time) decides.
  if (!record.pid || !isAlive(record.pid, record.pidStartTime)) throw new TsrunError(RuncText.notRunning);
  try {
    process.kill(record.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError(RuncText.notRunning);
    throw new TsrunError(`kill: ${(err as Error).message}`, { errno: (err as NodeJS.ErrnoException).code });
  }
  return 0;
});
