// Whether this host can build the C fuzz harnesses (native/Makefile `fuzz`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires } from './requires.js';

/**
 * Why this host cannot build the fuzz harness (no make, no C compiler, or
 * one without the ASan/UBSan runtimes), or false. Decided by compiling an
 * empty program the way the harness is, so that a failure of the harness's
 * own build is never mistaken for a missing tool.
 */
export function sanitizerSkip(): string | false {
  const cc = process.env.CC ?? 'cc';
  const missing = requires({ binary: 'make' }, { binary: cc });
  if (missing) return missing;
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-asan-'));
  try {
    writeFileSync(join(dir, 'empty.c'), 'int main(void) { return 0; }\n');
    const probe = spawnSync(cc, ['-fsanitize=address,undefined', '-o', join(dir, 'empty'), join(dir, 'empty.c')], { encoding: 'utf8' });
    return probe.status === 0 ? false : `${cc} cannot build with -fsanitize=address,undefined (${probe.stderr.trim().split('\n')[0]}): apt-get install libasan8 libubsan1`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
