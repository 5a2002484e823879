// Hooks the runtime runs itself, in its own namespaces: prestart,
// createRuntime (create), poststart (start), poststop (delete). Each gets the
// state JSON on stdin, its own args and env (else the runtime's), and its timeout.
import { spawnSync } from 'node:child_process';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { Hook, HookName } from '../spec/types.js';

import type { HookState } from '../state/container.js';

export type { HookState };

/** Run hooks of one kind in order; the first failure throws (unless `warnOnly`). */
export function runHooks(kind: HookName, hooks: Hook[] | undefined, state: HookState, warnOnly = false): void {
  (hooks ?? []).forEach((h, i) => {
    const args = h.args && h.args.length > 0 ? h.args : [h.path];
    const res = spawnSync(h.path, args.slice(1), {
      argv0: args[0],
      input: JSON.stringify(state),
      // runc's hooks run in the bundle; one without `env` gets the runtime's
      // own environment, with PWD saying where it runs (Go's exec adds it)
      cwd: state.bundle,
      env: h.env ? Object.fromEntries(h.env.map((e) => {
        const k = e.indexOf('=');
        return k < 0 ? [e, ''] : [e.slice(0, k), e.slice(k + 1)];
      })) : { ...process.env, PWD: state.bundle },
      timeout: h.timeout ? h.timeout * 1000 : undefined,
      killSignal: 'SIGKILL',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    let why: string | undefined;
    // a hook need not read its stdin: EPIPE on the state is no failure
    if (res.error && (res.error as NodeJS.ErrnoException).code !== 'EPIPE') {
      const code = (res.error as NodeJS.ErrnoException).code;
      why = code === 'ETIMEDOUT' ? `timeout after ${h.timeout} seconds` : `${(res.error as Error).message}`;
    } else if (res.signal) why = res.signal === 'SIGKILL' && h.timeout ? `timeout after ${h.timeout} seconds` : `signal: ${res.signal}`;
    else if (res.status !== 0) why = `exit status ${res.status}`;
    if (!why) return;
    const text = `error running hook #${i} (${kind} ${h.path}): ${why}, stdout: ${String(res.stdout ?? '').trim()}, stderr: ${String(res.stderr ?? '').trim()}`;
    if (warnOnly) {
      log.warn(text);
      return;
    }
    throw new TsrunError(text, { field: `/hooks/${kind}/${i}`, file: 'config.json' });
  });
}
