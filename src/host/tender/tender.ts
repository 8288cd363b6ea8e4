/**
 * @module host/tender/tender
 * The tender: boots images on a target and keeps any number of unikernels in one process. Booting
 * checks everything the operator gave against the image (device bindings, limits) before any guest
 * code runs; a unikernel that misbehaves ends with an exit reason and the tender goes on.
 */

import { ExitCode, type ExitStatus, IMAGE_NAME } from "../../abi/index.ts";
import type { Image } from "../image/image.ts";
import { TsukiError } from "../common/errors.ts";
import { type Binding, checkBindings } from "../spec/bindings.ts";
import { SpecProblem, checkLimits } from "../spec/run-spec.ts";
import type { ConsoleSink } from "./console.ts";
import type { ConsoleLimits } from "./console-limits.ts";
import { type DescriptorGate, openDevices } from "./devices/index.ts";
import type { Target } from "./targets/index.ts";
import { Unikernel } from "./unikernel.ts";

export { CPU_RANGE_MS, LIMIT_DEFAULTS, MEMORY_RANGE_MB } from "../spec/limits.ts";

export interface BootOptions {
  /**
   * What the operator calls this unikernel: its console lines are labelled with it and the guest
   * receives it as `name` (tsukid passes its own name for the unikernel, which may be a path
   * under a tenant: `acme/web-1`). Default: the image's name.
   */
  readonly name?: string;
  readonly bindings?: readonly Binding[];
  readonly args?: Readonly<Record<string, unknown>>;
  readonly memoryMb?: number;
  readonly cpuMs?: number;
  /** How many console lines a second it may write, and in what bursts (console-limits.ts); partial limits take the defaults for the rest. */
  readonly console?: Partial<ConsoleLimits>;
  /**
   * The host's descriptor budget, shared by everything it runs (tsukid's): every connection a
   * listener accepts or a connector makes takes one, and is refused when none is left.
   */
  readonly descriptors?: DescriptorGate;
}

/** A unikernel's name: segments like an image's name, joined by "/" (at most 16). */
function validName(name: string): boolean {
  const segments = name.split("/");
  return segments.length <= 16 && segments.every((segment) => IMAGE_NAME.test(segment));
}

export class Tender {
  readonly target: Target;
  #console: ConsoleSink;
  #live = new Set<Unikernel>();
  #origin = performance.now();

  constructor(options: { target: Target; console: ConsoleSink }) {
    this.target = options.target;
    this.#console = options.console;
  }

  /** The unikernels that have booted and not yet ended. */
  get live(): ReadonlySet<Unikernel> {
    return this.#live;
  }

  /**
   * Boots `image`: checks the limits and bindings, opens the devices, then enters `start`. Resolves
   * once `start` has been entered (or the unikernel has already ended); rejects with a TsukiError
   * when the configuration does not fit, before any guest code runs.
   */
  async boot(image: Image, options: BootOptions = {}): Promise<Unikernel> {
    // What a library caller gives, checked by the run specification's own checkers, named as BootOptions names it.
    let limits: ReturnType<typeof checkLimits>;
    try {
      limits = checkLimits({ ...(options.memoryMb === undefined ? {} : { memoryMb: options.memoryMb }), ...(options.cpuMs === undefined ? {} : { cpuMs: options.cpuMs }), ...(options.console === undefined ? {} : { console: options.console }) }, "api");
    } catch (error) {
      if (error instanceof SpecProblem) throw new TsukiError("FLAG_VALUE", error.message);
      throw error;
    }
    const { memoryMb, cpuMs, console: consoleLimits } = limits;
    if (options.name !== undefined && !validName(options.name)) {
      throw new TsukiError("FLAG_VALUE", `unikernel name ${JSON.stringify(options.name).slice(0, 80)} is not valid: use 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit, or such segments joined by "/" (tsukid's names under a tenant, acme/web-1)`);
    }
    const bound = checkBindings(image.manifest, options.bindings ?? []);
    const devices = bound.size === 0 ? [] : await openDevices(image.manifest, bound, options.name ?? image.manifest.name, options.descriptors);
    const unikernel = new Unikernel(image, {
      ...(options.name === undefined ? {} : { name: options.name }),
      devices,
      target: this.target,
      console: this.#console,
      consoleLimits,
      args: options.args ?? {},
      memoryMb,
      cpuMs,
      now: () => performance.now() - this.#origin,
    });
    if (unikernel.status === undefined) {
      this.#live.add(unikernel);
      void unikernel.exited.then(() => this.#live.delete(unikernel));
    }
    // At once on the in-process targets; a guest in another process answers later.
    await unikernel.started;
    return unikernel;
  }

  /** Stops every live unikernel and waits for them to end. */
  async stopAll(reason = "stopped: the tender is shutting down", code: number = ExitCode.SIGTERM): Promise<ExitStatus[]> {
    const ending = [...this.#live].map((u) => {
      u.stop(reason, code);
      return u.exited;
    });
    return Promise.all(ending);
  }
}
