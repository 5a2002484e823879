// Matrix entries for linux.namespaces, id mappings, uts names and time offsets.
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';

/** @typedef {import('./index.mjs').Entry} Entry */

/**
 * A process that holds fresh uts/ipc/net namespaces for a container to join.
 * unshare execs sleep in place, so the child's pid is the holder.
 */
async function nsHolder(ctx, flags = ['--uts', '--ipc', '--net', '--cgroup']) {
  const child = spawn('unshare', [...flags, 'sleep', '600'], { stdio: 'ignore' });
  ctx.onCleanup(() => child.kill('SIGKILL'));
  const pid = child.pid;
  const probe = flags.includes('--uts') ? 'uts' : flags.includes('--user') ? 'user' : 'pid_for_children';
  const host = statSync(`/proc/self/ns/${probe === 'pid_for_children' ? 'pid' : probe}`).ino;
  for (let i = 0; i < 200; i++) {
    try {
      if (statSync(`/proc/${pid}/ns/${probe}`).ino !== host) return pid;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('namespace holder did not start');
}

const range = (containerID, hostID, size) => ({ containerID, hostID, size });

/** @type {Entry[]} */
export const entries = [
  {
    name: 'ns-joined',
    about: 'join existing uts, ipc, network and cgroup namespaces by path',
    focus: ['linux.namespaces'],
    async prepare(ctx) {
      ctx.state.holder = await nsHolder(ctx);
    },
    mutate(c, ctx) {
      const p = ctx.state.holder;
      c.linux.namespaces = [
        { type: 'pid' }, { type: 'mount' },
        { type: 'uts', path: `/proc/${p}/ns/uts` },
        { type: 'ipc', path: `/proc/${p}/ns/ipc` },
        { type: 'network', path: `/proc/${p}/ns/net` },
        { type: 'cgroup', path: `/proc/${p}/ns/cgroup` },
      ];
      delete c.hostname; // the joined uts namespace is not ours to rename
    },
  },
  {
    name: 'ns-joined-pid',
    about: 'join an existing pid namespace by path (a holder process is its init)',
    focus: ['linux.namespaces[pid]'],
    async prepare(ctx) {
      // unshare forks sleep into the new pid namespace; unshare's pid_for_children names it
      ctx.state.holder = await nsHolder(ctx, ['--pid', '--fork', '--kill-child']);
    },
    mutate(c, ctx) {
      c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${ctx.state.holder}/ns/pid_for_children` } : n));
    },
  },
  {
    name: 'ns-joined-user',
    about: 'join an existing user namespace by path (0:100000:65536), the other namespaces new inside it; the config repeats its mappings',
    focus: ['linux.namespaces[user]', 'process.user'],
    async prepare(ctx) {
      const pid = await nsHolder(ctx, ['--user']);
      // root in the parent namespace writes the maps (newuidmap is not needed for that)
      writeFileSync(`/proc/${pid}/uid_map`, '0 100000 65536\n');
      writeFileSync(`/proc/${pid}/gid_map`, '0 100000 65536\n');
      ctx.state.holder = pid;
    },
    mutate(c, ctx) {
      c.linux.namespaces.push({ type: 'user', path: `/proc/${ctx.state.holder}/ns/user` });
      // runc wants mappings even when joining; these are the joined namespace's own
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
  },
  {
    name: 'ns-host',
    about: 'only a mount namespace: pid, net, ipc and uts stay the runtime\'s',
    focus: ['linux.namespaces'],
    mutate(c) {
      c.linux.namespaces = [{ type: 'mount' }];
      delete c.hostname;
    },
  },
  {
    name: 'ns-all-new',
    about: 'every namespace type new, cgroup included',
    focus: ['linux.namespaces'],
    mutate(c) {
      c.linux.namespaces = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
    },
  },
  {
    name: 'userns-single-range',
    about: 'a user namespace with one 65536-id range',
    focus: ['linux.namespaces[user]', 'linux.uidMappings', 'linux.gidMappings', 'process.user'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [range(0, 100000, 65536)];
      c.linux.gidMappings = [range(0, 100000, 65536)];
    },
  },
  {
    name: 'userns-multi-range',
    about: 'several uid/gid ranges, uneven sizes, the process in the second range',
    focus: ['linux.namespaces[user]', 'linux.uidMappings', 'linux.gidMappings', 'process.user'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [range(0, 100000, 1), range(1, 200001, 999), range(1000, 300000, 1000)];
      c.linux.gidMappings = [range(0, 100000, 5), range(5, 400005, 1), range(6, 500006, 2000)];
      c.process.user = { uid: 1000, gid: 5 };
    },
  },
  {
    name: 'uts-names',
    about: 'hostname and domainname',
    focus: ['hostname', 'domainname'],
    mutate(c) {
      c.hostname = 'conf-host';
      c.domainname = 'conf.example';
    },
  },
  {
    name: 'time-namespace',
    about: 'a time namespace with monotonic and boottime offsets',
    focus: ['linux.namespaces[time]', 'linux.timeOffsets'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { monotonic: { secs: 1000, nanosecs: 0 }, boottime: { secs: 2000, nanosecs: 500 } };
    },
  },
];
