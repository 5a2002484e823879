// The entry of every tsrun call: parse argv with the fast parser, then load
// only the one subcommand asked for. commander is loaded only for --help and
// usage errors (program.ts).
import { parseArgv } from './cli/argv.js';
import { loadCommand, loadDist } from './cli/load.js';
import { writeOut } from './cli/output.js';
import type { Invocation } from './cli/command.js';

declare const TSRUN_VERSION: string;
declare const TSRUN_COMMIT: string;
declare const SPEC_VERSION: string;

export function versionText(): string {
  return `tsrun version ${TSRUN_VERSION}\ncommit: ${TSRUN_COMMIT}\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`;
}

export async function dispatch(command: string, inv: Invocation): Promise<number> {
  const mod = loadCommand(command) ?? loadCommand('not-implemented')!;
  return mod.main(inv);
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgv(argv);
  if (parsed?.kind === 'version') {
    writeOut(versionText());
    return 0;
  }
  if (parsed) return dispatch(parsed.command, parsed);
  const program = loadDist<{ main: (argv: string[], dispatch: typeof dispatchFn, version: string) => Promise<number> }>('cli-program.cjs');
  return program.main(argv, dispatchFn, versionText());
}

const dispatchFn = dispatch;

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Only a bug in tsrun gets here: commands catch their own errors.
    process.stderr.write(`tsrun: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
