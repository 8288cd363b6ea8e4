/**
 * @module guest/web/fetch/mime
 * "Parse a MIME type" (MIME Sniffing Standard §4.4), for what a body's `Content-Type` says:
 * `formData()` reads its essence and `boundary`, `blob()` its serialisation. Type, subtype and
 * parameter names are lower-cased; a parameter value may be a quoted string; invalid parameters
 * are skipped and the first of a repeated name wins, as the standard says.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED_OK = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

export interface MimeType {
  readonly type: string;
  readonly subtype: string;
  readonly parameters: Map<string, string>;
}

export function parseMimeType(input: string): MimeType | null {
  const text = input.replace(HTTP_WHITESPACE, "");
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const type = text.slice(0, slash);
  if (!TOKEN.test(type)) return null;
  let at = slash + 1;
  const semicolon = text.indexOf(";", at);
  const subtype = text.slice(at, semicolon < 0 ? text.length : semicolon).replace(/[\t\n\r ]+$/, "");
  if (!TOKEN.test(subtype)) return null;
  const parameters = new Map<string, string>();
  at = semicolon < 0 ? text.length : semicolon;
  while (at < text.length) {
    at++; // the ";"
    while (at < text.length && /[\t\n\r ]/.test(text[at]!)) at++;
    let end = at;
    while (end < text.length && text[end] !== ";" && text[end] !== "=") end++;
    const name = text.slice(at, end).toLowerCase();
    at = end;
    if (at < text.length && text[at] === ";") continue;
    at++; // the "=", or past the end
    if (at > text.length) break;
    let value: string;
    if (text[at] === '"') {
      [value, at] = quotedString(text, at);
      while (at < text.length && text[at] !== ";") at++;
    } else {
      end = at;
      while (end < text.length && text[end] !== ";") end++;
      value = text.slice(at, end).replace(/[\t\n\r ]+$/, "");
      at = end;
      if (value === "") continue;
    }
    if (name !== "" && TOKEN.test(name) && QUOTED_OK.test(value) && !parameters.has(name)) parameters.set(name, value);
  }
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), parameters };
}

/** Fetch §2.2.5 "collect an HTTP quoted string" with the extract-value flag. */
function quotedString(text: string, at: number): [string, number] {
  let value = "";
  at++;
  while (at < text.length) {
    const c = text[at++]!;
    if (c === '"') break;
    if (c === "\\") {
      if (at >= text.length) {
        value += "\\";
        break;
      }
      value += text[at++];
    } else value += c;
  }
  return [value, at];
}

export function essence(mime: MimeType): string {
  return `${mime.type}/${mime.subtype}`;
}

/** §4.5 "serialize a MIME type". */
export function serializeMimeType(mime: MimeType): string {
  let out = essence(mime);
  for (const [name, value] of mime.parameters) {
    const quoted = value === "" || !TOKEN.test(value) ? `"${value.replace(/(["\\])/g, "\\$1")}"` : value;
    out += `;${name}=${quoted}`;
  }
  return out;
}
