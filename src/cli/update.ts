// `tsrun update [flags | --resources FILE|-] ID`: runc's flags or a
// LinuxResources JSON, merged onto the container's current resources and
// applied to its cgroup. If the kernel refuses a value, every file written
// so far goes back to its previous content, and the stored resources stay.
import { RuncText, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord, writeRecord } from '../state/store.js';
import { readCapped, readRegular } from '../state/safe-fs.js';
import { MAX_CONFIG_BYTES, MAX_JSON_DEPTH, nestedDeeperThan } from '../spec/json-limits.js';
import { withContainerLock } from '../state/lock.js';
import type { LinuxResources } from '../spec/types.js';
import { commandMain } from './command.js';

function readResources(source: string): LinuxResources {
  let text: string;
  try {
    // stdin may be a pipe: read up to the cap; a file must be a regular one
    text = (source === '-' ? readCapped(0, MAX_CONFIG_BYTES, 'resources') : readRegular(source, MAX_CONFIG_BYTES, source, { follow: true })).toString('utf8');
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    throw new TsrunError(`open ${source}: ${(err as Error).message}`, { errno: (err as NodeJS.ErrnoException).code });
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new TsrunError(`invalid resources JSON: nested deeper than ${MAX_JSON_DEPTH}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TsrunError(`invalid resources JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsrunError('invalid resources JSON: not an object');
  return value as LinuxResources;
}

export const main = commandMain(async (ctx) => {
  const id = ctx.args[0]!;
  const root = ctx.globals.root;
  const o = ctx.opts;
  if (o.l3CacheSchema) throw new TsrunError('Intel RDT/CAT: l3 cache schema is not enabled');
  if (o.memBwSchema) throw new TsrunError('Intel RDT/MBA: memory bandwidth schema is not enabled');
  const { fromRecord, withRollback } = await import('../cgroups/index.js');
  const { mergeUpdate, resourcesFromFlags } = await import('../cgroups/update.js');
  const change = typeof o.resources === 'string' && o.resources !== ''
    ? readResources(o.resources)
    : resourcesFromFlags({
        blkioWeight: o.blkioWeight as string | undefined,
        cpuPeriod: o.cpuPeriod as string | undefined,
        cpuQuota: o.cpuQuota as string | undefined,
        cpuBurst: o.cpuBurst as string | undefined,
        cpuShare: o.cpuShare as string | undefined,
        cpuRtPeriod: o.cpuRtPeriod as string | undefined,
        cpuRtRuntime: o.cpuRtRuntime as string | undefined,
        cpusetCpus: o.cpusetCpus as string | undefined,
        cpusetMems: o.cpusetMems as string | undefined,
        cpuIdle: o.cpuIdle as string | undefined,
        kernelMemory: o.kernelMemory as string | undefined,
        kernelMemoryTcp: o.kernelMemoryTcp as string | undefined,
        memory: o.memory as string | undefined,
        memoryReservation: o.memoryReservation as string | undefined,
        memorySwap: o.memorySwap as string | undefined,
        pidsLimit: o.pidsLimit as string | undefined,
      });
  if (change.memory?.kernel !== undefined || change.memory?.kernelTCP !== undefined) {
    log.warn('Kernel memory settings are ignored and will be removed');
  }
  await withContainerLock(root, id, () => {
    const record = readRecord(root, id);
    const dir = containerDir(root, id);
    if (containerStatus(record, dir) === 'stopped') throw new TsrunError(RuncText.notRunning);
    const linux = (record.config?.linux ?? {}) as { resources?: LinuxResources };
    const next = mergeUpdate(linux.resources, change);
    withRollback(() => fromRecord(record.cgroupPaths, record.cgroupUnit, record.id).set(next));
    if (record.config) {
      // Keep the device rules: update never changes them.
      const devices = linux.resources?.devices;
      record.config.linux = { ...(record.config.linux ?? {}), resources: devices ? { ...next, devices } : next };
      writeRecord(dir, record);
    }
  });
});
