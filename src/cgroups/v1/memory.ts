// v1 memory. memory.memsw.limit_in_bytes (memory+swap) must stay >= the
// memory limit at every moment, so the order of the two writes depends on
// the direction of the change: raising writes memsw first, lowering writes
// the memory limit first. The kernel memory limit (kernel) is ignored with
// a warning, as runc does (kernels since 5.16 take the write and do nothing),
// and so is useHierarchy (always on since 5.x; runc dropped it too). The TCP
// buffer limit (kernelTCP) still works on v1 kernels: it is applied, as crun
// does, where runc 1.1 ignores it with kernel (docs/design.md).
import { TsrunError, errorText } from '../../errors.js';
import { hasFile, intText, readKeyValues, readNumber, writeCg } from '../fsio.js';
import { log } from '../../log.js';
import type { MemoryEntry } from '../stats.js';
import { isSet, type V1Controller } from './controller.js';

const F = '/linux/resources/memory';
const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';
const KMEM_TCP = 'memory.kmem.tcp.limit_in_bytes';

/** kernelTCP where the kernel takes it; a kernel without the file, or refusing the value, gets a warning instead. */
function setKernelTcp(dir: string, value: number): void {
  if (!hasFile(dir, KMEM_TCP)) {
    log.warn(`linux.resources.memory.kernelTCP is ignored: the kernel has no ${KMEM_TCP}`);
    return;
  }
  try {
    writeCg(dir, KMEM_TCP, intText(value), `${F}/kernelTCP`);
  } catch (err) {
    log.warn(`${errorText(err)}: ignored`);
  }
}

/** checkBeforeUpdate: refuse a limit below what the cgroup already uses. */
export function checkUsage(limit: number, usage: number | undefined): void {
  if (limit > 0 && usage !== undefined && usage > limit) {
    throw new TsrunError(`rejecting memory limit ${limit} below current usage ${usage}`, { field: `${F}/limit` });
  }
}

function entry(dir: string, prefix: string): MemoryEntry {
  const n = (f: string) => {
    const v = readNumber(dir, `${prefix}.${f}`);
    return v === undefined || v === Infinity ? 0 : v;
  };
  return { usage: n('usage_in_bytes'), max: n('max_usage_in_bytes'), failcnt: n('failcnt'), limit: n('limit_in_bytes') };
}

export const memory: V1Controller = {
  name: 'memory',
  requested(r) {
    const m = r.memory;
    if (!m) return undefined;
    if (isSet(m.limit)) return `${F}/limit`;
    if (isSet(m.swap)) return `${F}/swap`;
    if (isSet(m.reservation)) return `${F}/reservation`;
    if (m.swappiness !== undefined && m.swappiness !== -1) return `${F}/swappiness`;
    if (m.disableOOMKiller) return `${F}/disableOOMKiller`;
    return undefined;
  },
  set(dir, r) {
    const m = r.memory;
    if (!m) return;
    if (m.kernel !== undefined) log.warn('kernel memory settings are ignored and will be removed');
    if (m.kernelTCP !== undefined) setKernelTcp(dir, m.kernelTCP);
    const limit = m.limit ?? 0;
    let swap = m.swap ?? 0;
    const haveSwap = hasFile(dir, MEMSW);
    // "memory unlimited" with swap unset means both unlimited, as on v2.
    if (limit === -1 && swap === 0 && haveSwap) swap = -1;
    if (m.checkBeforeUpdate && limit > 0) checkUsage(limit, readNumber(dir, 'memory.usage_in_bytes'));
    const writeLimit = () => {
      if (limit !== 0) writeCg(dir, LIMIT, intText(limit), `${F}/limit`);
    };
    const writeSwap = () => {
      if (swap === 0) return;
      if (!haveSwap) {
        // No swap accounting in this kernel: only "unlimited" can be honoured.
        if (swap === -1) return;
        throw new TsrunError('memory swap limit is not supported: the kernel has no swap accounting (memory.memsw)', { field: `${F}/swap` });
      }
      writeCg(dir, MEMSW, intText(swap), `${F}/swap`);
    };
    if (limit !== 0 && swap !== 0) {
      const current = readNumber(dir, LIMIT) ?? 0;
      if (swap === -1 || current < swap) {
        writeSwap();
        writeLimit();
      } else {
        writeLimit();
        writeSwap();
      }
    } else {
      writeLimit();
      writeSwap();
    }
    if (isSet(m.reservation)) writeCg(dir, 'memory.soft_limit_in_bytes', intText(m.reservation), `${F}/reservation`);
    if (m.disableOOMKiller) writeCg(dir, 'memory.oom_control', '1', `${F}/disableOOMKiller`);
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      if (m.swappiness < 0 || m.swappiness > 100) {
        throw new TsrunError(`invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`, { field: `${F}/swappiness` });
      }
      writeCg(dir, 'memory.swappiness', intText(m.swappiness), `${F}/swappiness`);
    }
  },
  stats(dir, out) {
    const raw = readKeyValues(dir, 'memory.stat');
    out.memory.raw = Object.fromEntries(raw);
    out.memory.cache = raw.get('cache') ?? 0;
    out.memory.usage = entry(dir, 'memory');
    out.memory.swap = hasFile(dir, 'memory.memsw.usage_in_bytes') ? entry(dir, 'memory.memsw') : out.memory.usage;
    out.memory.kernel = entry(dir, 'memory.kmem');
    out.memory.kernelTCP = entry(dir, 'memory.kmem.tcp');
  },
};

export function oomKills(dir: string): number {
  return readKeyValues(dir, 'memory.oom_control').get('oom_kill') ?? 0;
}
