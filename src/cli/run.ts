// `tsrun run [--detach] [--keep] ... ID`: create + start, and in the
// foreground wait for the payload, forwarding signals, returning its exit
// code (or 128 + signal) and deleting the container unless --keep.
import { containerOptions } from './container-options.js';
import { commandMain } from './command.js';

export const main = commandMain('run', async (ctx) => {
  const { runContainer } = await import('../lifecycle/run.js');
  return runContainer({
    ...containerOptions(ctx),
    detach: ctx.opts.detach === true,
    keep: ctx.opts.keep === true,
  });
});
