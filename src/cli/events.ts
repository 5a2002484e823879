// `tsrun events [--stats] [--interval D] ID`: with --stats one stats event;
// otherwise a stats event every interval plus an "oom" event whenever the
// OOM killer strikes in the container (its oom_kill counter is polled:
// memory.oom_control on v1, memory.events on v2), until the container stops.
import { RuncText, TsrunError } from '../errors.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

const OOM_POLL_MS = 200;

export const main = commandMain('events', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  const { fromPaths } = await import('../cgroups/index.js');
  const { parseGoDuration, statsEvent, oomEvent } = await import('../cgroups/events.js');
  const interval = parseGoDuration(String(ctx.opts.interval ?? '5s'));
  if (interval <= 0) throw new TsrunError('duration interval must be greater than 0');
  const record = readRecord(root, id);
  const dir = containerDir(root, id);
  if (containerStatus(record, dir) === 'stopped') throw new TsrunError(`container with id ${id} is not running`);
  const cg = fromPaths(record.cgroupPaths);
  if (ctx.opts.stats === true) {
    writeOut(statsEvent(id, cg.stats()));
    return 0;
  }
  let ooms = cg.oomKillCount();
  let nextStats = Date.now();
  const running = (): boolean => {
    try {
      return containerStatus(readRecord(root, id), dir) !== 'stopped';
    } catch (err) {
      if (err instanceof TsrunError && err.message.includes(RuncText.notExist)) return false;
      throw err;
    }
  };
  const checkOom = (): void => {
    const count = cg.exists() ? cg.oomKillCount() : ooms;
    if (count > ooms) writeOut(oomEvent(id));
    ooms = count;
  };
  try {
    for (;;) {
      // OOM first: an OOM kill of the init is also what stops the container.
      checkOom();
      if (!running()) {
        checkOom();
        return 0;
      }
      const now = Date.now();
      if (now >= nextStats) {
        writeOut(statsEvent(id, cg.stats()));
        nextStats = now + interval;
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(OOM_POLL_MS, nextStats - Date.now()))));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw err;
  }
});
