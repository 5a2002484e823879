// Compiled seccomp profiles kept between calls. Every container
// an engine makes carries the same default profile, and compiling it through
// libseccomp (koffi to load, then an FFI call per syscall name) cost ~26 ms of
// each create of a Docker config (bench/TRIED.md). crun keeps such a cache too.
//
// A cached program is used only for the very profile that made it: the file
// starts with the whole key (the profile's JSON, the tsrun build, the arch and
// the libseccomp file that compiled it), compared in full, so a hash collision
// or another library cannot hand out a program compiled for something else.
// They live in the cache directory (state/cache-dir.ts), never under --root.
// Best effort: a cache that cannot be read or written only costs the compile.
import { statSync } from 'node:fs';
import type { LinuxSeccomp } from '../spec/types.js';
import { readOwnFile, writeOwnFile } from '../state/safe-fs.js';
import type { SeccompProgram } from './seccomp.js';

declare const TSRUN_BUILD_ID: string;
declare const require: (id: string) => unknown;

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', ppc64: 'powerpc64le-linux-gnu', s390x: 's390x-linux-gnu', riscv64: 'riscv64-linux-gnu' };

/**
 * The libseccomp.so.2 the dynamic loader would find first (LD_LIBRARY_PATH,
 * then the usual directories), as path, inode, size and mtime: an upgraded
 * library compiles anew. null when none is found: nothing is cached.
 */
function libraryStamp(): string | null {
  const multi = MULTIARCH[process.arch];
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
  for (const d of ['/usr/local/lib', '/usr/lib', '/lib', '/usr/lib64', '/lib64']) dirs.push(...(multi ? [`${d}/${multi}`] : []), d);
  for (const d of dirs) {
    try {
      const st = statSync(`${d}/libseccomp.so.2`);
      return `${d}/libseccomp.so.2:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      /* not there */
    }
  }
  return null;
}

/** FNV-1a, 32 bits, of the key: a file name, never trusted (the key inside is compared whole). */
function nameOf(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `seccomp@${h.toString(16).padStart(8, '0')}`;
}

function load(file: string, key: string): { program: Uint8Array; flags: number } | undefined {
  const buf = readOwnFile(file);
  if (!buf) return undefined;
  const head = Buffer.byteLength(key) + 1;
  // key, NUL, u32 flags, then struct sock_filter[] (8 bytes each)
  if (buf.length < head + 4 + 8 || (buf.length - head - 4) % 8 !== 0 || buf[head - 1] !== 0) return undefined;
  if (buf.toString('utf8', 0, head - 1) !== key) return undefined;
  return { flags: buf.readUInt32LE(head), program: buf.subarray(head + 4) };
}

function store(dir: string, name: string, key: string, p: SeccompProgram): void {
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(p.flags >>> 0);
  writeOwnFile(dir, name, Buffer.concat([Buffer.from(`${key}\0`), flags, p.program]));
}

/** The profile compiled to BPF: from the cache directory `dir` when this very profile was compiled before, else by `compile` (and cached). */
export function cachedSeccomp(
  dir: string | undefined,
  sc: LinuxSeccomp,
  compile: (sc: LinuxSeccomp) => SeccompProgram = (s) => (require('./seccomp.js') as typeof import('./seccomp.js')).compileSeccomp(s),
  library: string | null = libraryStamp(),
): SeccompProgram {
  if (!library || !dir) return compile(sc);
  const key = JSON.stringify([TSRUN_BUILD_ID, process.arch, library, sc]);
  const name = nameOf(key);
  const hit = load(`${dir}/${name}`, key);
  if (hit) return { ...hit, listenerPath: sc.listenerPath };
  const p = compile(sc);
  store(dir, name, key, p);
  return p;
}
