// Validation of config.json and exec process files: the generated schema
// validator first (shapes and enums), then the prose rules (semantics.ts).
// Either failure is one TsrunError naming the file and the JSON pointer.
import { validateConfig as schemaConfig, validateProcess as schemaProcess } from './generated/validators.js';
import { schemaError } from './schema-error.js';
import { checkProcessSemantics, checkSemantics } from './semantics.js';
import { checkProcessSupport, checkSupport } from './support.js';
import type { Process, Spec } from './types.js';

export interface ValidateOptions {
  /**
   * create/run: a process and a root are required, and every field must be
   * one this tsrun can honour (support.ts); other readers only need a valid config.
   */
  forCreate: boolean;
  /** Name used in messages; default "config.json". */
  file?: string;
  /** --systemd-cgroup was given: cgroupsPath must be "slice:prefix:name". */
  systemdCgroup?: boolean;
}

/** Check the shape of `config` against the schema alone (no prose rules). */
export function validateConfigSchema(config: unknown, file = 'config.json'): Spec {
  if (!schemaConfig(config)) throw schemaError(schemaConfig.errors, config, file);
  return config as Spec;
}

export function validateConfig(config: unknown, opts: ValidateOptions): Spec {
  const file = opts.file ?? 'config.json';
  const spec = validateConfigSchema(config, file);
  checkSemantics(spec, { forCreate: opts.forCreate, systemdCgroup: opts.systemdCgroup, file });
  // Only what is about to run must be runnable here; other readers just need it valid.
  if (opts.forCreate) checkSupport(spec, file);
  return spec;
}

/** An `exec --process` file: the process object of config.json on its own. */
export function validateProcess(p: unknown, file: string): Process {
  if (!schemaProcess(p)) throw schemaError(schemaProcess.errors, p, file);
  const proc = p as Process;
  checkProcessSemantics(proc, file);
  checkProcessSupport(proc, '', file);
  return proc;
}
