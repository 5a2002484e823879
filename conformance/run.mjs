#!/usr/bin/env node
// npm run conformance -- --runtime /path/to/runtime [--name NAME] [--only a,b]
//   [--drop-field /json/pointer --only BUNDLE] [--json FILE] [--timeout SECONDS]
//   [--oci-version V]   (ociVersion written into configs; default 1.3.0)
//   --list              the bundles and what each sets
// Runs the matrix and the lifecycle checks against one runc-compatible runtime,
// printing TAP. With --drop-field, the field is removed from what the runtime
// sees but kept in what the checker expects: the run succeeds (exit 0) only if
// some check then fails, which proves those checks notice an ignored field.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSuite } from './lib/suite.mjs';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string' },
    name: { type: 'string' },
    only: { type: 'string' },
    'drop-field': { type: 'string' },
    json: { type: 'string' },
    timeout: { type: 'string' },
    'no-lifecycle': { type: 'boolean' },
    quiet: { type: 'boolean' },
    'oci-version': { type: 'string' },
    list: { type: 'boolean' },
  },
});
if (values.list) {
  const { matrix } = await import('./matrix/index.mjs');
  for (const e of matrix) console.log(`${e.name.padEnd(32)} ${e.about}`);
  console.log(`${'lifecycle'.padEnd(32)} runtime.md from outside: state, errors, hooks, pid file, exit codes, refused configs`);
  process.exit(0);
}
if (!values.runtime) {
  console.error('usage: run.mjs --runtime PATH [--name NAME] [--only a,b] [--drop-field PTR] [--json FILE] [--timeout S]');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('conformance needs root: it runs real containers');
  process.exit(2);
}
const only = values.only ? values.only.split(',').filter(Boolean) : undefined;
const dropField = values['drop-field'];
if (dropField && !only) {
  console.error('--drop-field needs --only BUNDLE');
  process.exit(2);
}
const suite = await runSuite({
  runtime: values.runtime,
  name: values.name,
  only,
  dropField,
  lifecycle: !values['no-lifecycle'],
  ociVersion: values['oci-version'],
  timeoutMs: values.timeout ? Number(values.timeout) * 1000 : undefined,
  log: (s) => console.error(`# ${s}`),
});
const { results } = suite;
console.log(`# ${suite.runtime.name}: ${suite.runtime.version}`);
console.log(`1..${results.length}`);
results.forEach((r, i) => {
  if (!values.quiet || !r.ok) console.log(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${r.bundle}: ${r.name}${r.ok ? '' : ` # ${r.detail}`}`);
});
const passed = results.filter((r) => r.ok).length;
console.log(`# pass ${passed}/${results.length}`);
if (suite.leftovers.length) console.log(`# cgroups left behind: ${suite.leftovers.join(', ')}`);
if (values.json) writeFileSync(values.json, JSON.stringify(suite, null, 2));
if (dropField) {
  const failed = results.filter((r) => !r.ok);
  console.log(failed.length
    ? `# --drop-field ${dropField}: ${failed.length} check(s) failed as they must`
    : `# --drop-field ${dropField}: NO check failed: these checks do not notice the field`);
  process.exit(failed.length ? 0 : 1);
}
