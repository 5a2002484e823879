// `run`: create with stage 0 kept as a monitor, start, then (foreground)
// forward signals to the init and wait for the monitor's exit report.
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import { createContainer, type CreateOptions } from './create.js';
import { destroyContainer, killContainer } from './destroy.js';
import { exitCodeOf } from './exit.js';
import { forwardSignals, type SignalForwarder } from './forward-signals.js';
import { Container } from '../state/container.js';
import { poststart, releaseInit } from './start.js';

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];


export async function runContainer(o: RunOptions): Promise<number> {
  const created = await createContainer({ ...o, monitor: !o.detach, proxyTty: !o.detach });
  if ('text' in created) return 0;
  const { record } = created;
  const forward = o.detach ? undefined : forwardSignals(record.pid, FORWARDED);
  try {
    return await startAndWait(o, created, forward);
  } finally {
    forward?.stop();
  }
}

async function startAndWait(
  o: RunOptions,
  { executor, record, dir }: Extract<Awaited<ReturnType<typeof createContainer>>, { dir: string }>,
  forward: SignalForwarder | undefined,
): Promise<number> {
  try {
    releaseInit(dir);
  } catch (err) {
    await killContainer(record);
    await destroyContainer(o.root, record);
    executor.close();
    throw err;
  }
  forward?.released();
  try {
    poststart(Container.of(o.root, record));
  } catch (err) {
    executor.close();
    if (!o.keep) await destroyContainer(o.root, record);
    throw err;
  }
  if (o.detach) {
    executor.close();
    return 0;
  }
  let code: number;
  try {
    executor.listen();
    const f = await executor.next((m) => log.debug(m));
    if (f.type === 'exit') code = exitCodeOf(f.status);
    else if (f.type === 'error') throw executor.errorOf(f);
    else throw new TsrunError('lost the container monitor before the container exited');
  } finally {
    executor.close();
  }
  if (!o.keep) {
    await killContainer(record); // leftovers of a shared pid namespace
    await destroyContainer(o.root, record);
  }
  return code;
}
