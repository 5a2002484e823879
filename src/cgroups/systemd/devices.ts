// The device rules as systemd's DevicePolicy= and DeviceAllow= (an allow
// list on top of deny-all, nothing else). The cgroupfs manager applies the
// exact rules after systemd (v2: our eBPF program beside systemd's, and a
// device must pass both; v1: the devices list, written last), so systemd's
// list only has to allow at least what the rules allow: a deny it cannot
// express is left to our filter, never turned into a wider grant there.
import type { CgroupResources } from '../manager.js';
import type { DeviceRule } from '../devices/rules.js';
import { rulesOf } from '../v1/devices.js';
import { variant } from '../../sys/sd-bus.js';
import type { Property } from './properties.js';

const isAll = (r: DeviceRule) => r.type === 'a' && r.major === -1 && r.minor === -1;

/** DeviceAllow= paths for one allow rule: /dev/char/1:3, char-5 (a major), char-* (all). */
function allowPaths(r: DeviceRule): string[] {
  const types = r.type === 'a' ? ['char', 'block'] : [r.type === 'c' ? 'char' : 'block'];
  return types.map((t) => {
    if (r.major === -1) return `${t}-*`; // "*:n" has no systemd form: the whole type, our filter narrows it
    if (r.minor === -1) return `${t}-${r.major}`;
    return `/dev/${t}/${r.major}:${r.minor}`;
  });
}

/** [DevicePolicy, DeviceAllow] entries for the rules, [] when there are none. */
export function deviceAllowList(rules: readonly DeviceRule[]): { policy: 'strict' | 'auto'; allow: Array<[string, string]> } {
  // Only what follows the last rule about every device counts: it resets the list.
  let from = 0;
  let allowAll = false;
  rules.forEach((r, i) => {
    if (isAll(r) && r.access === 'rwm') {
      from = i + 1;
      allowAll = r.allow;
    }
  });
  const rest = rules.slice(from);
  // allow all (systemd's "auto" with no list), denies after it included:
  // systemd has no deny list, ours enforces them
  if (allowAll) return { policy: 'auto', allow: [] };
  const merged = new Map<string, Set<string>>();
  for (const r of rest) {
    if (!r.allow) continue;
    for (const p of allowPaths(r)) {
      const set = merged.get(p) ?? new Set<string>();
      for (const c of r.access) set.add(c);
      merged.set(p, set);
    }
  }
  return { policy: 'strict', allow: [...merged].map(([p, s]) => [p, ['r', 'w', 'm'].filter((c) => s.has(c)).join('')]) };
}

export function deviceProperties(r: CgroupResources): Property[] {
  const rules = rulesOf(r);
  if (!rules) return [];
  const { policy, allow } = deviceAllowList(rules);
  // an empty DeviceAllow= first clears what a unit already had
  return [
    ['DeviceAllow', variant('a(ss)', [])],
    ['DevicePolicy', variant('s', policy)],
    ...(allow.length ? ([['DeviceAllow', variant('a(ss)', allow)]] as Property[]) : []),
  ];
}
