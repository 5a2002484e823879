// `tsrun state ID`: the state object, as runc prints it (2-space indented,
// Go's escapes, no trailing newline). A hot path (podman polls it): only the
// state store's small modules are imported, nothing that loads koffi or ajv.
import { Container } from '../state/container.js';
import { goJson } from '../state/json.js';
import { commandMain } from './command.js';
import { writeOut } from './output.js';

export const main = commandMain('state', (ctx) => {
  writeOut(goJson(Container.load(ctx.globals.root, ctx.args[0]!).state(), 2));
});
