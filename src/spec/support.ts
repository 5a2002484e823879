// Whether this tsrun can run a valid config: fields whose feature the
// features document (features.ts) says is off are refused up front, with the
// field named, instead of being silently ignored or failing half-way through
// create. Tied to the same `claims` object, so flipping a claim there lifts
// the refusal here.
import { TsrunError } from '../errors.js';
import { claims } from './features.js';
import type { Process, Spec } from './types.js';

function refuse(file: string, field: string, message: string): never {
  throw new TsrunError(message, { file, field });
}

export function checkProcessSupport(p: Process, at: string, file: string): void {
  if (p.selinuxLabel && !claims.selinux) {
    // runc's wording, on a host without SELinux.
    refuse(file, `${at}/selinuxLabel`, 'selinux label is specified in config, but selinux is disabled or not supported');
  }
}

export function checkSupport(spec: Spec, file: string): void {
  if (spec.process) checkProcessSupport(spec.process, '/process', file);
  const linux = spec.linux ?? {};
  if (linux.intelRdt && !claims.intelRdt) {
    refuse(file, '/linux/intelRdt', 'intelRdt is specified in config, but Intel RDT is not supported or enabled');
  }
  if (linux.netDevices && Object.keys(linux.netDevices).length > 0 && !claims.netDevices) {
    refuse(file, '/linux/netDevices', 'moving network devices into the container is not supported by tsrun yet');
  }
  if (!claims.idmapMounts) {
    spec.mounts?.forEach((m, i) => {
      if (m.uidMappings || m.gidMappings || m.options?.some((o) => o === 'idmap' || o === 'ridmap')) {
        refuse(file, `/mounts/${i}`, 'idmapped mounts are not supported by tsrun yet');
      }
    });
  }
  const supported = new Set(claims.seccomp ? claims.seccompSupportedFlags : []);
  linux.seccomp?.flags?.forEach((f, i) => {
    if (!supported.has(f)) refuse(file, `/linux/seccomp/flags/${i}`, `seccomp flag ${f} is not supported by tsrun`);
  });
}
