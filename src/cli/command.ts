// What every subcommand module shares: the context it gets, and the one place
// where a failure becomes exactly one log record, a line on stderr and exit 1.
import { TsrunError, errorText } from '../errors.js';
import { configureLog, log, logIsStderr } from '../log.js';
import { type GlobalOptions, type Opts, globalsOf } from './argv.js';
import { writeErr } from './output.js';

export interface CommandContext {
  globals: GlobalOptions;
  opts: Opts;
  args: string[];
}

export type CommandImpl = (ctx: CommandContext) => Promise<number | void> | number | void;

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

export function commandMain(impl: CommandImpl) {
  return async (inv: Invocation): Promise<number> => {
    const globals = globalsOf(inv.globals);
    configureLog({ path: globals.log, format: globals.logFormat, debug: globals.debug });
    try {
      if (inv.globals.logFormat !== 'text' && inv.globals.logFormat !== 'json') {
        throw new TsrunError(`unknown log-format "${String(inv.globals.logFormat)}"`);
      }
      const code = await impl({ globals, opts: inv.opts, args: inv.args });
      return code ?? 0;
    } catch (err) {
      return fatal(err);
    }
  };
}
