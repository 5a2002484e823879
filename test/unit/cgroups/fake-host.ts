// A fake cgroupfs in a temp dir: the mountinfo of a v1, hybrid or v2 host
// (mount points under the temp dir via HostOptions.fsRoot), and helpers
// that fill a cgroup directory with the control files a kernel would show,
// since mkdir on a plain filesystem makes an empty directory.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostOptions } from '../../../src/cgroups/layout.js';
import { traceWrites } from '../../../src/cgroups/fsio.js';

const v1Mounts: Array<[string, string]> = [
  ['cpu,cpuacct', 'cpu,cpuacct'],
  ['cpuset', 'cpuset'],
  ['memory', 'memory'],
  ['devices', 'devices'],
  ['freezer', 'freezer'],
  ['blkio', 'blkio'],
  ['pids', 'pids'],
  ['hugetlb', 'hugetlb'],
  ['net_cls,net_prio', 'net_cls,net_prio'],
  ['rdma', 'rdma'],
  ['systemd', 'name=systemd'],
];

export function v1Mountinfo(withUnified: boolean, hugetlbOnV1 = true): string {
  const lines = ['24 1 0:22 / /sys rw - sysfs sysfs rw', '31 24 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755'];
  let id = 32;
  for (const [dir, opts] of v1Mounts) {
    if (!hugetlbOnV1 && dir === 'hugetlb') continue;
    lines.push(`${id} 31 0:${id} / /sys/fs/cgroup/${dir} rw,nosuid shared:${id} - cgroup cgroup rw,${opts}`);
    id++;
  }
  if (withUnified) lines.push(`${id} 31 0:${id} / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`);
  return lines.join('\n') + '\n';
}

export const v2Mountinfo =
  '24 1 0:22 / /sys rw - sysfs sysfs rw\n' +
  '30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';

export const controllerFiles: Record<string, Record<string, string>> = {
  cpu: {
    'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_burst_us': '0',
    'cpu.idle': '0', 'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '0',
    'cpu.stat': 'nr_periods 10\nnr_throttled 3\nthrottled_time 5000\n',
    'cpuacct.usage': '123456789', 'cpuacct.usage_percpu': '100000000 23456789 \n', 'cpuacct.stat': 'user 5\nsystem 7\n',
  },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '', 'cpuset.effective_cpus': '0-1', 'cpuset.effective_mems': '0' },
  memory: {
    'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712',
    'memory.soft_limit_in_bytes': '9223372036854771712', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    'memory.swappiness': '60', 'memory.usage_in_bytes': '4096000', 'memory.max_usage_in_bytes': '5000000',
    'memory.failcnt': '0', 'memory.stat': 'cache 8192\nrss 4096\n', 'memory.memsw.usage_in_bytes': '4096000',
    'memory.kmem.limit_in_bytes': '9223372036854771712', 'memory.kmem.usage_in_bytes': '0',
  },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
  freezer: { 'freezer.state': 'THAWED\n' },
  blkio: {
    'blkio.weight': '500', 'blkio.leaf_weight': '500', 'blkio.weight_device': '', 'blkio.leaf_weight_device': '',
    'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
  },
  pids: { 'pids.max': 'max', 'pids.current': '3' },
  hugetlb: {
    'hugetlb.2MB.limit_in_bytes': '', 'hugetlb.2MB.rsvd.limit_in_bytes': '', 'hugetlb.1GB.limit_in_bytes': '',
    'hugetlb.2MB.usage_in_bytes': '2097152', 'hugetlb.2MB.max_usage_in_bytes': '4194304', 'hugetlb.2MB.failcnt': '1',
  },
  net_cls: { 'net_cls.classid': '0', 'net_prio.ifpriomap': '' },
  rdma: { 'rdma.max': '' },
  systemd: {},
};

export const v2Files: Record<string, string> = {
  'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc',
  'cgroup.subtree_control': '',
  'cgroup.procs': '',
  'cgroup.freeze': '0',
  'cgroup.events': 'populated 0\nfrozen 0\n',
  'cgroup.kill': '',
  'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.max.burst': '0', 'cpu.idle': '0',
  'cpu.stat': 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n',
  'cpuset.cpus': '', 'cpuset.mems': '', 'cpuset.cpus.effective': '0-3', 'cpuset.mems.effective': '0',
  'memory.max': 'max', 'memory.high': 'max', 'memory.swap.max': 'max', 'memory.low': '0', 'memory.current': '1048576',
  'memory.swap.current': '0', 'memory.stat': 'anon 4096\nfile 8192\n', 'memory.events': 'low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n',
  'io.weight': 'default 100', 'io.max': '', 'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
  'pids.max': 'max', 'pids.current': '2',
  'hugetlb.2MB.max': 'max', 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.1GB.max': 'max', 'hugetlb.2MB.current': '0',
  'hugetlb.2MB.events': 'max 0\n',
  'rdma.max': '',
  'misc.max': '',
};

export interface FakeHost {
  root: string;
  host: HostOptions;
  /** Every write in order: [path relative to the fake root, value]. */
  writes: Array<[string, string]>;
  fill(dir: string, files: Record<string, string>): void;
  read(path: string): string;
  remove(): void;
}

export function fakeHost(mountinfo: string, selfCgroup = '0::/\n'): FakeHost {
  const root = mkdtempSync(join(tmpdir(), 'tsrun-cgfake-'));
  const writes: Array<[string, string]> = [];
  traceWrites((p, v) => writes.push([p.startsWith(root) ? p.slice(root.length) : p, v]));
  return {
    root,
    host: { fsRoot: root, mountinfo, selfCgroup },
    writes,
    fill(dir, files) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), '');
      for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    },
    read: (p) => readFileSync(p.startsWith(root) ? p : join(root, p), 'utf8'),
    remove() {
      traceWrites(undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Fill every v1 directory of a manager's paths() with its controller files. */
export function fillV1(fake: FakeHost, paths: Record<string, string>): void {
  for (const [sub, dir] of Object.entries(paths)) {
    if (sub === 'unified') fake.fill(dir, v2Files);
    else {
      const key = sub === 'cpuacct' ? 'cpu' : sub === 'net_prio' ? 'net_cls' : sub === 'name=systemd' ? 'systemd' : sub;
      fake.fill(dir, controllerFiles[key] ?? {});
    }
  }
}
