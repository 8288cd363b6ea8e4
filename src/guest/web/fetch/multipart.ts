/**
 * @module guest/web/fetch/multipart
 * `multipart/form-data` (RFC 7578) for bodies: serialising a `FormData` as HTML's "multipart/
 * form-data encoding algorithm" does (names and filenames with CR, LF and `"` written as %0D, %0A
 * and %22, line breaks of names and string values normalised to CRLF, a file's Content-Type or
 * application/octet-stream), and parsing one back as `formData()` needs.
 *
 * The parser is strict where a guess could go wrong, linear in the body's size, and never throws
 * anything but the TypeError `formData()` rejects with: the body must start with the boundary
 * delimiter, each part needs a `Content-Disposition: form-data` with a `name`, and the close
 * delimiter must come. A part with a `filename` becomes a `File` (of its Content-Type, else
 * "text/plain", as Node and Deno do), any other a string decoded as UTF-8.
 */

import { type Blob, File, FormData, blobParts, formEntries } from "../file/index.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function escapeName(text: string): string {
  return text.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
}

function normaliseLineBreaks(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** A boundary of 24 random hex digits after a fixed prefix, from the host's CSPRNG. */
export function makeBoundary(): string {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return `----formdata-tsuki-${Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function serializeFormData(form: FormData, boundary: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of formEntries(form)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(normaliseLineBreaks(name))}"`;
    if (typeof value === "string") {
      parts.push(encoder.encode(`${head}\r\n\r\n${normaliseLineBreaks(value)}\r\n`));
      continue;
    }
    head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
    parts.push(encoder.encode(head), ...blobParts(value as Blob), encoder.encode("\r\n"));
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

const failure = (why: string) => new TypeError(`formData(): the multipart/form-data body is malformed: ${why}`);

/** Parses `body` with `boundary`; throws a TypeError naming what is wrong. */
export function parseMultipart(body: Uint8Array, boundary: string): FormData {
  if (boundary === "" || boundary.length > 70) throw failure("the boundary must be 1–70 characters");
  const delimiter = encoder.encode(`--${boundary}`);
  const form = new FormData();
  if (!startsWith(body, delimiter, 0)) throw failure("it does not start with the boundary");
  let at = delimiter.length;
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return form;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) throw failure("a boundary is not followed by CRLF");
    at += 2;
    const head = parsePartHead(body, at);
    at = head.end;
    const next = indexOf(body, delimiter, at, true);
    if (next < 0) throw failure("the closing boundary is missing");
    const content = body.subarray(at, next - 2);
    at = next + delimiter.length;
    if (head.filename === null) form.append(head.name, decoder.decode(content));
    else form.append(head.name, new File([content], head.filename, { type: head.type ?? "text/plain" }));
  }
}

interface PartHead {
  name: string;
  filename: string | null;
  type: string | null;
  end: number;
}

/** The header fields of one part, up to and past the empty line. */
function parsePartHead(body: Uint8Array, at: number): PartHead {
  let name: string | null = null;
  let filename: string | null = null;
  let type: string | null = null;
  for (;;) {
    const eol = indexOf(body, CRLF, at, false);
    if (eol < 0) throw failure("a part's header section does not end");
    if (eol === at) break;
    const line = decoder.decode(body.subarray(at, eol));
    at = eol + 2;
    const colon = line.indexOf(":");
    if (colon <= 0) throw failure(`a part's header line is not "name: value"`);
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === "content-disposition") {
      const disposition = parseDisposition(value);
      if (disposition === null) throw failure("a part's Content-Disposition is not form-data with a name");
      ({ name, filename } = disposition);
    } else if (field === "content-type") type = value;
  }
  if (name === null) throw failure("a part has no Content-Disposition");
  return { name, filename, type, end: at + 2 };
}

/**
 * `form-data; name="…"; filename="…"`. A quoted value runs to the next `"` (browsers write `"`
 * as %22, never with a backslash), and %0A, %0D and %22 are read back as the line feed, carriage
 * return and quote the serialiser escaped, as Node and Deno read them.
 */
function parseDisposition(value: string): { name: string; filename: string | null } | null {
  const match = /^form-data\s*(;.*)?$/i.exec(value);
  if (match === null) return null;
  const parameters = new Map<string, string>();
  const PARAM = /;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))\s*/gy;
  const rest = match[1] ?? "";
  for (let m = PARAM.exec(rest); m !== null; m = PARAM.exec(rest)) {
    const key = m[1]!.toLowerCase();
    if (!parameters.has(key)) parameters.set(key, m[2] !== undefined ? m[2].replace(/%0A/gi, "\n").replace(/%0D/gi, "\r").replace(/%22/g, '"') : m[3]!);
  }
  const name = parameters.get("name");
  if (name === undefined) return null;
  return { name, filename: parameters.get("filename") ?? null };
}

const CRLF = new Uint8Array([0x0d, 0x0a]);

function startsWith(body: Uint8Array, prefix: Uint8Array, at: number): boolean {
  if (body.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (body[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * The first index ≥ `from` of `needle` in `body`; with `afterCrlf`, only where CRLF comes just
 * before it. A scan for the first byte, then a comparison: linear for a boundary, whose first
 * bytes ("--") rarely repeat in content long enough to matter.
 */
function indexOf(body: Uint8Array, needle: Uint8Array, from: number, afterCrlf: boolean): number {
  const first = needle[0]!;
  for (let i = body.indexOf(first, from); i >= 0 && i <= body.length - needle.length; i = body.indexOf(first, i + 1)) {
    if (afterCrlf && (i < from + 2 || body[i - 2] !== 0x0d || body[i - 1] !== 0x0a)) continue;
    if (startsWith(body, needle, i)) return i;
  }
  return -1;
}
