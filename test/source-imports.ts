/**
 * Reading a TypeScript source's imports without a compiler: comments (and, on request, the insides
 * of strings) blanked out with every offset kept, then the static and dynamic import forms
 * matched. Shared by the guest's wall (guest/no-node-imports.test.ts) and the folder arrows of
 * architecture.test.ts; the former checks it against what esbuild sees in the bundled guest.
 */

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/** Every .ts file under `dir`, recursively. */
export function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(?:c|m)?tsx?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * Blanks out comments (and, unless `keepStrings`, the insides of strings and template literals),
 * keeping every offset and line break where it was, so offsets in the result are offsets in the
 * source. Regular-expression literals are not recognised; a quote or comment marker inside one
 * could confuse this, which the bundle check of guest/no-node-imports.test.ts would still catch.
 */
export function blank(source: string, keepStrings: boolean): string {
  return source.replace(/("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\[\s\S]|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (match, literal: string | undefined) =>
    literal !== undefined && keepStrings ? literal : literal !== undefined ? literal[0] + literal.slice(1, -1).replace(/[^\n]/g, " ") + literal[0] : match.replace(/[^\n]/g, " "),
  );
}

export const STATIC_IMPORT = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s*)?(["'])([^"'\n]+)\1/g;
export const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*([^)]*?)\s*[,)]/g;

/** One import of a file: its specifier (a literal one; computed ones are left out), 1-based line, and whether it is type-only. */
export interface ImportSite {
  readonly specifier: string;
  readonly line: number;
  readonly typeOnly: boolean;
  /** `import("…")`: loaded when it runs, not with the file. */
  readonly dynamic: boolean;
}

/** Every import and re-export of a source file, static or dynamic, outside comments and strings. */
export function importsOf(file: string): ImportSite[] {
  const raw = readFileSync(file, "utf8");
  const code = blank(raw, true);
  const bare = blank(raw, false);
  const lineOf = (index: number) => code.slice(0, index).split("\n").length;
  const found: ImportSite[] = [];
  for (const m of code.matchAll(STATIC_IMPORT)) {
    const at = m.index + m[0].search(/import|export/);
    // A keyword inside a string (a template of generated code) is not an import.
    if (!bare.startsWith(code.slice(at, at + 6), at)) continue;
    found.push({ specifier: m[2]!, line: lineOf(at), typeOnly: /^(?:import|export)\s+type\s/.test(code.slice(at, at + 12)), dynamic: false });
  }
  for (const m of code.matchAll(DYNAMIC_IMPORT)) {
    if (!bare.startsWith("import", m.index)) continue;
    const literal = /^(["'`])([^"'`]+)\1$/.exec(m[1]!);
    if (literal) found.push({ specifier: literal[2]!, line: lineOf(m.index), typeOnly: false, dynamic: true });
  }
  return found;
}

/** The strongly connected groups of more than one node (Tarjan), each sorted. */
export function cycles(nodes: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of nodes.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of nodes.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}
