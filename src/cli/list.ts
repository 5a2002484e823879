// `tsrun list`: every container under --root, as runc lists them: a table
// (ID PID STATUS BUNDLE CREATED OWNER), `--format json` (an array of state
// objects, `null` when there are none) or `-q` (ids only). A missing root
// is an empty list, not an error.
import { statSync } from 'node:fs';
import { RuncText, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { containerDir } from '../state/paths.js';
import { goJson } from '../state/json.js';
import { ownerName, userNames } from '../state/owner.js';
import { containerStatus, stateObject } from '../state/status.js';
import { listIds, readRecord } from '../state/store.js';
import { tabulate } from '../state/table.js';
import type { StateObject } from '../state/types.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

function collect(root: string): StateObject[] {
  const names = userNames();
  const out: StateObject[] = [];
  for (const id of listIds(root)) {
    const dir = containerDir(root, id);
    try {
      // A container deleted meanwhile, or one whose record is not written
      // yet, is left out, as runc does.
      const record = readRecord(root, id);
      const uid = statSync(dir).uid;
      out.push(stateObject(record, containerStatus(record, dir), ownerName(uid, names)));
    } catch (err) {
      // gone meanwhile or not written yet: quietly, as runc; a damaged record is said out loud
      const message = (err as Error).message;
      if (message.includes(RuncText.notExist)) log.debug(`list: skipping ${id}: ${message}`);
      else log.warn(`list: skipping ${id}: ${message}`);
    }
  }
  return out;
}

export const main = commandMain('list', (ctx) => {
  const format = String(ctx.opts.format ?? 'table');
  if (format !== 'table' && format !== 'json') throw new TsrunError(`invalid format option`);
  const states = collect(ctx.globals.root);
  if (ctx.opts.quiet === true) {
    writeOut(states.map((s) => s.id + '\n').join(''));
    return;
  }
  if (format === 'json') {
    writeOut(goJson(states.length ? states : null) + '\n');
    return;
  }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
  writeOut(tabulate(rows));
});
