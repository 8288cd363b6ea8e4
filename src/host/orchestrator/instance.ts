/**
 * @module host/orchestrator/instance
 * One unikernel the daemon keeps running: its specification, its console ring, and the
 * supervision around the tender's `Unikernel` — boot it, watch it end, decide by the restart
 * policy whether and when to boot it again (backing off on a crash loop), stop it for a destroy
 * or a restart. Operations on one instance run one at a time (`exclusive`), so a restart and a
 * destroy that arrive together cannot interleave.
 *
 * Each boot gets a tender of its own (a small object) whose console sink is this instance's ring,
 * and boots under the daemon's name for the unikernel (`BootOptions.name`): its console lines and
 * the guest's `name` say "web-1", not the image's name, which several unikernels may share.
 *
 * What it uses is read from the tender's `Unikernel` (CPU time, heap, bytes per device) when asked
 * (`stats`, `usage`): nothing is sampled on a timer. Counters are summed over every boot since the
 * daemon started, so they only grow across restarts (as Prometheus expects of a counter).
 */

import type { ExitStatus } from "../../abi/index.ts";
import type { Image } from "../build/image.ts";
import { TsukiError } from "../errors.ts";
import { TARGETS } from "../tender/targets/index.ts";
import { Tender } from "../tender/tender.ts";
import type { Unikernel } from "../tender/unikernel.ts";
import type { DeviceStats } from "../tender/devices/stats.ts";
import { ConsoleRing } from "./console-ring.ts";
import type { EventLog } from "./event-log.ts";
import type { ImageStore } from "./image-store.ts";
import { type Backoff, backoffDelay, decideRestart } from "./restart-policy.ts";
import { type UnikernelSpec, specBindings } from "./spec.ts";

/**
 * starting: booting. running: booted and not ended. backoff: ended, waiting to be booted again.
 * exited: ended and the policy says not again. failed: cannot boot (configuration, image) or ended
 * with a code that says booting again will not help. stopped: stopped by the daemon.
 */
export type InstanceState = "starting" | "running" | "backoff" | "exited" | "failed" | "stopped";

export interface LastExit extends ExitStatus {
  /** When it ended, ms since the epoch. */
  readonly time: number;
}

export interface InstanceDeps {
  readonly images: ImageStore;
  readonly log: EventLog;
  readonly backoff: Backoff;
  readonly ringLines: number;
}

/** A device's counters summed over boots: its kind and every counter of its kind (open connections excluded). */
export type DeviceTotals = { kind: string } & Record<string, number | string>;

/** What an instance has used since the daemon started: the figures metrics are made of. */
export interface Usage {
  readonly cpuMs: number;
  readonly devices: Readonly<Record<string, DeviceTotals>>;
}

export class Instance {
  readonly spec: UnikernelSpec;
  readonly created: number;
  /** The path of the tenant that created it ("acme/web"), or "" for the host's administrator's. */
  readonly tenant: string;
  readonly ring: ConsoleRing;
  #deps: InstanceDeps;
  #state: InstanceState = "stopped";
  #unikernel: Unikernel | undefined;
  #startedAt: number | undefined;
  #restarts = 0;
  #failures = 0;
  #lastExit: LastExit | undefined;
  #error: { code: string; message: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextRestartAt: number | undefined;
  /** Bumped by every stop: a boot or an exit from before it is stale. */
  #generation = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** CPU time and device counters of the boots that have ended. */
  #pastCpuMs = 0;
  #pastDevices: Record<string, DeviceTotals> = {};

  constructor(spec: UnikernelSpec, created: number, deps: InstanceDeps, tenant = "") {
    this.spec = spec;
    this.created = created;
    this.tenant = tenant;
    this.#deps = deps;
    this.ring = new ConsoleRing(deps.ringLines);
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Times it was booted again by its restart policy. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The running unikernel's heap, where its target can tell. */
  heap(): { used: number; limit: number } | undefined {
    return this.#unikernel?.heap();
  }

  /** The running unikernel's devices (this boot); empty when it is not running. */
  deviceStats(): Record<string, DeviceStats> {
    return this.#unikernel?.deviceStats() ?? {};
  }

  /** Runs `op` after every operation before it on this instance. */
  exclusive<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(op);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Boots the unikernel; a configuration or image problem marks it failed and is thrown. */
  async boot(): Promise<void> {
    const generation = this.#generation;
    this.#clearTimer();
    this.#state = "starting";
    this.#error = undefined;
    let unikernel: Unikernel;
    try {
      const image: Image = this.#deps.images.get(this.spec.image);
      const tender = new Tender({ target: TARGETS[this.spec.target], console: { line: (l) => this.ring.push(l.time, l.stream, l.text) } });
      unikernel = await tender.boot(image, { name: this.spec.name, bindings: specBindings(this.spec), args: this.spec.args, memoryMb: this.spec.memoryMb, cpuMs: this.spec.cpuMs });
    } catch (error) {
      if (generation === this.#generation) this.#fail(error);
      throw error;
    }
    if (generation !== this.#generation) {
      unikernel.stop("stopped: superseded while it booted");
      await unikernel.exited;
      return;
    }
    this.#unikernel = unikernel;
    this.#startedAt = Date.now();
    this.#state = "running";
    this.#deps.log.emit("started", { name: this.spec.name, image: this.spec.image, addresses: this.addresses(), restarts: this.#restarts });
    void unikernel.exited.then((status) => this.#ended(unikernel, status, generation));
  }

  /** Stops the unikernel (and any restart waiting), and waits until it has ended. */
  async halt(reason: string): Promise<void> {
    this.#generation++;
    this.#clearTimer();
    const unikernel = this.#unikernel;
    this.#unikernel = undefined;
    if (unikernel !== undefined) {
      if (unikernel.status === undefined) {
        unikernel.stop(reason);
        const status = await unikernel.exited;
        this.#recordExit(status);
      }
      this.#retire(unikernel);
    }
    this.#state = "stopped";
  }

  /** Boots it again at once, from a clean slate (a restart by the operator). */
  async restart(): Promise<void> {
    await this.halt("stopped: restarted by the operator");
    this.#failures = 0;
    await this.boot();
  }

  #ended(unikernel: Unikernel, status: ExitStatus, generation: number): void {
    if (generation !== this.#generation || this.#unikernel !== unikernel) return;
    this.#unikernel = undefined;
    this.#retire(unikernel);
    this.#recordExit(status);
    if (this.#startedAt !== undefined && Date.now() - this.#startedAt >= this.#deps.backoff.stableMs) this.#failures = 0;
    const decision = decideRestart(this.spec.restart, status);
    if (!decision.restart) {
      this.#state = decision.why === "final" ? "failed" : "exited";
      if (decision.why === "final") {
        this.#error = { code: `EXIT_${status.code}`, message: `not restarted: exit code ${status.code} says booting again will not help (${status.reason})` };
        this.#deps.log.emit("failed", { name: this.spec.name, code: status.code, reason: this.#error.message });
      }
      return;
    }
    this.#failures++;
    const delay = backoffDelay(this.#deps.backoff, this.#failures);
    this.#state = "backoff";
    this.#nextRestartAt = Date.now() + delay;
    this.#deps.log.emit("restarting", { name: this.spec.name, delayMs: delay, failures: this.#failures, restarts: this.#restarts + 1 });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#nextRestartAt = undefined;
      this.#restarts++;
      void this.exclusive(() => this.boot()).catch(() => undefined);
    }, delay);
  }

  /** Adds what an ended boot used to the totals. */
  #retire(unikernel: Unikernel): void {
    this.#pastCpuMs += unikernel.cpuTime()?.cpuMs ?? 0;
    this.#pastDevices = addDeviceTotals(this.#pastDevices, unikernel.deviceStats());
  }

  /** CPU time and device counters summed over every boot since the daemon started, read now. */
  usage(): Usage {
    const unikernel = this.#unikernel;
    if (unikernel === undefined) return { cpuMs: this.#pastCpuMs, devices: this.#pastDevices };
    return { cpuMs: this.#pastCpuMs + (unikernel.cpuTime()?.cpuMs ?? 0), devices: addDeviceTotals(this.#pastDevices, unikernel.deviceStats()) };
  }

  #recordExit(status: ExitStatus): void {
    const time = Date.now();
    this.#lastExit = { ...status, time };
    this.#deps.log.emit("exited", { name: this.spec.name, kind: status.kind, code: status.code, reason: status.reason, ranMs: this.#startedAt === undefined ? null : time - this.#startedAt });
  }

  /** Marks it failed without booting it (its image is no longer trusted). */
  refuse(error: unknown): void {
    this.#fail(error);
  }

  #fail(error: unknown): void {
    this.#state = "failed";
    const code = error instanceof TsukiError || (error instanceof Error && "code" in error) ? String((error as { code: unknown }).code) : "ERR_INTERNAL";
    const message = error instanceof Error ? error.message : String(error);
    this.#error = { code, message };
    this.#deps.log.emit("failed", { name: this.spec.name, code, reason: message });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextRestartAt = undefined;
  }

  /** Where each listener and udp device is bound, as URIs (the port the host chose for :0). */
  addresses(): Record<string, string> {
    const unikernel = this.#unikernel;
    if (unikernel === undefined) return {};
    const out: Record<string, string> = {};
    for (const [device, a] of Object.entries(unikernel.addresses)) {
      const binding = this.spec.devices.find((d) => d.startsWith(`${device}=`)) ?? "";
      const scheme = binding.slice(device.length + 1).split(":", 1)[0] ?? "tcp";
      out[device] = `${scheme}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    }
    return out;
  }

  info() {
    const image = this.#imageManifest();
    return {
      name: this.spec.name,
      state: this.#state,
      image: this.spec.image,
      imageName: image?.name ?? null,
      imageVersion: image?.version ?? null,
      target: this.spec.target,
      memoryMb: this.spec.memoryMb,
      cpuMs: this.spec.cpuMs,
      restart: this.spec.restart,
      priority: this.spec.priority,
      devices: this.spec.devices,
      args: this.spec.args,
      signedBy: this.spec.signature?.key ?? null,
      addresses: this.addresses(),
      created: new Date(this.created).toISOString(),
      started: this.#startedAt === undefined || this.#state !== "running" ? null : new Date(this.#startedAt).toISOString(),
      restarts: this.#restarts,
      nextRestart: this.#nextRestartAt === undefined ? null : new Date(this.#nextRestartAt).toISOString(),
      lastExit: this.#lastExit === undefined ? null : { kind: this.#lastExit.kind, code: this.#lastExit.code, reason: this.#lastExit.reason, time: new Date(this.#lastExit.time).toISOString() },
      error: this.#error ?? null,
    };
  }

  stats() {
    const unikernel = this.#unikernel;
    const heap = unikernel?.heap();
    const cpu = unikernel?.cpuTime();
    const usage = this.usage();
    return {
      name: this.spec.name,
      state: this.#state,
      target: this.spec.target,
      uptimeMs: unikernel !== undefined && this.#startedAt !== undefined ? Date.now() - this.#startedAt : 0,
      /** This boot's CPU time (null when it is not running, or the target cannot tell). */
      cpuTimeMs: cpu === undefined ? null : round3(cpu.cpuMs),
      /** Every boot's since the daemon started. */
      cpuTimeTotalMs: round3(usage.cpuMs),
      heap: heap === undefined ? null : { used: heap.used, limit: heap.limit },
      memoryLimitBytes: this.spec.memoryMb * 2 ** 20,
      connections: unikernel?.connections ?? 0,
      /** This boot's devices: bytes in and out, connections, datagrams, block I/O. */
      devices: this.deviceStats(),
      /** The same counters summed over every boot since the daemon started. */
      deviceTotals: usage.devices,
      rejectedCalls: unikernel === undefined ? {} : Object.fromEntries(unikernel.rejectedCalls),
      restarts: this.#restarts,
      lastExit: this.#lastExit === undefined ? null : { kind: this.#lastExit.kind, code: this.#lastExit.code, reason: this.#lastExit.reason },
      console: { lines: this.ring.history().length, total: this.ring.total, dropped: this.ring.dropped, followers: this.ring.followers },
    };
  }

  #imageManifest() {
    try {
      return this.#deps.images.get(this.spec.image).manifest;
    } catch {
      return undefined;
    }
  }
}

/** `totals` plus `stats`' counters (every number but the open connections, a gauge). */
function addDeviceTotals(totals: Readonly<Record<string, DeviceTotals>>, stats: Readonly<Record<string, DeviceStats>>): Record<string, DeviceTotals> {
  const out: Record<string, DeviceTotals> = {};
  for (const [name, t] of Object.entries(totals)) out[name] = { ...t };
  for (const [name, s] of Object.entries(stats)) {
    const into: DeviceTotals = (out[name] ??= { kind: s.kind });
    for (const [key, value] of Object.entries(s)) {
      if (key !== "connections" && typeof value === "number") into[key] = (typeof into[key] === "number" ? (into[key] as number) : 0) + value;
    }
  }
  return out;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

export type InstanceInfo = ReturnType<Instance["info"]>;
export type InstanceStats = ReturnType<Instance["stats"]>;
