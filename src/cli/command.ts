// What every subcommand module shares: the context it gets, and the one place
// where a failure becomes exactly one log record, a line on stderr and exit 1.
import { TsrunError, errorText } from '../errors.js';
import { configureLog, log, logIsStderr } from '../log.js';
import { type GlobalOptions, type Opts, globalsOf } from './argv.js';
import type { CommandName, CommandOptions } from './table.js';
import { writeErr } from './output.js';

/** What a command gets: its options typed from its row of the table (src/cli/table.ts), as argv.ts filled them. */
export interface CommandContext<N extends CommandName = CommandName> {
  globals: GlobalOptions;
  opts: CommandOptions<N>;
  args: string[];
}

export type CommandImpl<N extends CommandName = CommandName> = (ctx: CommandContext<N>) => Promise<number | void> | number | void;

export interface Invocation {
  globals: Opts;
  opts: Opts;
  args: string[];
}

/** Report a fatal error the way runc does: one record in --log, and the text on stderr. */
export function fatal(err: unknown): number {
  const text = errorText(err);
  log.error(text);
  if (!logIsStderr()) writeErr(text + '\n');
  if (process.env.TSRUN_TRACE && err instanceof Error && err.stack) writeErr(err.stack + '\n');
  return err instanceof TsrunError ? err.exitCode : 1;
}

/**
 * The entry of command `name` (the name only types its options; any
 * command's invocation is taken, as not-implemented.ts serves several).
 */
export function commandMain<N extends CommandName>(name: N, impl: CommandImpl<N>) {
  void name;
  return async (inv: Invocation): Promise<number> => {
    const globals = globalsOf(inv.globals);
    configureLog({ path: globals.log, format: globals.logFormat, debug: globals.debug });
    try {
      if (inv.globals.logFormat !== 'text' && inv.globals.logFormat !== 'json') {
        throw new TsrunError(`unknown log-format "${String(inv.globals.logFormat)}"`);
      }
      // argv.ts filled opts from this command's row of the same table (one cast, here at the edge)
      const code = await impl({ globals, opts: inv.opts as CommandOptions<N>, args: inv.args });
      return code ?? 0;
    } catch (err) {
      return fatal(err);
    }
  };
}
