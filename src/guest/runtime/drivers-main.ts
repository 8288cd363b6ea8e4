/**
 * @module guest/runtime/drivers-main
 * The entry of the drivers script: runs after the runtime script, in guests whose image declares
 * devices, and attaches the drivers to the runtime waiting in `__tsukiEntry`.
 */

import { createDrivers } from "./drivers/index.ts";
import type { Runtime } from "./index.ts";

const entry = (globalThis as unknown as { __tsukiEntry?: Runtime }).__tsukiEntry;
if (entry === undefined) throw new Error("tsuki drivers: the runtime is not installed");
entry.attachDrivers(createDrivers);
