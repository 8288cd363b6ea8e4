/**
 * @module guest/runtime/main
 * The entry of the runtime script a target runs in each fresh guest context before the image. It
 * takes the raw hypercall function from `__tsukiHypercall` (and, from a target with a heap limit,
 * that limit in MiB from `__tsukiMemoryMb`), installs the runtime and leaves its entry points in
 * `__tsukiEntry` for the target to take (the target deletes that name; this script the others).
 */

import type { HypercallFn } from "../../abi/index.ts";
import { install } from "./index.ts";

const scope = globalThis as unknown as { __tsukiHypercall?: HypercallFn; __tsukiMemoryMb?: unknown; __tsukiEntry?: unknown };
const raw = scope.__tsukiHypercall;
const memoryMb = scope.__tsukiMemoryMb;
delete scope.__tsukiHypercall;
delete scope.__tsukiMemoryMb;
if (typeof raw !== "function") throw new Error("tsuki runtime: no hypercall function in __tsukiHypercall");
const runtime = install(raw);
if (typeof memoryMb === "number") runtime.limit(memoryMb);
scope.__tsukiEntry = runtime;
