// The real binary refuses every malformed config of
// test/fixtures/malformed-configs.ts the way callers see it: exit 1, the text
// on stderr, exactly one JSON record in --log, and nothing under --root.
// Needs no root: validation comes before anything privileged. (That the
// base config of the cases is valid is checked in test/unit/spec/malformed.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tsrun } from '../helpers/tsrun.js';
import { configText, malformedCases } from '../fixtures/malformed-configs.js';

let dir: { path: string; remove: () => void };
let bundle: string;
before(() => {
  dir = tempDir('tsrun-malformed-cli-');
  bundle = join(dir.path, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
});
after(() => dir.remove());

function createWith(text: string, systemdCgroup = false) {
  writeFileSync(join(bundle, 'config.json'), text);
  const root = join(dir.path, 'root');
  const logFile = join(dir.path, 'log.json');
  rmSync(root, { recursive: true, force: true });
  rmSync(logFile, { force: true });
  const globals = ['--root', root, '--log', logFile, '--log-format', 'json', ...(systemdCgroup ? ['--systemd-cgroup'] : [])];
  const res = tsrun([...globals, 'create', '--bundle', bundle, 'malformed-test']);
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const rootExists = existsSync(root);
  // Only if validation let a case through: take away what create made.
  if (rootExists) tsrun(['--root', root, 'delete', '--force', 'malformed-test']);
  return { res, log, rootExists };
}

for (const c of malformedCases) {
  test(`create refuses a malformed config: ${c.name}`, () => {
    const { res, log, rootExists } = createWith(configText(c), c.systemdCgroup);
    assert.equal(res.code, 1, `exit status; stderr: ${res.stderr}`);
    assert.ok(res.stderr.includes(c.expect), `stderr ${JSON.stringify(res.stderr)} lacks ${JSON.stringify(c.expect)}`);
    assert.equal(res.stdout, '', 'nothing on stdout');
    const lines = log.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `exactly one log record, got: ${log}`);
    const record = JSON.parse(lines[0]!) as { level: string; msg: string; time: string };
    assert.equal(record.level, 'error');
    assert.ok(record.msg.includes(c.expect), `log msg ${JSON.stringify(record.msg)} lacks ${JSON.stringify(c.expect)}`);
    assert.ok(!Number.isNaN(Date.parse(record.time)), `time ${record.time}`);
    assert.equal(rootExists, false, '--root must not be created for a config that fails validation');
  });
}
