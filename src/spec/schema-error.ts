// Turn the first failure of a generated schema validator into one line a
// person can act on: the JSON pointer of the field and what was wrong with it.
import { TsrunError } from '../errors.js';
import type { SchemaError } from './generated/validators.js';

/** The value at a JSON pointer ("/linux/namespaces/2/type"), or undefined. */
function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A short rendering of a JSON value for messages: strings quoted, long values cut. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.parse makes 1e400 Infinity, which JSON.stringify would print as null
  if (typeof value === 'number' && !Number.isFinite(value)) return 'too large to represent (over 1.8e308)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

const article: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describe(err: SchemaError, value: unknown): string {
  const p = err.params;
  switch (err.keyword) {
    case 'required':
      return `missing required property "${String(p.missingProperty)}"`;
    case 'type': {
      const want = String(p.type)
        .split(',')
        .map((t) => article[t] ?? t)
        .join(' or ');
      // Naming the kind beside the value tells "1.5" (a string) from 1.5.
      return `must be ${want}, got ${kindOf(value)} ${show(value)}`;
    }
    case 'enum':
      return `${show(value)} is not one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern':
      return `${show(value)} does not match ${String(p.pattern)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}, got ${show(value)}`;
    case 'minItems':
      return `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    default:
      return `fails the schema's "${err.keyword}" rule (${show(p)})`;
  }
}

/**
 * The error to throw for a failed validation. Wrapper keywords (if, allOf,
 * $ref) only repeat that an inner rule failed, so the innermost error wins.
 */
export function schemaError(errors: readonly SchemaError[] | null | undefined, doc: unknown, file: string): TsrunError {
  const wrappers = new Set(['if', 'then', 'allOf', 'anyOf', 'oneOf', '$ref']);
  const err = (errors ?? []).find((e) => !wrappers.has(e.keyword)) ?? errors?.[0];
  if (!err) return new TsrunError('does not match the runtime-spec schema', { file });
  return new TsrunError(describe(err, valueAt(doc, err.instancePath)), { file, field: err.instancePath || undefined });
}
