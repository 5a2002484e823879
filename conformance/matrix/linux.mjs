// Matrix entries for config-linux.md: devices, sysctl, seccomp, personality,
// cgroup resources seen from inside, memory policy.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../lib/expect.mjs';
import { someBlockDevice } from '../lib/host.mjs';
import { I64_MAX } from '../lib/bundle.mjs';
import { ENGINE_CONFIGS } from './engines.mjs';

/** @typedef {import('./index.mjs').Entry} Entry */

const X86 = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
const DOCKER_CONFIG = join(ENGINE_CONFIGS, 'docker-hooks.json');

/** Rules that let the default devices through a deny-all device cgroup. */
const defaultDeviceRules = [
  ['c', 1, 3], ['c', 1, 5], ['c', 1, 7], ['c', 1, 8], ['c', 1, 9], ['c', 5, 0], ['c', 5, 1], ['c', 5, 2], ['c', 136, -1],
].map(([type, major, minor]) => (minor < 0 ? { allow: true, type, major, access: 'rwm' } : { allow: true, type, major, minor, access: 'rwm' }));

/** @type {Entry[]} */
export const entries = [
  {
    name: 'devices',
    about: 'linux.devices of every type, with modes and owners',
    focus: ['linux.devices'],
    mutate(c) {
      c.linux.devices = [
        { path: '/dev/conf-zero', type: 'c', major: 1, minor: 5, fileMode: 0o640, uid: 1, gid: 2 },
        { path: '/dev/conf-loop', type: 'b', major: 7, minor: 200, fileMode: 0o660, uid: 0, gid: 6 },
        { path: '/dev/conf-fifo', type: 'p', fileMode: 0o600, uid: 3, gid: 4 },
        { path: '/dev/conf-unbuf', type: 'u', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
        { path: '/dev/nested/dir/conf-null', type: 'c', major: 1, minor: 3, fileMode: 0o604 },
      ];
    },
  },
  {
    name: 'devices-cgroup',
    about: 'linux.resources.devices: deny all, allow the defaults and one block device',
    focus: ['linux.resources.devices'],
    mutate(c) {
      c.linux.devices = [
        { path: '/dev/conf-denied', type: 'b', major: 7, minor: 200, fileMode: 0o660 },
        { path: '/dev/conf-allowed', type: 'b', major: 7, minor: 201, fileMode: 0o660 },
      ];
      c.linux.resources = {
        devices: [{ allow: false, access: 'rwm' }, ...defaultDeviceRules, { allow: true, type: 'b', major: 7, minor: 201, access: 'rw' }],
      };
    },
    // The device cgroup refuses with EPERM; an allowed loop device opens (or fails otherwise).
    extra: () => [
      check('open', 'linux.resources.devices: b 7:200 not allowed: open fails with EPERM', '/dev/conf-denied', 'r', 'E1'),
      check('open', 'linux.resources.devices: b 7:201 allowed rw: open is not refused (no EPERM)', '/dev/conf-allowed', 'r', '!E1'),
    ],
  },
  {
    name: 'sysctl',
    about: 'namespaced sysctls of the net, ipc and uts namespaces',
    focus: ['linux.sysctl'],
    mutate(c) {
      c.linux.sysctl = {
        'net.ipv4.ip_forward': '1',
        'net.core.somaxconn': '256',
        'net.ipv4.ping_group_range': '0 2147483647',
        'kernel.msgmax': '16384',
        'kernel.shmmni': '2048',
        'fs.mqueue.msg_max': '16',
        'kernel.domainname': 'sysctl.example',
      };
    },
  },
  {
    name: 'seccomp-rules',
    about: 'allow by default; errno, default errno, argument filter, trap and kill actions',
    focus: ['linux.seccomp'],
    mutate(c) {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: X86,
        syscalls: [
          { names: ['mkdirat', 'mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 },
          { names: ['swapoff'], action: 'SCMP_ACT_ERRNO' },
          { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 33, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
          { names: ['acct'], action: 'SCMP_ACT_KILL_PROCESS' },
          { names: ['setns'], action: 'SCMP_ACT_TRAP' },
          { names: ['chroot'], action: 'SCMP_ACT_TRACE' },
          { names: ['umount2'], action: 'SCMP_ACT_KILL' },
          { names: ['getpgid'], action: 'SCMP_ACT_ERRNO', errnoRet: 34, args: [{ index: 0, value: 1000000, op: 'SCMP_CMP_GT' }] },
          { names: ['getsid'], action: 'SCMP_ACT_ERRNO', errnoRet: 35, args: [{ index: 0, value: 0xff0000, valueTwo: 0x110000, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      };
    },
    extra: () => [
      check('sys', 'linux.seccomp.syscalls[mkdirat] SCMP_ACT_ERRNO errnoRet 18', 'mkdirat', 'E18'),
      check('sys', 'linux.seccomp.syscalls[swapoff] SCMP_ACT_ERRNO without errnoRet: EPERM', 'swapoff', 'E1'),
      check('sys', 'linux.seccomp.syscalls[getpriority] args[0]==1: errno 33', 'getpriority-pgrp', 'E33'),
      check('sys', 'linux.seccomp.syscalls[getpriority] args[0]!=1: allowed', 'getpriority-process', '0'),
      check('sysig', 'linux.seccomp.syscalls[acct] SCMP_ACT_KILL_PROCESS: SIGSYS', 'acct', 'signal 31'),
      check('sysig', 'linux.seccomp.syscalls[setns] SCMP_ACT_TRAP: SIGSYS', 'setns-badfd', 'signal 31'),
      check('sys', 'linux.seccomp.defaultAction SCMP_ACT_ALLOW: other syscalls pass', 'getppid', '0'),
      check('sys', 'linux.seccomp.syscalls[chroot] SCMP_ACT_TRACE with no tracer: ENOSYS', 'chroot', 'E38'),
      check('sysig', 'linux.seccomp.syscalls[umount2] SCMP_ACT_KILL: SIGSYS', 'umount2', 'signal 31'),
      check('sys', 'linux.seccomp.syscalls[getpgid] args[0] SCMP_CMP_GT 1000000: 2000000 gets errno 34', 'getpgid-big', 'E34'),
      check('sys', 'linux.seccomp.syscalls[getpgid] args[0] SCMP_CMP_GT 1000000: 0 passes', 'getpgid-self', '0'),
      check('sys', 'linux.seccomp.syscalls[getsid] args[0] SCMP_CMP_MASKED_EQ 0xff0000==0x110000: 0x110001 gets errno 35', 'getsid-masked', 'E35'),
      check('sys', 'linux.seccomp.syscalls[getsid] args[0] SCMP_CMP_MASKED_EQ: 0 passes', 'getsid-self', '0'),
    ],
  },
  {
    name: 'seccomp-docker-default',
    about: "Docker's default profile (deny by default) with defaultErrnoRet 38",
    focus: ['linux.seccomp'],
    mutate(c) {
      const profile = JSON.parse(readFileSync(DOCKER_CONFIG, 'utf8')).linux.seccomp;
      c.linux.seccomp = { ...profile, defaultErrnoRet: 38 };
    },
    extra: () => [
      check('sys', 'linux.seccomp.defaultErrnoRet 38: unlisted swapoff fails with ENOSYS', 'swapoff', 'E38'),
      check('sys', 'linux.seccomp.defaultErrnoRet 38: unlisted acct fails with ENOSYS', 'acct', 'E38'),
      check('sys', 'linux.seccomp.syscalls SCMP_ACT_ALLOW: listed getppid passes', 'getppid', '0'),
      check('sys', 'linux.seccomp.syscalls SCMP_ACT_ALLOW: listed mkdirat reaches the kernel (ENOENT)', 'mkdirat', 'E2'),
    ],
  },
  {
    name: 'personality',
    about: 'linux.personality LINUX32',
    focus: ['linux.personality'],
    mutate(c) {
      c.linux.personality = { domain: 'LINUX32' };
    },
  },
  {
    name: 'cgroup-resources',
    about: 'memory, pids, cpu, cpuset and blkio limits read back through a cgroup namespace',
    focus: ['linux.resources', 'linux.cgroupsPath', 'linux.namespaces[cgroup]'],
    mutate(c, ctx) {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.linux.resources = {
        memory: { limit: 67108864, reservation: 33554432, ...(ctx.host.hasMemsw ? { swap: 134217728 } : {}), swappiness: 10, disableOOMKiller: true },
        pids: { limit: 64 },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      };
      const dev = someBlockDevice();
      if (dev) c.linux.resources.blockIO = { throttleReadBpsDevice: [{ ...dev, rate: 1048576 }], throttleWriteIOPSDevice: [{ ...dev, rate: 300 }] };
    },
  },
  {
    name: 'devices-userns',
    about: 'linux.devices (at a path the host also has) and the default devices inside a user namespace, where mknod is not allowed',
    focus: ['linux.devices', 'default device'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o644 }];
    },
  },
  {
    name: 'devices-userns-new-path',
    about: 'linux.devices inside a user namespace at a path the host does not have (c 1:5 as /dev/conf-zero)',
    focus: ['linux.devices'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.devices = [{ path: '/dev/conf-zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
    },
  },
  {
    name: 'cgroup-unlimited',
    about: 'memory.limit -1 and pids.limit -1 mean unlimited (catches a mishandled -1; an ignored field looks the same, unlimited being the default)',
    focus: ['linux.resources'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.linux.resources = { memory: { limit: -1 }, pids: { limit: -1 } };
    },
  },
  {
    name: 'cgroup-int64-max',
    about: 'memory.limit 9223372036854775807 (int64 max, beyond a double\'s precision): catches a runtime that refuses or mangles it (an ignored limit reads the same), with a reservation that does show',
    focus: ['linux.resources'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.linux.resources = { memory: { limit: I64_MAX, reservation: 33554432 } };
    },
  },
  {
    name: 'cgroup-cpu-burst',
    about: 'linux.resources.cpu.burst (runtime-spec 1.1) with quota and period',
    focus: ['linux.resources'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.linux.resources = { cpu: { quota: 50000, period: 100000, burst: 20000 } };
    },
  },
  {
    name: 'cgroup-cpu-idle',
    about: 'linux.resources.cpu.idle (runtime-spec 1.1)',
    focus: ['linux.resources'],
    mutate(c) {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.linux.resources = { cpu: { idle: 1 } };
    },
  },
  {
    name: 'net-devices',
    about: 'linux.netDevices: one end of a veth pair made for the run (left down), moved into the container and renamed',
    focus: [],
    prepare(ctx) {
      const dev = `cf${process.pid % 100000}`;
      execFileSync('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}h`]);
      // deleting the host end removes the pair, wherever the other end is by then
      ctx.onCleanup(() => {
        try {
          execFileSync('ip', ['link', 'del', `${dev}h`], { stdio: 'ignore' });
        } catch {
          /* already gone with the container's namespace */
        }
      });
      ctx.state.dev = dev;
    },
    mutate(c, ctx) {
      c.linux.netDevices = { [ctx.state.dev]: { name: 'conf-net0' } };
    },
    extra: () => [
      check('file', 'linux.netDevices: the device is in the container, renamed to conf-net0 (an ethernet-type link)', '/sys/class/net/conf-net0/type', '1'),
    ],
  },
  {
    name: 'memory-policy',
    about: 'linux.memoryPolicy MPOL_BIND to node 0',
    focus: ['linux.memoryPolicy'],
    mutate(c) {
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    },
  },
];
