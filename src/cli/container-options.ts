// The flags `create` and `run` share, read once into the lifecycle's options.
import { TsrunError } from '../errors.js';
import type { CommandContext } from './command.js';
import { rootlessCgroups } from './rootless.js';

export function containerOptions(ctx: CommandContext<'create'> | CommandContext<'run'>) {
  const id = ctx.args[0];
  if (!id) throw new TsrunError('container id cannot be empty');
  const preserveFds = Number(ctx.opts.preserveFds ?? 0);
  if (!Number.isInteger(preserveFds) || preserveFds < 0) throw new TsrunError(`invalid --preserve-fds ${String(ctx.opts.preserveFds)}`);
  return {
    root: ctx.globals.root,
    id,
    bundle: String(ctx.opts.bundle ?? '.'),
    pidFile: ctx.opts.pidFile,
    consoleSocket: ctx.opts.consoleSocket,
    pidfdSocket: ctx.opts.pidfdSocket,
    noPivot: ctx.opts.noPivot === true,
    noNewKeyring: ctx.opts.noNewKeyring === true,
    preserveFds,
    systemdCgroup: ctx.globals.systemdCgroup,
    rootless: rootlessCgroups(ctx.globals.rootless, ctx.globals.systemdCgroup),
  };
}
