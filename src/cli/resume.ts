// `tsrun resume ID`: thaw a paused container.
import { RuncText, TsrunError } from '../errors.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { withContainerLock } from '../state/lock.js';
import { commandMain } from './command.js';

export const main = commandMain('resume', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  await withContainerLock(root, id, async () => {
    const record = readRecord(root, id);
    const status = containerStatus(record, containerDir(root, id));
    if (status !== 'paused') throw new TsrunError(RuncText.notPaused);
    const { fromPaths } = await import('../cgroups/index.js');
    fromPaths(record.cgroupPaths).thaw();
  });
});
