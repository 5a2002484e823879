import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commands, parseArgv, parseFlagSpec } from '../../../src/cli/argv.js';
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
