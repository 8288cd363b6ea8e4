/**
 * Deno's side of the differential test: runs the scenarios with Deno's globals on the options
 * given as JSON in the first argument and prints the observations as JSON.
 */

import { runScenarios } from "./index.ts";

declare const Deno: { args: string[] };

console.log(JSON.stringify(await runScenarios(JSON.parse(Deno.args[0]!))));
