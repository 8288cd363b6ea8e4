/**
 * @module guest/web/fetch/tee
 * Fetch §2.2.6 "clone a body": a body of bytes is shared (nobody writes them: readers get copies),
 * a streamed body is teed, the original keeping one branch and the clone taking the other.
 */

import type { BodySource } from "./body.ts";

export function teeSource(holder: { source: BodySource | null }): BodySource | null {
  const source = holder.source;
  if (source === null) return null;
  if ("bytes" in source) return { bytes: source.bytes, used: false };
  const [mine, theirs] = source.stream.tee();
  holder.source = { stream: mine };
  return { stream: theirs };
}
