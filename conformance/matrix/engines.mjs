// The configs real engines hand to a runtime (Docker, containerd's ctr,
// podman; test/fixtures/engine-configs), run as written except for
// what points at the engine's host: the rootfs, the process (the checker),
// the cgroupsPath (ours), bind sources (made here), namespace paths and
// hooks (the engine's own binaries). Everything else is checked as is.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {import('./index.mjs').Entry} Entry */

/** The engines' configs kept in the repository (their provenance: its README.md). */
export const ENGINE_CONFIGS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'engine-configs');
const FIXTURES = process.env.CONFORMANCE_ENGINE_CONFIGS ?? ENGINE_CONFIGS;

const fileLike = (dest) => ['/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/run/.containerenv'].includes(dest) || basename(dest).includes('.');

/** @param {string} file @returns {Entry} */
function engineEntry(file) {
  const name = `engine-${basename(file, '.json')}`;
  const original = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
  return {
    name,
    about: `${file} as the engine wrote it (rootfs, process, cgroupsPath, bind sources, namespace paths and hooks replaced)`,
    focus: [''],
    tty: original.process?.terminal ? 'console-socket' : undefined,
    prepare(ctx) {
      // stand-ins for the engine's per-container files and directories
      ctx.state.sources = (original.mounts ?? []).map((m, i) => {
        const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
        if (!isBind || existsSync(m.source)) return m.source;
        const p = join(ctx.bundle.dir, 'engine-src', String(i));
        if (fileLike(m.destination)) {
          mkdirSync(join(ctx.bundle.dir, 'engine-src'), { recursive: true });
          writeFileSync(p, `conformance stand-in for ${m.destination}\n`);
        } else {
          mkdirSync(p, { recursive: true });
        }
        return p;
      });
    },
    mutate(c, ctx) {
      const e = structuredClone(original);
      e.root = { ...e.root, path: 'rootfs' };
      e.process = { ...e.process, args: c.process.args };
      delete e.process.apparmorProfile; // AppArmor is not enabled here
      delete e.process.selinuxLabel;
      delete e.linux.mountLabel;
      e.mounts = (e.mounts ?? []).map((m, i) => ({ ...m, source: ctx.state.sources[i] }));
      e.linux.cgroupsPath = c.linux.cgroupsPath;
      e.linux.namespaces = (e.linux.namespaces ?? []).map(({ type }) => ({ type }));
      delete e.hooks;
      for (const k of Object.keys(c)) delete c[k];
      Object.assign(c, e);
    },
  };
}

/** @type {Entry[]} */
export const entries = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('exec-process')).sort().map(engineEntry)
  : [];
