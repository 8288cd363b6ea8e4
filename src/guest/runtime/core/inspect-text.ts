/**
 * @module guest/runtime/core/inspect-text
 *
 * The text half of `inspect` (./inspect.ts): how primitives are written and how the entries of an
 * object are laid out on one line, in columns, or one per line. A port of the matching parts of
 * Node's lib/internal/util/inspect.js (v24), so that console output reads the same as under Node.
 *
 * Guarantees: strings are quoted and escaped as Node does (single quotes unless the text contains
 * them, control characters and lone surrogates escaped); entries are joined on one line when they
 * fit `breakLength` and `compact` allows it, arrays of more than six short entries are grouped in
 * aligned columns, and anything else gets one entry per line indented by two spaces.
 * Display width counts East Asian wide characters as two columns and combining marks as none,
 * approximating the ICU width Node uses.
 */

/** The state of one `inspect` call. */
export interface Context {
  depth: number | null;
  showHidden: boolean;
  customInspect: boolean;
  getters: boolean | "get" | "set";
  maxArrayLength: number;
  maxStringLength: number;
  breakLength: number;
  compact: boolean | number;
  sorted: boolean | ((a: string, b: string) => number);
  indentationLvl: number;
  currentDepth: number;
  seen: unknown[];
  circular: Map<unknown, number> | undefined;
}

export const kObjectType = 0;
export const kArrayType = 1;
export const kArrayExtrasType = 2;

const kMinLineLength = 16;

export function formatPrimitive(value: unknown, ctx: Context): string {
  if (typeof value === "string") {
    let trailer = "";
    if (value.length > ctx.maxStringLength) {
      const remaining = value.length - ctx.maxStringLength;
      value = value.slice(0, ctx.maxStringLength);
      trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
    }
    const text = value as string;
    if (ctx.compact !== true && text.length > kMinLineLength && text.length > ctx.breakLength - ctx.indentationLvl - 4) {
      return text.split(/(?<=\n)/).map(strEscape).join(` +\n${" ".repeat(ctx.indentationLvl + 2)}`) + trailer;
    }
    return strEscape(text) + trailer;
  }
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  return `${value as boolean | undefined}`;
}

export function formatNumber(value: number): string {
  return Object.is(value, -0) ? "-0" : `${value}`;
}

// Control characters, C1 controls, lone surrogates, plus the quote and the backslash.
const ESCAPE = /[\x00-\x1f\x27\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPE_UNQUOTED = /[\x00-\x1f\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED_ESCAPES: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 39: "\\'", 92: "\\\\" };

function escapeChar(char: string): string {
  const c = char.charCodeAt(0);
  const named = NAMED_ESCAPES[c];
  if (named !== undefined) return named;
  if (c <= 0x9f) return `\\x${c.toString(16).toUpperCase().padStart(2, "0")}`;
  return `\\u${c.toString(16)}`;
}

/** Escapes control characters, lone surrogates, quotes and backslashes without quoting. */
export function escapeAll(str: string): string {
  return str.replace(ESCAPE, escapeChar);
}

/** Quotes a string as Node does: '…' unless it contains ', then "…", then `…`. */
export function strEscape(str: string): string {
  let quote = "'";
  let escape = ESCAPE;
  if (str.includes("'")) {
    if (!str.includes('"')) quote = '"';
    else if (!str.includes("`") && !str.includes("${")) quote = "`";
    if (quote !== "'") escape = ESCAPE_UNQUOTED;
  }
  return `${quote}${str.replace(escape, escapeChar)}${quote}`;
}

/** Prefix of an object's braces: `Foo `, `Foo [tag] `, `[Object: null prototype] `. */
export function getPrefix(constructor: string | null, tag: string, fallback: string, size = ""): string {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  let result = `${constructor}${size} `;
  if (tag !== "") {
    const position = constructor.indexOf(tag);
    if (position === -1) {
      result += `[${tag}] `;
    } else {
      const end = position + tag.length;
      if (end !== constructor.length && constructor[end] === constructor[end]!.toLowerCase()) result += `[${tag}] `;
    }
  }
  return result;
}

export function reduceToSingleString(
  ctx: Context,
  output: string[],
  base: string,
  braces: [string, string],
  extrasType: number,
  recurseTimes: number,
  value: unknown,
): string {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === "number" && ctx.compact >= 1) {
      const entries = output.length;
      if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
      // Keep the innermost `compact` levels on one line when they fit.
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (isBelowBreakLength(ctx, output, start, base)) {
          const joined = output.join(", ");
          if (!joined.includes("\n")) return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const indentation = `\n${" ".repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }
  if (isBelowBreakLength(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ""} ${output.join(", ")} ${braces[1]}`;
  }
  const indentation = " ".repeat(ctx.indentationLvl);
  const ln = base === "" && braces[0].length === 1 ? " " : `${base ? ` ${base}` : ""}\n${indentation}  `;
  return `${braces[0]}${ln}${output.join(`,\n${indentation}  `)} ${braces[1]}`;
}

function isBelowBreakLength(ctx: Context, output: string[], start: number, base: string): boolean {
  if (ctx.breakLength === Infinity) {
    return !base.includes("\n") && !output.some((entry) => entry.includes("\n"));
  }
  let totalLength = output.length + start;
  if (totalLength + output.length > ctx.breakLength) return false;
  for (const entry of output) {
    totalLength += entry.length;
    if (totalLength > ctx.breakLength) return false;
  }
  return base === "" || !base.includes("\n");
}

/** Lays out many short array entries in aligned columns (numbers right-aligned). */
function groupArrayElements(ctx: Context, output: string[], value: unknown): string[] {
  let totalLength = 0;
  let maxLength = 0;
  let outputLength = output.length;
  // The "... n more items" entry is not part of the grid.
  if (ctx.maxArrayLength < output.length) outputLength--;
  const separatorSpace = 2; // ", "
  const dataLen: number[] = new Array(outputLength);
  for (let i = 0; i < outputLength; i++) {
    const len = getStringWidth(output[i]!);
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  // At least three columns must fit, and no entry may dwarf the others.
  if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength && (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = Math.sqrt(actualMax - totalLength / output.length);
    const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
    const columns = Math.min(
      // A roughly square block, characters being about 2.5 times as high as wide.
      Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
      Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      (ctx.compact as number) * 4,
      15,
    );
    if (columns <= 1) return output;
    const maxLineLength: number[] = [];
    for (let i = 0; i < columns; i++) {
      let lineMaxLength = 0;
      for (let j = i; j < output.length; j += columns) {
        if (dataLen[j]! > lineMaxLength) lineMaxLength = dataLen[j]!;
      }
      maxLineLength.push(lineMaxLength + separatorSpace);
    }
    let padStart = true;
    if (value !== undefined) {
      const items = value as Record<number, unknown>;
      for (let i = 0; i < output.length; i++) {
        if (typeof items[i] !== "number" && typeof items[i] !== "bigint") {
          padStart = false;
          break;
        }
      }
    }
    const grouped: string[] = [];
    for (let i = 0; i < outputLength; i += columns) {
      const max = Math.min(i + columns, outputLength);
      let line = "";
      let j = i;
      for (; j < max - 1; j++) {
        const padding = maxLineLength[j - i]! + output[j]!.length - dataLen[j]!;
        line += padStart ? `${output[j]}, `.padStart(padding, " ") : `${output[j]}, `.padEnd(padding, " ");
      }
      if (padStart) {
        const padding = maxLineLength[j - i]! + output[j]!.length - dataLen[j]! - separatorSpace;
        line += output[j]!.padStart(padding, " ");
      } else {
        line += output[j]!;
      }
      grouped.push(line);
    }
    if (ctx.maxArrayLength < output.length) grouped.push(output[outputLength]!);
    return grouped;
  }
  return output;
}

/** Terminal columns of `str`: wide East Asian characters count 2, combining marks 0. */
export function getStringWidth(str: string): number {
  let width = 0;
  for (let i = 0; i < str.length; i++) {
    const code = str.codePointAt(i)!;
    if (code > 0xffff) i++;
    if (code < 0x7f) width += code >= 32 ? 1 : 0;
    else if (isFullWidth(code)) width += 2;
    else if (!isZeroWidth(code)) width += 1;
  }
  return width;
}

function isZeroWidth(code: number): boolean {
  return code <= 0x9f || (code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x20d0 && code <= 0x20ff) || (code >= 0xfe00 && code <= 0xfe0f) || (code >= 0xfe20 && code <= 0xfe2f) ||
    (code >= 0xe0100 && code <= 0xe01ef);
}

function isFullWidth(code: number): boolean {
  return code >= 0x1100 && (code <= 0x115f || code === 0x2329 || code === 0x232a ||
    (code >= 0x2e80 && code <= 0x3247 && code !== 0x303f) || (code >= 0x3250 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0xa4c6) || (code >= 0xa960 && code <= 0xa97c) || (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe10 && code <= 0xfe19) || (code >= 0xfe30 && code <= 0xfe6b) ||
    (code >= 0xff01 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1b000 && code <= 0x1b001) ||
    (code >= 0x1f200 && code <= 0x1f251) || (code >= 0x1f300 && code <= 0x1f64f) || (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd));
}
