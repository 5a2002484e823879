// `tsrun start ID`: release a created container's init.
import { TsrunError } from '../errors.js';
import { poststart, releaseInit, startRefusal } from '../lifecycle/start.js';
import { withContainerLock } from '../state/lock.js';
import { Container } from '../state/container.js';
import { commandMain } from './command.js';

export const main = commandMain('start', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  await withContainerLock(root, id, () => {
    const container = Container.load(root, id);
    const refusal = startRefusal(container.status());
    if (refusal) throw new TsrunError(refusal);
    releaseInit(container.dir);
    poststart(container);
  });
});
