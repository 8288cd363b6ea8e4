/**
 * @module guest/web/client/fields
 * Field lines, as tsuki/http's server parses them (one parser for both directions), and the
 * comma-separated elements of a field (RFC 9110 §5.6.1).
 */

import { parseFieldLine, trimOws } from "../../lib/http/fields.ts";

export { parseFieldLine };

/** The trimmed, non-empty elements of every field named `name`. */
export function listValues(fields: readonly (readonly [string, string])[], name: string): string[] {
  const out: string[] = [];
  for (const [field, value] of fields) {
    if (field !== name) continue;
    for (const element of value.split(",")) {
      const trimmed = trimOws(element);
      if (trimmed !== "") out.push(trimmed);
    }
  }
  return out;
}
