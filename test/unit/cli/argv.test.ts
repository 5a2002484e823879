import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commands, inRuncOrder, parseArgv, parseFlagSpec } from '../../../src/cli/argv.js';
import { globalOptions } from '../../../src/cli/table.js';

test('global flags before the subcommand, as the containerd shim sends them', () => {
  const p = parseArgv(['--root', '/run/x', '--log', '/b/log.json', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'id1']);
  assert.ok(p && p.kind === 'command');
  assert.equal(p.command, 'create');
  assert.equal(p.globals.root, '/run/x');
  assert.equal(p.globals.logFormat, 'json');
  assert.equal(p.opts.bundle, '/b');
  assert.equal(p.opts.pidFile, '/b/init.pid');
  assert.deepEqual(p.args, ['id1']);
});

test('defaults: root /run/tsrun, bundle ".", kill signal absent', () => {
  const p = parseArgv(['kill', 'c']);
  assert.ok(p && p.kind === 'command');
  assert.equal(p.globals.root, '/run/tsrun');
  assert.equal(p.opts.all, false);
  assert.deepEqual(p.args, ['c']);
  const c = parseArgv(['create', 'c']);
  assert.ok(c && c.kind === 'command');
  assert.equal(c.opts.bundle, '.');
});

test('--flag=value, short aliases and single-dash long forms (conmon -no-subreaper)', () => {
  const p = parseArgv(['--root=/r', 'run', '-b', '/bb', '-d', '-no-subreaper', '--preserve-fds=2', 'c']);
  assert.ok(p && p.kind === 'command');
  assert.equal(p.globals.root, '/r');
  assert.equal(p.opts.bundle, '/bb');
  assert.equal(p.opts.detach, true);
  assert.equal(p.opts.noSubreaper, true);
  assert.equal(p.opts.preserveFds, '2');
});

test('options stop at the container id: exec payload flags reach the payload', () => {
  const p = parseArgv(['exec', '-e', 'A=1', '--env', 'B=2', 'c', 'sh', '-c', 'echo hi']);
  assert.ok(p && p.kind === 'command');
  assert.deepEqual(p.opts.env, ['A=1', 'B=2']);
  assert.deepEqual(p.args, ['c', 'sh', '-c', 'echo hi']);
});

test('flags after the container id, as runc 1.1 (urfave/cli) moves them: delete ID --force, update ID --pids-limit 5', () => {
  const d = parseArgv(['delete', 'c', '--force']);
  assert.ok(d && d.kind === 'command');
  assert.equal(d.opts.force, true);
  assert.deepEqual(d.args, ['c']);
  const u = parseArgv(['--root', '/r', 'update', 'c', '--pids-limit', '5', '--memory=1M']);
  assert.ok(u && u.kind === 'command');
  assert.equal(u.opts.pidsLimit, '5');
  assert.equal(u.opts.memory, '1M');
  assert.deepEqual(u.args, ['c']);
  const k = parseArgv(['kill', 'c', '9', '-a']);
  assert.ok(k && k.kind === 'command');
  assert.equal(k.opts.all, true);
  assert.deepEqual(k.args, ['c', '9']);
  const c = parseArgv(['create', 'c', '--bundle', '/b', '--pid-file', '/p']);
  assert.ok(c && c.kind === 'command');
  assert.deepEqual([c.opts.bundle, c.opts.pidFile, c.args], ['/b', '/p', ['c']]);
  // urfave's reorder takes the word after any flag as its value, a boolean's too:
  // runc reads `kill c --all 9` as `kill --all 9 c`, container "9" and signal "c"
  const quirk = parseArgv(['kill', 'c', '--all', '9']);
  assert.ok(quirk && quirk.kind === 'command');
  assert.deepEqual(quirk.args, ['9', 'c']);
  // a value that looks like a number flag stays with its flag
  assert.deepEqual(inRuncOrder(['update', 'c', '--memory', '-1']), ['update', '--memory', '-1', 'c']);
  // nothing moves across --, and unknown flags stay where they are (a usage error, as under runc)
  assert.deepEqual(inRuncOrder(['state', 'c', '--', '--force']), ['state', 'c', '--', '--force']);
  assert.equal(parseArgv(['delete', 'c', '--bogus']), null);
  assert.equal(parseArgv(['state', 'c', '--force']), null);
});

test('exec and ps keep everything after the id for the payload (runc SkipArgReorder)', () => {
  const e = parseArgv(['exec', 'c', 'echo', '--env', 'A=1']);
  assert.ok(e && e.kind === 'command');
  assert.deepEqual(e.opts.env, []);
  assert.deepEqual(e.args, ['c', 'echo', '--env', 'A=1']);
  const p = parseArgv(['ps', 'c', '--format', 'json']);
  assert.ok(p && p.kind === 'command');
  assert.equal(p.opts.format, 'table');
  assert.deepEqual(p.args, ['c', '--format', 'json']);
});

test('engines\' order (flags first) is left as it is, the same array', () => {
  const argv = ['--root', '/r', 'create', '--bundle', '/b', '--pid-file', '/p', 'c'];
  assert.equal(inRuncOrder(argv), argv);
  const kill = ['kill', '--all', 'c', '9'];
  assert.equal(inRuncOrder(kill), kill);
});

test('accepted-and-ignored flags of other callers', () => {
  assert.ok(parseArgv(['--cgroup-manager', 'disabled', '--criu', '/x', 'create', '--detach', 'c']));
  assert.ok(parseArgv(['--systemd-cgroup', 'delete', '--force', 'c']));
});

test('anything unsure goes to commander (null): unknown flag, counts, help', () => {
  assert.equal(parseArgv(['state']), null);
  assert.equal(parseArgv(['state', 'a', 'b']), null);
  assert.equal(parseArgv(['state', '--bogus', 'a']), null);
  assert.equal(parseArgv(['--bogus', 'state', 'a']), null);
  assert.equal(parseArgv(['--help']), null);
  assert.equal(parseArgv(['frob', 'a']), null);
  assert.equal(parseArgv([]), null);
  assert.equal(parseArgv(['create', '--bundle']), null);
});

test('--version and -v', () => {
  assert.deepEqual(parseArgv(['--version'])?.kind, 'version');
  assert.deepEqual(parseArgv(['-v'])?.kind, 'version');
});

test('every flag spec of the table has the shape the parser reads, and parses as commander names it', () => {
  const shape = /^(?:-(\w),\s*)?--([\w-]+)(\s+<[^>]+>)?$/;
  const specs = [...globalOptions, ...commands.flatMap((c) => c.options)];
  assert.ok(specs.length > 50);
  for (const spec of specs) {
    const m = shape.exec(spec.flags);
    assert.ok(m, `flag spec ${JSON.stringify(spec.flags)}`);
    const f = parseFlagSpec(spec);
    assert.deepEqual(
      { short: f.short, long: f.long, key: f.key, takesValue: f.takesValue },
      { short: m[1], long: m[2], key: m[2]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), takesValue: !!m[3] },
      spec.flags,
    );
  }
  assert.deepEqual(parseFlagSpec({ flags: '-b, --bundle <dir>', desc: '' }), { short: 'b', long: 'bundle', key: 'bundle', takesValue: true, spec: { flags: '-b, --bundle <dir>', desc: '' } });
  assert.equal(parseFlagSpec({ flags: '--no-new-keyring', desc: '' }).key, 'noNewKeyring');
});
