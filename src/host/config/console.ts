/**
 * @module host/config/console
 * The `console:` key of a run configuration: the unikernel's console limits, as
 * `--console-rate` and `--console-burst` give them.
 *
 *   console:
 *     rate: 1000     # lines a second (a line counts once per 256 bytes begun)
 *     burst: 5000    # lines at once, after a quiet while
 *
 * Either key may be left out; the tender fills in the defaults. The values are checked by the run
 * specification's checker (spec/run-spec.ts).
 */

import { type Node, isMap, isScalar } from "yaml";
import type { ConsoleLimits } from "../spec/limits.ts";
import { SpecProblem, consoleLimit } from "../spec/run-spec.ts";
import { closest } from "./problems.ts";
import type { Reader } from "./reader.ts";

export const CONSOLE_KEYS = ["rate", "burst"] as const;

export function readConsole(reader: Reader, node: Node | null): Partial<ConsoleLimits> {
  const at = reader.offset(node);
  const tag = reader.tag(node);
  if (tag !== undefined) {
    reader.report("CONFIG_TAG", ["console"], at, `has the tag ${tag}: tags bind devices and go under devices:; write the limits as plain numbers, e.g. \`console: { rate: 1000, burst: 5000 }\``);
    return {};
  }
  if (node === null || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) {
    reader.report("CONFIG_VALUE", ["console"], at, "is not a mapping: write the console limits as `rate:` (lines a second) and `burst:` (lines at once), e.g. `console: { rate: 1000, burst: 5000 }`");
    return {};
  }
  const limits: { rate?: number; burst?: number } = {};
  for (const [key, value, keyNode] of reader.entries(node, ["console"])) {
    if (!(CONSOLE_KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, CONSOLE_KEYS);
      reader.report("CONFIG_KEY", ["console", key], reader.offset(keyNode), `is not a console limit${guess ? `: did you mean ${guess}?` : ""} (the keys are ${CONSOLE_KEYS.join(", ")})`);
      continue;
    }
    const k = key as (typeof CONSOLE_KEYS)[number];
    // A tagged value is no number, whatever it holds; a list or mapping is shown as one.
    const given = isScalar(value) ? (reader.tag(value) === undefined ? value.value : String(value.value)) : isMap(value) ? {} : [];
    try {
      limits[k] = consoleLimit(k, given, "yaml");
    } catch (error) {
      if (!(error instanceof SpecProblem)) throw error;
      reader.report("CONFIG_VALUE", ["console", key], reader.offset(value, reader.offset(keyNode)), error.message);
    }
  }
  return limits;
}
