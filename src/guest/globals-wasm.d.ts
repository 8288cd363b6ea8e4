/**
 * @module guest/globals-wasm
 * `WebAssembly`, as a unikernel has it (TypeScript's ECMAScript libraries leave it to lib.dom,
 * which a unikernel does not have): the JS API of the WebAssembly specification. Every memory a
 * module makes counts against the unikernel's --mem (README, "Memory"): its creation or growth
 * past what is left throws a RangeError. 64-bit memories and JS Promise Integration are refused.
 */

declare namespace WebAssembly {
  type ImportValue = ExportValue | number | bigint;
  type ExportValue = Function | Global | Memory | Table;
  type Imports = Record<string, Record<string, ImportValue>>;
  type Exports = Record<string, ExportValue>;
  type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "externref" | "anyfunc" | "funcref";
  type ImportExportKind = "function" | "global" | "memory" | "table" | "tag";

  interface ModuleExportDescriptor {
    kind: ImportExportKind;
    name: string;
  }
  interface ModuleImportDescriptor extends ModuleExportDescriptor {
    module: string;
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  interface TableDescriptor {
    element: "anyfunc" | "funcref" | "externref";
    initial: number;
    maximum?: number;
  }
  interface GlobalDescriptor {
    value: ValueType;
    mutable?: boolean;
  }
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }

  class Module {
    constructor(bytes: BufferSource);
    static customSections(module: Module, sectionName: string): ArrayBuffer[];
    static exports(module: Module): ModuleExportDescriptor[];
    static imports(module: Module): ModuleImportDescriptor[];
  }
  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    readonly length: number;
    get(index: number): unknown;
    grow(delta: number, value?: unknown): number;
    set(index: number, value?: unknown): void;
  }
  class Global<T extends ValueType = ValueType> {
    constructor(descriptor: GlobalDescriptor, value?: unknown);
    value: unknown;
    valueOf(): unknown;
  }
  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}

  function compile(bytes: BufferSource): Promise<Module>;
  function compileStreaming(source: Response | PromiseLike<Response>): Promise<Module>;
  function instantiate(bytes: BufferSource, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(module: Module, importObject?: Imports): Promise<Instance>;
  function instantiateStreaming(source: Response | PromiseLike<Response>, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function validate(bytes: BufferSource): boolean;
}
