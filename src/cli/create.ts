// `tsrun create [--bundle DIR] [--pid-file F] [--console-socket S] ... ID`
// (src/lifecycle/create.ts does the work; --dry-run prints the plan).
import { TsrunError } from '../errors.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

export const main = commandMain(async (ctx) => {
  const { createContainer } = await import('../lifecycle/create.js');
  const id = ctx.args[0];
  if (!id) throw new TsrunError('container id cannot be empty');
  const preserveFds = Number(ctx.opts.preserveFds ?? 0);
  if (!Number.isInteger(preserveFds) || preserveFds < 0) throw new TsrunError(`invalid --preserve-fds ${String(ctx.opts.preserveFds)}`);
  const res = await createContainer({
    root: ctx.globals.root,
    id,
    bundle: String(ctx.opts.bundle ?? '.'),
    pidFile: ctx.opts.pidFile as string | undefined,
    consoleSocket: ctx.opts.consoleSocket as string | undefined,
    pidfdSocket: ctx.opts.pidfdSocket as string | undefined,
    noPivot: ctx.opts.noPivot === true,
    noNewKeyring: ctx.opts.noNewKeyring === true,
    preserveFds,
    systemdCgroup: ctx.globals.systemdCgroup,
    rootless: ctx.globals.rootless === 'true',
    dryRun: ctx.opts.dryRun === true,
  });
  if ('text' in res) {
    writeOut(res.text);
    return 0;
  }
  res.executor.close();
  return 0;
});
