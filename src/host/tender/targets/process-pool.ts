/**
 * @module host/tender/targets/process-pool
 * Spare sandboxed processes, started ahead of need (a zygote without the fork): starting
 * bubblewrap, Node and the isolated-vm addon takes well over 60 ms, so the tender keeps a few
 * ready, with every wall raised and no guest in them, and a boot only hands one its image. A
 * spare's resource limits depend on the heap limit, so there is one pool per `--mem`; the pool of
 * the default heap limit fills at the target's first use, others at their own.
 *
 * `TSUKI_PROCESS_SPARES` sets how many spares each pool keeps (default 1; 0 starts every
 * unikernel's process on demand).
 */

import type { LaunchOptions } from "../../sandbox/bwrap.ts";
import type { Sandbox } from "../../sandbox/walls.ts";
import { Sandboxed } from "./process-sandboxed.ts";

const SPARES = Math.max(0, Math.min(64, Number(process.env.TSUKI_PROCESS_SPARES ?? 1) || 0));

export class SparePool {
  #sandbox: Sandbox;
  #options: LaunchOptions;
  #spares: Sandboxed[] = [];

  constructor(sandbox: Sandbox, options: LaunchOptions) {
    this.#sandbox = sandbox;
    this.#options = options;
  }

  /** A started process with no guest in it, held (the caller releases it); rejects if one cannot start. */
  async take(): Promise<Sandboxed> {
    let taken: Sandboxed | undefined;
    while ((taken = this.#spares.shift()) !== undefined && taken.dead !== undefined);
    taken ??= this.#launch();
    taken.hold();
    this.fill();
    await taken.ready;
    return taken;
  }

  /** Starts spares up to the pool's size. */
  fill(): void {
    this.#spares = this.#spares.filter((spare) => spare.dead === undefined);
    while (this.#spares.length < SPARES) {
      const spare = this.#launch();
      this.#spares.push(spare);
      spare.ready.catch(() => (this.#spares = this.#spares.filter((s) => s !== spare)));
    }
  }

  #launch(): Sandboxed {
    const spawned = new Sandboxed(this.#sandbox, this.#options);
    spawned.ready.then(() => spawned.release(), () => undefined);
    return spawned;
  }

  /** Resolves once the pool is full and every spare has started (benchmarks; warming a tender up). */
  async ready(): Promise<void> {
    this.fill();
    await Promise.allSettled(this.#spares.map((spare) => spare.ready));
  }

  /** Ends every spare (tests, and a tender that shuts down). */
  drain(): void {
    for (const spare of this.#spares.splice(0)) spare.kill("the pool was drained");
  }
}
