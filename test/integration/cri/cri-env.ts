// A Kubernetes node's runtime side, private to one test file: Debian's
// containerd with its CRI plugin (runtime handlers `tsrun` = the runc v2 shim
// with BinaryName = our launcher, and `runc` beside it), CNI's bridge and
// host-local plugins on a bridge of our own with no gateway and no route off
// the machine, and the pause and busybox images built from the host's busybox
// and imported under the names the CRI tools expect (no registry is
// reachable). Root, state, sockets, netns mounts, CNI config and IPAM data all
// live in the engine temp dir; containerd is stopped by pid; what CNI and the
// shim create outside it (the bridge, /var/lib/cni, /run/containerd) is taken
// away again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxImageTar } from '../../../bundles/oci-image.js';
import { tsrunBin } from '../../helpers/tsrun.js';
import {
  findBinary, keepRunContainerdClean, makeEngineEnv, waitFor, type EngineEnv,
} from '../engines/engine-env.js';
import { criClient, type CriClient, type PodSandboxConfig } from './cri-client.js';

/** containerd 1.6's default sandbox_image: the name a node's config carries. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.6';
/** critest's default container image; our busybox under that name. */
export const BUSYBOX_IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
export const CNI_BIN_DIR = '/usr/lib/cni';
export const HANDLERS = ['tsrun', 'runc'] as const;
export type Handler = (typeof HANDLERS)[number];

// pid 1 of the pod: waits (and so reaps what the pod's containers orphan) and
// leaves on the TERM or INT a kubelet's stop sends; containerd kills it anyway.
const PAUSE_CMD = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

export interface CriEnv {
  engine: EngineEnv;
  cri: CriClient;
  socket: string;
  ctr(args: string[]): ReturnType<EngineEnv['run']>;
  /** The shim's runtime root per handler (state.json of each container below it). */
  runtimeRoot: Record<Handler, string>;
  bridge: string;
  subnet: string;
  /** Where CRI mounts the pods' network namespaces (netns_mounts_under_state_dir). */
  netnsDir: string;
  /** A pod config with our cgroup parent and log directory; `name` unique within the file. */
  podConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  /** Where a pod's sandbox and containers go, relative to the cgroup root (its parent, or its slice). */
  podCgroup(pod: PodSandboxConfig): string;
  /** The cgroup of sandbox or container `id` of `pod`, relative to the cgroup root. */
  cgroupOf(pod: PodSandboxConfig, id: string): string;
  /** Stop and remove every pod left (containers go with their pod), then containerd, then the rest. */
  cleanup(): Promise<void>;
}

const has = (bin: string) => findBinary(bin) !== undefined;

/** Why this host cannot run the CRI tests, or false. */
export function criSkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: runs real pods';
  if (!has('containerd') || !has('ctr') || !has('containerd-shim-runc-v2')) return 'containerd not installed (apt-get install containerd)';
  if (!has('runc')) return 'runc not installed: the reference handler (apt-get install runc)';
  for (const p of ['bridge', 'host-local', 'loopback']) {
    if (!existsSync(join(CNI_BIN_DIR, p))) return `CNI plugin ${p} not in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)`;
  }
  if (!existsSync('/bin/busybox')) return 'needs /bin/busybox (apt-get install busybox-static)';
  if (!has('ip')) return 'needs ip (apt-get install iproute2)';
  return false;
}

function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

export interface CriEnvOptions {
  /** Lines appended to containerd's config (registry mirrors, say). */
  containerdConfig?: string[];
  /** The bridge takes the subnet's first address (the host reaches the pods; still no route off the machine). */
  gateway?: boolean;
  /**
   * `SystemdCgroup = true` in both handlers' runc options (the shim passes
   * --systemd-cgroup), and each pod in a slice of its own as a kubelet with
   * the systemd driver makes it: cgroup_parent
   * /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice,
   * which containerd turns into `<that slice>:cri-containerd:<id>`, a scope
   * per sandbox and container. The slices are stopped at cleanup (the
   * kubelet's part), kubepods.slice and its QoS slice only where we made them.
   */
  systemdCgroup?: boolean;
}

/** systemctl show's `props` of `unit` (`{}` when systemctl fails); a list property (DeviceAllow) one line per entry. */
export function unitProps(unit: string, props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, '-p', props.join(',')], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  if (r.status !== 0) return out;
  for (const l of r.stdout.split('\n')) {
    const i = l.indexOf('=');
    if (i <= 0) continue;
    const k = l.slice(0, i);
    out[k] = k in out ? `${out[k]}\n${l.slice(i + 1)}` : l.slice(i + 1);
  }
  return out;
}

const unitActive = (unit: string) => spawnSync('systemctl', ['is-active', '--quiet', unit]).status === 0;

/** The kubelet's QoS slices above each besteffort pod's own. */
const NODE_SLICES = ['kubepods.slice', 'kubepods-besteffort.slice'];
/** A pod's slice as the kubelet names it (the uid's dashes become underscores: a dash nests a slice). */
export const podSliceOf = (uid: string) => `kubepods-besteffort-pod${uid.replace(/-/g, '_')}.slice`;

export async function startCriEnv(name: string, opts: CriEnvOptions = {}): Promise<CriEnv> {
  const cleanRunContainerd = keepRunContainerdClean();
  // podman's tmpfiles.d makes /var/lib/cni/networks at boot (the test VM): the
  // results cache inside can still be ours
  const cniDirsOurs = ['/var/lib/cni/results', '/var/lib/cni'].filter((d) => !existsSync(d));
  const systemd = opts.systemdCgroup ?? false;
  // the kubelet's slices that were there already are not ours to stop
  const nodeSlicesOurs = systemd ? NODE_SLICES.filter((u) => !unitActive(u)) : [];
  const podSlices = new Set<string>();
  const engine = await makeEngineEnv(name);
  const dir = engine.dir;
  // interface names are 15 bytes at most; the pid keeps parallel runs apart
  const bridge = `tsrcri${process.pid % 100000}`;
  const subnet = `10.${200 + (process.pid % 50)}.${(process.pid >> 6) % 250}.0/24`;
  const socket = join(dir, 'containerd.sock');
  const runtimeRoot = { tsrun: join(dir, 'tsrun-root'), runc: join(dir, 'runc-root') };
  const netnsDir = join(dir, 'state', 'io.containerd.grpc.v1.cri', 'netns');
  let cri: CriClient | undefined;

  const ctr = (args: string[]) => engine.run(findBinary('ctr')!, ['--address', socket, '-n', 'k8s.io', ...args]);

  const cleanup = async () => {
    try {
      if (cri) {
        // as a kubelet leaves a node: every pod stopped (CNI DEL, netns gone), then removed
        for (const p of await cri.listPodSandbox().catch(() => [])) {
          await cri.stopPodSandbox(p.id).catch(() => {});
          await cri.removePodSandbox(p.id).catch(() => {});
        }
        cri.close();
      }
    } finally {
      // the kubelet's part: a pod's slice goes when the pod is gone (what is
      // still in it goes with it); the node's slices where we made them
      for (const u of [...podSlices, ...[...nodeSlicesOurs].reverse()]) {
        if (unitActive(u)) spawnSync('systemctl', ['stop', u], { stdio: 'ignore' });
      }
      await engine.cleanup();
      if (linkExists(bridge)) spawnSync('ip', ['link', 'del', bridge]);
      // libcni's result cache: ours only where the directory was not there before
      for (const d of cniDirsOurs) {
        try {
          rmdirSync(d);
        } catch {
          /* not empty (someone else's) or gone */
        }
      }
      cleanRunContainerd();
    }
  };

  try {
    mkdirSync(join(dir, 'cni'), { recursive: true });
    writeFileSync(
      join(dir, 'cni', '10-tsrun-test.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: `tsrun-cri-${process.pid}`,
        plugins: [
          {
            type: 'bridge',
            bridge,
            // no masquerade, no routes: pods reach each other on the bridge
            // (and the host, given the gateway address) and nothing else
            isGateway: opts.gateway ?? false,
            ipMasq: false,
            ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: join(dir, 'cni-ipam') },
          },
        ],
      }),
    );
    const q = (s: string) => JSON.stringify(s);
    const runtime = (h: Handler, bin: string) => [
      `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${h}]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${h}.options]`,
      `  BinaryName = ${q(bin)}`,
      `  Root = ${q(runtimeRoot[h])}`,
      ...(systemd ? ['  SystemdCgroup = true'] : []),
    ];
    const config = join(dir, 'containerd.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = ${q(join(dir, 'root'))}`,
        `state = ${q(join(dir, 'state'))}`,
        '[grpc]',
        `  address = ${q(socket)}`,
        '[ttrpc]',
        `  address = ${q(`${socket}.ttrpc`)}`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = ${q(join(dir, 'opt'))}`,
        '[plugins."io.containerd.grpc.v1.cri"]',
        `  sandbox_image = ${q(PAUSE_IMAGE)}`,
        // containerd asks -998 for a sandbox and the container's own value
        // otherwise; without CAP_SYS_RESOURCE in the bounding set (this host)
        // lowering it fails, so clamp to what we have, as containerd in a
        // user namespace does
        '  restrict_oom_score_adj = true',
        '  netns_mounts_under_state_dir = true',
        '  stream_server_address = "127.0.0.1"',
        '  stream_server_port = "0"',
        '[plugins."io.containerd.grpc.v1.cri".containerd]',
        '  default_runtime_name = "runc"',
        ...runtime('runc', findBinary('runc')!),
        ...runtime('tsrun', tsrunBin),
        '[plugins."io.containerd.grpc.v1.cri".cni]',
        `  bin_dir = ${q(CNI_BIN_DIR)}`,
        `  conf_dir = ${q(join(dir, 'cni'))}`,
        ...(opts.containerdConfig ?? []),
        '',
      ].join('\n'),
    );
    const d = engine.startDaemon('containerd', findBinary('containerd')!, ['--config', config]);
    waitFor('containerd to serve', () => {
      if (d.exited()) throw new Error(`containerd exited:\n${d.log()}`);
      return existsSync(socket) && ctr(['version']).code === 0;
    });

    for (const [ref, cmd] of [[PAUSE_IMAGE, PAUSE_CMD], [BUSYBOX_IMAGE, ['sh']]] as const) {
      const tarPath = join(dir, `${ref.replace(/[^a-z0-9]+/g, '-')}.tar`);
      writeFileSync(tarPath, (await makeBusyboxImageTar({ ref, cmd: [...cmd] })).tar);
      const imp = ctr(['images', 'import', tarPath]);
      assert.equal(imp.code, 0, `ctr images import ${ref}: ${imp.stderr}`);
    }
    cri = criClient(socket);
    const client = cri;
    // CRI learns of imported images from containerd's events
    const end = Date.now() + 20_000;
    for (const ref of [PAUSE_IMAGE, BUSYBOX_IMAGE]) {
      while (!(await client.imageStatus(ref))) {
        if (Date.now() > end) throw new Error(`CRI does not list ${ref}:\n${d.log().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  const podConfig: CriEnv['podConfig'] = (podName, extra = {}) => {
    const logDirectory = join(dir, 'pods', podName);
    mkdirSync(logDirectory, { recursive: true });
    const uid = `uid-${podName}-${process.pid}`;
    let cgroupParent = engine.cgroupParent;
    if (systemd) {
      podSlices.add(podSliceOf(uid));
      cgroupParent = `/${[...NODE_SLICES, podSliceOf(uid)].join('/')}`;
    }
    return {
      metadata: { name: podName, uid, namespace: 'tsrun-test', attempt: 0 },
      hostname: podName,
      logDirectory,
      ...extra,
      linux: { cgroupParent, ...extra.linux },
    };
  };
  const podCgroup = (pod: PodSandboxConfig) => pod.linux?.cgroupParent ?? engine.cgroupParent;
  // containerd's naming: a parent ending in .slice takes a scope per id
  const cgroupOf = (pod: PodSandboxConfig, id: string) => `${podCgroup(pod)}/${systemd ? `cri-containerd-${id}.scope` : id}`;

  return { engine, cri: cri!, socket, ctr, runtimeRoot, bridge, subnet, netnsDir, podConfig, podCgroup, cgroupOf, cleanup };
}

/** Names in `dir` (none when it is not there). */
export function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Interfaces enslaved to `bridge` (the pods' host-side veths). */
export function bridgePorts(bridge: string): string[] {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** The text lines of a CRI container log ("<time> stdout|stderr F|P <text>"), stream and text only. */
export function parseCriLog(text: string): Array<{ stream: string; line: string }> {
  return text.split('\n').filter(Boolean).map((l) => {
    const [, stream = '', , ...rest] = l.split(' ');
    return { stream, line: rest.join(' ') };
  });
}
