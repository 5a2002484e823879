// The whole matrix, in the order it runs.
import { entries as engines } from './engines.mjs';
import { entries as linux } from './linux.mjs';
import { entries as mounts } from './mounts.mjs';
import { entries as namespaces } from './namespaces.mjs';
import { entries as processEntries } from './process.mjs';

/**
 * @typedef {object} EntryContext
 * @property {ReturnType<typeof import('../lib/host.mjs').gatherHost>} host
 * @property {import('../lib/bundle.mjs').Workspace} ws
 * @property {{dir: string, rootfs: string}} bundle
 * @property {Record<string, any>} state   scratch space shared by prepare/mutate/extra
 * @property {(fn: () => void) => void} onCleanup
 */

/**
 * @typedef {object} Entry
 * @property {string} name         bundle name (and container id suffix)
 * @property {string} about        one line for RESULTS.md
 * @property {string[]} focus      check-name prefixes this bundle reports ('' = all)
 * @property {'console-socket'|'foreground'} [tty]  how a process.terminal bundle is run:
 *           create --console-socket + start, or a foreground `run` under script(1)
 * @property {(b: {dir: string, rootfs: string}) => void} [setup]  rootfs content
 * @property {(ctx: EntryContext) => void|Promise<void>} [prepare] host-side preparation
 * @property {(config: any, ctx: EntryContext) => void} [mutate]  edit the base config
 * @property {(config: any, ctx: EntryContext) => import('../lib/expect.mjs').Check[]} [extra]
 */

/** @type {Entry[]} */
export const matrix = [...processEntries, ...namespaces, ...mounts, ...linux, ...engines];
