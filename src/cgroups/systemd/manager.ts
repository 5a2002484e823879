// The systemd cgroup driver (--systemd-cgroup): systemd owns the container's
// cgroup as a transient unit, and the cgroupfs manager (v1 or v2) works in
// the unit's own directories for what systemd has no property for, as runc's
// driver does. How create uses it (src/lifecycle/create.ts):
//   stage 0 clones the init and says its pid (wait_cgroup with announce);
//   start(pid): StartTransientUnit with PIDs=[pid], Delegate=yes, the
//     resource properties and the annotations; wait for the job;
//   then the cgroupfs flow: prepare() (v1: the hierarchies systemd does not
//   manage; devices), CGROUP to stage 0 (it writes the pid in every
//   hierarchy's cgroup.procs), apply() (the files).
// A unit that is a slice (name ending in .slice) takes no pid: it is started
// in prepare() and the init joins its directories like any cgroup.
import { log } from '../../log.js';
import type { CgroupManager, CgroupPaths, CgroupResources, FreezerState } from '../manager.js';
import type { CgroupStats } from '../stats.js';
import type { Systemd } from './client.js';
import { type Property, baseProperties, needsVersion, resourceProperties, startOnlyProperties } from './properties.js';
import type { SystemdUnit } from './unit.js';

export interface SystemdOptions {
  unit: SystemdUnit;
  /** The cgroupfs manager on the unit's directories. */
  inner: CgroupManager;
  /** org.systemd.property.* annotations, already parsed (an error there fails before anything starts). */
  extra: Property[];
  /** The container id, for the unit's description. */
  id: string;
  /** A connection, made on first use and kept for the command. */
  systemd: () => Systemd;
}

export class SystemdManager implements CgroupManager {
  readonly kind: CgroupManager['kind'];
  readonly unit: SystemdUnit;
  private started = false;

  constructor(private readonly o: SystemdOptions) {
    this.kind = o.inner.kind;
    this.unit = o.unit;
  }

  get isSlice(): boolean {
    return this.unit.name.endsWith('.slice');
  }

  /** A scope is started with its first process: create() has the executor announce the init's pid for it. */
  get needsPid(): boolean {
    return !this.isSlice;
  }

  private properties(resources: CgroupResources, pid?: number): Property[] {
    const sd = this.o.systemd();
    const version = needsVersion(resources) ? sd.version() : 0;
    const v2 = this.kind === 'v2';
    const base = baseProperties({ description: `tsrun container ${this.o.id}`, slice: this.unit.slice, sliceUnit: this.isSlice, pid, v2 });
    const { properties } = resourceProperties(resources, { v2, version, devices: true });
    return [...base, ...properties, ...this.o.extra, ...startOnlyProperties(resources, version)];
  }

  /** The rounded cpu quota systemd keeps is what the files get too. */
  private files(resources: CgroupResources): CgroupResources {
    const version = needsVersion(resources) ? this.o.systemd().version() : 0;
    return resourceProperties(resources, { v2: this.kind === 'v2', version, devices: false }).resources;
  }

  /** Start the scope with the init in it, and wait until systemd has made it. */
  start(pid: number, resources: CgroupResources = {}): void {
    const t0 = process.hrtime.bigint();
    const sd = this.o.systemd();
    const t1 = process.hrtime.bigint();
    sd.startUnit(this.unit.name, this.properties(resources, pid));
    this.started = true;
    const ms = (a: bigint, b: bigint) => (Number(b - a) / 1e6).toFixed(1);
    log.debug(`systemd: connected (libsystemd loaded) in ${ms(t0, t1)} ms, ${this.unit.name} started in ${ms(t1, process.hrtime.bigint())} ms`);
  }

  create(resources: CgroupResources = {}): void {
    this.apply(resources, this.prepare(resources));
  }

  prepare(resources: CgroupResources = {}): string[] {
    if (this.isSlice && !this.started) {
      this.o.systemd().startUnit(this.unit.name, this.properties(resources));
      this.started = true;
    }
    return this.o.inner.prepare(this.files(resources));
  }

  apply(resources: CgroupResources, made: string[]): void {
    this.o.inner.apply(this.files(resources), made);
  }

  addPid(pid: number): void {
    this.o.inner.addPid(pid);
  }

  procsFiles(): string[] {
    return this.o.inner.procsFiles();
  }

  /** update: the unit's properties (devices stay as they are), then the files. */
  set(resources: CgroupResources): void {
    const v2 = this.kind === 'v2';
    const version = needsVersion(resources) ? this.o.systemd().version() : 0;
    const mapped = resourceProperties(resources, { v2, version, devices: false });
    this.o.systemd().setProperties(this.unit.name, mapped.properties);
    this.o.inner.set(mapped.resources);
  }

  pids(): number[] {
    return this.o.inner.pids();
  }

  stats(): CgroupStats {
    return this.o.inner.stats();
  }

  freeze(): void {
    this.o.inner.freeze();
  }

  thaw(): void {
    this.o.inner.thaw();
  }

  freezerState(): FreezerState {
    return this.o.inner.freezerState();
  }

  killAll(signal: number): void {
    if (this.o.inner.exists()) this.o.inner.killAll(signal);
  }

  /** Stop the unit (systemd removes its cgroup), reset it if it failed, then remove what systemd does not manage (v1). */
  destroy(timeoutMs = 5000): void {
    this.o.systemd().stopUnit(this.unit.name);
    this.started = false;
    if (this.o.inner.exists()) this.o.inner.destroy(timeoutMs);
  }

  paths(): CgroupPaths {
    return this.o.inner.paths();
  }

  exists(): boolean {
    return this.o.inner.exists();
  }

  oomKillCount(): number {
    return this.o.inner.oomKillCount();
  }
}
