/**
 * @module tsuki/dns/names
 * Domain names. A name is handled as its presentation text, fully qualified (trailing dot), with
 * every octet that is not a letter, digit, hyphen, underscore, `*`, `/` or another harmless
 * printable character written as `\.`-style or `\DDD` escapes, the way dig prints it, so that
 * one name has one spelling. Lower-casing that text folds exactly the ASCII letters, as DNS
 * matching does (RFC 4343). Also: labels to and from wire bytes, and the suffixes used for
 * compression and for walking up the tree.
 */

/** A name's labels may be at most this long … */
export const MAX_LABEL = 63;
/** … and the whole name, in wire form, at most this. */
export const MAX_NAME = 255;

/** The characters that must be escaped with a backslash in presentation form. */
const SPECIAL = new Set([0x2e, 0x5c, 0x22, 0x28, 0x29, 0x3b, 0x40, 0x24]); // . \ " ( ) ; @ $

/** Appends one label (octets `bytes[start..end)`) in presentation form to `out`. */
export function escapeLabel(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c > 0x20 && c < 0x7f) out += SPECIAL.has(c) ? `\\${String.fromCharCode(c)}` : String.fromCharCode(c);
    else out += `\\${c < 10 ? "00" : c < 100 ? "0" : ""}${c}`;
  }
  return out;
}

/** The presentation text of a name given as labels. */
export function labelsToText(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  let out = "";
  for (const label of labels) out += `${escapeLabel(label, 0, label.length)}.`;
  return out;
}

/**
 * Parses a name in presentation form (with `\X` and `\DDD` escapes). A name not ending in an
 * unescaped dot is relative and gets `origin`'s labels appended (an error if there is no origin).
 * `@` alone is the origin. Returns the labels, or a string saying what is wrong.
 */
export function textToLabels(text: string, origin: readonly Uint8Array[] | undefined): Uint8Array[] | string {
  if (text === "@") return origin ? [...origin] : "`@` needs an origin: add `$ORIGIN example.com.` before it";
  if (text === ".") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2e) {
      if (current.length === 0) return `empty label in "${text}"`;
      labels.push(Uint8Array.from(current));
      current = [];
      if (i === text.length - 1) absolute = true;
      continue;
    }
    if (ch === 0x5c) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) return `"${text}" ends with a lone backslash`;
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) return `bad escape "\\${digits}" in "${text}": write \\DDD with three digits up to 255`;
        current.push(Number(digits));
        i += 3;
      } else {
        if (next > 0x7f) return `non-ASCII character in "${text}": write its UTF-8 octets as \\DDD escapes`;
        current.push(next);
        i += 1;
      }
      continue;
    }
    if (ch > 0x7e || ch < 0x21) return `character ${JSON.stringify(text[i])} in "${text}": write it as a \\DDD escape`;
    current.push(ch);
  }
  if (current.length > 0) labels.push(Uint8Array.from(current));
  for (const label of labels) if (label.length > MAX_LABEL) return `label "${escapeLabel(label, 0, label.length)}" is ${label.length} octets: at most ${MAX_LABEL}`;
  if (!absolute) {
    if (!origin) return `"${text}" is relative and there is no origin: write it with a trailing dot, or add \`$ORIGIN\``;
    labels.push(...origin);
  }
  let size = 1;
  for (const label of labels) size += label.length + 1;
  if (size > MAX_NAME) return `"${text}" is ${size} octets in wire form: at most ${MAX_NAME}`;
  return labels;
}

/** ASCII-only lower-casing (the only folding DNS does). Presentation text is ASCII. */
export function lower(name: string): string {
  return name.toLowerCase();
}

/** Where each label of `name` (canonical presentation text) starts: [0, after the first dot, …]. */
export function labelStarts(name: string): number[] {
  if (name === ".") return [];
  const starts = [0];
  for (let i = 0; i < name.length - 1; i++) {
    const ch = name.charCodeAt(i);
    if (ch === 0x5c) {
      i += name.charCodeAt(i + 1) >= 0x30 && name.charCodeAt(i + 1) <= 0x39 ? 3 : 1;
      continue;
    }
    if (ch === 0x2e) starts.push(i + 1);
  }
  return starts;
}

/** The name without its first label ("." for a top-level name). */
export function parentName(name: string): string {
  const starts = labelStarts(name);
  return starts.length > 1 ? name.slice(starts[1]) : ".";
}

/** Whether `name` is `ancestor` or below it (both lower-cased canonical text). */
export function isAtOrBelow(name: string, ancestor: string): boolean {
  if (ancestor === "." || name === ancestor) return true;
  if (!name.endsWith(ancestor) || name.length <= ancestor.length) return false;
  return labelStarts(name).includes(name.length - ancestor.length);
}

/** Wire form of presentation text (a name without its trailing dot is taken as fully qualified). */
export function nameToWire(name: string): Uint8Array {
  const labels = textToLabels(name.endsWith(".") && !name.endsWith("\\.") ? name : `${name}.`, undefined);
  if (typeof labels === "string") throw new TypeError(`not a domain name: ${labels}`);
  let size = 1;
  for (const label of labels) size += label.length + 1;
  const out = new Uint8Array(size);
  let at = 0;
  for (const label of labels) {
    out[at++] = label.length;
    out.set(label, at);
    at += label.length;
  }
  return out;
}

/** Canonical form of a name given as text: parsed, escaped one way, lower-cased, fully qualified. */
export function canonicalName(text: string): string {
  const absolute = text.endsWith(".") && !text.endsWith("\\.") ? text : `${text}.`;
  const labels = textToLabels(absolute === ".." ? "." : absolute, undefined);
  if (typeof labels === "string") throw new TypeError(`not a domain name: ${labels}`);
  return lower(labelsToText(labels));
}
