/**
 * @module guest/runtime/core/memory/wasm-binary
 * Just enough of the WebAssembly binary format (Core spec §5) to take a module's own memories out
 * of it: each memory its memory section defines becomes an import of a module no other import
 * uses, appended after the module's own imports, so that the runtime can create that memory
 * itself at instantiation, with a maximum the unikernel's --mem can hold (wasm.ts). Memory
 * indices are unchanged: imported memories come first in the index space and the new imports
 * follow the module's own, in the order the memory section had them; data segments, exports and
 * the name section refer to the same memories as before.
 *
 * Every read is bounds-checked against the end of its section; a module this reader cannot follow
 * is reported as `unreadable` (the caller lets V8 say what is wrong with it). What is not a
 * memory or an import is copied byte for byte.
 *
 * It runs in the guest's realm, after guest code may have patched built-ins, and what it emits
 * must never define a memory: it uses only typed arrays, plain loops and methods taken when the
 * runtime was installed (an index setter on Array.prototype reaches no write here).
 */

import { Out, ascii, lebSize, slice } from "./wasm-bytes.ts";

const U8 = Uint8Array;
const F64 = Float64Array;

/** The memories a module defines, in 64 KiB pages; `max` is NaN where none is declared. */
export interface Memories {
  readonly count: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly shared: Uint8Array;
}

export type Rewritten =
  /** No memory section: compile the bytes as they are. */
  | { readonly kind: "unchanged" }
  /** The module's memories, now imports of `module` named "0", "1", … in their index order. */
  | { readonly kind: "rewritten"; readonly bytes: Uint8Array; readonly module: string; readonly memories: Memories; readonly imports: number }
  /** A memory with 64-bit addresses (memory64), which tsuki does not place. */
  | { readonly kind: "memory64" }
  /** Malformed, or beyond what this reader follows. */
  | { readonly kind: "unreadable" };

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const LIMITS_MAX = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_64 = 0x04;
/** (ref null ht) and (ref ht): a heap type follows, as a signed 33-bit LEB128. */
const REF_NULLABLE = 0x63;
const REF = 0x64;
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

class Unreadable extends Error {}

/** A cursor over bytes[at, end) whose reads never go past `end`. */
class Reader {
  readonly bytes: Uint8Array;
  at: number;
  readonly end: number;

  constructor(bytes: Uint8Array, at: number, end: number) {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
  }

  byte(): number {
    if (this.at >= this.end) throw new Unreadable();
    return this.bytes[this.at++]!;
  }

  /** Unsigned LEB128 of at most 32 (5 bytes) or 64 bits (10 bytes; past 2^53 only in skipped fields). */
  uleb(bytes = 5): number {
    let value = 0;
    for (let i = 0, scale = 1; ; i++, scale *= 128) {
      if (i >= bytes) throw new Unreadable();
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
    }
  }

  skip(n: number): void {
    if (n > this.end - this.at) throw new Unreadable();
    this.at += n;
  }

  limits(): { flags: number; min: number; max: number } {
    const flags = this.byte();
    if ((flags & ~(LIMITS_MAX | LIMITS_SHARED | LIMITS_64)) !== 0) throw new Unreadable();
    const size = (flags & LIMITS_64) !== 0 ? 10 : 5;
    const min = this.uleb(size);
    const max = (flags & LIMITS_MAX) !== 0 ? this.uleb(size) : NaN;
    return { flags, min, max };
  }

  /** A value or reference type (the GC proposal's ref types carry a heap type, an s33). */
  valueType(): void {
    const b = this.byte();
    if (b === REF_NULLABLE || b === REF) this.uleb(5);
  }
}

interface Sections {
  readonly count: number;
  readonly id: Float64Array;
  /** Where each section begins (its id byte), where its body begins (after its size), and ends. */
  readonly start: Float64Array;
  readonly body: Float64Array;
  readonly end: Float64Array;
}

/** The sections' ids and bounds: counted first, then read into arrays of that size. */
function sections(bytes: Uint8Array): Sections {
  if (bytes.length < HEADER.length) throw new Unreadable();
  for (let i = 0; i < HEADER.length; i++) if (bytes[i] !== HEADER[i]) throw new Unreadable();
  let count = 0;
  for (const r = new Reader(bytes, HEADER.length, bytes.length); r.at < r.end; count++) (r.byte(), r.skip(r.uleb()));
  const found = { count, id: new F64(count), start: new F64(count), body: new F64(count), end: new F64(count) };
  const r = new Reader(bytes, HEADER.length, bytes.length);
  for (let n = 0; n < count; n++) {
    found.start[n] = r.at;
    found.id[n] = r.byte();
    const size = r.uleb();
    found.body[n] = r.at;
    r.skip(size);
    found.end[n] = r.at;
  }
  return found;
}

/**
 * An import section's count, where its entries begin, and whether a module name of it is `name`;
 * throws Unreadable for an import this reader does not follow.
 */
function importsOf(bytes: Uint8Array, body: number, end: number, name: Uint8Array): { count: number; entries: number; uses: boolean } {
  const r = new Reader(bytes, body, end);
  const count = r.uleb();
  const entries = r.at;
  let uses = false;
  for (let i = 0; i < count; i++) {
    const length = r.uleb();
    const start = r.at;
    r.skip(length);
    if (length === name.length) {
      let equal = true;
      for (let k = 0; k < length; k++) if (bytes[start + k] !== name[k]) equal = false;
      if (equal) uses = true;
    }
    r.skip(r.uleb());
    const kind = r.byte();
    if (kind === 0x00) r.uleb(); // function: type index
    else if (kind === 0x01) (r.valueType(), r.limits()); // table
    else if (kind === 0x02) r.limits(); // memory
    else if (kind === 0x03) (r.valueType(), r.byte()); // global: type, mutability
    else if (kind === 0x04) (r.byte(), r.uleb()); // tag: attribute, type index
    else throw new Unreadable();
  }
  if (r.at !== r.end) throw new Unreadable();
  return { count, entries, uses };
}

function memoriesOf(bytes: Uint8Array, body: number, end: number): Memories | "memory64" {
  const r = new Reader(bytes, body, end);
  const count = r.uleb();
  if (count > end - r.at) throw new Unreadable();
  const memories = { count, min: new F64(count), max: new F64(count), shared: new U8(count) };
  for (let i = 0; i < count; i++) {
    const { flags, min, max } = r.limits();
    if ((flags & LIMITS_64) !== 0) return "memory64";
    memories.min[i] = min;
    memories.max[i] = max;
    memories.shared[i] = (flags & LIMITS_SHARED) !== 0 ? 1 : 0;
  }
  if (r.at !== r.end) throw new Unreadable();
  return memories;
}

/** The size of one memory import: module name, field name, kind 0x02 and the memory's limits. */
function importSize(module: Uint8Array, i: number, m: Memories): number {
  const max = m.max[i]!;
  const field = `${i}`.length;
  return lebSize(module.length) + module.length + lebSize(field) + field + 2 + lebSize(m.min[i]!) + (max === max ? lebSize(max) : 0);
}

function putImport(out: Out, module: Uint8Array, i: number, m: Memories): void {
  const max = m.max[i]!;
  const field = ascii(`${i}`);
  out.leb(module.length);
  out.put(module);
  out.leb(field.length);
  out.put(field);
  out.bytes[out.at++] = 0x02;
  out.bytes[out.at++] = (max === max ? LIMITS_MAX : 0) | (m.shared[i] === 1 ? LIMITS_SHARED : 0);
  out.leb(m.min[i]!);
  if (max === max) out.leb(max);
}

/** Moves the memories a module defines into imports (see the module comment). Never throws. */
export function moveMemoriesToImports(bytes: Uint8Array): Rewritten {
  try {
    const s = sections(bytes);
    let memory = -1;
    let imports = -1;
    for (let i = 0; i < s.count; i++) {
      if (s.id[i] === SECTION_MEMORY) memory = i;
      if (s.id[i] === SECTION_IMPORT) imports = i;
    }
    if (memory < 0) return { kind: "unchanged" };
    const m = memoriesOf(bytes, s.body[memory]!, s.end[memory]!);
    if (m === "memory64") return { kind: "memory64" };
    if (m.count === 0) return { kind: "unchanged" };
    // A module name none of its own imports uses.
    let module = "";
    let own = { count: 0, entries: 0, uses: false };
    for (let n = 0; module === ""; n++) {
      const candidate = n === 0 ? "tsuki:memory" : `tsuki:memory#${n}`;
      if (imports >= 0) own = importsOf(bytes, s.body[imports]!, s.end[imports]!, ascii(candidate));
      if (!own.uses) module = candidate;
    }
    const name = ascii(module);
    // The import section: the new count, the module's own entries as they were, then the memories.
    const ownBytes = imports < 0 ? 0 : s.end[imports]! - own.entries;
    let bodySize = lebSize(own.count + m.count) + ownBytes;
    for (let i = 0; i < m.count; i++) bodySize += importSize(name, i, m);
    const sectionSize = 1 + lebSize(bodySize) + bodySize;
    let size = HEADER.length + sectionSize;
    for (let i = 0; i < s.count; i++) if (i !== memory && i !== imports) size += s.end[i]! - s.start[i]!;

    const out = new Out(size);
    const putSection = () => {
      out.bytes[out.at++] = SECTION_IMPORT;
      out.leb(bodySize);
      out.leb(own.count + m.count);
      if (imports >= 0) out.put(slice(bytes, own.entries, s.end[imports]!));
      for (let i = 0; i < m.count; i++) putImport(out, name, i, m);
    };
    out.put(slice(bytes, 0, HEADER.length));
    let placed = false;
    for (let i = 0; i < s.count; i++) {
      const id = s.id[i];
      // A module without imports gets its import section before its first section past the type section.
      if (!placed && imports < 0 && id !== 0 && id !== 1) {
        putSection();
        placed = true;
      }
      if (i === memory) continue;
      if (i === imports) {
        putSection();
        placed = true;
        continue;
      }
      out.put(slice(bytes, s.start[i]!, s.end[i]!));
    }
    if (!placed) putSection();
    if (out.at !== size) throw new Unreadable();
    return { kind: "rewritten", bytes: out.bytes, module, memories: m, imports: own.count };
  } catch (error) {
    if (error instanceof Unreadable) return { kind: "unreadable" };
    throw error;
  }
}
