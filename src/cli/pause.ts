// `tsrun pause ID`: freeze every process of the container. The status
// `paused` is not stored anywhere: it is read back from the freezer.
import { RuncText, TsrunError } from '../errors.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { withContainerLock } from '../state/lock.js';
import { commandMain } from './command.js';

export const main = commandMain('pause', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  await withContainerLock(root, id, async () => {
    const record = readRecord(root, id);
    const status = containerStatus(record, containerDir(root, id));
    // runc pauses created and running containers only.
    if (status !== 'running' && status !== 'created') throw new TsrunError(RuncText.notRunning);
    const { fromPaths } = await import('../cgroups/index.js');
    fromPaths(record.cgroupPaths).freeze();
  });
});
