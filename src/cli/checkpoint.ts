// `tsrun checkpoint [--image-path DIR] [--leave-running] [--pre-dump] ... ID`
// (src/criu/checkpoint.ts does the work, through criu).
import { commandMain } from './command.js';

export const main = commandMain('checkpoint', async (ctx) => {
  const id = ctx.args[0];
  if (!id) throw new (await import('../errors.js')).TsrunError('container id cannot be empty');
  const { criuFlags } = await import('../criu/options.js');
  const { checkpointContainer } = await import('../criu/checkpoint.js');
  await checkpointContainer({ root: ctx.globals.root, id, flags: criuFlags(ctx.opts, process.cwd()), criu: ctx.globals.criu });
});
