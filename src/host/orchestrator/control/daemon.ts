/**
 * @module host/orchestrator/control/daemon
 * tsukid's core: the set of unikernels that should run on this host, kept in the state directory
 * (SQLite for the specifications, one file per image) and run through the tender, each tenant's
 * unikernels in a tender thread of their own (tender-threads.ts), never on the thread that runs
 * this code and serves the API. A create is
 * checked in full (name, image, bindings against the image's manifest, limits) before anything is
 * written, acknowledged once it is on disk, and undone if the unikernel cannot boot. Names are
 * claimed synchronously, so of two creates of one name exactly one wins. On start the daemon
 * boots what it finds, in priority order; on SIGTERM it stops them without forgetting them.
 *
 * A tenant's unikernels are admitted again when they are brought back: in priority order, each
 * against the policies recorded for its tenant's path (the latest create under each level wrote
 * them, state-db.ts) and the budgets left by those brought back before it. One that no longer
 * fits (a port outside a narrower range, a target no longer allowed, a budget that is full) is
 * not booted: it stays listed as failed with the policy's reason (event `restore-refused`),
 * still counts against its tenant's budget, and a tenant's restart of it is refused; the tenant
 * destroys it (and creates it again within its policy), or the administrator restarts it.
 *
 * Block volumes are resources of their own, kept by a VolumeSet (store/volume-set.ts): made and
 * destroyed apart from the unikernels that bind them, reconciled with the disk on start.
 *
 * A create's device bindings are read by the run specification's parser (spec/), each named as
 * the request's `devices[i]`; bindings to volumes are resolved to the volume's file, and what is
 * stored is each binding's canonical text, as the one device-URI parser wrote it after checking
 * it against the image.
 */

import { mkdirSync } from "node:fs";
import path from "node:path";
import { type BoundDevice, checkBindings, formatBinding } from "../../spec/bindings.ts";
import { prepareRuntimeScripts } from "../../tender/guest/runtime-script.ts";
import { DaemonError } from "../api/errors.ts";
import type { EventLog } from "../store/event-log.ts";
import { ImageStore, unknownImage } from "../store/image-store.ts";
import { ImageRegistry, type ImageRegistryOptions } from "../store/image-registry.ts";
import { ImageChecker } from "../supervision/image-check.ts";
import { Instance, type InstanceInfo } from "../supervision/instance.ts";
import { BACKOFF_DEFAULTS, type Backoff } from "../supervision/restart-policy.ts";
import { type UnikernelSpec, checkName, specBindings } from "../model/spec.ts";
import { checkSignature } from "../pki/image-trust.ts";
import { StateDb } from "../store/state-db.ts";
import { TenderThreads } from "../supervision/tender-threads.ts";
import type { DescriptorBudget } from "../supervision/descriptors.ts";
import { type Tenant, admit as admitByPolicy, tenantName } from "./tenants.ts";
import { VOLUMES_DIR, type VolumeInfo, type VolumeRecord } from "../store/volumes.ts";
import { VolumeSet } from "../store/volume-set.ts";
import { formatDeviceUri } from "../../spec/device-uri.ts";
import type { KeyObject } from "node:crypto";
import type { Manifest } from "../../../abi/index.ts";
import type { Policy } from "../pki/policy.ts";

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log: EventLog;
  readonly backoff?: Backoff;
  /** Console lines kept per unikernel. */
  readonly ringLines?: number;
  /** When given, only images signed by one of these keys run. */
  readonly trustedKeys?: readonly KeyObject[];
  /** The daemon's descriptor budget: every connection of a unikernel's listeners and connectors takes from it. */
  readonly descriptors?: DescriptorBudget;
  /** Image uploads: how many at once, and how long one waits for its create (image-registry.ts). */
  readonly images?: ImageRegistryOptions;
}

export class Daemon {
  readonly stateDir: string;
  readonly images: ImageStore;
  /** Whose images are whose, uploads and their collection. */
  readonly registry: ImageRegistry;
  readonly log: EventLog;
  /** The tender threads the unikernels run in, one per tenant. */
  readonly threads: TenderThreads;
  #db: StateDb;
  #instances = new Map<string, Instance>();
  #deps;
  #trusted: readonly KeyObject[];
  /** Unikernels not brought back because their tenant's policy no longer admits them, and why. */
  #refused = new Map<string, string>();
  /** Block volumes, as in the database. */
  readonly volumes: VolumeSet;

  constructor(options: DaemonOptions) {
    this.stateDir = options.stateDir;
    this.log = options.log;
    try {
      mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
      this.images = new ImageStore(path.join(this.stateDir, "images"));
      this.#db = new StateDb(path.join(this.stateDir, "state.db"), path.join(this.stateDir, "tenants"));
      mkdirSync(path.join(this.stateDir, VOLUMES_DIR), { recursive: true, mode: 0o700 });
    } catch (error) {
      if (error instanceof DaemonError) throw error;
      throw new DaemonError("STATE_DIR", `cannot use the state directory ${this.stateDir}: ${(error as Error).message}`);
    }
    if (this.#db.migration !== undefined) this.log.emit("state-migrated", { ...this.#db.migration });
    this.volumes = new VolumeSet(this.stateDir, this.#db, this.log, () => [...this.#instances.values()].map((i) => i.spec));
    this.registry = new ImageRegistry(this.images, this.#db, this.log, new ImageChecker(), () => [...this.#instances.values()].map((i) => ({ image: i.spec.image, tenant: i.tenant })), options.images);
    this.#trusted = options.trustedKeys ?? [];
    this.threads = new TenderThreads(this.log, options.descriptors === undefined ? {} : { descriptors: options.descriptors.shared });
    this.#deps = { images: this.images, log: this.log, backoff: options.backoff ?? BACKOFF_DEFAULTS, ringLines: options.ringLines ?? 1024, threads: this.threads };
  }

  /** Boots every stored unikernel, in priority order; one that cannot boot stays listed as failed. */
  async restore(): Promise<void> {
    await prepareRuntimeScripts();
    // Uploads cut off by the daemon's end; then images nothing holds (grace passed, no owner, no user).
    this.images.collect(() => true);
    const stored = this.#db.all();
    this.volumes.reconcile(stored.map((u) => u.spec));
    for (const { spec, created, tenant } of stored) this.#instances.set(spec.name, new Instance(spec, created, this.#deps, tenant));
    this.registry.start();
    const policies = this.#db.tenantPolicies();
    const admitted: UnikernelSpec[] = [];
    let refused = 0;
    for (const { spec, tenant } of stored) {
      const instance = this.#instances.get(spec.name)!;
      // The keys may have changed since it was created.
      if (this.#trusted.length > 0) {
        try {
          checkSignature(spec.image, spec.signature, this.#trusted);
        } catch (error) {
          instance.refuse(error);
          continue;
        }
      }
      if (tenant !== undefined) {
        try {
          this.#readmit(spec, tenant, policies, admitted);
        } catch (error) {
          const code = String((error as DaemonError).code ?? "ERR_INTERNAL");
          // Anything but the policy (its image gone, say) fails its boot as it would the administrator's.
          if (!code.startsWith("ERR_POLICY_")) {
            await instance.exclusive(() => instance.boot()).catch(() => undefined);
            continue;
          }
          const reason = `not brought back when tsukid started: ${(error as Error).message}`;
          this.#refused.set(spec.name, reason);
          this.log.emit("restore-refused", { name: spec.name, tenant, code, reason });
          instance.refuse(Object.assign(new Error(reason), { code }));
          refused++;
          continue;
        }
      }
      admitted.push(spec);
      await instance.exclusive(() => instance.boot()).catch(() => undefined);
    }
    this.log.emit("restored", { unikernels: stored.length, running: [...this.#instances.values()].filter((i) => i.state === "running").length, refused });
  }

  /** Admits a stored tenant's unikernel again, against its path's recorded policies and what was brought back before it. */
  #readmit(spec: UnikernelSpec, tenantPath: string, policies: ReadonlyMap<string, Policy>, admitted: readonly UnikernelSpec[]): void {
    const path = tenantPath.split("/");
    const levels = path.map((_, i) => {
      const level = path.slice(0, i + 1).join("/");
      const policy = policies.get(level);
      if (policy === undefined) throw new DaemonError("POLICY_DENIED", `no policy is recorded for tenant "${level}" in the state database: the tenant creates it again (destroy, then create), or the administrator restarts it`);
      return policy;
    });
    const tenant: Tenant = { path, policies: levels, client: "(restored)" };
    admitByPolicy(tenant, spec, this.images.get(spec.image).manifest, admitted, this.volumes.filesUnder(tenantPath));
  }

  get count(): number {
    return this.#instances.size;
  }

  /** Every unikernel it holds, in no order (metrics read them on each scrape). */
  instances(): IterableIterator<Instance> {
    return this.#instances.values();
  }

  get(name: string): Instance {
    const instance = this.#instances.get(checkName(name));
    if (!instance) throw new DaemonError("NOT_FOUND", `no unikernel named "${name}" on this host: "tsuki list" shows them`);
    return instance;
  }

  list(): InstanceInfo[] {
    return [...this.#instances.values()].sort((a, b) => a.spec.priority - b.spec.priority || a.spec.name.localeCompare(b.spec.name)).map((i) => i.info());
  }

  /**
   * `admit`, when given (a tenant's create over mutual TLS), may refuse the create by throwing or
   * return it amended (connection caps filled in); it runs synchronously with the name's claim,
   * against every unikernel the daemon holds and the files of the volumes under the tenant.
   * Bindings to block volumes (`NAME=volume:FULL`) are resolved to the volume's file in the same
   * synchronous run, so a volume cannot be destroyed between the check and the claim; `nameOf`
   * writes a volume's name as the caller would in an error. What is stored is each binding's
   * canonical text, as the one device-URI parser wrote it after checking it.
   */
  async create(
    spec: UnikernelSpec,
    admit?: (spec: UnikernelSpec, manifest: Manifest, others: readonly UnikernelSpec[], volumeFiles: ReadonlySet<string>) => UnikernelSpec,
    tenant?: Tenant,
    nameOf: (volume: string) => string = (v) => v,
  ): Promise<InstanceInfo> {
    if (this.#instances.has(spec.name)) throw new DaemonError("NAME_TAKEN", `a unikernel named "${spec.name}" already exists: destroy it first, or choose another name`);
    if (this.#trusted.length > 0) checkSignature(spec.image, spec.signature, this.#trusted);
    // A tenant runs only images it (or a sub-tenant) uploaded; another's is answered as one not held.
    if (tenant !== undefined && !this.registry.visible(spec.image, tenantName(tenant))) throw unknownImage(spec.image);
    const image = this.images.get(spec.image);
    const bindings = specBindings(spec).map((binding) => this.volumes.resolve(binding, nameOf));
    const bound = checkBindings(image.manifest, bindings, { path: "api" });
    spec = { ...spec, devices: bindings.map((binding) => canonicalBinding(bound, binding.name) ?? formatBinding(binding)) };
    if (admit !== undefined) spec = admit(spec, image.manifest, [...this.#instances.values()].map((i) => i.spec), this.volumes.filesUnder(tenantName(tenant!)));
    // Claimed before the first await: a second create of the name finds it taken.
    const instance = new Instance(spec, Date.now(), this.#deps, tenant === undefined ? "" : tenantName(tenant));
    this.#instances.set(spec.name, instance);
    this.registry.claimed(spec.image, instance.tenant);
    try {
      if (!this.#db.insert(spec, instance.created, tenant)) throw new DaemonError("NAME_TAKEN", `a unikernel named "${spec.name}" already exists`);
    } catch (error) {
      this.#instances.delete(spec.name);
      throw error;
    }
    this.log.emit("created", { name: spec.name, image: spec.image, target: spec.target, memoryMb: spec.memoryMb, restart: spec.restart, priority: spec.priority });
    try {
      await instance.exclusive(() => instance.boot());
    } catch (error) {
      if (this.#instances.get(spec.name) === instance) {
        this.#db.remove(spec.name);
        this.#instances.delete(spec.name);
        this.registry.collect();
        this.log.emit("create-failed", { name: spec.name, code: (error as { code?: unknown }).code ?? "ERR_INTERNAL", reason: (error as Error).message });
      }
      throw error;
    }
    return instance.info();
  }

  async destroy(name: string): Promise<InstanceInfo> {
    const instance = this.get(name);
    // Forgotten on disk first: a kill -9 from here on does not bring it back.
    this.#db.remove(instance.spec.name);
    this.#instances.delete(instance.spec.name);
    await instance.exclusive(() => instance.halt("stopped: destroyed by the operator"));
    instance.ring.close();
    this.#refused.delete(instance.spec.name);
    this.registry.collect();
    this.log.emit("destroyed", { name: instance.spec.name });
    return instance.info();
  }

  /** `byTenant`: a tenant may not restart what its policy refused at start; the administrator may. */
  async restart(name: string, byTenant = false): Promise<InstanceInfo> {
    const instance = this.get(name);
    const refused = this.#refused.get(instance.spec.name);
    if (refused !== undefined && byTenant) {
      throw new DaemonError("POLICY_DENIED", `"${name}" was ${refused}; restarting it would not change that: destroy it and create it again within the policy`);
    }
    this.#refused.delete(instance.spec.name);
    await instance.exclusive(() => instance.restart());
    this.log.emit("restarted", { name: instance.spec.name, by: "operator" });
    return instance.info();
  }

  /** Stops every unikernel, ends the tender threads and closes the database; what should run stays on disk for next time. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#instances.values()].map((i) => i.exclusive(() => i.halt("stopped: tsukid is shutting down")).catch(() => undefined)));
    await this.threads.close();
    await this.registry.close();
    this.#db.close();
  }

  /** Every block volume, by name. */
  volumeRecords(): VolumeRecord[] {
    return this.volumes.records();
  }

  /** The volume whose file this is, if any. */
  volumeOfFile(file: string): string | undefined {
    return this.volumes.ofFile(file);
  }

  volume(name: string): VolumeRecord {
    return this.volumes.get(name);
  }

  volumeInfo(volume: VolumeRecord): VolumeInfo {
    return this.volumes.info(volume);
  }

  /** Makes a block volume (volume-set.ts); `admit`, a tenant's, may refuse it by throwing. */
  createVolume(name: string, sizeMb: number, admit?: (sizeMb: number, volumes: readonly VolumeRecord[]) => void, tenant?: Tenant, shown = name): VolumeRecord {
    return this.volumes.create(name, sizeMb, admit, tenant === undefined ? undefined : tenantName(tenant), shown);
  }

  /** Forgets a volume and removes its file; refused while a unikernel binds it. `shown` writes a name as the caller would. */
  destroyVolume(name: string, shown: (name: string) => string = (n) => n): VolumeRecord {
    return this.volumes.destroy(name, shown);
  }
}

/** A binding's canonical text, as the one device-URI parser checked it against the image. */
function canonicalBinding(bound: ReadonlyMap<string, BoundDevice>, name: string): string | undefined {
  const device = bound.get(name)?.device;
  return device === undefined ? undefined : `${name}=${formatDeviceUri(device)}`;
}
