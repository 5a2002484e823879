// `tsrun update [flags | --resources FILE|-] ID`: runc's flags or a
// LinuxResources JSON, merged onto the container's current resources and
// applied to its cgroup. If the kernel refuses a value, every file written
// so far goes back to its previous content, and the stored resources stay.
import { RuncText, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { Container } from '../state/container.js';
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

export const main = commandMain('update', async (ctx) => {
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
        blkioWeight: o.blkioWeight,
        cpuPeriod: o.cpuPeriod,
        cpuQuota: o.cpuQuota,
        cpuBurst: o.cpuBurst,
        cpuShare: o.cpuShare,
        cpuRtPeriod: o.cpuRtPeriod,
        cpuRtRuntime: o.cpuRtRuntime,
        cpusetCpus: o.cpusetCpus,
        cpusetMems: o.cpusetMems,
        cpuIdle: o.cpuIdle,
        kernelMemory: o.kernelMemory,
        kernelMemoryTcp: o.kernelMemoryTcp,
        memory: o.memory,
        memoryReservation: o.memoryReservation,
        memorySwap: o.memorySwap,
        pidsLimit: o.pidsLimit,
      });
  if (change.memory?.kernel !== undefined || change.memory?.kernelTCP !== undefined) {
    log.warn('Kernel memory settings are ignored and will be removed');
  }
  await withContainerLock(root, id, () => {
    const container = Container.load(root, id);
    const record = container.record;
    if (container.status() === 'stopped') throw new TsrunError(RuncText.notRunning);
    const linux = (record.config?.linux ?? {}) as { resources?: LinuxResources };
    const next = mergeUpdate(linux.resources, change);
    withRollback(() => fromRecord(record.cgroupPaths, record.cgroupUnit, record.id).set(next));
    if (record.config) {
      // Keep the device rules: update never changes them.
      const devices = linux.resources?.devices;
      record.config.linux = { ...(record.config.linux ?? {}), resources: devices ? { ...next, devices } : next };
      container.save();
    }
  });
});
