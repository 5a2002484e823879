// The fast argv parser: strict, and silent on failure. It returns null for
// anything it is not sure of (unknown flag, wrong count, --help), and the
// caller then hands argv to commander, which prints runc-like usage errors.
// Like runc (Go's flag package), options stop at the first positional
// argument, so `exec ID sh -c x` passes `-c` to the payload; but first, as
// runc's urfave/cli does for every command but exec and ps, a command's own
// flags written after the id are moved in front of it (`delete ID --force`).
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
  /** --criu: the criu binary for checkpoint and restore. */
  criu?: string;
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

const flagCache = new WeakMap<readonly OptSpec[], Flag[]>();

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

export function flagsOf(options: readonly OptSpec[]): Flag[] {
  let flags = flagCache.get(options);
  if (!flags) {
    flags = options.map(parseFlagSpec);
    flagCache.set(options, flags);
  }
  return flags;
}

export function defaults(options: readonly OptSpec[]): Opts {
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
function parseOptions(argv: string[], i: number, options: readonly OptSpec[], out: Opts, stopAtVersion: boolean): number {
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

/** urfave/cli's test: the word, less up to two leading dashes and any `=value`, names one of the command's flags. */
function namesFlag(arg: string, flags: Flag[]): boolean {
  if (arg.length < 2 || arg[0] !== '-' || arg === '--') return false;
  let name = arg.slice(arg[1] === '-' ? 2 : 1);
  if (name[0] === '-') name = name.slice(1);
  const eq = name.indexOf('=');
  if (eq >= 0) name = name.slice(0, eq);
  return flags.some((f) => f.long === name || f.short === name);
}

/**
 * The command's words in the order runc 1.1's urfave/cli (v1 reorderArgs)
 * hands them to Go's flag package: the command's flags, each followed by the
 * next word when that is not a flag itself (even after a boolean flag: runc
 * reads `kill ID --all 9` as container "9"), then the rest; nothing moves
 * across `--`. Unknown flags stay where they are, as positionals.
 */
function runcOrder(words: string[], options: readonly OptSpec[]): string[] {
  const flags = flagsOf(options);
  const moved: string[] = [];
  let rest: string[] = [];
  let valueMayFollow = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const isFlag = namesFlag(w, flags);
    if (valueMayFollow && !isFlag) {
      valueMayFollow = false;
      moved.push(w);
    } else if (w === '--') {
      rest = ['--', ...rest, ...words.slice(i + 1)];
      break;
    } else if (isFlag) {
      moved.push(w);
      valueMayFollow = !w.includes('=');
    } else rest.push(w);
  }
  return moved.length === 0 ? words : moved.concat(rest);
}

/**
 * Cheap check first: in most calls (engines put flags first) no dash word
 * follows a positional, a word after a flag counting as that flag's value
 * as runcOrder counts it.
 */
function needsReorder(argv: string[], i: number): boolean {
  let positional = false;
  let valueMayFollow = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return false;
    if (a[0] === '-' && a !== '-') {
      if (positional) return true;
      valueMayFollow = !a.includes('=');
    } else if (valueMayFollow) valueMayFollow = false;
    else positional = true;
  }
  return false;
}

/** argv with the words from i on (spec's) in runc's order; the same array when nothing moves. */
function reorderFrom(argv: string[], i: number, spec: CmdSpec): string[] {
  if (spec.payloadAfterId || !needsReorder(argv, i)) return argv;
  return argv.slice(0, i).concat(runcOrder(argv.slice(i), spec.options));
}

/** The whole command line in runc's order, for commander: both parsers read the same words. */
export function inRuncOrder(argv: string[]): string[] {
  const i = parseOptions(argv, 0, globalOptions, defaults(globalOptions), true);
  const spec = i >= 0 ? commands.find((c) => c.name === argv[i]) : undefined;
  return spec ? reorderFrom(argv, i + 1, spec) : argv;
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
  argv = reorderFrom(argv, i + 1, spec);
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
    criu: (opts.criu as string | undefined) || undefined,
  };
}

export { commands };
