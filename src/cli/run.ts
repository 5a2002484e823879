// `tsrun run [--detach] [--keep] ... ID`: create + start, and in the
// foreground wait for the payload, forwarding signals, returning its exit
// code (or 128 + signal) and deleting the container unless --keep.
import { TsrunError } from '../errors.js';
import { commandMain } from './command.js';

export const main = commandMain(async (ctx) => {
  const id = ctx.args[0];
  if (!id) throw new TsrunError('container id cannot be empty');
  const { runContainer } = await import('../lifecycle/run.js');
  const preserveFds = Number(ctx.opts.preserveFds ?? 0);
  if (!Number.isInteger(preserveFds) || preserveFds < 0) throw new TsrunError(`invalid --preserve-fds ${String(ctx.opts.preserveFds)}`);
  return runContainer({
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
    detach: ctx.opts.detach === true,
    keep: ctx.opts.keep === true,
  });
});
