// Load a bundle the way create and run need it: <bundle>/config.json read,
// parsed, validated, and root.path resolved to an existing directory. Nothing
// here writes anywhere, so a bad bundle fails before --root is touched.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { readRegular } from '../state/safe-fs.js';
import { MAX_CONFIG_BYTES, MAX_JSON_DEPTH, MAX_UINT64, nestedDeeperThan, nulAt, numberPastUint64 } from './json-limits.js';
import { jsonFault } from './json-error.js';
import type { Process, Spec } from './types.js';
import { validateConfig, validateProcess } from './validate.js';

export { validateProcess };

export interface LoadedBundle {
  /** Absolute path of the bundle directory. */
  bundle: string;
  /** Absolute path of its config.json. */
  configPath: string;
  config: Spec;
  /** root.path resolved against the bundle, symlinks followed: an existing directory. */
  rootfs: string;
}

export interface LoadOptions {
  forCreate: boolean;
  /** --systemd-cgroup: cgroupsPath must be "slice:prefix:name". */
  systemdCgroup?: boolean;
}

function errnoText(err: unknown): { code?: string; text: string } {
  const e = err as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOTDIR: 'not a directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  return { code: e?.code, text: (e?.code && text[e.code]) ?? e?.message ?? String(err) };
}

/** JSON.parse, with the line and column of a syntax error (V8 does not always give one). */
export function parseJson(text: string, file: string): unknown {
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new TsrunError(`nested deeper than ${MAX_JSON_DEPTH}`, { file });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const fault = jsonFault(text);
    if (!fault) throw new TsrunError(`invalid JSON: ${(err as Error).message}`, { file });
    throw new TsrunError(`invalid JSON at line ${fault.line}, column ${fault.column}: ${fault.what}`, { file });
  }
  const big = numberPastUint64(text);
  if (big) throw new TsrunError(`must be at most ${MAX_UINT64} (uint64), got ${big.literal}`, { file, field: big.at || undefined });
  // JSON can hold a NUL only escaped: the walk runs only for a text that has one
  if (text.includes('\\u0000')) {
    const at = nulAt(value, '');
    if (at !== undefined) throw new TsrunError('contains a NUL byte, which no path, argument or name can hold', { file, field: at || undefined });
  }
  return value;
}

/**
 * A regular file only (a link to one is fine), up to MAX_CONFIG_BYTES: a
 * config that is a link to /dev/zero or a FIFO is refused, not read forever.
 */
function readConfigText(path: string, file: string): string {
  return readRegular(path, MAX_CONFIG_BYTES, file, { follow: true }).toString('utf8');
}

function readText(path: string, missing: string, file: string): string {
  try {
    return readConfigText(path, file);
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    const { code, text } = errnoText(err);
    if (code === 'ENOENT') throw new TsrunError(missing, { errno: code });
    throw new TsrunError(`open ${path}: ${text}`, { errno: code });
  }
}

export function loadBundle(bundleDir: string, opts: LoadOptions): LoadedBundle {
  const bundle = resolve(bundleDir);
  const configPath = join(bundle, 'config.json');
  let text: string;
  try {
    text = readConfigText(configPath, 'config.json');
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    // which of the two is missing: the bundle is stat'ed only now, off the path of a good create
    try {
      if (!statSync(bundle).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    } catch (e) {
      const { code, text: why } = errnoText(e);
      // runc's wording: it chdirs into the bundle first.
      throw new TsrunError(`chdir ${bundle}: ${why}`, { errno: code });
    }
    text = readText(configPath, `JSON specification file config.json not found (open ${configPath}: no such file or directory)`, 'config.json');
  }
  const config = validateConfig(parseJson(text, 'config.json'), {
    forCreate: opts.forCreate,
    systemdCgroup: opts.systemdCgroup,
    file: 'config.json',
  });

  const rootPath = config.root?.path ?? '';
  const abs = isAbsolute(rootPath) ? rootPath : resolve(bundle, rootPath);
  let rootfs = abs;
  if (config.root || opts.forCreate) {
    try {
      // libc's realpath: Node's own walks the path in JS, an lstat and a Stats per component
      rootfs = realpathSync.native(abs);
      if (!statSync(rootfs).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    } catch (err) {
      const { code, text } = errnoText(err);
      throw new TsrunError(`invalid rootfs: stat ${abs}: ${text}`, { file: 'config.json', field: '/root/path', errno: code });
    }
  }
  return { bundle, configPath, config, rootfs };
}

/** Read and validate an `exec --process` file. */
export function loadProcessFile(path: string): Process {
  const abs = resolve(path);
  const text = readText(abs, `open ${abs}: no such file or directory`, abs);
  return validateProcess(parseJson(text, abs), abs);
}
