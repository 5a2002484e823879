// v1 net_prio: one "interface priority" line per write.
import { intText, writeCg } from '../fsio.js';
import type { V1Controller } from './controller.js';

export const netPrio: V1Controller = {
  name: 'net_prio',
  requested: (r) => (r.network?.priorities?.length ? '/linux/resources/network/priorities' : undefined),
  set(dir, r) {
    (r.network?.priorities ?? []).forEach((p, i) =>
      writeCg(dir, 'net_prio.ifpriomap', `${p.name} ${intText(p.priority)}`, `/linux/resources/network/priorities/${i}`),
    );
  },
};
