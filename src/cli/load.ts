// Subcommands are bundled one file each (dist/cli-<name>.cjs) and required only
// when called, so `tsrun state` never pays for the code of `create`.
import { loadWithCodeCache } from '../code-cache.js';
import type { Invocation } from './command.js';

declare const require: (id: string) => unknown;
declare const __dirname: string;

export type CommandModule = { main: (inv: Invocation) => Promise<number> };

export function loadDist<T>(file: string): T {
  const path = `${__dirname}/${file}`;
  return (loadWithCodeCache(path) ?? require(path)) as T;
}

export function loadCommand(name: string): CommandModule | undefined {
  try {
    return loadDist<CommandModule>(`cli-${name}.cjs`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`cli-${name}.cjs`)) {
      return undefined;
    }
    throw err;
  }
}
