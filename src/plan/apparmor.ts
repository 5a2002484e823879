// process.apparmorProfile, as runc applies it: the profile the process takes
// at its execve (the executor writes "exec <profile>" to its own procfs
// attribute), refused where the host has AppArmor off: a container that
// asked for confinement must not run unconfined in silence.
import { TsrunError } from '../errors.js';
import { op, type PlanOp } from './types.js';

/** The profile to apply and where it was asked for (config field, or a flag). */
export interface AppArmorRequest {
  profile: string;
  file?: string;
  field?: string;
  /** `exec --apparmor`: named in the message (a flag has no field). */
  flag?: string;
}

/**
 * Where the attribute is written: as late as the executor can, just before
 * the executable lookup that ends the plan, and before a seccomp filter
 * placed there (with noNewPrivileges) could deny the write. startContainer
 * hooks the init runs after that point take the profile too, as under runc.
 */
export function placeAppArmor(ops: PlanOp[], req: AppArmorRequest | undefined, hostEnabled: boolean): void {
  if (!req?.profile) return;
  if (!hostEnabled) {
    const by = req.flag ? `${req.flag} ${req.profile}` : `profile ${JSON.stringify(req.profile)}`;
    throw new TsrunError(
      `unable to apply apparmor profile: apparmor failed to apply profile: ${by}: AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y)`,
      { file: req.file, field: req.field },
    );
  }
  let at = ops.findIndex((o) => o.op === 'lookup_exec');
  if (at < 0) at = ops.length;
  if (at > 0 && ops[at - 1]!.op === 'seccomp') at--;
  ops.splice(at, 0, op('apparmor', { profile: req.profile }, req.field));
}
