// Who runs tsrun decides two defaults, by runc 1.1's rules (main.go,
// rootless_linux.go): where the state lives (--root) and whether cgroup
// permission errors are tolerated (--rootless auto). A caller without root
// has no /run/tsrun to write; it gets $XDG_RUNTIME_DIR/tsrun as runc gets
// $XDG_RUNTIME_DIR/runc.
import { readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';

export interface Caller {
  euid: number;
  env: NodeJS.ProcessEnv;
  /** Inside a user namespace other than the initial one. */
  inUserNS: () => boolean;
}

/**
 * The initial user namespace maps every id to itself ("0 0 4294967295");
 * anything else is a user namespace (runc's userns.RunningInUserNS). Podman
 * marks the one it made for rootless use with _CONTAINERS_USERNS_CONFIGURED.
 */
export function runningInUserNS(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env._CONTAINERS_USERNS_CONFIGURED) return true;
  try {
    const fields = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return !(fields.length === 3 && fields[0] === '0' && fields[1] === '0' && fields[2] === '4294967295');
  } catch {
    return false;
  }
}

export function thisCaller(): Caller {
  return { euid: process.geteuid?.() ?? 0, env: process.env, inUserNS: () => runningInUserNS() };
}

/**
 * runc's shouldHonorXDGRuntimeDir: an unset or empty XDG_RUNTIME_DIR never
 * counts; a non-root euid always uses it; real root (the initial user
 * namespace) keeps /run for compatibility even with /run/user/0 set; root
 * inside a user namespace uses it unless USER is "root".
 */
export function defaultRoot(c: Caller = thisCaller()): string {
  const xdg = c.env.XDG_RUNTIME_DIR;
  if (!xdg) return '/run/tsrun';
  if (c.euid !== 0) return `${xdg}/tsrun`;
  if (!c.inUserNS()) return '/run/tsrun';
  return c.env.USER === 'root' ? '/run/tsrun' : `${xdg}/tsrun`;
}

/**
 * --rootless true|false|auto, as runc's shouldUseRootlessCgroupManager:
 * auto is true for a non-root euid (with --systemd-cgroup: the user's own
 * systemd manager), and true for root inside a user namespace (whose cgroup
 * access cannot be known) unless --systemd-cgroup (runc then asks who owns
 * the bus; here, as on its error path, such a root is taken for root).
 */
export function rootlessCgroups(value: string | undefined, systemd: boolean, c: Caller = thisCaller()): boolean {
  const v = value ?? 'auto';
  // Go's strconv.ParseBool spellings, which runc accepts
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  if (v === 'auto' || v === '') return c.euid !== 0 || (!systemd && c.inUserNS());
  throw new TsrunError(`invalid --rootless value ${JSON.stringify(value)}: expected true, false or auto`);
}
