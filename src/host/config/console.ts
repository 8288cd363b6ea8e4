/**
 * @module host/config/console
 * The `console:` key of a run configuration: the unikernel's console limits, as
 * `--console-rate` and `--console-burst` give them.
 *
 *   console:
 *     rate: 1000     # lines a second (a line counts once per 256 bytes begun)
 *     burst: 5000    # lines at once, after a quiet while
 *
 * Either key may be left out; the tender fills in the defaults (console-limits.ts).
 */

import { type Node, isMap, isScalar } from "yaml";
import { CONSOLE_BURST_RANGE, CONSOLE_RATE_RANGE, type ConsoleLimits } from "../tender/console-limits.ts";
import { closest } from "./problems.ts";
import type { Reader } from "./reader.ts";

export const CONSOLE_KEYS = ["rate", "burst"] as const;

const RANGES = { rate: CONSOLE_RATE_RANGE, burst: CONSOLE_BURST_RANGE } as const;
const EXAMPLES = { rate: "rate: 1000", burst: "burst: 5000" } as const;

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
    const n = isScalar(value) && reader.tag(value) === undefined ? value.value : undefined;
    const range = RANGES[k];
    if (typeof n === "number" && Number.isInteger(n) && n >= range.min && n <= range.max) limits[k] = n;
    else {
      const shown = isScalar(value) ? (value.value === null ? "empty" : JSON.stringify(value.value)) : "a list or mapping";
      reader.report("CONFIG_VALUE", ["console", key], reader.offset(value, reader.offset(keyNode)), `is ${shown}, not a whole number of lines from ${range.min} to ${range.max}: write e.g. \`${EXAMPLES[k]}\``);
    }
  }
  return limits;
}
