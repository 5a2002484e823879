// linux.seccomp.listenerPath side by side with runc: the agent's socket is a
// host path, connected from the runtime's side for create and for exec, and
// the container process state it receives says "creating" while the init is
// being created (runc's initProcess) and "running" for an exec'd process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleepMs } from '../../../src/cgroups/manager.js';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip } from '../../helpers/differential.js';
import { tempDir } from '../../helpers/tsrun.js';
import { startSeccompAgent, type AgentMessage, type SeccompAgent } from './seccomp-agent.js';

/** The messages after the first `from`, once there are `n` of them (the agent writes after the runtime moved on). */
function heard(agent: SeccompAgent, from: number, n: number): AgentMessage[] {
  for (let i = 0; i < 300 && agent.messages().length < from + n; i++) sleepMs(10);
  return agent.messages().slice(from);
}

test('linux.seccomp.listenerPath: exec into the container reaches the agent (a host path, connected before joining the namespaces); create says "creating", exec "running", as runc', { skip: differentialSkip }, () => {
  const dir = tempDir('parity-seccomp-');
  const agent = startSeccompAgent(dir.path);
  const b = makeBundle({
    args: ['sleep', '1000'],
    patch: (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: agent.socket,
        listenerMetadata: 'parity',
        // a syscall nobody here makes: the container runs on unhindered once the agent closed its fd
        syscalls: [{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }],
      };
    },
  });
  const id = 'parity-seccomp-listener';
  try {
    const r = differential((rt) => {
      const before = agent.messages().length;
      const create = rt.call(['create', '--bundle', b.dir, id]);
      const start = rt.call(['start', id]);
      const exec = rt.call(['exec', id, 'sh', '-c', 'echo exec-ran']);
      const got = heard(agent, before, 2);
      return {
        codes: [create.code, start.code, exec.code],
        execOut: exec.stdout,
        execErr: exec.stderr,
        heard: got.map((m) => ({
          fds: m.fds,
          named: m.state.fds,
          metadata: m.state.metadata,
          id: m.state.state.id,
          status: m.state.state.status,
          bundle: m.state.state.bundle,
          // create: the process is the init; exec: the exec'd process, not the init
          processIsInit: m.state.pid === m.state.state.pid,
        })),
      };
    }, [id]);
    assert.deepEqual(r.runc.codes, [0, 0, 0], `runc: ${r.runc.execErr}`);
    assert.deepEqual(r.tsrun.codes, r.runc.codes, `tsrun: ${r.tsrun.execErr}`);
    assert.equal(r.tsrun.execOut, 'exec-ran\n');
    assert.equal(r.tsrun.execOut, r.runc.execOut);
    assert.deepEqual(r.runc.heard.map((h) => h.status), ['creating', 'running']);
    assert.deepEqual(r.tsrun.heard, r.runc.heard);
  } finally {
    agent.stop();
    b.remove();
    dir.remove();
  }
});
