/**
 * @module guest/runtime/core/memory/wasm
 * The WebAssembly JS API with every memory inside --mem. V8 reserves a wasm memory's pages
 * outside its heap and commits them as wasm code grows it (the `memory.grow` instruction never
 * passes through JavaScript), so a limit checked afterwards is too late: here each memory gets,
 * when it is made, a maximum the unikernel's budget holds, and the whole maximum is reserved
 * with the heap guard, so that no growth can take the unikernel past its limit.
 *
 *   new Memory({ initial, maximum })   the declared maximum if it fits what is left of --mem, else
 *                                      half of what is left (at least `initial`); RangeError if
 *                                      `initial` does not fit
 *   new Module(bytes)                  the memories the module defines are moved into imports
 *                                      (wasm-binary.ts); its code is charged at 4 bytes per byte
 *                                      of module (V8's baseline code measured ~2.5-3x)
 *   new Instance(module, imports)      creates those memories as above and supplies them
 *   compile, instantiate, …Streaming   the same, as promises; they compile synchronously in the
 *                                      calling turn (V8's asynchronous compile jobs are never
 *                                      run by an isolate whose tender enters it only to call it)
 *
 * No path leads back to the originals: the prototypes' `constructor` properties name these
 * functions, `Module.imports` leaves the moved memories out, and JS Promise Integration
 * (`Suspending`, `promising`), whose stacks V8 allocates outside the heap, is removed. Memories
 * with 64-bit addresses are refused. Everything a wrapper uses at call time was taken before any
 * guest code ran (the wrapper is installed when a guest first reads `WebAssembly`, but the
 * built-ins it calls were taken when the runtime script ran), so a guest that patches built-ins
 * changes nothing here.
 */

import type { Ledger } from "./ledger.ts";
import { type Memories, moveMemoriesToImports } from "./wasm-binary.ts";
import { bufferSourceCopier, responseBytes } from "./wasm-sources.ts";

/** The JS API as this file sees it (the guest's type libraries carry no WebAssembly types). */
type WasmModule = object;
type WasmInstance = object;
type WasmMemory = object;
type Constructor = new (...args: never[]) => object;
interface ImportDescriptor {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
}
interface WasmApi {
  Module: Constructor & { imports(m: WasmModule): ImportDescriptor[]; exports: Function; customSections: Function };
  Instance: Constructor;
  Memory: Constructor;
  CompileError: new (message: string) => Error;
}

/** One memory's limits, in 64 KiB pages. */
interface MemoryType {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Bytes charged for a module's compiled code, per byte of module. */
export const CODE_BYTES_PER_MODULE_BYTE = 4;

interface ModuleInfo {
  /** The module name its moved memories are imported from, if it defined any. */
  readonly module?: string;
  readonly memories: Memories | undefined;
  /** Imports of its own (not counting the moved memories). */
  readonly imports: number;
  /** Keeps its code's charge alive as long as the module. */
  readonly charge: object;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

// Taken when the runtime script runs, before any guest code: the wrapper is installed later, when
// a guest first reads `WebAssembly` (limits.ts), after it may have patched these.
const { apply, construct, defineProperty, get: reflectGet, getOwnPropertyDescriptor } = Reflect;
const { get: weakGet, set: weakSet } = WeakMap.prototype;
const WeakMapCtor = WeakMap;
const filter = Array.prototype.filter;
const PromiseCtor = Promise;
const resolved = Promise.resolve;
const then = Promise.prototype.then;
const ProxyCtor = Proxy;
const copyBytes = bufferSourceCopier();

/** Replaces the API on the `WebAssembly` namespace object; run when a guest first reads `WebAssembly` (limits.ts). */
export function limitWebAssembly(namespace: unknown, ledger: Ledger): void {
  const wasm = namespace as WasmApi | undefined;
  if (typeof wasm !== "object" || wasm === null) return;
  const OriginalModule = wasm.Module;
  const OriginalInstance = wasm.Instance;
  const OriginalMemory = wasm.Memory;
  const { CompileError } = wasm;
  const moduleImports = OriginalModule.imports;
  const bufferOf = getOwnPropertyDescriptor(OriginalMemory.prototype, "buffer")!.get!;
  const modules = new WeakMapCtor<object, ModuleInfo>();

  /** A promise settled by `make()`, called now (a throw rejects it). */
  const promised = <T>(make: () => T): Promise<T> => new PromiseCtor<T>((resolve, reject) => {
    try {
      resolve(make());
    } catch (error) {
      reject(error);
    }
  });
  const later = <T, R>(promise: Promise<T>, next: (value: T) => R): Promise<R> => apply(then, promise, [next]) as Promise<R>;

  /** The maximum a memory gets, in pages (undefined: none, where nothing is limited). */
  function maximumFor(type: MemoryType, who: string): number | undefined {
    let left = ledger.available(false);
    if (left === Infinity) return type.max;
    let collected = false;
    const fits = (pages: number) => pages * PAGE <= left || (!collected && ((collected = true), (left = ledger.available(true))) >= pages * PAGE);
    if (!fits(type.min)) throw new RangeError(`${who}: could not allocate memory: ${type.min} pages (${mib(type.min * PAGE)}) do not fit the ${mib(left)} left of --mem`);
    if (type.max !== undefined && fits(type.max)) return type.max;
    return Math.max(type.min, Math.min(type.max ?? MAX_PAGES, Math.floor(left / PAGE / 2)));
  }

  /** A memory of `type` with a maximum the budget holds, reserved in full. */
  function createMemory(type: MemoryType, newTarget: Function, who: string): WasmMemory {
    const maximum = type.shared && type.max === undefined ? undefined : maximumFor(type, who);
    const descriptor = { __proto__: null, initial: type.min, shared: type.shared, ...(maximum === undefined ? {} : { maximum }) };
    const memory = construct(OriginalMemory, [descriptor], newTarget) as WasmMemory;
    if (maximum !== undefined && !ledger.reserve(apply(bufferOf, memory, []) as ArrayBuffer, maximum * PAGE, true)) {
      throw new RangeError(`${who}: could not allocate memory: a maximum of ${maximum} pages (${mib(maximum * PAGE)}) does not fit what is left of --mem`);
    }
    return memory;
  }

  function compileModule(source: unknown, newTarget: Function): WasmModule {
    const who = "WebAssembly.Module()";
    const bytes = copyBytes(source, who);
    const charge = ledger.charge(bytes.length * CODE_BYTES_PER_MODULE_BYTE);
    if (charge === null) {
      throw new RangeError(`${who}: compiling ${mib(bytes.length)} of WebAssembly takes about ${mib(bytes.length * CODE_BYTES_PER_MODULE_BYTE)} of --mem, more than is left (${mib(ledger.available(false))})`);
    }
    const plan = moveMemoriesToImports(bytes);
    if (plan.kind === "memory64") throw new CompileError(`${who}: memories with 64-bit addresses (memory64) are not supported by tsuki`);
    let module: WasmModule;
    try {
      module = construct(OriginalModule, [plan.kind === "rewritten" ? plan.bytes : bytes], newTarget) as WasmModule;
    } catch (error) {
      if (plan.kind !== "rewritten") throw error;
      // V8's message about a module it rejects should be about the bytes the guest gave (this throws it).
      construct(OriginalModule, [bytes]);
      throw new CompileError(`${who}: tsuki could not move this module's memories into imports: ${(error as Error)?.message}`);
    }
    if (plan.kind === "unreadable") {
      // V8 took bytes this reader could not follow: their memories (if any) cannot be placed.
      throw new CompileError(`${who}: tsuki cannot read this module's memory or import section to place its memories within --mem`);
    }
    const info: ModuleInfo = plan.kind === "rewritten" ? { module: plan.module, memories: plan.memories, imports: plan.imports, charge } : { memories: undefined, imports: -1, charge };
    apply(weakSet, modules, [module, info]);
    return module;
  }

  function instantiateModule(module: unknown, imports: unknown, newTarget: Function): WasmInstance {
    const info = apply(weakGet, modules, [module]) as ModuleInfo | undefined;
    if (info?.module === undefined || info.memories === undefined) return construct(OriginalInstance, [module, imports], newTarget) as WasmInstance;
    const isObject = (typeof imports === "object" && imports !== null) || typeof imports === "function";
    // Without an import object, V8 says so (TypeError) if the module imports anything of its own.
    if (!isObject && !(imports === undefined && info.imports === 0)) return construct(OriginalInstance, [module, imports], newTarget) as WasmInstance;
    const memories: Record<string, WasmMemory> = { __proto__: null } as unknown as Record<string, WasmMemory>;
    const m = info.memories;
    for (let i = 0; i < m.count; i++) {
      const max = m.max[i]!;
      memories[`${i}`] = createMemory({ min: m.min[i]!, max: max === max ? max : undefined, shared: m.shared[i] === 1 }, OriginalMemory, "WebAssembly.Instance()");
    }
    const target = isObject ? (imports as object) : {};
    const handler: ProxyHandler<object> = { __proto__: null, get: (t: object, key: string | symbol) => (key === info.module ? memories : reflectGet(t, key, t)) } as ProxyHandler<object>;
    return construct(OriginalInstance, [module, new ProxyCtor(target, handler)], newTarget) as WasmInstance;
  }

  function Module(this: unknown, bytes: unknown): WasmModule {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    return compileModule(bytes, new.target);
  }

  function Instance(this: unknown, module: unknown, imports?: unknown): WasmInstance {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    return instantiateModule(module, imports, new.target);
  }

  function Memory(this: unknown, descriptor: unknown): WasmMemory {
    const who = "WebAssembly.Memory()";
    if (new.target === undefined) throw new TypeError("WebAssembly.Memory must be invoked with 'new'");
    if ((typeof descriptor !== "object" && typeof descriptor !== "function") || descriptor === null) throw new TypeError(`${who}: Argument 0 must be a memory descriptor`);
    const d = descriptor as Record<string, unknown>;
    const address = d.address ?? d.index;
    if (address !== undefined && String(address) === "i64") throw new RangeError(`${who}: memories with 64-bit addresses are not supported by tsuki`);
    const initialValue = d.initial ?? d.minimum;
    const maximumValue = d.maximum;
    const shared = Boolean(d.shared);
    if (initialValue === undefined) throw new TypeError(`${who}: Property 'initial' is required`);
    const min = pages(initialValue, "initial", who);
    const max = maximumValue === undefined ? undefined : pages(maximumValue, "maximum", who);
    if (min > MAX_PAGES || (max !== undefined && (max > MAX_PAGES || max < min)) || (address !== undefined && String(address) !== "i32")) {
      // Out of WebAssembly's own bounds: V8 says which.
      return construct(OriginalMemory, [{ __proto__: null, initial: min, maximum: max, shared, address }], new.target) as WasmMemory;
    }
    return createMemory({ min, max, shared }, new.target, who);
  }

  const compile = (bytes: unknown) => promised(() => compileModule(bytes, Module));

  function instantiate(source: unknown, imports?: unknown): Promise<unknown> {
    if (imports !== undefined && ((typeof imports !== "object" && typeof imports !== "function") || imports === null)) {
      return promised(() => {
        throw new TypeError("WebAssembly.instantiate(): Argument 1 must be an object");
      });
    }
    if (apply(weakGet, modules, [source]) !== undefined) return later(apply(resolved, PromiseCtor, []) as Promise<void>, () => instantiateModule(source, imports, Instance));
    return later(compile(source), (module) => ({ module, instance: instantiateModule(module, imports, Instance) }));
  }

  const compileStreaming = (source: unknown) => later(responseBytes(source, "WebAssembly.compileStreaming()"), (bytes) => compileModule(bytes, Module));
  const instantiateStreaming = (source: unknown, imports?: unknown) =>
    later(compileStreaming(source), (module) => ({ module, instance: instantiateModule(module, imports, Instance) }));

  const imports = (module: WasmModule) => {
    const list = apply(moduleImports, OriginalModule, [module]) as ImportDescriptor[];
    const moved = (apply(weakGet, modules, [module]) as ModuleInfo | undefined)?.module;
    return moved === undefined ? list : (apply(filter, list, [(entry: ImportDescriptor) => entry.module !== moved]) as ImportDescriptor[]);
  };

  const replace = (name: string, value: Function, length: number) => {
    defineProperty(value, "name", { value: name, configurable: true });
    defineProperty(value, "length", { value: length, configurable: true });
    defineProperty(wasm, name, { value, writable: true, enumerable: false, configurable: true });
  };
  const standIn = (name: string, wrapper: Function, original: Function) => {
    defineProperty(wrapper, "prototype", { value: original.prototype, writable: false, enumerable: false, configurable: false });
    defineProperty(original.prototype, "constructor", { value: wrapper, writable: true, enumerable: false, configurable: true });
    replace(name, wrapper, 1);
  };
  standIn("Module", Module, OriginalModule);
  defineProperty(Module, "exports", { value: OriginalModule.exports, writable: true, enumerable: false, configurable: true });
  defineProperty(Module, "customSections", { value: OriginalModule.customSections, writable: true, enumerable: false, configurable: true });
  defineProperty(imports, "name", { value: "imports", configurable: true });
  defineProperty(Module, "imports", { value: imports, writable: true, enumerable: false, configurable: true });
  standIn("Instance", Instance, OriginalInstance);
  standIn("Memory", Memory, OriginalMemory);
  replace("compile", compile, 1);
  replace("instantiate", instantiate, 1);
  replace("compileStreaming", compileStreaming, 1);
  replace("instantiateStreaming", instantiateStreaming, 1);
  // No loop here: a guest may have patched the array iterator by now.
  delete (wasm as unknown as Record<string, unknown>).Suspending;
  delete (wasm as unknown as Record<string, unknown>).promising;
}

/** WebIDL [EnforceRange] unsigned long, as V8 reads a memory descriptor's page counts. */
function pages(value: unknown, what: string, who: string): number {
  const n = +(value as number);
  if (!Number.isFinite(n)) throw new TypeError(`${who}: Property '${what}' must be convertible to a valid number`);
  const t = Math.trunc(n);
  if (t < 0 || t > 0xffffffff) throw new TypeError(`${who}: Property '${what}': value ${t} is out of range`);
  return t;
}
