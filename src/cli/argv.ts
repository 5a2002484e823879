// The fast argv parser: strict, and silent on failure. It returns null for
// anything it is not sure of (unknown flag, wrong count, --help), and the
// caller then hands argv to commander, which prints runc-like usage errors.
// Like runc (Go's flag package), options stop at the first positional
// argument, so `exec ID sh -c x` passes `-c` to the payload.
import { type CmdSpec, type OptSpec, commands, globalOptions } from './table.js';

export type OptValue = string | boolean | string[];
export type Opts = Record<string, OptValue>;

export interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
}

export type Parsed =
  | { kind: 'version'; globals: Opts }
  | { kind: 'command'; command: string; globals: Opts; opts: Opts; args: string[] };

export interface Flag {
  short?: string;
  long: string;
  /** camelCase attribute name, as commander names it */
  key: string;
  takesValue: boolean;
  spec: OptSpec;
}

const flagCache = new WeakMap<OptSpec[], Flag[]>();

/**
 * A flag spec of the table ("-b, --bundle <dir>", "--no-pivot") read with
 * string steps: every call parses the global flags and its command's, and
 * two regexes (compiled on first use, then a replace callback per flag)
 * cost ~0.2 ms of each call. The table is ours, and a unit test checks that
 * every spec in it has this shape.
 */
export function parseFlagSpec(spec: OptSpec): Flag {
  const f = spec.flags;
  let short: string | undefined;
  let at = 0;
  if (f[1] !== '-') {
    short = f[1];
    at = f.indexOf('--');
  }
  const end = f.indexOf(' ', at);
  const long = f.slice(at + 2, end < 0 ? f.length : end);
  let key = '';
  for (let i = 0; i < long.length; i++) key += long[i] === '-' ? long[++i]!.toUpperCase() : long[i];
  return { short, long, key, takesValue: end >= 0, spec };
}

export function flagsOf(options: OptSpec[]): Flag[] {
  let flags = flagCache.get(options);
  if (!flags) {
    flags = options.map(parseFlagSpec);
    flagCache.set(options, flags);
  }
  return flags;
}

export function defaults(options: OptSpec[]): Opts {
  const out: Opts = {};
  for (const f of flagsOf(options)) {
    if (f.spec.repeat) out[f.key] = [];
    else if (f.spec.default !== undefined) out[f.key] = f.spec.default;
    else if (!f.takesValue) out[f.key] = false;
  }
  return out;
}

/**
 * Parse options at argv[i...] until the first positional; returns the index
 * of that positional, or -1 when an option is unknown or malformed.
 */
function parseOptions(argv: string[], i: number, options: OptSpec[], out: Opts, stopAtVersion: boolean): number {
  const flags = flagsOf(options);
  while (i < argv.length) {
    let arg = argv[i]!;
    if (arg === '--') return i + 1;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (stopAtVersion && (arg === '--version' || arg === '-v')) return i;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    let flag: Flag | undefined;
    if (arg.startsWith('--')) flag = flags.find((f) => f.long === arg.slice(2));
    else if (arg.length === 2) flag = flags.find((f) => f.short === arg[1]);
    // Go's flag package takes single-dash long forms (conmon sends -no-subreaper).
    else flag = flags.find((f) => f.long === arg.slice(1));
    if (!flag) return -1;
    i++;
    let value: OptValue;
    if (flag.takesValue) {
      if (inline === undefined) {
        if (i >= argv.length) return -1;
        inline = argv[i++]!;
      }
      value = inline;
    } else if (inline === undefined || inline === 'true') value = true;
    else if (inline === 'false') value = false;
    else return -1;
    if (flag.spec.repeat) (out[flag.key] as string[]).push(value as string);
    else out[flag.key] = value;
  }
  return i;
}

function argBounds(spec: CmdSpec): { min: number; max: number } {
  const min = spec.args.filter((a) => a.startsWith('<')).length;
  const max = spec.args.some((a) => a.endsWith('...]')) ? Infinity : spec.args.length;
  return { min, max };
}

export function parseArgv(argv: string[]): Parsed | null {
  const globals = defaults(globalOptions);
  let i = parseOptions(argv, 0, globalOptions, globals, true);
  if (i < 0 || i >= argv.length) return null;
  const word = argv[i]!;
  if (word === '--version' || word === '-v') return i === argv.length - 1 ? { kind: 'version', globals } : null;
  const spec = commands.find((c) => c.name === word);
  if (!spec) return null;
  const opts = defaults(spec.options);
  i = parseOptions(argv, i + 1, spec.options, opts, false);
  if (i < 0) return null;
  const args = argv.slice(i);
  const { min, max } = argBounds(spec);
  if (args.length < min || args.length > max) return null;
  return { kind: 'command', command: spec.name, globals, opts, args };
}

export function globalsOf(opts: Opts): GlobalOptions {
  return {
    root: opts.root as string,
    log: (opts.log as string | undefined) || undefined,
    logFormat: opts.logFormat === 'json' ? 'json' : 'text',
    debug: opts.debug === true,
    systemdCgroup: opts.systemdCgroup === true,
    rootless: opts.rootless as string,
  };
}

export { commands };
