// The pod walk of pod.test.ts where a node runs the systemd cgroup driver
// (the stock host: systemd PID 1, pure cgroup v2): `SystemdCgroup = true` in
// both handlers' runc options, so the shim calls the runtime with
// --systemd-cgroup, and each pod in a slice of its own, as a kubelet makes
// it. A tsrun pod and a runc pod side by side, step by step: each sandbox and
// container a scope under its pod's slice, the resources of CreateContainer
// and UpdateContainerResources both in the cgroup files and as the unit's
// properties, and after the pods are gone no scope, no cgroup, no netns, no
// bridge port and no mount. What systemd reports for a tsrun unit must be
// what it reports for runc's (ids aside).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sharesToWeight } from '../../../src/cgroups/convert.js';
import { requires } from '../../helpers/requires.js';
import { cgroupsUnder, mountsUnder, processesMentioning } from '../engines/engine-env.js';
import type { ContainerConfig, PodSandboxConfig, Resources } from './cri-client.js';
import {
  BUSYBOX_IMAGE, HANDLERS, bridgePorts, criSkip, entries, podSliceOf, startCriEnv, unitProps, type CriEnv, type Handler,
} from './cri-env.js';

const skip = criSkip() || requires('systemd', 'cgroup-v2');
const CGROUP_ROOT = '/sys/fs/cgroup';

// what systemd says of a scope; compared between the handlers (CPUWeight
// apart: see weightsOf)
const SCOPE_PROPS = [
  'LoadState', 'ActiveState', 'Slice', 'ControlGroup', 'Delegate', 'MemoryMax', 'CPUQuotaPerSecUSec', 'TasksMax',
  'MemoryAccounting', 'CPUAccounting', 'TasksAccounting', 'IOAccounting', 'DevicePolicy', 'DeviceAllow',
];
const MIB = 1024 * 1024;
const CREATE_RESOURCES: Resources = { memoryLimitInBytes: 64 * MIB, cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512 };
const UPDATE_RESOURCES: Resources = { memoryLimitInBytes: 96 * MIB, cpuPeriod: 100_000, cpuQuota: 20_000, cpuShares: 1024 };

const scopeOf = (id: string) => `cri-containerd-${id}.scope`;

const TUN = '/dev/char/10:200 rwm';
/** The major /proc/devices gives the character devices named `name`. */
function charMajor(name: string): string {
  const chars = readFileSync('/proc/devices', 'utf8').split('Block devices:')[0]!;
  return new RegExp(`^\\s*(\\d+) ${name}$`, 'm').exec(chars)?.[1] ?? `<no ${name}>`;
}
/**
 * A scope's DeviceAllow= entries as a sorted set (systemd keeps the order
 * sent), with the two ways in which Debian 12's runc 1.1 differs from current
 * runc, which tsrun follows, taken out: /dev/net/tun is a default device
 * again (runc 1.1 had dropped it; 1.2.4 restored it), and a whole major is
 * sent as its number (char-136) where runc 1.1 sends the /proc/devices name
 * (char-pts), which systemd turns into the same major.
 */
function deviceSet(h: Handler, text: string): string {
  const list = text.split('\n').map((e) => e.replace(/^char-pts /, `char-${charMajor('pts')} `));
  if (h === 'tsrun') assert.ok(list.includes(TUN), `tsrun allows /dev/net/tun, as runc >= 1.2.4: ${text}`);
  return list.filter((e) => e !== TUN).sort().join('\n');
}
const read = (cgroup: string, file: string) => readFileSync(join(CGROUP_ROOT, cgroup, file), 'utf8').trim();

describe('containerd CRI with SystemdCgroup = true: a tsrun pod and a runc pod, each in its slice, every sandbox and container a scope', { skip }, () => {
  let env: CriEnv;
  let cleaned = false;
  // the kubelet's node slice, where this run makes it
  let kubepodsOurs = false;
  before(async () => {
    kubepodsOurs = unitProps('kubepods.slice', ['ActiveState']).ActiveState !== 'active';
    env = await startCriEnv('crisd', { systemdCgroup: true });
  });
  after(async () => {
    if (!cleaned) await env?.cleanup();
  });

  interface Pod { h: Handler; cfg: PodSandboxConfig; id: string; app: string }
  const pods: Pod[] = [];

  /** systemd's view of `id`'s scope, the ids and the handler's name taken out, so that the two handlers compare. */
  function scopeView(p: Pod, id: string): Record<string, string> {
    const props = unitProps(scopeOf(id), SCOPE_PROPS);
    if (props.DeviceAllow) props.DeviceAllow = deviceSet(p.h, props.DeviceAllow);
    return JSON.parse(JSON.stringify(props).replaceAll(id, '<id>').replaceAll(p.cfg.metadata.uid.replace(/-/g, '_'), '<uid>').replaceAll(p.h, '<h>')) as Record<string, string>;
  }
  /**
   * The containers' CPUWeight against their cpu.weight file and the shares
   * asked for. tsrun converts shares as current runc does (1024, the
   * default, is 100, systemd's default); Debian 12's runc 1.1 has the linear
   * map it later dropped (1024 is 39), so here runc's weight may be either.
   */
  function weightsOf(shares: number): void {
    const linear = 1 + Math.floor(((shares - 2) * 9999) / 262142);
    for (const p of pods) {
      const unit = unitProps(scopeOf(p.app), ['CPUWeight']).CPUWeight;
      assert.equal(unit, read(env.cgroupOf(p.cfg, p.app), 'cpu.weight'), `${p.h}: CPUWeight is the scope's cpu.weight`);
      const want = p.h === 'tsrun' ? [sharesToWeight(shares)] : [sharesToWeight(shares), linear];
      assert.ok(want.map(String).includes(unit ?? ''), `${p.h}: CPUWeight ${unit} for ${shares} shares, not one of ${want.join(', ')}`);
    }
  }
  /** The cgroupsPath of the config.json containerd gave the runtime for `id`. */
  const cgroupsPathOf = (id: string) => (JSON.parse(readFileSync(join(env.engine.dir, 'state', 'io.containerd.runtime.v2.task', 'k8s.io', id, 'config.json'), 'utf8')) as { linux: { cgroupsPath: string } }).linux.cgroupsPath;
  /** Each handler's value of `f`, asserted equal (tsrun's must be runc's), and returned. */
  function same<T>(what: string, f: (p: Pod) => T): T {
    const seen = Object.fromEntries(pods.map((p) => [p.h, f(p)])) as Record<Handler, T>;
    assert.deepEqual(seen.tsrun, seen.runc, `${what}: tsrun and runc differ`);
    return seen.tsrun;
  }

  /** Each app container's scope and cgroup files carry these limits, the same under both handlers; the scope's view. */
  function limitsAgree(when: string, memory: number, quota: string, cpuMax: string): Record<string, string> {
    const view = same(`the container scope${when}`, (p) => scopeView(p, p.app));
    assert.equal(view.MemoryMax, String(memory));
    assert.equal(view.CPUQuotaPerSecUSec, quota);
    const files = same(`the container cgroup files${when}`, (p) => ['memory.max', 'cpu.max'].map((f) => read(env.cgroupOf(p.cfg, p.app), f)));
    assert.deepEqual(files, [String(memory), cpuMax]);
    return view;
  }

  test('RunPodSandbox: containerd asks each runtime for `<pod slice>:cri-containerd:<id>`; the pause process is in that scope, under its pod\'s slice', async () => {
    for (const h of HANDLERS) {
      const cfg = env.podConfig(`sd-${h}`);
      pods.push({ h, cfg, id: await env.cri.runPodSandbox(cfg, h), app: '' });
    }
    for (const p of pods) {
      assert.equal(cgroupsPathOf(p.id), `${podSliceOf(p.cfg.metadata.uid)}:cri-containerd:${p.id}`, `${p.h}: the sandbox's cgroupsPath`);
      const st = await env.cri.podSandboxStatus(p.id);
      assert.deepEqual([st.state, st.runtimeHandler], ['SANDBOX_READY', p.h]);
      assert.equal(readFileSync(`/proc/${Number(st.info.pid)}/cgroup`, 'utf8'), `0::${env.cgroupOf(p.cfg, p.id)}\n`, `${p.h}: the pause process's cgroup`);
    }
    const view = same('the sandbox scope', (p) => scopeView(p, p.id));
    assert.equal(view.ActiveState, 'active');
    assert.equal(view.Slice, 'kubepods-besteffort-pod<uid>.slice');
    assert.equal(view.ControlGroup, `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope`);
    assert.equal(view.Delegate, 'yes');
    assert.equal(entries(env.netnsDir).length, 2, 'a netns per pod');
    assert.equal(bridgePorts(env.bridge).length, 2, 'a veth per pod');
  });

  const app = (): ContainerConfig => ({
    metadata: { name: 'app' },
    image: { image: BUSYBOX_IMAGE },
    command: ['sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'],
    logPath: 'app.log',
    linux: { resources: CREATE_RESOURCES },
  });

  test('CreateContainer with resources: the container is a scope in its pod\'s slice, its limits in the cgroup files, as MemoryMax, CPUQuotaPerSecUSec and CPUWeight, and inside at /sys/fs/cgroup', async () => {
    for (const p of pods) {
      p.app = await env.cri.createContainer(p.id, app(), p.cfg);
      await env.cri.startContainer(p.app);
      assert.equal(cgroupsPathOf(p.app), `${podSliceOf(p.cfg.metadata.uid)}:cri-containerd:${p.app}`, `${p.h}: the container's cgroupsPath`);
    }
    const view = limitsAgree('', 64 * MIB, '500ms', '50000 100000');
    assert.equal(view.ActiveState, 'active');
    assert.equal(view.ControlGroup, `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope`);
    weightsOf(CREATE_RESOURCES.cpuShares!);
    for (const p of pods) {
      const r = await env.cri.execSync(p.app, ['sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max']);
      assert.deepEqual(r.stdout.trim().split('\n'), ['0::/', String(64 * MIB), '50000 100000'], `${p.h}: ${r.stderr}`);
    }
  });

  test('UpdateContainerResources: the new limits as unit properties and in the files; ContainerStats reads the scope\'s cgroup', async () => {
    for (const p of pods) await env.cri.updateContainerResources(p.app, UPDATE_RESOURCES);
    limitsAgree(' after the update', 96 * MIB, '200ms', '20000 100000');
    weightsOf(UPDATE_RESOURCES.cpuShares!);
    for (const p of pods) {
      const s = await env.cri.containerStats(p.app);
      assert.ok((s.memory?.workingSetBytes?.value ?? 0) > 0 && (s.cpu?.usageCoreNanoSeconds?.value ?? 0) > 0, `${p.h}: ${JSON.stringify(s)}`);
    }
  });

  test('StopContainer/RemoveContainer: the container\'s scope and cgroup are gone; the sandbox\'s stay', async () => {
    for (const p of pods) {
      await env.cri.stopContainer(p.app, 10);
      assert.equal((await env.cri.containerStatus(p.app)).exitCode, 7, `${p.h}: TERM reached the payload`);
      await env.cri.removeContainer(p.app);
    }
    const view = same('the removed container\'s scope', (p) => scopeView(p, p.app));
    assert.equal(view.ActiveState, 'inactive', JSON.stringify(view));
    for (const p of pods) {
      assert.deepEqual(cgroupsUnder(env.podCgroup(p.cfg)), [join(CGROUP_ROOT, env.cgroupOf(p.cfg, p.id))], `${p.h}: only the sandbox's scope left in the pod slice`);
    }
  });

  // CRI's reason is OOMKilled only where the shim read the scope's
  // memory.events before the cgroup went: with either handler here it said
  // "Error" in one run of two, so the exit status is what is asked for.
  test('a container the OOM killer ends: it exits 137; its scope is gone, not left failed, after RemoveContainer', async (t) => {
    const hog: Record<string, string> = {};
    for (const p of pods) {
      // dd's buffer is its block size, touched as it reads: 64 MiB against a 32 MiB limit
      hog[p.h] = await env.cri.createContainer(p.id, {
        metadata: { name: 'hog' }, image: { image: BUSYBOX_IMAGE }, logPath: 'hog.log',
        command: ['sh', '-c', 'sleep 3; exec dd if=/dev/zero of=/dev/null bs=64M count=1'],
        linux: { resources: { memoryLimitInBytes: 32 * MIB } },
      }, p.cfg);
      await env.cri.startContainer(hog[p.h]!);
    }
    for (const p of pods) {
      const end = Date.now() + 60_000;
      let st = await env.cri.containerStatus(hog[p.h]!);
      while (st.state !== 'CONTAINER_EXITED' && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 250));
        st = await env.cri.containerStatus(hog[p.h]!);
      }
      assert.deepEqual([st.state, st.exitCode], ['CONTAINER_EXITED', 137], `${p.h}: ${JSON.stringify(st)}`);
      const u = unitProps(scopeOf(hog[p.h]!), ['ActiveState', 'Result']);
      t.diagnostic(`${p.h}: reason ${st.reason}, scope ${u.ActiveState} (${u.Result})`);
      assert.notEqual(u.ActiveState, 'active', `${p.h}: the scope of a dead container`);
    }
    for (const p of pods) await env.cri.removeContainer(hog[p.h]!);
    for (const p of pods) {
      const u = unitProps(scopeOf(hog[p.h]!), ['LoadState', 'ActiveState']);
      assert.deepEqual([u.LoadState, u.ActiveState], ['not-found', 'inactive'], `${p.h}: the scope is forgotten`);
      assert.equal(existsSync(join(CGROUP_ROOT, env.cgroupOf(p.cfg, hog[p.h]!))), false, `${p.h}: its cgroup is gone`);
    }
  });

  test('StopPodSandbox/RemovePodSandbox: no scope, no cgroup in the pod\'s slice, no netns, no bridge port, no mount left; the kubelet then removes an empty slice', async () => {
    for (const p of pods) {
      await env.cri.stopPodSandbox(p.id);
      await env.cri.removePodSandbox(p.id);
    }
    assert.deepEqual(await env.cri.listPodSandbox(), []);
    const view = same('the removed sandbox\'s scope', (p) => scopeView(p, p.id));
    assert.equal(view.ActiveState, 'inactive', JSON.stringify(view));
    for (const p of pods) assert.deepEqual(cgroupsUnder(env.podCgroup(p.cfg)), [], `${p.h}: nothing left in the pod slice`);
    assert.deepEqual(entries(env.netnsDir), [], 'no netns mount left');
    assert.deepEqual(bridgePorts(env.bridge), [], 'no veth left on the bridge');
    assert.deepEqual(mountsUnder(env.engine.dir), [], 'no rootfs or netns mount left');
    // the pod's slice is the kubelet's: it stays until the kubelet removes it, empty
    for (const p of pods) {
      const slice = podSliceOf(p.cfg.metadata.uid);
      assert.equal(unitProps(slice, ['ActiveState']).ActiveState, 'active', `${p.h}: ${slice}`);
      assert.equal(spawnSync('systemctl', ['stop', slice]).status, 0, `systemctl stop ${slice}`);
      assert.equal(unitProps(slice, ['ActiveState']).ActiveState, 'inactive', `${p.h}: ${slice} stopped`);
      assert.equal(existsSync(join(CGROUP_ROOT, env.podCgroup(p.cfg))), false, `${p.h}: the slice's cgroup is gone`);
    }
  });

  test('afterwards, with containerd stopped and the slices removed: no unit, no cgroup, no mount, no process left', async () => {
    await env.cleanup();
    cleaned = true;
    for (const p of pods) {
      for (const unit of [scopeOf(p.id), scopeOf(p.app), podSliceOf(p.cfg.metadata.uid)]) {
        assert.notEqual(unitProps(unit, ['ActiveState']).ActiveState, 'active', `${unit} still active`);
      }
      assert.deepEqual(cgroupsUnder(env.podCgroup(p.cfg)), []);
    }
    if (kubepodsOurs) assert.notEqual(unitProps('kubepods.slice', ['ActiveState']).ActiveState, 'active', 'kubepods.slice stopped');
    assert.deepEqual(processesMentioning(env.engine.dir), []);
    assert.deepEqual(mountsUnder(env.engine.dir), []);
  });
});
