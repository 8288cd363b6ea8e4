/**
 * @module host/tender/targets/unix
 * The development target: the guest runs in a `node:vm` context of the tender's own isolate, so
 * `node --inspect` sees it like any other code and breakpoints work. It speaks the same ABI with
 * the same host-side validation, but promises no walls: no heap limit (the tender's heap is
 * shared), and the CPU watchdog covers only the synchronous part of a turn, not promise jobs.
 * Never use it for code you do not trust.
 *
 * It needs `node --experimental-vm-modules` (the `tsuki` command passes it) to evaluate the
 * image's ES module with real module semantics.
 */

import vm from "node:vm";
import type { BootInfo, GuestEntry, GuestEvent } from "../../../abi/index.ts";
import { TsukiError } from "../../common/errors.ts";
import { driversScript, runtimeScript, webScript } from "../guest/runtime-script.ts";
import type { Declaration, GuestOptions, SyncGuest, SyncTarget, TurnEnd } from "./target.ts";

const turnScript = new vm.Script("globalThis[Symbol.for('tsuki.turn')]()", { filename: "tsuki:turn" });

/**
 * A guest's unhandled promise rejection reaches the tender's process here, through Node's
 * `unhandledRejection`, with the guest's own value: it goes to the runtime of the guest whose
 * realm made the promise (known by that realm's %Promise.prototype%, taken before any guest code
 * ran), which prints it and aborts the unikernel, as on the other targets. A rejection of no
 * guest's is the tender's own: it is printed and ignored, rather than end every unikernel here.
 */
const guestsByPromise = new Map<object, UnixGuest>();
let rejectionsTamed = false;
function tameRejections(): void {
  if (rejectionsTamed) return;
  rejectionsTamed = true;
  process.on("unhandledRejection", (reason, promise) => {
    const guest = guestsByPromise.get(Object.getPrototypeOf(promise) as object);
    if (guest !== undefined) return guest.rejected(reason);
    process.stderr.write(`tsuki (unix target): ignoring an unhandled promise rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
  });
}

class UnixGuest implements SyncGuest {
  #context: vm.Context;
  #entry: GuestEntry;
  #module: vm.SourceTextModule;
  #cpuMs: number;
  #work: () => unknown = () => undefined;
  /** This realm's %Promise.prototype%, the key of `guestsByPromise`. */
  #promises: object;
  #ended: ((end: TurnEnd) => void) | undefined;

  constructor(options: GuestOptions) {
    if (typeof vm.SourceTextModule !== "function") {
      throw new TsukiError("FLAG_VALUE", "the unix target needs node --experimental-vm-modules; run it through the tsuki command, which passes the flag");
    }
    tameRejections();
    this.#cpuMs = options.cpuMs;
    this.#context = vm.createContext({}, { name: `tsuki:${options.name}`, codeGeneration: { strings: true, wasm: true } });
    Object.defineProperty(this.#context, "__tsukiHypercall", { value: options.hypercall, configurable: true });
    Object.defineProperty(this.#context, Symbol.for("tsuki.turn"), { value: () => this.#work() });
    this.#promises = vm.runInContext("Object.getPrototypeOf(Promise.resolve())", this.#context) as object;
    vm.runInContext(runtimeScript(), this.#context, { filename: "tsuki:runtime" });
    if (options.web) vm.runInContext(webScript(), this.#context, { filename: "tsuki:web" });
    if (options.drivers) vm.runInContext(driversScript(), this.#context, { filename: "tsuki:drivers" });
    this.#entry = vm.runInContext("const entry = globalThis.__tsukiEntry; delete globalThis.__tsukiEntry; entry", this.#context) as GuestEntry;
    try {
      this.#module = new vm.SourceTextModule(options.entry, { context: this.#context, identifier: `tsuki:image/${options.name}/main.js` });
    } catch (error) {
      throw new TsukiError("IMAGE_MALFORMED", `the image's main.js does not compile: ${(error as Error).message}`);
    }
    if (this.#module.dependencySpecifiers.length > 0) {
      throw new TsukiError("IMAGE_MALFORMED", `the image's main.js imports ${this.#module.dependencySpecifiers.join(", ")}, but an image's module must not import anything`);
    }
    this.#ended = options.ended;
    guestsByPromise.set(this.#promises, this);
  }

  evaluate(): TurnEnd | undefined {
    return this.#turn(() => {
      this.#module.linkRequests([]);
      this.#module.instantiate();
      void this.#module.evaluate({ timeout: this.#cpuMs }).catch(() => undefined);
      if (this.#module.status === "errored") throw this.#module.error;
    });
  }

  declaration(): Declaration {
    return this.#entry.declaration(this.#main());
  }

  boot(info: BootInfo): TurnEnd | undefined {
    return this.#turn(() => this.#entry.boot(structuredClone(info), this.#main()));
  }

  dispatch(events: readonly GuestEvent[], now: number): TurnEnd | undefined {
    return this.#turn(() => this.#entry.dispatch(events, now));
  }

  busy(): boolean {
    return this.#entry.busy();
  }

  heap() {
    return undefined;
  }

  dispose(): void {
    this.#work = () => undefined;
    guestsByPromise.delete(this.#promises);
  }

  /** A promise of this guest's was rejected and nobody handled it: the runtime prints it (guest code, so under the watchdog) and aborts. */
  rejected(reason: unknown): void {
    const end = this.#turn(() => this.#entry.rejected(reason));
    if (end !== undefined) this.#ended?.(end);
  }

  #main(): unknown {
    return (this.#module.namespace as { default?: unknown }).default;
  }

  #turn(work: () => unknown): TurnEnd | undefined {
    this.#work = work;
    try {
      turnScript.runInContext(this.#context, { timeout: this.#cpuMs });
      return undefined;
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return { kind: "cpu-limit" };
      return { kind: "threw", error };
    } finally {
      this.#work = () => undefined;
    }
  }
}

export const unixTarget: SyncTarget = {
  name: "unix",
  walls: ["none: the guest shares the tender's isolate and heap (development and debugging only); --mem is not held", "CPU watchdog on the synchronous part of each turn (--cpu-ms)"],
  create: (options) => new UnixGuest(options),
};
