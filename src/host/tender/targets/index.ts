/**
 * @module host/tender/targets
 * The targets by name. All run the same image through the same ABI; they differ in walls, cost
 * and speed (DESIGN.md, "Targets").
 */

import { isolateTarget } from "./isolate.ts";
import { processTarget } from "./process.ts";
import type { Target, TargetName } from "./target.ts";
import { unixTarget } from "./unix.ts";

export const TARGETS: Readonly<Record<TargetName, Target>> = { isolate: isolateTarget, unix: unixTarget, process: processTarget };
export { TARGET_NAMES } from "../../spec/limits.ts";
export type { Target, TargetName, Guest, SyncGuest, GuestOptions, Turn, TurnEnd, Declaration } from "./target.ts";
