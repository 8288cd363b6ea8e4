/**
 * @module host/tender/targets/runtime-entry
 * The guest runtime's entry points as the in-process targets call them: the object the runtime
 * script leaves at `globalThis.__tsukiEntry` (the targets take it and delete the name before any
 * image code runs). The tender's own description of it, so that no host file imports guest code;
 * a test holds it to the runtime's real type (test/host/tender/runtime-entry.test.ts).
 */

import type { BootInfo, GuestEvent } from "../../../abi/index.ts";
import type { Declaration } from "./target.ts";

export interface RuntimeEntry {
  /** Enters the default export's `start` with the boot information. */
  boot(info: BootInfo, main: unknown): void;
  /** Delivers a batch of events; `now` is the host's monotonic clock as the turn begins. */
  dispatch(events: readonly GuestEvent[], now: number): void;
  /** Whether the guest waits for anything (timers, devices) after its last turn. */
  busy(): boolean;
  /** What the default export declares; throws when it is not a unikernel. */
  declaration(main: unknown): Declaration;
  /** A promise of the guest's was rejected and nobody handled it: the runtime prints it and aborts. */
  rejected(reason: unknown): void;
}
