// A podman of the test's own: everything it keeps under one directory, the
// cgroupfs manager, file locks and a file event log, so that no daemon, socket
// or store of the host's is touched and the test removes it all with the dir.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PrivatePodman {
  /** CONTAINERS_CONF and CONTAINERS_STORAGE_CONF pointing into `dir`. */
  env: NodeJS.ProcessEnv;
  /** The global flags every podman call takes, `--runtime` included. */
  global: string[];
}

export function privatePodman(dir: string, runtime: string): PrivatePodman {
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, [
    '[engine]',
    // Without this podman would not ask for --log-format=json and would read errors as text.
    'runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "tsrun"]',
    `tmp_dir = "${dir}/podman-tmp"`,
    'lock_type = "file"',
    'events_logger = "file"',
    `events_logfile_path = "${dir}/events.log"`,
    'cgroup_manager = "cgroupfs"',
    '[network]',
    `network_config_dir = "${dir}/net"`,
    // --net none only: no CNI plugin is needed (they come with recommends, which CI skips).
    `cni_plugin_dirs = ["${dir}/no-cni-plugins"]`,
    '',
  ].join('\n'));
  const storage = join(dir, 'storage.conf');
  writeFileSync(storage, ['[storage]', 'driver = "vfs"', `graphroot = "${dir}/storage"`, `runroot = "${dir}/run"`, ''].join('\n'));
  mkdirSync(join(dir, 'no-cni-plugins'));
  return {
    env: { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage },
    global: [
      '--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs',
      '--tmpdir', join(dir, 'podman-tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
      '--runtime', runtime,
    ],
  };
}
