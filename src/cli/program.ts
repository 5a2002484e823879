// commander, built from the command table, for what the fast parser leaves:
// --help, and usage errors worded the way users expect. When commander accepts
// argv that the fast parser did not, its reading is the one that runs.
import { Command, CommanderError, Option } from 'commander';
import { configureLog } from '../log.js';
import { UsageError } from '../errors.js';
import { type Opts, defaults, globalsOf, inRuncOrder } from './argv.js';
import type { Invocation } from './command.js';
import { fatal } from './command.js';
import { type OptSpec, commands, globalOptions } from './table.js';

function addOptions(cmd: Command, options: readonly OptSpec[]): void {
  for (const o of options) {
    const opt = new Option(o.flags, o.desc);
    if (o.hidden) opt.hideHelp();
    if (o.default !== undefined && typeof o.default === 'string') opt.default(o.default);
    if (o.repeat) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(opt);
  }
}

/** Go's flag package accepts single-dash long options (`-no-subreaper`); commander does not. */
function normalise(argv: string[], known: Set<string>): string[] {
  return argv.map((a) => {
    const name = a.replace(/^-/, '').split('=')[0]!;
    return /^-[a-z][\w-]+/.test(a) && !a.startsWith('--') && known.has(name) ? `-${a}` : a;
  });
}

export async function main(
  argv: string[],
  dispatch: (command: string, inv: Invocation) => Promise<number>,
  version: string,
): Promise<number> {
  let run: { command: string; inv: Invocation } | undefined;
  let helpShown = false;
  const program = new Command('tsrun')
    .description('tsrun is an OCI runtime-spec v1.3 container runtime, a drop-in replacement for runc')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .helpCommand(true);
  addOptions(program, globalOptions);
  program.option('-v, --version', 'print the version');
  const known = new Set<string>();
  for (const spec of [...commands]) {
    const cmd = program.command(spec.name).description(spec.summary).passThroughOptions().exitOverride();
    cmd.configureOutput({ writeErr: () => {}, outputError: () => {} });
    for (const a of spec.args) cmd.argument(a);
    addOptions(cmd, spec.options);
    for (const o of spec.options) known.add(o.flags.replace(/.*--([\w-]+).*/, '$1'));
    cmd.action((...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      const args = self.args.slice();
      const opts: Opts = { ...defaults(spec.options), ...(self.opts() as Opts) };
      run = { command: spec.name, inv: { globals: { ...defaults(globalOptions), ...(program.opts() as Opts) }, opts, args } };
    });
  }
  for (const o of globalOptions) known.add(o.flags.replace(/.*--([\w-]+).*/, '$1'));
  const globalsGuess = globalsOf({ ...defaults(globalOptions) });
  configureLog({ path: globalsGuess.log, format: globalsGuess.logFormat, debug: false });
  try {
    program.on('option:version', () => {
      process.stdout.write(version);
      helpShown = true;
      throw new CommanderError(0, 'tsrun.version', '');
    });
    await program.parseAsync(normalise(inRuncOrder(argv), known), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0 || helpShown || err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return 0;
      const opts = program.opts() as Opts;
      const g = globalsOf({ ...defaults(globalOptions), ...opts });
      configureLog({ path: g.log, format: g.logFormat, debug: g.debug });
      return fatal(new UsageError(err.message.replace(/^error: /, '')));
    }
    throw err;
  }
  if (!run) {
    if (argv.length === 0) {
      process.stdout.write(program.helpInformation());
      return 0;
    }
    return fatal(new UsageError(`unknown command "${argv.find((a) => !a.startsWith('-')) ?? argv[0]}" for "tsrun"`));
  }
  return dispatch(run.command, run.inv);
}
