// `tsrun state ID`: the state object, as runc prints it (2-space indented,
// Go's escapes, no trailing newline). A hot path (podman polls it): only the
// state store's small modules are imported, nothing that loads koffi or ajv.
import { containerDir } from '../state/paths.js';
import { goJson } from '../state/json.js';
import { containerStatus, stateObject } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

export const main = commandMain((ctx) => {
  const id = ctx.args[0]!;
  const record = readRecord(ctx.globals.root, id);
  const status = containerStatus(record, containerDir(ctx.globals.root, id));
  writeOut(goJson(stateObject(record, status), 2));
});
