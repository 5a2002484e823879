// Where things live under --root. One directory per container: <root>/<id>/.
declare const require: (id: string) => unknown;

// the names the launcher's fast path uses too come from one definition (fast.def.mjs)
export { EXEC_FIFO, STATE_FILE } from './generated/fast.js';
/** The cgroup paths, written beside the record before anything joins them: a delete finds the cgroup even when state.json is damaged. */
export const CGROUP_FILE = 'cgroup.json';

/** An absolute path with no empty, "." or ".." component and no trailing slash: what resolve() returns unchanged. */
function isNormalAbsolute(path: string): boolean {
  if (path === '/') return true;
  if (path[0] !== '/' || path.endsWith('/')) return false;
  return !path.includes('//') && !path.includes('/./') && !path.includes('/../') && !path.endsWith('/.') && !path.endsWith('/..');
}

/**
 * --root as an absolute path (runc resolves it against the cwd too). The
 * usual absolute, clean --root is returned as is: node:path costs ~0.1 ms to
 * load on the hot paths, so it is required only for the others.
 */
export function rootPath(root: string): string {
  if (isNormalAbsolute(root)) return root;
  return (require('node:path') as typeof import('node:path')).resolve(root);
}

/** The state directory of container `id` (the id must already be validated). */
export function containerDir(root: string, id: string): string {
  return `${rootPath(root)}/${id}`;
}
