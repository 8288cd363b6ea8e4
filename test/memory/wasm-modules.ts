/**
 * Small WebAssembly modules for the memory tests, assembled byte by byte (Core spec §5), so that
 * each test says exactly which memories, imports and code a hostile or ordinary module has.
 */

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (text: string): number[] => [...leb(text.length), ...Buffer.from(text)];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
/** Limits: min, and max if given; shared adds the threads flag. */
const limits = (min: number, max?: number, shared = false): number[] => [(max === undefined ? 0 : 1) | (shared ? 2 : 0), ...leb(min), ...(max === undefined ? [] : leb(max))];

const I32 = 0x7f;
const TYPES = section(1, vec([
  [0x60, 1, I32, 1, I32], // 0: (i32) -> i32
  [0x60, 2, I32, I32, 0], // 1: (i32, i32) -> ()
  [0x60, 0, 1, I32], // 2: () -> i32
]));
/**
 * grow(pages) -> old size, store(address, byte), size() -> pages, load(address) -> byte, and
 * growfill(pages) -> pages added: grows memory 0 a page at a time and fills each new page with
 * ones (memory.fill), all in WebAssembly, until `pages` or until grow fails.
 */
const FUNCTIONS = section(3, vec([[0], [1], [2], [0], [0]]));
const GROWFILL = [
  1, 2, I32, // locals: 1 = pages added, 2 = old size
  0x03, 0x40, // loop
  0x41, 1, 0x40, 0, 0x22, 2, // local.tee 2 (memory.grow 1)
  0x41, 0x7f, 0x46, 0x04, 0x40, 0x20, 1, 0x0f, 0x0b, // if it is -1: return local 1
  0x20, 2, 0x41, 16, 0x74, 0x41, 1, 0x41, 0x80, 0x80, 0x04, 0xfc, 0x0b, 0, // memory.fill(old << 16, 1, 65536)
  0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x49, 0x0d, 0, // local 1 += 1; br_if (local 1 < pages)
  0x0b,
  0x20, 1, 0x0b,
];
const bodies = (): number[] => {
  const list = [[0, 0x20, 0, 0x40, 0, 0x0b], [0, 0x20, 0, 0x20, 1, 0x3a, 0, 0, 0x0b], [0, 0x3f, 0, 0x0b], [0, 0x20, 0, 0x2d, 0, 0, 0x0b], GROWFILL];
  return section(10, vec(list.map((b) => [...leb(b.length), ...b])));
};
/** Exports memory 0 and the four functions, which follow `imported` imported functions in the index space. */
const EXPORTS = (imported: number) =>
  section(7, vec([[...name("memory"), 2, 0], ...["grow", "store", "size", "load", "growfill"].map((f, i) => [...name(f), 0, imported + i])]));
/** Data: "hi" at address 0 of memory 0. */
const DATA = section(11, vec([[0, 0x41, 0, 0x0b, ...name("hi")]]));

export interface MemoryModule {
  /** Pages the memory starts with. */
  readonly min: number;
  /** Its declared maximum, or none. */
  readonly max?: number;
  readonly shared?: boolean;
  /** Imports the memory (from "env"."memory") instead of defining it. */
  readonly imported?: boolean;
  /** Also imports a function "env"."log" (i32) -> i32, so that the module has imports of its own. */
  readonly importsFunction?: boolean;
}

/** A module with one memory (defined or imported), its grow/store/size/load functions, and "hi" at address 0. */
export function memoryModule(m: MemoryModule): Uint8Array {
  const imports: number[][] = [];
  if (m.importsFunction) imports.push([...name("env"), ...name("log"), 0, 0]);
  if (m.imported) imports.push([...name("env"), ...name("memory"), 2, ...limits(m.min, m.max, m.shared)]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...TYPES,
    ...(imports.length > 0 ? section(2, vec(imports)) : []),
    ...FUNCTIONS,
    ...(m.imported ? [] : section(5, vec([limits(m.min, m.max, m.shared)]))),
    ...EXPORTS(m.importsFunction ? 1 : 0),
    ...section(12, leb(1)),
    ...bodies(),
    ...DATA,
  ];
  return Uint8Array.from(bytes);
}

/** A module whose memory has 64-bit addresses (memory64: limits flag 0x04). */
export function memory64Module(): Uint8Array {
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(5, vec([[0x04, 1]]))]);
}

/**
 * A module of `functions` functions, each `size` bytes of code (constants added up), exported as
 * f0, f1, …: code for the compiled-code flood. It ends with a custom section "salt" of 8 bytes
 * (the last 8 of the module) that a guest can change to make a module V8 has not compiled yet.
 */
export function codeModule(functions: number, size: number, salt = 0): Uint8Array {
  const body = [0, 0x20, 0];
  while (body.length < size) body.push(0x41, ...leb((salt + body.length) % 1000), 0x6a);
  body.push(0x0b);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...TYPES,
    ...section(3, vec(Array.from({ length: functions }, () => [0]))),
    ...section(7, vec(Array.from({ length: functions }, (_, i) => [...name(`f${i}`), 0, ...leb(i)]))),
    ...section(10, vec(Array.from({ length: functions }, () => [...leb(body.length), ...body]))),
    ...section(0, [...name("salt"), 0, 0, 0, 0, 0, 0, 0, 0]),
  ];
  return Uint8Array.from(bytes);
}

/** The bytes as a JavaScript expression, for a guest's source. */
export const literal = (bytes: Uint8Array): string => `new Uint8Array([${Array.from(bytes).join(",")}])`;

/** The WebAssembly JS API of the test's own realm (the project's type libraries carry none). */
export interface WasmJs {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string; kind: string }[] };
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer; grow(pages: number): number };
  validate(bytes: Uint8Array): boolean;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmJs }).WebAssembly;
