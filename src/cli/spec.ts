// `tsrun spec [--bundle DIR] [--rootless]`: write a starting config.json,
// shaped like runc's (tab-indented, no trailing newline, mode 0666 & ~umask),
// refusing to overwrite one.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { defaultSpec } from '../spec/default.js';
import { Dir } from '../state/safe-fs.js';
import { commandMain } from './command.js';

export const main = commandMain('spec', (ctx) => {
  const dir = resolve(String(ctx.opts.bundle ?? '.'));
  const path = join(dir, 'config.json');
  // runc's test for pure cgroup v2 is the filesystem type of /sys/fs/cgroup: only cgroup2 has cgroup.controllers there
  const cgroupNamespace = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const text = JSON.stringify(defaultSpec({ rootless: ctx.opts.rootless === true, cgroupNamespace }), null, '\t');
  let d: Dir | undefined;
  try {
    // O_CREAT|O_EXCL: a config written meanwhile is never clobbered.
    d = Dir.open(dir, { follow: true });
    d.create('config.json', text, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new TsrunError('File config.json exists. Remove it first');
    if (code === 'ENOENT') throw new TsrunError(`chdir ${dir}: no such file or directory`, { errno: code });
    throw new TsrunError(`open ${path}: ${(err as Error).message}`, { errno: code });
  } finally {
    d?.close();
  }
});
