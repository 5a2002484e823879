// The fallback for subcommands with no module yet: fail loudly, never silently.
import { TsrunError } from '../errors.js';
import { commandMain } from './command.js';

declare const TSRUN_COMMAND: string | undefined;

export const main = commandMain('checkpoint', () => {
  const word = process.argv.slice(2).find((a, i, all) => !a.startsWith('-') && !all[i - 1]?.match(/^--?(root|log|log-format|rootless|criu|cgroup-manager|log-level)$/));
  throw new TsrunError(`${word ?? (typeof TSRUN_COMMAND === 'string' ? TSRUN_COMMAND : 'this command')}: not implemented`);
});
