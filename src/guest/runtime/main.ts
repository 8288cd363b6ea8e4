/**
 * @module guest/runtime/main
 * The entry of the runtime script a target runs in each fresh guest context before the image. It
 * takes the raw hypercall function from `__tsukiHypercall`, installs the runtime and leaves its
 * entry points in `__tsukiEntry` for the target to take (the target deletes both names).
 */

import type { HypercallFn } from "../../abi/index.ts";
import { install } from "./index.ts";

const scope = globalThis as unknown as { __tsukiHypercall?: HypercallFn; __tsukiEntry?: unknown };
const raw = scope.__tsukiHypercall;
delete scope.__tsukiHypercall;
if (typeof raw !== "function") throw new Error("tsuki runtime: no hypercall function in __tsukiHypercall");
scope.__tsukiEntry = install(raw);
