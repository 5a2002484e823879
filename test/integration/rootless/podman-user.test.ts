// Rootless podman, as a user with a systemd session uses it (issue 18), with
// crun, runc and tsrun side by side: run (output, exit code), and a detached
// container with --memory that is placed in the user's delegated cgroup
// (user@UID.service) and limited there, exec'd into and stopped. Each row
// with podman's default cgroup manager for a user session (systemd, over the
// user bus) and with cgroupfs. The user is the test VM's `tsrun` (uid 1000,
// subordinate ids in /etc/subuid; test/vm/guest/customize.sh): the test
// starts its session (loginctl enable-linger) and ends it again, and removes
// its containers and image. Elsewhere it skips with the reason.
// TSRUN_ROOTLESS_RUNTIMES=tsrun (a comma list) runs fewer columns by hand.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxImageTar } from '../../../bundles/oci-image.js';
import { requires } from '../../helpers/requires.js';
import { tsrunBin } from '../../helpers/tsrun.js';

const USER = 'tsrun';
const IMAGE = 'localhost/tsrun-busybox:rootless';
const MEMORY = 64 * 1024 * 1024;

function userId(): number | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${USER}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}
const uid = userId();
const subuid = existsSync('/etc/subuid') && readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${USER}:`));
const skip = requires('root', 'cgroup-v2', { binary: 'podman' }, { binary: 'loginctl' }, { binary: 'newuidmap' }, { binary: 'crun' }, { binary: 'runc' })
  || (!existsSync('/run/systemd/system') ? 'needs systemd as PID 1 (a user session with a delegated cgroup)' : false)
  || (uid === undefined || !subuid ? `needs a user "${USER}" with subordinate ids in /etc/subuid (the test VM's; npm run test:vm)` : false);

const ALL: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/sbin/runc', tsrun: tsrunBin };
const only = process.env.TSRUN_ROOTLESS_RUNTIMES?.split(',');
const RUNTIMES = Object.fromEntries(Object.entries(ALL).filter(([k]) => !only || only.includes(k)));
type Manager = 'systemd' | 'cgroupfs';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** podman as the user, in its session (its runtime dir and bus). */
function podman(args: string[]): Result {
  const env = [`XDG_RUNTIME_DIR=/run/user/${uid}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${uid}/bus`, `HOME=/home/${USER}`, 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'];
  const r = spawnSync('runuser', ['-u', USER, '--', 'env', '-i', ...env, 'podman', ...args], { cwd: '/tmp', encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

// scenario -> runtime -> what happened
const table = new Map<string, Map<string, string>>();
const row = (scenario: string, runtime: string, outcome: string) => {
  if (!table.has(scenario)) table.set(scenario, new Map());
  table.get(scenario)!.set(runtime, outcome);
};
const short = (r: Result) => (r.stderr.trim().split('\n').pop() ?? '').replace(/\s+/g, ' ').slice(0, 140);

describe('rootless podman (a user session, pure cgroup v2): crun, runc and tsrun side by side', { skip }, () => {
  let dir = '';
  let lingered = false;

  before(async () => {
    lingered = existsSync(`/var/lib/systemd/linger/${USER}`);
    if (!lingered) assert.equal(spawnSync('loginctl', ['enable-linger', USER]).status, 0);
    for (let i = 0; i < 300 && spawnSync('systemctl', ['is-active', '--quiet', `user@${uid}.service`]).status !== 0; i++) spawnSync('sleep', ['0.2']);
    assert.equal(spawnSync('systemctl', ['is-active', '--quiet', `user@${uid}.service`]).status, 0, `user@${uid}.service did not start`);
    for (let i = 0; i < 100 && !existsSync(`/run/user/${uid}/bus`); i++) spawnSync('sleep', ['0.2']);
    dir = mkdtempSync(join(tmpdir(), 'tsrun-podman-user-'));
    chmodSync(dir, 0o755);
    const tar = join(dir, 'image.tar');
    writeFileSync(tar, (await makeBusyboxImageTar({ ref: IMAGE })).tar, { mode: 0o644 });
    const load = podman(['load', '-i', tar]);
    assert.equal(load.code, 0, load.stderr);
  });

  after(() => {
    if (skip) return;
    podman(['rm', '-af', '-t', '0']);
    podman(['rmi', '-f', IMAGE]);
    if (!lingered) spawnSync('loginctl', ['disable-linger', USER]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    const lines = [`| scenario | ${Object.keys(RUNTIMES).join(' | ')} |`, `|---|${Object.keys(RUNTIMES).map(() => '---').join('|')}|`];
    for (const [scenario, by] of table) lines.push(`| ${scenario} | ${Object.keys(RUNTIMES).map((r) => by.get(r) ?? '-').join(' | ')} |`);
    // the table the report quotes: on stdout as well as in the TAP diagnostics
    process.stdout.write(`\n${lines.join('\n')}\n`);
  });

  /** The rows of one runtime with one cgroup manager; the failures, in words. */
  function rows(runtime: string, manager: Manager): string[] {
    const failures: string[] = [];
    const base = ['--cgroup-manager', manager, '--runtime', RUNTIMES[runtime]!];
    const check = (scenario: string, ok: boolean, detail: string) => {
      row(`${scenario} (${manager})`, runtime, ok ? 'ok' : `FAIL: ${detail}`);
      if (!ok) failures.push(`${scenario}: ${detail}`);
    };

    const run = podman([...base, 'run', '--rm', '--net', 'none', IMAGE, 'sh', '-c', 'echo hello; exit 3']);
    check('run: output and exit code', run.code === 3 && run.stdout === 'hello\n', `exit ${run.code}, ${JSON.stringify(run.stdout)}, ${short(run)}`);

    const name = `rl-${runtime}-${manager}`;
    const d = podman([...base, 'run', '-d', '--rm', '--name', name, '--net', 'none', '--memory', '64m', IMAGE, 'sleep', '300']);
    check('run -d --memory 64m', d.code === 0, short(d));
    if (d.code !== 0) return failures;
    const pid = Number(podman([...base, 'inspect', '--format', '{{.State.Pid}}', name]).stdout.trim());
    const cg = (() => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, 'utf8').match(/^0::(.*)$/m)?.[1] ?? '';
      } catch {
        return '';
      }
    })();
    const delegated = `/user.slice/user-${uid}.slice/user@${uid}.service/`;
    const max = cg ? (readFileSync(join('/sys/fs/cgroup', cg, 'memory.max'), 'utf8').trim()) : '';
    check('memory.max in the user\'s delegated cgroup', cg.startsWith(delegated) && max === String(MEMORY), `pid ${pid} in ${cg || '?'}, memory.max ${max || '?'}`);
    const e = podman([...base, 'exec', name, 'sh', '-c', 'echo exec-ok; cat /sys/fs/cgroup/memory.max']);
    check('exec', e.code === 0 && e.stdout === `exec-ok\n${MEMORY}\n`, `exit ${e.code}, ${JSON.stringify(e.stdout)}, ${short(e)}`);
    const s = podman([...base, 'stop', '-t', '2', name]);
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = !existsSync(`/proc/${pid}`);
      if (!gone) spawnSync('sleep', ['0.2']);
    }
    check('stop', s.code === 0 && gone, `exit ${s.code}, payload ${gone ? 'gone' : 'still running'}, ${short(s)}`);
    return failures;
  }

  for (const manager of ['systemd', 'cgroupfs'] as const) {
    for (const runtime of Object.keys(RUNTIMES)) {
      test(`${runtime}, ${manager} cgroup manager: run, run -d --memory (placed and limited in user@${uid ?? 'UID'}.service), exec, stop`, () => {
        const failures = rows(runtime, manager);
        // what crun cannot do either (podman's own refusals) is no failure of tsrun's
        const crunFailed = [...table].filter(([s, by]) => s.endsWith(`(${manager})`) && by.get('crun')?.startsWith('FAIL')).map(([s]) => s.replace(/ \(\w+\)$/, ''));
        // crun is the reference: with systemd every row must pass (else the host is not the stock one this is about)
        const own = runtime !== 'crun'
          ? failures.filter((f) => !crunFailed.some((s) => f.startsWith(`${s}:`)))
          : manager === 'systemd' ? failures : failures.filter((f) => f.startsWith('run:'));
        assert.deepEqual(own, []);
      });
    }
  }
});
