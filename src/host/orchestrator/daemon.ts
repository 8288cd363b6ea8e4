/**
 * @module host/orchestrator/daemon
 * tsukid's core: the set of unikernels that should run on this host, kept in the state directory
 * (SQLite for the specifications, one file per image) and run through the tender. A create is
 * checked in full (name, image, bindings against the image's manifest, limits) before anything is
 * written, acknowledged once it is on disk, and undone if the unikernel cannot boot. Names are
 * claimed synchronously, so of two creates of one name exactly one wins. On start the daemon
 * boots what it finds, in priority order; on SIGTERM it stops them without forgetting them.
 */

import { mkdirSync } from "node:fs";
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
import type { KeyObject } from "node:crypto";
import type { Manifest } from "../../abi/index.ts";

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
    for (const { spec, created } of stored) this.#instances.set(spec.name, new Instance(spec, created, this.#deps));
    for (const { spec } of stored) {
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
      await instance.exclusive(() => instance.boot()).catch(() => undefined);
    }
    this.log.emit("restored", { unikernels: stored.length, running: [...this.#instances.values()].filter((i) => i.state === "running").length });
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
  async create(spec: UnikernelSpec, admit?: (spec: UnikernelSpec, manifest: Manifest, others: readonly UnikernelSpec[]) => void): Promise<InstanceInfo> {
    if (this.#instances.has(spec.name)) throw new DaemonError("NAME_TAKEN", `a unikernel named "${spec.name}" already exists: destroy it first, or choose another name`);
    if (this.#trusted.length > 0) checkSignature(spec.image, spec.signature, this.#trusted);
    const image = this.images.get(spec.image);
    checkBindings(image.manifest, specBindings(spec));
    admit?.(spec, image.manifest, [...this.#instances.values()].map((i) => i.spec));
    // Claimed before the first await: a second create of the name finds it taken.
    const instance = new Instance(spec, Date.now(), this.#deps);
    this.#instances.set(spec.name, instance);
    try {
      if (!this.#db.insert(spec, instance.created)) throw new DaemonError("NAME_TAKEN", `a unikernel named "${spec.name}" already exists`);
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
    this.#collectImage(instance.spec.image);
    this.log.emit("destroyed", { name: instance.spec.name });
    return instance.info();
  }

  async restart(name: string): Promise<InstanceInfo> {
    const instance = this.get(name);
    await instance.exclusive(() => instance.restart());
    this.log.emit("restarted", { name: instance.spec.name, by: "operator" });
    return instance.info();
  }

  /** Stops every unikernel and closes the database; what should run stays on disk for next time. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#instances.values()].map((i) => i.exclusive(() => i.halt("stopped: tsukid is shutting down")).catch(() => undefined)));
    this.#db.close();
  }

  #collectImage(sha: string): void {
    if (![...this.#instances.values()].some((i) => i.spec.image === sha) && !this.#db.imageInUse(sha)) this.images.remove(sha);
  }
}
