// linux.resources.unified: cgroup v2 files written as given, one line per
// write (io.max and friends take one device per write). A key must be a file
// name of the form <controller>.<param>; one whose controller is not
// enabled for this cgroup, or whose file does not exist, is refused with
// the key named.
import { TsrunError } from '../../errors.js';
import { hasFile, pointerSegment, tryReadCg, writeCg } from '../fsio.js';

export function setUnified(dir: string, unified: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(unified ?? {})) {
    const field = `/linux/resources/unified/${pointerSegment(key)}`;
    if (key.includes('/') || key === '.' || key === '..') {
      throw new TsrunError(`unified resource ${JSON.stringify(key)} must be a file name (no slashes)`, { field });
    }
    const dot = key.indexOf('.');
    if (dot <= 0) throw new TsrunError(`unified resource ${JSON.stringify(key)} must be in the form CONTROLLER.PARAMETER`, { field });
    const controller = key.slice(0, dot);
    if (!hasFile(dir, key)) {
      const enabled = (tryReadCg(dir, 'cgroup.controllers') ?? '').trim().split(/\s+/);
      if (controller !== 'cgroup' && !enabled.includes(controller)) {
        throw new TsrunError(`unified resource ${JSON.stringify(key)} can't be set: controller ${JSON.stringify(controller)} not available`, { field });
      }
      throw new TsrunError(`unified resource ${JSON.stringify(key)} can't be set: no such cgroup file`, { field });
    }
    const lines = value.split('\n').filter((l) => l.trim() !== '');
    for (const line of lines.length > 0 ? lines : [value]) writeCg(dir, key, line, field);
  }
}
