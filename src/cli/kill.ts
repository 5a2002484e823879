// `tsrun kill [--all] ID [SIGNAL]`: signal the init after the pid + start
// time check; --all signals every process of the container's cgroup, a
// stopped container's too.
import { RuncText, TsrunError } from '../errors.js';
import { parseSignal } from '../lifecycle/signals.js';
import { Container } from '../state/container.js';
import { isAlive } from '../state/proc.js';
import { commandMain } from './command.js';

export const main = commandMain('kill', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  // the container first, then the signal, as runc: `kill ID --all 9` (container "9") says it does not exist
  const container = Container.load(root, id);
  const record = container.record;
  const sig = parseSignal(ctx.args[1] ?? 'SIGTERM');
  if (ctx.opts.all === true) {
    const { cgroupPids, killCgroup } = await import('../cgroups/teardown.js');
    // As runc: a stopped container is signalled too while its cgroup holds
    // processes: what an init in a shared pid namespace (a pod's) left
    // behind outlives it, and containerd's shim sends `kill --all 9` after
    // the init's exit to take it away. An empty (or removed) cgroup: nothing
    // to do.
    if (container.status() === 'stopped' && cgroupPids(record.cgroupPaths).length === 0) return 0;
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
    // runc's words; a signal number out of range is the kernel's EINVAL
    const { errnoText } = await import('../sys/errno.js');
    const e = err as NodeJS.ErrnoException;
    throw new TsrunError(`unable to signal init: ${e.errno ? errnoText(-e.errno) : e.message}`, { errno: e.code });
  }
  return 0;
});
