// The systemd Manager methods the driver calls
// (org.freedesktop.systemd1(5)), over one sd-bus connection per command.
// Every unit change is a job: the call returns its path and the job's
// JobRemoved says how it ended.
import { TsrunError } from '../../errors.js';
import { log } from '../../log.js';
import { Bus, DBusError, type BusKind, type OpenOptions } from '../../sys/sd-bus.js';
import type { Property } from './properties.js';

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const FIELD = '/linux/cgroupsPath';

export class Systemd {
  private cachedVersion?: number;

  private constructor(private readonly bus: Bus, readonly kind: BusKind) {}

  static connect(kind: BusKind, opts?: OpenOptions): Systemd {
    const bus = Bus.open(kind, opts);
    bus.subscribeJobs();
    return new Systemd(bus, kind);
  }

  close(): void {
    this.bus.close();
  }

  private managerProperty(name: string): string | number | bigint | boolean {
    return this.bus.call(DEST, PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER, name], 'v')[0]!;
  }

  /** "252.39-1~deb12u2" -> 252; 0 when it cannot be told (the newer properties are then left out). */
  version(): number {
    if (this.cachedVersion === undefined) {
      try {
        this.cachedVersion = Number(/^\D*(\d+)/.exec(String(this.managerProperty('Version')))?.[1] ?? 0);
      } catch (err) {
        log.debug(`systemd version: ${String(err)}`);
        this.cachedVersion = 0;
      }
    }
    return this.cachedVersion;
  }

  /** The manager's own cgroup: "/" for PID 1, "/user.slice/user-1000.slice/user@1000.service" for a user's. */
  controlGroup(): string {
    return String(this.managerProperty('ControlGroup')) || '/';
  }

  /**
   * StartTransientUnit ("replace", as runc), and wait for its job. A unit of that
   * name left failed by an earlier container is reset and the start tried
   * once more (as runc); one still there is an error naming cgroupsPath.
   */
  startUnit(name: string, properties: Property[]): void {
    for (let attempt = 0; ; attempt++) {
      let job: string;
      try {
        job = String(this.bus.call(DEST, PATH, MANAGER, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'replace', properties, []], 'o')[0]);
      } catch (err) {
        if (err instanceof DBusError && err.errorName === 'org.freedesktop.systemd1.UnitExists' && attempt === 0) {
          this.resetFailed(name);
          continue;
        }
        throw unitError(`cannot start systemd unit ${name}`, err);
      }
      const result = this.bus.waitJob(job);
      if (result !== 'done') {
        this.resetFailed(name);
        throw new TsrunError(`cannot start systemd unit ${name}: its job ended "${result}" (journalctl -u ${name})`, { field: FIELD });
      }
      return;
    }
  }

  /** StopUnit and wait; a unit already gone is fine. Then ResetFailedUnit, so a failed one (OOM) is forgotten too. */
  stopUnit(name: string): void {
    try {
      const job = String(this.bus.call(DEST, PATH, MANAGER, 'StopUnit', 'ss', [name, 'replace'], 'o')[0]);
      const result = this.bus.waitJob(job);
      if (result !== 'done') log.warn(`stopping systemd unit ${name}: its job ended "${result}"`);
    } catch (err) {
      if (!(err instanceof DBusError && err.errorName === 'org.freedesktop.systemd1.NoSuchUnit')) throw unitError(`cannot stop systemd unit ${name}`, err);
    }
    this.resetFailed(name);
  }

  resetFailed(name: string): void {
    try {
      this.bus.call(DEST, PATH, MANAGER, 'ResetFailedUnit', 's', [name]);
    } catch (err) {
      log.debug(`reset-failed ${name}: ${String(err)}`);
    }
  }

  /** SetUnitProperties(runtime): the live unit's limits, as `systemctl set-property --runtime`. */
  setProperties(name: string, properties: Property[]): void {
    if (properties.length === 0) return;
    try {
      this.bus.call(DEST, PATH, MANAGER, 'SetUnitProperties', 'sba(sv)', [name, true, properties]);
    } catch (err) {
      throw unitError(`cannot set the properties of systemd unit ${name}`, err);
    }
  }
}

function unitError(what: string, err: unknown): TsrunError {
  if (err instanceof DBusError) return new TsrunError(`${what}: ${err.message} (${err.errorName})`, { field: FIELD, cause: err });
  if (err instanceof TsrunError) return new TsrunError(`${what}: ${err.message}`, { field: FIELD, errno: err.errno, cause: err });
  return new TsrunError(`${what}: ${String(err)}`, { field: FIELD });
}

