// Compile schema/*.json (written by this project from the runtime-spec prose)
// into one standalone validator module, src/spec/generated/validators.js, that
// esbuild bundles. Nothing compiles a schema at run time: Ajv itself is ~120 KB
// of code and compiling costs tens of ms, while the standalone functions load
// in well under a millisecond.
//
// Dialect: draft-07, not the draft-04 of the upstream schema. Ajv's default
// class speaks it without the extra ajv-draft-04 meta-schema, and draft-07's
// if/then states "major/minor are required unless the device type is p"
// (and "pid is required while created or running") directly, without the
// oneOf constructs draft-04 needs, whose errors are hard to turn into one
// readable line.
//
// Options chosen for size and for the one-line errors of src/spec/errors.ts:
// messages:false (we write our own text from keyword and params), allErrors
// off (stop at the first failure: one error to report, less code), no
// formats, no keywords that need Ajv's runtime helpers (minLength,
// uniqueItems), so the output imports nothing.
//
// Measured on the 2-core dev VM (fresh node, median of 15): the module is
// ~71 KB minified and loads in ~1.8 ms (~2.9 ms before shrink() below); the
// first validation of Docker's config adds ~3 ms, mostly V8 compiling the
// validator functions on first call.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const exportsById = {
  validateConfig: 'config.json',
  validateProcess: 'process.json',
  validateState: 'state.json',
  validateFeatures: 'features.json',
};

const base = 'https://tsrun.invalid/schema/';

// Ajv writes every failure as a full error-object literal with a schemaPath
// we never read; one helper call instead makes the module about a third
// smaller, and parse time (on create's path) follows size.
const failure =
  /(validate\d+)\.errors = \[\{instancePath(?::(.+?))?,schemaPath:"[^"]*",keyword:"(\w+)",params:(\{[^{}]*\})\}\];return false;/g;

function shrink(code) {
  let n = 0;
  const out = code.replace(failure, (_m, fn, path, keyword, params) => {
    n++;
    return `return fail(${fn},${path ?? 'instancePath'},"${keyword}",${params});`;
  });
  if (n === 0) throw new Error('gen-validators: no failure sites rewritten; did the Ajv output change shape?');
  return inlineEnums(out);
}

function jsonEnd(code, start) {
  let depth = 0;
  let inString = false;
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('gen-validators: unterminated schema literal');
}

// Ajv keeps whole schema objects in the module only so that enum errors can
// point at their allowed values; put those arrays in place and drop the rest.
function inlineEnums(code) {
  const consts = new Map();
  const decl = /const (schema\d+) = /g;
  let m;
  const cuts = [];
  while ((m = decl.exec(code))) {
    const start = m.index + m[0].length;
    const end = jsonEnd(code, start);
    consts.set(m[1], JSON.parse(code.slice(start, end)));
    cuts.push([m.index, end + 1]); // with the ';'
  }
  let body = '';
  let at = 0;
  for (const [a, b] of cuts) {
    body += code.slice(at, a);
    at = b;
  }
  body += code.slice(at);
  body = body.replace(/\b(schema\d+)((?:\.[A-Za-z_$][\w$]*)+)/g, (_m, name, path) => {
    let v = consts.get(name);
    for (const key of path.slice(1).split('.')) v = v?.[key];
    if (v === undefined) throw new Error(`gen-validators: cannot resolve ${name}${path}`);
    return JSON.stringify(v);
  });
  if (/\bschema\d+\b/.test(body)) throw new Error('gen-validators: a schema object is still referenced');
  const helper = 'function fail(f,instancePath,keyword,params){f.errors=[{instancePath,keyword,params}];return false;}';
  return body.replace('"use strict";', `"use strict";${helper}`);
}

export default async function ({ root }) {
  const dir = join(root, 'schema');
  const schemas = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

  const ajv = new Ajv.default({
    schemas,
    code: { source: true, esm: true, lines: false, optimize: true },
    messages: false,
    allErrors: false,
    strict: true,
    // `if` subschemas name properties without repeating "type": "object".
    strictTypes: false,
    // `then` requires properties declared beside it, not inside it.
    strictRequired: false,
    // Call shared definitions instead of pasting their code at every use.
    inlineRefs: false,
  });
  const refs = Object.fromEntries(Object.entries(exportsById).map(([name, file]) => [name, base + file]));
  let code = standaloneCode.default(ajv, refs);
  if (/\brequire\(|^import /m.test(code)) {
    throw new Error('gen-validators: the generated code needs Ajv runtime helpers; drop the keyword that pulled them in');
  }
  code = shrink(code);
  const esbuild = await import('esbuild');
  code = (await esbuild.transform(code, { minify: true, format: 'esm', target: 'node20', legalComments: 'none' })).code;
  code = `// Generated by build/gen-validators.mjs from schema/*.json. Do not edit.\n${code}`;

  const out = join(root, 'src', 'spec', 'generated');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'validators.js'), code);
  const decl = [
    '// Generated by build/gen-validators.mjs. Do not edit.',
    'export interface SchemaError {',
    '  instancePath: string;',
    '  keyword: string;',
    '  params: Record<string, unknown>;',
    '}',
    'export interface SchemaValidator {',
    '  (data: unknown): boolean;',
    '  errors?: SchemaError[] | null;',
    '}',
    ...Object.keys(exportsById).map((name) => `export declare const ${name}: SchemaValidator;`),
    '',
  ].join('\n');
  writeFileSync(join(out, 'validators.d.ts'), decl);
}
