// `tsrun create [--bundle DIR] [--pid-file F] [--console-socket S] ... ID`
// (src/lifecycle/create.ts does the work; --dry-run prints the plan).
import { containerOptions } from './container-options.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

export const main = commandMain('create', async (ctx) => {
  const { createContainer } = await import('../lifecycle/create.js');
  const res = await createContainer({
    ...containerOptions(ctx),
    dryRun: ctx.opts.dryRun === true,
  });
  if ('text' in res) {
    writeOut(res.text);
    return 0;
  }
  res.executor.close();
  return 0;
});
