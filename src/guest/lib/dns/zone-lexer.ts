/**
 * @module tsuki/dns/zone-lexer
 * Splits a zone file (RFC 1035 §5.1) into entries of tokens with their line and column:
 * whitespace separates tokens, `;` starts a comment, `(` … `)` continue an entry over lines,
 * `"…"` is one token (quoted, so it may hold spaces, `;` and parentheses), and `\` escapes the
 * next character anywhere. Escapes are kept in the token's text, for the parsers of names and
 * character-strings to interpret. An entry that starts with blank space has no owner.
 */

import { ZoneError } from "./errors.ts";

export interface Token {
  /** The token's characters, escapes kept; without the quotes for a quoted token. */
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
}

export interface Entry {
  /** The entry started with blank space: the owner is the previous entry's. */
  readonly blankOwner: boolean;
  readonly tokens: Token[];
  readonly line: number;
}

export function lexZone(text: string, file: string): Entry[] {
  const entries: Entry[] = [];
  let tokens: Token[] = [];
  let blankOwner = false;
  let entryLine = 1;
  let depth = 0;
  let openLine = 0;
  let openColumn = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  const flush = () => {
    if (tokens.length > 0) entries.push({ blankOwner, tokens, line: entryLine });
    tokens = [];
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const column = i - lineStart + 1;
    if (ch === "\n") {
      if (depth === 0) flush();
      line++;
      lineStart = i + 1;
      atLineStart = true;
      i++;
      continue;
    }
    if (atLineStart && depth === 0) {
      atLineStart = false;
      blankOwner = ch === " " || ch === "\t";
      entryLine = line;
    }
    atLineStart = false;
    if (ch === " " || ch === "\t" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === ";") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (ch === "(") {
      if (depth > 0) throw new ZoneError(file, line, column, "a second `(` inside parentheses: close the first with `)`");
      depth = 1;
      openLine = line;
      openColumn = column;
      i++;
      continue;
    }
    if (ch === ")") {
      if (depth === 0) throw new ZoneError(file, line, column, "`)` without an opening `(`");
      depth = 0;
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let value = "";
      for (;;) {
        if (j >= text.length) throw new ZoneError(file, line, column, 'a quoted string is not closed: add the closing `"`');
        const c = text[j]!;
        if (c === "\\" && j + 1 < text.length) {
          value += c + text[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') break;
        if (c === "\n") throw new ZoneError(file, line, column, 'a quoted string runs to the end of the line: add the closing `"` (a string cannot span lines)');
        value += c;
        j++;
      }
      tokens.push({ text: value, quoted: true, line, column });
      i = j + 1;
      continue;
    }
    let j = i;
    let value = "";
    while (j < text.length) {
      const c = text[j]!;
      if (c === "\\" && j + 1 < text.length && text[j + 1] !== "\n") {
        value += c + text[j + 1];
        j += 2;
        continue;
      }
      if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === ";" || c === "(" || c === ")" || c === '"') break;
      value += c;
      j++;
    }
    tokens.push({ text: value, quoted: false, line, column });
    i = j;
  }
  if (depth > 0) throw new ZoneError(file, openLine, openColumn, "`(` is never closed: add `)` at the end of the record");
  flush();
  return entries;
}
