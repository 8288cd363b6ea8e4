/**
 * @module host/build/rename-inputs
 * Puts the stable names of input-names.ts into what esbuild wrote, which names every module by
 * its path relative to the working directory: the `// path` comment above each module's code, the
 * `"path"(exports, module)` key of a CommonJS or lazily evaluated module, the `path:` heading of
 * its licence comments at the end, and the source map's `sources`. Where a name on a line of code
 * changes length, the map's positions after it on that line move with it, so that a stack still
 * points at the right column.
 */

/** Source Map v3 as esbuild writes it: the keys we touch, and the others kept as they are. */
interface RawMap {
  sources: string[];
  mappings: string;
  [key: string]: unknown;
}

/** `code` and `map` with every input `from` (a key of `renames`) named `renames.get(from)`. */
export function renameInputs(code: string, map: string, renames: ReadonlyMap<string, string>): { code: string; map: string } {
  if (renames.size === 0) return { code, map };
  const parsed = JSON.parse(map) as RawMap;
  const mappings = parsed.mappings.split(";");
  const lines = code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const shifts: { at: number; by: number }[] = [];
    lines[i] = renameInLine(lines[i]!, renames, shifts);
    if (shifts.length > 0 && mappings[i] !== undefined) mappings[i] = shiftSegments(mappings[i]!, shifts);
  }
  parsed.sources = parsed.sources.map((source) => renames.get(source) ?? source);
  parsed.mappings = mappings.join(";");
  return { code: lines.join("\n"), map: formatMap(parsed) };
}

/** One line with its module comment, module key or licence heading renamed; `shifts` records where its length changed. */
function renameInLine(line: string, renames: ReadonlyMap<string, string>, shifts: { at: number; by: number }[]): string {
  const comment = /^(\s*\/\/ )(.+)$/.exec(line);
  if (comment !== null && renames.has(comment[2]!)) return comment[1]! + renames.get(comment[2]!)!;
  const heading = /^(.+):$/.exec(line);
  if (heading !== null && renames.has(heading[1]!)) return `${renames.get(heading[1]!)!}:`;
  const key = /^(\s*)("(?:[^"\\]|\\.)*")\(/.exec(line);
  if (key !== null) {
    const from = JSON.parse(key[2]!) as string;
    const to = renames.get(from);
    if (to !== undefined) {
      const quoted = JSON.stringify(to);
      shifts.push({ at: key[1]!.length + key[2]!.length, by: quoted.length - key[2]!.length });
      return key[1]! + quoted + line.slice(key[0].length - 1);
    }
  }
  return line;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * A line of `mappings` whose segments at or after each shift's column move by its amount. A
 * segment's generated column is relative to the previous segment's on the line, so only the
 * first segment past a shift changes.
 */
function shiftSegments(line: string, shifts: readonly { at: number; by: number }[]): string {
  const segments = line === "" ? [] : line.split(",").map(decode);
  let column = 0;
  let moved = 0;
  let next = 0;
  for (const fields of segments) {
    column += fields[0]!;
    let by = 0;
    while (next < shifts.length && shifts[next]!.at <= column) by += shifts[next++]!.by;
    fields[0]! += by;
    moved += by;
  }
  return moved === 0 ? line : segments.map(encode).join(",");
}

function decode(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value % 2 === 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return fields;
}

function encode(fields: readonly number[]): string {
  let out = "";
  for (const field of fields) {
    let value = field < 0 ? -field * 2 + 1 : field * 2;
    do {
      let digit = value % 32;
      value = Math.floor(value / 32);
      if (value > 0) digit |= 32;
      out += BASE64[digit];
    } while (value > 0);
  }
  return out;
}

/** The map in esbuild's own layout: one key a line, arrays on one line. */
function formatMap(map: RawMap): string {
  const value = (v: unknown) => (Array.isArray(v) ? `[${v.map((item) => JSON.stringify(item)).join(", ")}]` : JSON.stringify(v));
  return `{\n${Object.entries(map).map(([key, v]) => `  ${JSON.stringify(key)}: ${value(v)}`).join(",\n")}\n}\n`;
}
