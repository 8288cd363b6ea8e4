/**
 * @module guest/runtime
 * The guest runtime: the code every unikernel runs before its image, the way Solo5's bindings sit
 * under a Mirage unikernel. From nothing but the raw hypercall function it builds the global scope
 * a TypeScript program expects (console, timers, TextEncoder/TextDecoder, atob/btoa,
 * performance.now, crypto with `subtle` loaded on first use, structuredClone, DOMException) and
 * the entry points the target calls: `boot`, `dispatch` and `busy` (and, on the isolate target, `deferSends` and
 * `takeSends`: udp datagrams and net frames collected after each turn, see docs/abi.md).
 *
 * Lifecycle: `boot` checks the image's default export, builds `start`'s context and calls `start`.
 * An uncaught exception, in `start` or in a timer, prints its stack and aborts the unikernel. So
 * does a rejection nobody handles: of a promise a timer or microtask callback returned, seen here
 * with the guest's own value (`unhandled rejection: { code: 42 }`); of any other promise, reported
 * by the target after the turn (isolated-vm, on the isolate and process targets) or handed to
 * `rejected` (the unix target, from Node's `unhandledRejection`).
 * `exit()` and `abort()` end it at once: the host records the end and ignores the guest from then
 * on, and the runtime throws an `ExitSignal` to unwind the guest's stack.
 */

import { type BootInfo, type GuestEntry, type GuestEvent, type HypercallFn, decodeEventBatch } from "../../abi/index.ts";
import { UNIKERNEL_BRAND } from "../sdk/unikernel.ts";
import { makeAssets } from "./core/assets.ts";
import { atob, btoa } from "./web/base64.ts";
import { structuredClone } from "./web/clone.ts";
import { makeConsole } from "./core/console.ts";
import { makeCrypto, subtleLoader } from "./web/crypto.ts";
import { DOMException, defineLegacyConstants } from "./web/dom-exception.ts";
import { TextDecoder, TextEncoder } from "./web/encoding.ts";
import { inspect } from "./core/format.ts";
import { harden } from "./core/hardening.ts";
import { makeCall } from "./core/hypercall.ts";
import { limitMemory } from "./core/memory/limits.ts";
import type { Drivers, DriversFactory } from "./drivers/index.ts";
import { Timers } from "./core/timers.ts";
import { defineLazy } from "./core/define-lazy.ts";

/** Thrown by `exit()` and `abort()` to unwind the guest; never reported as an error. */
class ExitSignal {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** The entry points a target calls (`GuestEntry`, src/abi), and the one the drivers script calls. */
export interface Runtime extends GuestEntry {
  /** Called by the drivers script, before `boot`, in guests whose image declares devices. */
  attachDrivers(factory: DriversFactory): void;
}

export function install(raw: HypercallFn, global: typeof globalThis = globalThis): Runtime {
  harden();
  limitMemory(global);
  const call = makeCall(raw);
  const encoder = new TextEncoder();
  const monotonic = () => call("clock.monotonic");
  const origin = monotonic();
  const wallOrigin = call("clock.wall");
  /**
   * The loop time (libuv's `uv_now`): when the current turn began, on performance.now()'s clock.
   * The host hands it over with each batch of events, so reading it costs no hypercall; libraries
   * measure timeouts with it (tsuki's `loopTime()`).
   */
  let loop = 0;

  const exit = (code: number = 0): never => {
    drivers?.flushSends();
    call("life.exit", code);
    throw new ExitSignal(code);
  };
  const abort = (reason: string = "abort() called"): never => {
    const text = String(reason);
    drivers?.flushSends();
    call("life.abort", text);
    throw new ExitSignal(1);
  };
  const report = (error: unknown) => {
    if (error instanceof ExitSignal) return;
    try {
      console.error("Uncaught", error);
    } finally {
      abort(`uncaught ${firstLine(error)}`);
    }
  };

  /** For promise reactions: the ExitSignal of report() must not become an unhandled rejection. */
  const reportQuietly = (error: unknown) => {
    try {
      report(error);
    } catch {}
  };

  /** A rejection nobody handled: printed as browsers print it, and the unikernel aborts naming the value. */
  const rejected = (reason: unknown) => {
    if (reason instanceof ExitSignal) return;
    try {
      try {
        console.error("Uncaught (in promise)", typeof reason === "string" ? inspect(reason) : reason);
      } finally {
        abort(`unhandled rejection: ${valueLine(reason)}`);
      }
    } catch {}
  };

  const timers = new Timers({ now: () => monotonic() - origin, arm: (d) => call("timer.arm", d === Infinity ? d : d + origin), report, rejected });
  const console = makeConsole((stream, bytes) => call("console.write", stream, bytes), (text) => encoder.encode(text), () => monotonic() - origin);
  /** The device drivers, attached by the drivers script in guests that declare devices. */
  let drivers: Drivers | undefined;
  const subtle = subtleLoader(call, { encode: (text) => encoder.encode(text), decode: (bytes) => new TextDecoder().decode(bytes) });
  const performance = Object.freeze({ now: () => monotonic() - origin, timeOrigin: wallOrigin, toJSON: () => ({ timeOrigin: wallOrigin }) });

  define(global, {
    console,
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimeout: timers.clearTimeout,
    clearInterval: timers.clearInterval,
    queueMicrotask: timers.queueMicrotask,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
    structuredClone,
    performance,
    crypto: Object.freeze(makeCrypto((n) => call("random.fill", n), subtle)),
  });
  defineLazy(global, "CryptoKey", () => subtle().CryptoKey);
  defineLazy(global, "SubtleCrypto", () => subtle().SubtleCrypto);
  defineLazy(global, "DOMException", () => {
    defineLegacyConstants();
    return DOMException;
  });
  Object.defineProperty(global, Symbol.for("tsuki.hypercall"), { value: raw });
  Object.defineProperty(global, Symbol.for("tsuki.loopTime"), { value: () => loop });

  function declaration(main: unknown): ReturnType<Runtime["declaration"]> {
    if (!isUnikernel(main)) {
      // A Workers-style module: the build makes it a unikernel (host/build/workers.ts).
      const workers = workersHandlers(main);
      if (workers.length > 0) return { devices: {}, assets: null, workers };
      throw new TypeError(`the default export is not a unikernel: write "export default unikernel({ start() { ... } })" (got ${inspect(main, { depth: 0 })})`);
    }
    const devices: Record<string, { kind: string; optional?: true; origin?: string }> = {};
    for (const [name, decl] of Object.entries(main.devices as Record<string, { kind?: unknown; optional?: unknown; origin?: unknown }>)) {
      devices[name] = { kind: String(decl?.kind), ...(decl?.optional === true ? { optional: true } : {}), ...(typeof decl?.origin === "string" ? { origin: decl.origin } : {}) };
    }
    return { devices, assets: typeof main.assets === "string" ? main.assets : null };
  }

  function boot(info: BootInfo, main: unknown) {
    loop = monotonic() - origin;
    try {
      const declared = declaration(main);
      if (declared.workers !== undefined) abort("the image's default export is a Workers-style module ({ fetch }) that tsuki build did not make into a unikernel: build the module with tsuki build, which serves it through tsuki/workers");
      // Every device booted must be declared, and every declared device booted unless it is optional.
      const required = Object.keys(declared.devices).filter((name) => !declared.devices[name]!.optional);
      const booted = Object.keys(info.devices);
      if (booted.some((name) => !Object.hasOwn(declared.devices, name)) || required.some((name) => !Object.hasOwn(info.devices, name))) {
        abort(`the image's code declares devices [${Object.keys(declared.devices).sort()}] but the tender booted [${booted.sort()}]`);
      }
      const context: Record<string, unknown> = {};
      const devices = Object.entries(info.devices);
      if (devices.length > 0 && drivers === undefined) abort("the tender booted devices without loading the device drivers");
      // The declaration goes along: a connector's fetch limits live only there.
      for (const [name, device] of devices) context[name] = drivers!.make(name, device, (main as { devices: Record<string, unknown> }).devices[name]);
      Object.assign(context, {
        console,
        args: deepFreeze(info.args),
        assets: makeAssets(info.assets, call, (bytes) => new TextDecoder().decode(bytes)),
        name: info.name,
        exit,
        abort,
      });
      const result = (main as { start: (c: unknown) => unknown }).start(Object.freeze(context));
      if (isThenable(result)) result.then(undefined, reportQuietly);
    } catch (error) {
      report(error);
    }
  }

  function dispatch(events: readonly GuestEvent[], now: number) {
    // Never backwards, whatever the caller passes.
    if (now - origin > loop) loop = now - origin;
    // Nothing thrown here leaves the turn but the ExitSignal: what the target sees thrown after a turn is a rejection nobody handled.
    try {
      for (const event of events) {
        if (event.type === "timer") timers.fire();
        else drivers?.dispatch(event);
      }
    } catch (error) {
      report(error);
    }
  }

  return {
    boot,
    dispatch,
    dispatchBatch: (json, bytes, now) => dispatch(decodeEventBatch(json, bytes), now),
    busy: () => timers.pending > 0,
    declaration,
    attachDrivers: (factory) => void (drivers ??= factory(call, (text) => encoder.encode(text))),
    deferSends: (datagrams, frames) => drivers?.deferSends(datagrams === true, frames === true),
    takeSends: () => drivers?.takeSends(),
    rejected,
    limit: (memoryMb) => timers.limit(Number(memoryMb)),
  };
}

/**
 * Installs globals like the web platform's: writable, configurable, not enumerable. The runtime
 * script is minified with mangled local names (each isolate holds its source: ~20 KiB less per
 * unikernel), so functions and classes get their public names back here.
 */
function define(global: object, values: Record<string, unknown>) {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "function") Object.defineProperty(value, "name", { value: name, configurable: true });
    Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

function isUnikernel(value: unknown): value is { devices: object; assets: unknown; start: Function } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v[UNIKERNEL_BRAND] === true && typeof v.start === "function" && typeof v.devices === "object" && v.devices !== null;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** A value on one line, for an exit reason: an error's name and message, anything else as `inspect` shows it. */
function valueLine(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Error ? `${value.name}: ${value.message}` : inspect(value, { depth: 1, breakLength: Infinity });
  } catch {
    text = "a value that cannot be printed";
  }
  return text.split("\n", 1)[0]!.slice(0, 200);
}

function firstLine(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : `exception: ${inspect(error, { depth: 0 })}`;
  } catch {
    text = "exception (unprintable)";
  }
  return text.split("\n", 1)[0]!.slice(0, 200);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** The handlers of a Workers-style default export (`export default { fetch(request, env, ctx) }`), if it is one. */
function workersHandlers(main: unknown): string[] {
  if (typeof main !== "object" || main === null) return [];
  const handlers = ["fetch", "scheduled", "queue", "email", "tail", "trace"].filter((name) => typeof (main as Record<string, unknown>)[name] === "function");
  return handlers.includes("fetch") ? handlers : [];
}
