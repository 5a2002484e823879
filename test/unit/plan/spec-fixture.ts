// What the plan tests start from: the compile context of a container "x" in
// /b, and `tsrun spec`'s default config without a terminal, edited per test.
import { defaultSpec } from '../../../src/spec/default.js';
import type { Spec } from '../../../src/spec/types.js';

export const ctx = { id: 'x', bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/tsrun/x' };

export function spec(patch: (s: Spec) => void = () => {}): Spec {
  const s = defaultSpec();
  s.process!.terminal = false;
  patch(s);
  return s;
}
