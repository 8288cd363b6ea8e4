/**
 * @module guest/runtime/core/memory/limits
 * What the guest runtime does so that --mem holds for all of a unikernel's memory, before any
 * guest code runs (README, "Memory"). V8's heap is the heap guard's business (a native guard the
 * tender loads into the isolate, src/host/tender/memory/guard.cc); what V8 does not count or
 * cannot refuse in time goes through the guard's ledger here:
 *
 *   WebAssembly     every memory gets a maximum the budget holds, reserved in full; compiled code
 *                   is charged by module size; the promise forms work (wasm.ts)
 *   ArrayBuffer     a resizable buffer's (and a growable SharedArrayBuffer's) maximum is reserved
 *                   when it is made (growable-buffers.ts)
 *   Intl            each ICU-backed object is charged while it lives, and locale-sensitive
 *                   methods hurry the GC that frees their temporaries (intl-charges.ts)
 *   JSON.parse      a text whose result could outgrow the budget is parsed by guest code, which
 *                   the guard can stop, instead of in one uninterruptible step (json-parse.ts)
 *
 * The ledger's functions come from the tender in `__tsukiMemory`, taken and deleted here. The
 * unix target has no guard: the ledger then limits nothing, as that target promises no limit.
 */

import { limitGrowableBuffers } from "./growable-buffers.ts";
import { limitIntl, limitLocaleMethods } from "./intl-charges.ts";
import { limitJsonParse } from "./json-parse.ts";
import type { Ledger } from "./ledger.ts";
import { limitWebAssembly } from "./wasm.ts";

const UNLIMITED: Ledger = Object.freeze({
  charge: () => ({}),
  reserve: () => true,
  pressure: () => undefined,
  available: () => Infinity,
});

/** Takes the guard's functions from `__tsukiMemory` (or none, on the unix target) and installs every limit above. */
export function limitMemory(global: typeof globalThis): void {
  const scope = global as unknown as { __tsukiMemory?: Record<string, unknown> };
  const guard = scope.__tsukiMemory;
  delete scope.__tsukiMemory;
  const ledger = guard === undefined ? UNLIMITED : ledgerOf(guard);
  // Only these globals lead to WebAssembly and Intl objects: their limits wait for a guest to read them.
  onFirstRead(global, "WebAssembly", (wasm) => limitWebAssembly(wasm, ledger));
  onFirstRead(global, "Intl", (intl) => limitIntl(intl, ledger));
  limitLocaleMethods(ledger);
  limitGrowableBuffers(global, ledger);
  limitJsonParse(global, ledger);
}

/**
 * Runs `install` on global `name`'s value when guest code first reads (or replaces) it, then
 * leaves an ordinary data property: a unikernel that never uses WebAssembly or Intl pays nothing
 * for their limits (~40 KiB of its memory otherwise).
 */
function onFirstRead(global: object, name: string, install: (value: unknown) => void): void {
  const { defineProperty, getOwnPropertyDescriptor } = Reflect;
  const original = getOwnPropertyDescriptor(global, name);
  if (original === undefined || !("value" in original)) return;
  let installed = false;
  const settle = (value: unknown) => defineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
  const first = () => {
    if (!installed) (installed = true), install(original.value);
  };
  defineProperty(global, name, {
    configurable: true,
    enumerable: false,
    get() {
      first();
      settle(original.value);
      return original.value;
    },
    set(value: unknown) {
      first();
      settle(value);
    },
  });
}

function ledgerOf(guard: Record<string, unknown>): Ledger {
  const fn = (name: string) => {
    const f = guard[name];
    if (typeof f !== "function") throw new Error(`tsuki runtime: the heap guard has no ${name}()`);
    return f as (...args: unknown[]) => unknown;
  };
  const charge = fn("charge");
  const reserve = fn("reserve");
  const pressure = fn("pressure");
  const available = fn("available");
  // Called as plain functions: nothing of the guest's (a patched Function.prototype.call) is involved.
  return Object.freeze({
    charge: (bytes: number) => charge(bytes) as object | null,
    reserve: (buffer: ArrayBuffer | SharedArrayBuffer, max: number, counted: boolean) => reserve(buffer, max, counted) === true,
    pressure: (bytes: number) => void pressure(bytes),
    available: (collect: boolean) => available(collect) as number,
  });
}
