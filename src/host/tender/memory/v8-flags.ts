/**
 * @module host/tender/memory/v8-flags
 * Process-wide V8 flags that back the per-unikernel memory limit up, set once when a tender loads
 * the isolate target (the process target's child loads the same code). They are ceilings for
 * everyone in the process, not budgets: each unikernel's share is held by the heap guard and the
 * guest runtime's WebAssembly wrapper (README, "Memory"). What a wrapper bypass could still reach
 * is then bounded here:
 *
 *   --wasm-max-mem-pages=65536    one wasm memory: 4 GiB, all a 32-bit memory can address (the
 *                                 default would let a 64-bit memory take far more)
 *   --wasm-max-table-size=1000000 one wasm table: about 8 MiB of heap, allocated in one step
 *                                 (default 10 million entries, 80 MiB)
 *   --no-validate-asm             asm.js runs as ordinary JavaScript instead of being compiled to
 *                                 WebAssembly code outside the heap, where nothing charges it
 *
 * V8 reads these when a memory, table or module is made, so setting them after start-up holds.
 */

import { setFlagsFromString } from "node:v8";

export const WASM_MAX_MEMORY_PAGES = 65536;
export const WASM_MAX_TABLE_SIZE = 1_000_000;

let set = false;

export function setMemoryFlags(): void {
  if (set) return;
  set = true;
  setFlagsFromString(`--wasm-max-mem-pages=${WASM_MAX_MEMORY_PAGES}`);
  setFlagsFromString(`--wasm-max-table-size=${WASM_MAX_TABLE_SIZE}`);
  setFlagsFromString("--no-validate-asm");
}
