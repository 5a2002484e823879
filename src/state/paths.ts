// Where things live under --root. One directory per container: <root>/<id>/.
import { resolve } from 'node:path';

export const STATE_FILE = 'state.json';
/** The create/start gate; the lifecycle makes it at create and removes it at start. */
export const EXEC_FIFO = 'exec.fifo';

/** --root as an absolute path (runc resolves it against the cwd too). */
export function rootPath(root: string): string {
  return resolve(root);
}

/** The state directory of container `id` (the id must already be validated). */
export function containerDir(root: string, id: string): string {
  return `${rootPath(root)}/${id}`;
}
