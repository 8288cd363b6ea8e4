/**
 * @module host/orchestrator/supervision/tender-threads
 * Where tsukid's unikernels run: one tender thread (a `node:worker_threads` Worker, see
 * tender-thread.ts and tender-worker.ts) per tenant path — "" for the administrator's
 * unikernels, "acme/web" for those of tenant acme/web — made on the first boot for that tenant
 * and ended once it has had no unikernel for `IDLE_GRACE_MS` (so a restart, or a destroy followed
 * by a create, does not pay for a new thread). The control thread, which serves the API, the
 * metrics and the admin socket, runs no guest code at all; a tenant whose guest spins holds its
 * own thread, and the OS scheduler, not one event loop, shares the CPU between tenants; a thread
 * that keeps a core busy is moved behind the others (cpu-shares.ts).
 *
 * A thread that fails is forgotten at once (its unikernels end as crashed, tender-thread.ts);
 * the next boot for its tenant, a restart by policy say, starts a new one.
 */

import { bundledRuntimeScripts } from "../../tender/guest/runtime-script.ts";
import { CpuShares } from "./cpu-shares.ts";
import type { EventLog } from "../store/event-log.ts";
import { type BootRequest, TenderThread } from "./tender-thread.ts";
import type { ThreadUnikernel } from "./thread-unikernel.ts";

/** How long a tender thread with no unikernel left lives on, waiting for one. */
export const IDLE_GRACE_MS = 2_000;

export class TenderThreads {
  #log: EventLog;
  #graceMs: number;
  #threads = new Map<string, TenderThread>();
  #idle = new Map<TenderThread, NodeJS.Timeout>();
  #runtime: Readonly<Record<string, string>> | undefined;

  #descriptors: SharedArrayBuffer | undefined;
  #shares: CpuShares;
  #tids = new Map<TenderThread, number>();

  /** `descriptors`: the daemon's descriptor budget (`DescriptorBudget.shared`), for every thread's unikernels. */
  constructor(log: EventLog, options: { graceMs?: number; descriptors?: SharedArrayBuffer } = {}) {
    this.#log = log;
    this.#graceMs = options.graceMs ?? IDLE_GRACE_MS;
    this.#descriptors = options.descriptors;
    this.#shares = new CpuShares(log);
  }

  /** Boots a unikernel in its tenant's thread (started now if there is none). */
  boot(tenant: string, request: BootRequest): Promise<ThreadUnikernel> {
    let thread = this.#threads.get(tenant);
    if (thread === undefined) {
      // Bundled once, on the first boot (tsukid bundles them before, in Daemon.restore).
      this.#runtime ??= bundledRuntimeScripts();
      thread = new TenderThread(tenant, { log: this.#log, runtime: this.#runtime, descriptors: this.#descriptors, idle: (t) => this.#idled(t), ended: (t) => this.#ended(t), ready: (t, tid) => this.#ready(t, tid) });
      this.#threads.set(tenant, thread);
    }
    this.#cancelIdle(thread);
    return thread.boot(request);
  }

  /** The tenant's thread, if it has one now. */
  get(tenant: string): TenderThread | undefined {
    return this.#threads.get(tenant);
  }

  /** Tender threads running now. */
  get size(): number {
    return this.#threads.size;
  }

  /** Ends every thread (tsukid's shutdown, once its unikernels are stopped). */
  async close(): Promise<void> {
    for (const timer of this.#idle.values()) clearTimeout(timer);
    this.#idle.clear();
    const threads = [...this.#threads.values()];
    this.#threads.clear();
    this.#shares.close();
    await Promise.all(threads.map((t) => t.close()));
  }

  #idled(thread: TenderThread): void {
    this.#cancelIdle(thread);
    const timer = setTimeout(() => {
      this.#idle.delete(thread);
      if (thread.load > 0 || this.#threads.get(thread.tenant) !== thread) return;
      this.#threads.delete(thread.tenant);
      void thread.close();
    }, this.#graceMs);
    this.#idle.set(thread, timer);
  }

  #cancelIdle(thread: TenderThread): void {
    const timer = this.#idle.get(thread);
    if (timer !== undefined) clearTimeout(timer);
    this.#idle.delete(thread);
  }

  #ready(thread: TenderThread, tid: number): void {
    this.#tids.set(thread, tid);
    this.#shares.track(thread.tenant, tid);
  }

  #ended(thread: TenderThread): void {
    this.#cancelIdle(thread);
    const tid = this.#tids.get(thread);
    this.#tids.delete(thread);
    if (tid !== undefined) this.#shares.untrack(tid);
    if (this.#threads.get(thread.tenant) === thread) this.#threads.delete(thread.tenant);
  }
}
