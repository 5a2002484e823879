// rdma (v1 and v2 share the file): "<device> hca_handle=N hca_object=M",
// naming only the limits that are set.
import { pointerSegment, writeCg } from '../fsio.js';
import type { CgroupResources } from '../manager.js';
import type { V1Controller } from './controller.js';

export function setRdma(dir: string, r: CgroupResources): void {
  for (const [dev, lim] of Object.entries(r.rdma ?? {})) {
    let line = dev;
    if (lim.hcaHandles !== undefined) line += ` hca_handle=${lim.hcaHandles}`;
    if (lim.hcaObjects !== undefined) line += ` hca_object=${lim.hcaObjects}`;
    writeCg(dir, 'rdma.max', line, `/linux/resources/rdma/${pointerSegment(dev)}`);
  }
}

export const rdma: V1Controller = {
  name: 'rdma',
  requested: (r) => (Object.keys(r.rdma ?? {}).length > 0 ? '/linux/resources/rdma' : undefined),
  set: setRdma,
};
