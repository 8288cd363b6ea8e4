/**
 * @module host/tender/declaration
 * The one question the build asks the tender: what does this bundled module declare? The tender
 * answers it the way Mirage evaluates config.ml, by evaluating the module in a throwaway isolate
 * that holds the guest runtime and nothing else, then asking its default export for its devices
 * and assets folder. `start` is never called, no timer fires, top-level console output is
 * discarded, and no device exists. What the answer means (valid names, kinds, a Workers-style
 * module) is the build's to judge (build/declaration.ts); this module only reports what happened.
 */

import { thrownText } from "./guest/guest-stack.ts";
import { NO_DEVICES } from "./devices/calls.ts";
import { makeHypercall } from "./hypercalls.ts";
import { isolateTarget } from "./targets/isolate.ts";
import type { Declaration, TurnEnd } from "./targets/target.ts";

export type { Declaration } from "./targets/target.ts";

/** What evaluating a module's top level for its declaration gave. */
export type DeclarationRead =
  /** The default export declared this (raw: the build validates it). */
  | { readonly kind: "declared"; readonly declaration: Declaration }
  /** The top level called `exit(code)` or `abort(reason)`: `call` says which, as `exit(3)` or `abort: why`. */
  | { readonly kind: "ended"; readonly call: string }
  /** The top level did not finish: `end` says how, `detail` is the thrown value's text (guest frames, in the bundle's positions) or the end itself. */
  | { readonly kind: "failed"; readonly end: TurnEnd["kind"]; readonly detail: string }
  /** The module evaluated, but its default export is not something a unikernel is made of. */
  | { readonly kind: "not-a-unikernel"; readonly message: string };

export interface DeclarationOptions {
  /** The image's name, which names its module in stacks (`tsuki:image/NAME/main.js`). */
  readonly name: string;
  /** The bundled ES module. */
  readonly code: string;
  /** Run the guest runtime's web part too, as a boot of an image that uses web globals would. */
  readonly web?: boolean;
}

/** Evaluates `code`'s top level in a fresh isolate and reads its default export's declaration. */
export function readDeclaration({ name, code, web = false }: DeclarationOptions): DeclarationRead {
  let ended: string | undefined;
  const origin = performance.now();
  const hypercall = makeHypercall({
    alive: () => ended === undefined,
    exit: (status) => (ended = `exit(${status})`),
    abort: (reason) => (ended = `abort: ${reason}`),
    console: () => undefined,
    monotonic: () => performance.now() - origin,
    armTimer: () => undefined,
    asset: () => undefined,
    rejected: () => undefined,
    devices: NO_DEVICES,
  });
  // The author's own code: a host without a C++ compiler builds images all the same (V8's heap limit only).
  const guest = isolateTarget.create({ name, entry: code, hypercall, memoryMb: 128, cpuMs: 5000, web, guardOptional: true });
  try {
    const end = guest.evaluate();
    if (ended !== undefined) return { kind: "ended", call: ended };
    if (end !== undefined) return { kind: "failed", end: end.kind, detail: end.kind === "threw" ? thrownText(end.error) : end.kind };
    try {
      return { kind: "declared", declaration: guest.declaration() };
    } catch (error) {
      return { kind: "not-a-unikernel", message: (error as Error).message };
    }
  } finally {
    guest.dispose();
  }
}
