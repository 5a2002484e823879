// v2 devices: there is no devices controller on cgroup v2; access is
// decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.
import { compileDeviceFilter, encodeProgram } from '../devices/bpf-program.js';
import type { DeviceRule } from '../devices/rules.js';
import { closeFd, loadDeviceProgram, replaceDeviceProgram } from '../bpf-syscall.js';

export function setDevices(dir: string, rules: DeviceRule[] | undefined): void {
  if (!rules) return;
  const fd = loadDeviceProgram(encodeProgram(compileDeviceFilter(rules)));
  try {
    replaceDeviceProgram(dir, fd);
  } finally {
    // Attached programs are held by the cgroup; our fd is no longer needed.
    closeFd(fd);
  }
}
