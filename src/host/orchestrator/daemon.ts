/**
 * @module host/orchestrator/daemon
 * tsukid's core: the set of unikernels that should run on this host, kept in the state directory
 * (SQLite for the specifications, one file per image) and run through the tender. A create is
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
 * A tenant's block files (in STATE/tenants/PATH/, scope.ts) live as long as a unikernel binds
 * them: a destroy (or a create that could not boot) deletes those no other unikernel binds, and
 * a start deletes any that no stored unikernel binds (left by a kill -9 in between), so the disk
 * a tenant holds is what its budget accounts. The administrator's files are never deleted.
 */

import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { checkBindings } from "../tender/bindings.ts";
import { prepareRuntimeScripts } from "../tender/runtime-script.ts";
import { DaemonError } from "./errors.ts";
import type { EventLog } from "./event-log.ts";
import { ImageStore } from "./image-store.ts";
import { Instance, type InstanceInfo } from "./instance.ts";
import { BACKOFF_DEFAULTS, type Backoff } from "./restart-policy.ts";
import { type UnikernelSpec, checkName, specBindings } from "./spec.ts";
import { checkSignature } from "./signing.ts";
import { StateDb } from "./state-db.ts";
import { type Tenant, admit as admitByPolicy } from "./tenants.ts";
import type { KeyObject } from "node:crypto";
import type { Manifest } from "../../abi/index.ts";
import type { Policy } from "./policy.ts";

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log: EventLog;
  readonly backoff?: Backoff;
  /** Console lines kept per unikernel. */
  readonly ringLines?: number;
  /** When given, only images signed by one of these keys run. */
  readonly trustedKeys?: readonly KeyObject[];
}

export class Daemon {
  readonly stateDir: string;
  readonly images: ImageStore;
  readonly log: EventLog;
  #db: StateDb;
  #instances = new Map<string, Instance>();
  #deps;
  #trusted: readonly KeyObject[];
  /** Unikernels not brought back because their tenant's policy no longer admits them, and why. */
  #refused = new Map<string, string>();

  constructor(options: DaemonOptions) {
    this.stateDir = options.stateDir;
    this.log = options.log;
    try {
      mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
      this.images = new ImageStore(path.join(this.stateDir, "images"));
      this.#db = new StateDb(path.join(this.stateDir, "state.db"));
    } catch (error) {
      if (error instanceof DaemonError) throw error;
      throw new DaemonError("STATE_DIR", `cannot use the state directory ${this.stateDir}: ${(error as Error).message}`);
    }
    this.#trusted = options.trustedKeys ?? [];
    this.#deps = { images: this.images, log: this.log, backoff: options.backoff ?? BACKOFF_DEFAULTS, ringLines: options.ringLines ?? 1024 };
  }

  /** Boots every stored unikernel, in priority order; one that cannot boot stays listed as failed. */
  async restore(): Promise<void> {
    await prepareRuntimeScripts();
    const removed = this.images.collect((sha) => this.#db.imageInUse(sha));
    if (removed.length > 0) this.log.emit("images-collected", { images: removed });
    const stored = this.#db.all();
    const removedFiles = this.#collectBlockFiles(stored.map((u) => u.spec));
    if (removedFiles.length > 0) this.log.emit("block-files-collected", { files: removedFiles });
    for (const { spec, created } of stored) this.#instances.set(spec.name, new Instance(spec, created, this.#deps));
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
    admitByPolicy(tenant, spec, this.images.get(spec.image).manifest, admitted);
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
   * `admit`, when given (a tenant's create over mutual TLS), may refuse the create by throwing; it
   * runs synchronously with the name's claim, against every unikernel the daemon holds.
   */
  async create(spec: UnikernelSpec, admit?: (spec: UnikernelSpec, manifest: Manifest, others: readonly UnikernelSpec[]) => void, tenant?: Tenant): Promise<InstanceInfo> {
    if (this.#instances.has(spec.name)) throw new DaemonError("NAME_TAKEN", `a unikernel named "${spec.name}" already exists: destroy it first, or choose another name`);
    if (this.#trusted.length > 0) checkSignature(spec.image, spec.signature, this.#trusted);
    const image = this.images.get(spec.image);
    checkBindings(image.manifest, specBindings(spec));
    admit?.(spec, image.manifest, [...this.#instances.values()].map((i) => i.spec));
    // Claimed before the first await: a second create of the name finds it taken.
    const instance = new Instance(spec, Date.now(), this.#deps);
    this.#instances.set(spec.name, instance);
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
        this.#collectImage(spec.image);
        this.#deleteBlockFiles(spec);
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
    this.#collectImage(instance.spec.image);
    const files = this.#deleteBlockFiles(instance.spec);
    this.log.emit("destroyed", { name: instance.spec.name, ...(files.length > 0 ? { files } : {}) });
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

  /** Stops every unikernel and closes the database; what should run stays on disk for next time. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#instances.values()].map((i) => i.exclusive(() => i.halt("stopped: tsukid is shutting down")).catch(() => undefined)));
    this.#db.close();
  }

  /** The files under STATE/tenants/ that a spec binds. */
  #tenantFiles(spec: Pick<UnikernelSpec, "devices">): string[] {
    const root = `${path.join(this.stateDir, "tenants")}${path.sep}`;
    const files: string[] = [];
    for (const binding of spec.devices) {
      const at = binding.indexOf("=file:");
      if (at < 0) continue;
      const file = path.resolve(binding.slice(at + "=file:".length).split("?", 1)[0]!);
      if (file.startsWith(root)) files.push(file);
    }
    return files;
  }

  /** Deletes the tenant's block files of `spec` that no unikernel the daemon holds binds; returns them. */
  #deleteBlockFiles(spec: UnikernelSpec): string[] {
    const bound = new Set([...this.#instances.values()].flatMap((i) => this.#tenantFiles(i.spec)));
    const deleted = this.#tenantFiles(spec).filter((file) => !bound.has(file));
    for (const file of deleted) rmSync(file, { force: true });
    return deleted;
  }

  /** Deletes every file under STATE/tenants/ that none of `specs` binds (left by a kill -9); returns them. */
  #collectBlockFiles(specs: readonly UnikernelSpec[]): string[] {
    const bound = new Set(specs.flatMap((spec) => this.#tenantFiles(spec)));
    const root = path.join(this.stateDir, "tenants");
    let entries: string[];
    try {
      entries = readdirSync(root, { recursive: true, encoding: "utf8" });
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const entry of entries) {
      const file = path.join(root, entry);
      try {
        if (bound.has(file) || !statSync(file).isFile()) continue;
      } catch {
        continue;
      }
      rmSync(file, { force: true });
      removed.push(file);
    }
    return removed;
  }

  #collectImage(sha: string): void {
    if (![...this.#instances.values()].some((i) => i.spec.image === sha) && !this.#db.imageInUse(sha)) this.images.remove(sha);
  }
}
