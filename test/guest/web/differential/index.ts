/**
 * The differential scenarios, run in order with one seed: what the test compares between a
 * unikernel, Node 24 and Deno. Each runtime runs this same module with its own globals.
 */

import { bodies } from "./bodies.ts";
import { compression } from "./compression.ts";
import { events } from "./events.ts";
import { files } from "./files.ts";
import { headers } from "./headers.ts";
import { type Observation, Recorder } from "./observe.ts";
import { streams } from "./streams.ts";

export type { Observation };

export interface Options {
  seed: number;
  /** Cases per area. */
  cases: number;
  /** Streams the host's zlib made, base64, for the compression area (see compression.ts). */
  samples: Record<string, string>;
}

export async function runScenarios(options: Options): Promise<Observation[]> {
  const recorder = new Recorder();
  await headers(recorder, options.seed, options.cases);
  await bodies(recorder, options.seed + 1, options.cases);
  await streams(recorder, options.seed + 2, options.cases);
  await events(recorder, options.seed + 3, options.cases);
  await files(recorder, options.seed + 4, options.cases);
  await compression(recorder, options.seed + 5, options.cases, options.samples);
  return recorder.observations;
}
