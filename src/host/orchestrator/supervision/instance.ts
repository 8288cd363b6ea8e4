/**
 * @module host/orchestrator/supervision/instance
 * One unikernel the daemon keeps running: its specification, its console ring, and the
 * supervision around it — boot it, watch it end, decide by the restart policy whether and when
 * to boot it again (backing off on a crash loop), stop it for a destroy or a restart. Operations
 * on one instance run one at a time (`exclusive`), so a restart and a destroy that arrive
 * together cannot interleave.
 *
 * Supervision lives here, on tsukid's control thread; the unikernel itself runs in its tenant's
 * tender thread (tender-threads.ts), booted by a tender there under the daemon's name for it
 * (`BootOptions.name`): its console lines and the guest's `name` say "web-1", not the image's
 * name, which several unikernels may share. Its console lines come back to this instance's ring.
 *
 * What it uses (CPU time, heap, bytes per device) is asked of its thread when wanted (`sample`,
 * `stats`): nothing is sampled on a timer. A thread busy in a long guest turn does not hold the
 * answer up: past a deadline the last figures received are used and marked stale. Counters are
 * summed over every boot since the daemon started, so they only grow across restarts (as
 * Prometheus expects of a counter).
 */

import type { ExitStatus } from "../../../abi/index.ts";
import type { Image } from "../../image/image.ts";
import { TsukiError } from "../../common/errors.ts";
import { checkConsoleLimits } from "../../tender/console-limits.ts";
import type { InstanceInfo, InstanceState, InstanceStats } from "../api/info.ts";
import { ConsoleRing } from "./console-ring.ts";
import type { EventLog } from "../store/event-log.ts";
import type { ImageStore } from "../store/image-store.ts";
import { type Backoff, backoffDelay, decideRestart } from "./restart-policy.ts";
import { type UnikernelSpec, specBindings } from "../model/spec.ts";
import type { TenderThreads } from "./tender-threads.ts";
import type { ThreadUnikernel } from "./thread-unikernel.ts";
import { type Sample, UsageTotals } from "./usage.ts";

export type { InstanceInfo, InstanceState, InstanceStats } from "../api/info.ts";

export interface LastExit extends ExitStatus {
  /** When it ended, ms since the epoch. */
  readonly time: number;
}

export interface InstanceDeps {
  readonly images: ImageStore;
  readonly log: EventLog;
  readonly backoff: Backoff;
  readonly ringLines: number;
  readonly threads: TenderThreads;
}

export class Instance {
  readonly spec: UnikernelSpec;
  readonly created: number;
  /** The path of the tenant that created it ("acme/web"), or "" for the host's administrator's. */
  readonly tenant: string;
  readonly ring: ConsoleRing;
  #deps: InstanceDeps;
  #state: InstanceState = "stopped";
  #unikernel: ThreadUnikernel | undefined;
  /** A unikernel being halted: no longer this boot, not yet in the totals. */
  #halting: ThreadUnikernel | undefined;
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
  #past = new UsageTotals();

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
    let unikernel: ThreadUnikernel;
    try {
      const image: Image = this.#deps.images.get(this.spec.image);
      unikernel = await this.#deps.threads.boot(this.tenant, {
        target: this.spec.target,
        image,
        options: { name: this.spec.name, bindings: specBindings(this.spec), args: this.spec.args, memoryMb: this.spec.memoryMb, cpuMs: this.spec.cpuMs, ...(this.spec.console === undefined ? {} : { console: this.spec.console }) },
        console: (stream, text, time, tender) => this.ring.push(time, stream, text, tender),
      });
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
        this.#halting = unikernel;
        unikernel.stop(reason);
        const status = await unikernel.exited;
        this.#recordExit(status);
      }
      this.#retire(unikernel);
      if (this.#halting === unikernel) this.#halting = undefined;
    }
    this.#state = "stopped";
  }

  /** Boots it again at once, from a clean slate (a restart by the operator). */
  async restart(): Promise<void> {
    await this.halt("stopped: restarted by the operator");
    this.#failures = 0;
    await this.boot();
  }

  #ended(unikernel: ThreadUnikernel, status: ExitStatus, generation: number): void {
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

  /** Adds what an ended boot used (its figures as it ended) to the totals. */
  #retire(unikernel: ThreadUnikernel): void {
    this.#past.add(unikernel.figures);
  }

  /**
   * This boot's figures and every boot's totals, read now from the unikernel's thread, or within
   * STATS_DEADLINE_MS the last it sent (`stale`). A boot retired while the figures were on their
   * way is counted once, in the totals.
   */
  async sample(tries = 2): Promise<Sample> {
    const unikernel = this.#unikernel ?? this.#halting;
    if (unikernel === undefined) return { boot: undefined, usage: this.#past.with(), stale: false };
    const { figures, stale } = await unikernel.sample();
    const current = unikernel === this.#unikernel;
    if (!current && unikernel !== this.#halting) {
      // Retired meanwhile: its figures are in the totals; a boot that replaced it is read next.
      return tries > 1 && this.#unikernel !== undefined ? this.sample(tries - 1) : { boot: undefined, usage: this.#past.with(), stale: false };
    }
    return { boot: current ? figures : undefined, usage: this.#past.with(figures), stale };
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

  info(): InstanceInfo {
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
      console: this.consoleLimits(),
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

  async stats(): Promise<InstanceStats> {
    const { boot, usage, stale } = await this.sample();
    const heap = boot?.heap ?? null;
    const cpu = boot?.cpuTime ?? null;
    return {
      name: this.spec.name,
      state: this.#state,
      target: this.spec.target,
      uptimeMs: boot !== undefined && this.#startedAt !== undefined ? Date.now() - this.#startedAt : 0,
      /** This boot's CPU time (null when it is not running, or the target cannot tell). */
      cpuTimeMs: cpu === null ? null : round3(cpu.cpuMs),
      /** Every boot's since the daemon started. */
      cpuTimeTotalMs: round3(usage.cpuMs),
      heap: heap === null ? null : { used: heap.used, limit: heap.limit },
      /** All of its memory as the limit counts it: V8's heap, what V8 counts outside it and what the runtime charged (external), reservations V8 does not count (reserved). */
      memory: boot?.memory ?? null,
      memoryLimitBytes: this.spec.memoryMb * 2 ** 20,
      connections: boot?.connections ?? 0,
      /** This boot's devices: bytes in and out, connections, datagrams, block I/O. */
      devices: boot?.devices ?? {},
      /** The same counters summed over every boot since the daemon started. */
      deviceTotals: usage.devices,
      rejectedCalls: boot?.rejectedCalls ?? {},
      /** CPU time, heap, connections and devices are the last its tender thread sent: it is inside a long guest turn. */
      stale,
      restarts: this.#restarts,
      lastExit: this.#lastExit === undefined ? null : { kind: this.#lastExit.kind, code: this.#lastExit.code, reason: this.#lastExit.reason },
      console: {
        lines: this.ring.held,
        total: this.ring.total,
        /** Dropped from the ring (the oldest, past its lines or bytes); they were written. */
        dropped: this.ring.dropped,
        followers: this.ring.followers,
        /** Every boot's: lines the tender dropped over the rate and burst, dropped with its reader behind, and cut at 16 KiB. */
        rateDropped: usage.console.droppedRate,
        backlogDropped: usage.console.droppedBacklog,
        truncated: usage.console.truncated,
        limits: this.consoleLimits(),
      },
    };
  }

  /** The console limits it runs with: what its spec asked for, the tender's defaults for the rest. */
  consoleLimits(): { rate: number; burst: number } {
    return checkConsoleLimits(this.spec.console ?? {}, "api");
  }

  #imageManifest() {
    try {
      return this.#deps.images.get(this.spec.image).manifest;
    } catch {
      return undefined;
    }
  }
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

