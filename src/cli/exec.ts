// `tsrun exec [--process F | ...flags] ID [COMMAND...]` (src/lifecycle/exec.ts).
import { TsrunError } from '../errors.js';
import { commandMain } from './command.js';
import { rootlessCgroups } from './rootless.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === false ? [] : [String(v)]);

export const main = commandMain('exec', async (ctx) => {
  const [id, ...args] = ctx.args;
  if (!id) throw new TsrunError('container id cannot be empty', { exitCode: 255 });
  const preserveFds = Number(ctx.opts.preserveFds ?? 0);
  if (!Number.isInteger(preserveFds) || preserveFds < 0) throw new TsrunError(`invalid --preserve-fds ${String(ctx.opts.preserveFds)}`, { exitCode: 255 });
  const { execInContainer } = await import('../lifecycle/exec.js');
  return execInContainer({
    root: ctx.globals.root,
    id,
    flags: {
      process: ctx.opts.process,
      args,
      cwd: ctx.opts.cwd,
      env: list(ctx.opts.env),
      tty: ctx.opts.tty === true,
      user: ctx.opts.user,
      additionalGids: list(ctx.opts.additionalGids),
      caps: list(ctx.opts.cap),
      noNewPrivs: ctx.opts.noNewPrivs === true,
      apparmor: ctx.opts.apparmor || undefined,
    },
    detach: ctx.opts.detach === true,
    pidFile: ctx.opts.pidFile,
    consoleSocket: ctx.opts.consoleSocket,
    pidfdSocket: ctx.opts.pidfdSocket,
    preserveFds,
    ignorePaused: ctx.opts.ignorePaused === true,
    rootless: rootlessCgroups(ctx.globals.rootless, ctx.globals.systemdCgroup),
    cgroups: list(ctx.opts.cgroup),
  }).catch((err: unknown) => {
    // runc exits 255 on every exec failure, "container does not exist" too:
    // callers tell it from the payload's own status by that
    if (err instanceof TsrunError && err.exitCode === 1) throw new TsrunError(err.message, { field: err.field, file: err.file, errno: err.errno, exitCode: 255 });
    throw err;
  });
});
