// `tsrun restore [--bundle DIR] [--image-path DIR] [--detach] ... ID`
// (src/criu/restore.ts does the work, through criu).
import { commandMain } from './command.js';
import { rootlessCgroups } from './rootless.js';

export const main = commandMain('restore', async (ctx) => {
  const id = ctx.args[0];
  if (!id) throw new (await import('../errors.js')).TsrunError('container id cannot be empty');
  const { criuFlags } = await import('../criu/options.js');
  const { restoreContainer } = await import('../criu/restore.js');
  return restoreContainer({
    root: ctx.globals.root,
    id,
    bundle: String(ctx.opts.bundle ?? '.'),
    flags: criuFlags(ctx.opts, process.cwd()),
    criu: ctx.globals.criu,
    pidFile: ctx.opts.pidFile,
    consoleSocket: ctx.opts.consoleSocket,
    detach: ctx.opts.detach === true,
    systemdCgroup: ctx.globals.systemdCgroup,
    rootless: rootlessCgroups(ctx.globals.rootless, ctx.globals.systemdCgroup),
  });
});
