// Fixtures kept in the repository (test/fixtures/), found from the checkout's
// root, so that a fresh clone runs its tests with nothing beside it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './tsrun.js';
import type { Spec } from '../../src/spec/types.js';

/** config.json files written by Docker, containerd and podman (provenance: its README.md). */
export const engineConfigsDir = join(repoRoot, 'test', 'fixtures', 'engine-configs');

/** One engine config, parsed. */
export function engineConfig(file: string): Spec {
  return JSON.parse(readFileSync(join(engineConfigsDir, file), 'utf8')) as Spec;
}

/** The whole-container configs (not the exec --process files), sorted. */
export function engineConfigFiles(): string[] {
  return readdirSync(engineConfigsDir).filter((f) => f.endsWith('.json') && !f.startsWith('exec-')).sort();
}
