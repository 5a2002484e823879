// `tsrun delete [--force] ID`: remove a stopped (or created) container;
// --force kills a running one first, and succeeds for an unknown id.
import { RuncText, TsrunError } from '../errors.js';
import { destroyContainer, destroyUnreadable, killContainer } from '../lifecycle/destroy.js';
import { log } from '../log.js';
import { withContainerLock } from '../state/lock.js';
import { Container } from '../state/container.js';
import { UnreadableRecord, removeContainerDir } from '../state/store.js';
import { commandMain } from './command.js';

export const main = commandMain('delete', async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  const force = ctx.opts.force === true;
  await withContainerLock(root, id, async () => {
    let container: Container;
    try {
      container = Container.load(root, id);
    } catch (err) {
      if (force && err instanceof TsrunError && err.message.includes(RuncText.notExist)) {
        removeContainerDir(root, id);
        return;
      }
      // a damaged record: its init, cgroup and directory are still found and removed
      if (force && err instanceof UnreadableRecord) {
        log.warn(`${err.message}: removing what can be found`);
        const { openCgroup } = await import('../cgroups/index.js');
        await destroyUnreadable(root, id, () => openCgroup({ id }).paths());
        return;
      }
      throw err;
    }
    const record = container.record;
    const status = container.status();
    if (status === 'running' || status === 'paused') {
      if (!force) throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`);
      if (status === 'paused') {
        const { thawCgroup } = await import('../cgroups/teardown.js');
        try {
          thawCgroup(record.cgroupPaths);
        } catch {
          /* killing works on frozen tasks too once thawed; best effort */
        }
      }
    }
    if (status !== 'stopped') await killContainer(record);
    await destroyContainer(root, record);
  });
});
