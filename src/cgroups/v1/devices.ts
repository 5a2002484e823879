// v1 devices: "a" into devices.deny, then every rule in order into
// devices.allow or devices.deny. Before rewriting the list of a cgroup that
// already has processes (update), the list the kernel would end up with is
// computed (kernelList) and compared with devices.list: when nothing
// changes nothing is written, so running processes never see the brief
// deny-everything window.
import { OpenCgFiles, readProcs, tryReadCg, writeCg } from '../fsio.js';
import { type DeviceRule, accessBits, accessText, normalizeRules } from '../devices/rules.js';
import type { CgroupResources } from '../manager.js';
import type { V1Controller } from './controller.js';

const num = (n: number) => (n === -1 ? '*' : String(n));

export function v1RuleText(r: DeviceRule): string {
  return r.type === 'a' && r.major === -1 && r.minor === -1 ? 'a' : `${r.type} ${num(r.major)}:${num(r.minor)} ${r.access}`;
}

/** The rules to apply: the completed list if the caller gave one, else the config's. */
export function rulesOf(r: CgroupResources): DeviceRule[] | undefined {
  if (r.deviceRules) return r.deviceRules;
  if (r.devices) return normalizeRules(r.devices);
  return undefined;
}

/**
 * What devices.list shows after "a" deny plus these rules, with the v1
 * kernel's own logic: an "a" rule switches the default and clears the
 * exceptions; any other rule adds to or removes bits from the exception
 * with exactly the same type and numbers.
 */
export function kernelList(rules: readonly DeviceRule[]): string[] {
  let allowAll = false;
  let exceptions: Array<{ key: string; bits: number }> = [];
  for (const r of rules) {
    if (r.type === 'a' && r.major === -1 && r.minor === -1) {
      allowAll = r.allow;
      exceptions = [];
      continue;
    }
    const key = `${r.type} ${num(r.major)}:${num(r.minor)}`;
    const bits = accessBits(r.access);
    const found = exceptions.find((e) => e.key === key);
    // An exception is the opposite of the default: adding one when the rule goes against it.
    if (r.allow !== allowAll) {
      if (found) found.bits |= bits;
      else exceptions.push({ key, bits });
    } else if (found) {
      found.bits &= ~bits;
      if (found.bits === 0) exceptions = exceptions.filter((e) => e !== found);
    }
  }
  if (allowAll) return ['a *:* rwm'];
  return exceptions.map((e) => `${e.key} ${accessText(e.bits)}`);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

/**
 * Write the rules. `fresh`: the cgroup was made just now and nothing can
 * have joined it yet, so there is no list of running processes to spare.
 */
export function setV1Devices(dir: string, r: CgroupResources, fresh = false): void {
  const rules = rulesOf(r);
  if (!rules) return;
  if (!fresh && readProcs(dir).length > 0) {
    const current = (tryReadCg(dir, 'devices.list') ?? '').split('\n').filter(Boolean);
    if (sameList(current, kernelList(rules))) return;
  }
  const open = new OpenCgFiles();
  try {
    // a list that starts by denying everything (runc's and Docker's do) does so itself
    const first = rules[0];
    if (!first || first.allow || v1RuleText(first) !== 'a') writeCg(dir, 'devices.deny', 'a', '/linux/resources/devices', open);
    rules.forEach((rule, i) => {
      // Rules past the config's own list are the defaults (no field of their own).
      const field = r.deviceRules ? '/linux/resources/devices' : `/linux/resources/devices/${i}`;
      writeCg(dir, rule.allow ? 'devices.allow' : 'devices.deny', v1RuleText(rule), field, open);
    });
  } finally {
    open.close();
  }
}

export const devices: V1Controller = {
  name: 'devices',
  requested: (r) => (rulesOf(r) ? '/linux/resources/devices' : undefined),
  set: (dir, r) => setV1Devices(dir, r),
};
