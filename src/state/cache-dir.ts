// Where the runtime keeps its caches (compiled seccomp programs, V8 code
// caches): a directory of their own, never --root. --root holds container
// state only, as runc's does, so it is empty once the last container is
// deleted (containerd keeps one per namespace and expects it to empty), and a
// --root that another user can reach plants nothing we would load.
//
// root: /var/cache/tsrun (made 0700; a read-only /var only costs the cache);
// others: $XDG_CACHE_HOME/tsrun or ~/.cache/tsrun. TSRUN_CACHE_DIR overrides
// both (the tests use it); set empty, nothing is cached. Whatever the path,
// safe-fs.ts uses it only when it is a directory of this euid that nobody
// else may write, and each file only when it is ours too.

export const ROOT_CACHE_DIR = '/var/cache/tsrun';

/** The cache directory for this process, or undefined for none. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): string | undefined {
  const set = env.TSRUN_CACHE_DIR;
  if (set !== undefined) return set.startsWith('/') ? set : undefined;
  if (euid === 0) return ROOT_CACHE_DIR;
  if (env.XDG_CACHE_HOME?.startsWith('/')) return `${env.XDG_CACHE_HOME}/tsrun`;
  return env.HOME?.startsWith('/') ? `${env.HOME}/.cache/tsrun` : undefined;
}
