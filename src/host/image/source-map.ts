/**
 * @module host/image/source-map
 * Reads the source map an image carries (`main.js.map`, Source Map v3 as esbuild writes it) and
 * answers one question: which file, line and column of the developer's source does a position in
 * the bundled `main.js` come from. The build uses it to name the developer's line in its errors;
 * the tender uses it to print a guest's stack frames as `src/main.ts:12:5`.
 *
 * The map comes from an image, so it is untrusted input parsed on the host: it is decoded in one
 * linear pass, a malformed map is no map (`parseSourceMap` returns undefined, never throws), and a
 * segment that names a source or position that does not exist is dropped. Nothing here is
 * evaluated; the worst a hostile map can do is make the tender print a wrong file name.
 */

/** A position in a source file: 1-based line and column, as V8 and editors count them. */
export interface SourcePosition {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

export interface SourceMap {
  /** The source files, as the map names them (relative paths, `tsuki:` for the SDK). */
  readonly sources: readonly string[];
  /** Where the bundle's `line`:`column` (both 1-based) comes from, or undefined where nothing maps there. */
  lookup(line: number, column: number): SourcePosition | undefined;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;
/** VLQ values larger than this are not positions in any real file: the map is malformed. */
const MAX_VALUE = 2 ** 30;

/** Parses a map's bytes or text; undefined when it is not a Source Map v3 we can read. */
export function parseSourceMap(bytes: Uint8Array | string): SourceMap | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const { version, sources, mappings } = json as { version?: unknown; sources?: unknown; mappings?: unknown };
  if (version !== 3 || !Array.isArray(sources) || !sources.every((s) => typeof s === "string") || typeof mappings !== "string") return undefined;
  const lines = decodeMappings(mappings, sources.length);
  if (lines === undefined) return undefined;
  return {
    sources,
    lookup(line, column) {
      const segments = lines[line - 1];
      if (segments === undefined || segments.length === 0) return undefined;
      // The last segment that starts at or before the column (segments are in column order).
      const col = column - 1;
      let lo = 0;
      let hi = segments.length / 4 - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (segments[mid * 4]! <= col) (found = mid), (lo = mid + 1);
        else hi = mid - 1;
      }
      if (found < 0) return undefined;
      return { source: sources[segments[found * 4 + 1]!] as string, line: segments[found * 4 + 2]! + 1, column: segments[found * 4 + 3]! + 1 };
    },
  };
}

/**
 * Decodes `mappings` into one array per generated line of [column, source, line, column] quads,
 * sorted by generated column. Segments without a source are skipped; undefined if malformed.
 */
function decodeMappings(mappings: string, sourceCount: number): Int32Array[] | undefined {
  const lines: Int32Array[] = [];
  let current: number[] = [];
  let sorted = true;
  // Source, line and column carry over between lines; the generated column resets on each line.
  let genCol = 0;
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  const endLine = () => {
    const quads = new Int32Array(current);
    if (!sorted) sortQuads(quads);
    lines.push(quads);
    current = [];
    sorted = true;
    genCol = 0;
  };
  const endSegment = (): boolean => {
    if (shift !== 0) return false; // a VLQ cut in the middle
    if (fields.length === 0) return true;
    if (fields.length !== 1 && fields.length !== 4 && fields.length !== 5) return false;
    genCol += fields[0]!;
    if (fields.length >= 4) {
      src += fields[1]!;
      srcLine += fields[2]!;
      srcCol += fields[3]!;
      if (genCol >= 0 && src >= 0 && src < sourceCount && srcLine >= 0 && srcCol >= 0) {
        const previous = current.length >= 4 ? current[current.length - 4]! : -1;
        if (genCol < previous) sorted = false;
        current.push(genCol, src, srcLine, srcCol);
      }
    }
    fields.length = 0;
    return true;
  };
  for (let i = 0; i < mappings.length; i++) {
    const c = mappings.charCodeAt(i);
    if (c === 0x3b /* ; */ || c === 0x2c /* , */) {
      if (!endSegment()) return undefined;
      if (c === 0x3b) endLine();
      continue;
    }
    const digit = c < 128 ? DIGIT[c]! : -1;
    if (digit < 0) return undefined;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      if (shift > 30) return undefined;
      continue;
    }
    const magnitude = Math.floor(value / 2);
    if (magnitude > MAX_VALUE) return undefined;
    fields.push(value % 2 === 1 ? -magnitude : magnitude);
    value = 0;
    shift = 0;
  }
  if (!endSegment()) return undefined;
  endLine();
  return lines;
}

function sortQuads(quads: Int32Array): void {
  const order = Array.from({ length: quads.length / 4 }, (_, i) => i).sort((a, b) => quads[a * 4]! - quads[b * 4]!);
  const copy = quads.slice();
  order.forEach((from, to) => quads.set(copy.subarray(from * 4, from * 4 + 4), to * 4));
}

/** A frame location in a stack: `tsuki:image/NAME/main.js:LINE:COLUMN`, as every target names the image's module. */
const IMAGE_FRAME = /tsuki:image\/[^\s/():]+\/main\.js:(\d+):(\d+)/g;

/**
 * Rewrites every location in the image's module found in `text` (a console line) to the
 * developer's source, leaving those the map does not cover as they were. The map is parsed on
 * the first line that holds such a location, not before: a unikernel that never prints a stack
 * pays nothing for carrying one.
 */
export function stackMapper(mapBytes: Uint8Array, parse: (bytes: Uint8Array) => SourceMap | undefined = parseSourceMap): (text: string) => string {
  let map: SourceMap | null | undefined;
  return (text) => {
    if (!text.includes("tsuki:image/")) return text;
    map ??= parse(mapBytes) ?? null;
    if (map === null) return text;
    const m = map;
    return text.replace(IMAGE_FRAME, (whole, line: string, column: string) => {
      const at = m.lookup(Number(line), Number(column));
      return at === undefined ? whole : `${at.source}:${at.line}:${at.column}`;
    });
  };
}
