/**
 * @module host/orchestrator/server/request-checks
 * Checks on a request's shape made before anything else reads it, so that what a client sends
 * can only ever be refused with a 400 that says what is wrong, never fail inside the daemon: a
 * path segment whose percent-encoding is malformed (`decodeURIComponent` throws), and a JSON body
 * nested deeper than MAX_JSON_DEPTH (walked without recursion here: the recursive code that reads
 * it later, `JSON.stringify` for one, would overflow the stack on a body of `[[[[…` a megabyte deep).
 */

import { DaemonError } from "../api/errors.ts";

/** Levels of objects and arrays a JSON body may nest, itself included (`{"args":{}}` is 2). */
export const MAX_JSON_DEPTH = 32;

/** One segment of a request's path, percent-decoded; a malformed one is ERR_REQUEST_MALFORMED. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    const shown = segment.length > 80 ? `${segment.slice(0, 80)}…` : segment;
    throw new DaemonError("REQUEST_MALFORMED", `the path segment ${JSON.stringify(shown)} is not valid percent-encoding (a "%" must start %XX, two hex digits of a UTF-8 byte): write "%" itself as %25, e.g. with encodeURIComponent`);
  }
}

/** Refuses a parsed JSON body nested deeper than `limit`, naming where (ERR_REQUEST_MALFORMED). */
export function checkJsonDepth(value: unknown, limit = MAX_JSON_DEPTH): void {
  interface Frame {
    readonly value: object;
    readonly depth: number;
    readonly key: string;
    readonly parent: Frame | undefined;
  }
  if (typeof value !== "object" || value === null) return;
  const stack: Frame[] = [{ value, depth: 1, key: "", parent: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > limit) throw new DaemonError("REQUEST_MALFORMED", `the request body nests objects and arrays ${limit + 1} or more levels deep (at ${where(frame)}): at most ${limit} are accepted; flatten it`);
    for (const [key, child] of Object.entries(frame.value)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: frame.depth + 1, key: Array.isArray(frame.value) ? `[${key}]` : `.${key}`, parent: frame });
    }
  }

  function where(frame: Frame): string {
    const keys: string[] = [];
    for (let f: Frame | undefined = frame; f !== undefined; f = f.parent) keys.push(f.key);
    const path = keys.reverse().join("");
    return path === "" ? "the top" : path.length > 120 ? `${path.slice(0, 120)}…` : path.replace(/^\./, "");
  }
}
