// `tsrun ps [--format table|json] ID [ps options]`: json is the array of
// host pids in the container's cgroup (containerd's shim reads it); table
// runs the host's `ps` (default -ef) and keeps its header plus the lines
// whose PID column is one of those pids, as runc does.
import { spawnSync } from 'node:child_process';
import { TsrunError } from '../errors.js';
import { readRecord } from '../state/store.js';
import { filterPsOutput } from '../cgroups/ps-output.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

export const main = commandMain('ps', async (ctx) => {
  const id = ctx.args[0]!;
  const record = readRecord(ctx.globals.root, id);
  const format = ctx.opts.format;
  if (format !== 'table' && format !== 'json') throw new TsrunError(`invalid format option ${JSON.stringify(format)}`);
  const { fromPaths } = await import('../cgroups/index.js');
  const cg = fromPaths(record.cgroupPaths ?? {});
  const pids = cg.exists() ? cg.pids() : [];
  if (format === 'json') {
    // Go encodes a nil slice as null: what runc prints for an empty cgroup.
    writeOut((pids.length ? JSON.stringify(pids) : 'null') + '\n');
    return;
  }
  const args = ctx.args.length > 1 ? ctx.args.slice(1) : ['-ef'];
  const res = spawnSync('ps', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) throw new TsrunError(`exec: "ps": ${res.error.message}`);
  if (res.status !== 0) throw new TsrunError(`exit status ${res.status}: ${res.stdout}${res.stderr}`);
  writeOut(filterPsOutput(res.stdout, pids));
});
