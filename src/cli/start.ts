// `tsrun start ID`: release a created container's init.
import { TsrunError } from '../errors.js';
import { poststart, releaseInit, startRefusal } from '../lifecycle/start.js';
import { withContainerLock } from '../state/lock.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { commandMain } from './command.js';

export const main = commandMain(async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  await withContainerLock(root, id, () => {
    const record = readRecord(root, id);
    const dir = containerDir(root, id);
    const refusal = startRefusal(containerStatus(record, dir));
    if (refusal) throw new TsrunError(refusal);
    releaseInit(dir);
    poststart(record);
  });
});
