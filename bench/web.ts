/**
 * `npm run bench:web`: the web globals of a unikernel next to Node's, measured in the same run on
 * this machine. Each named case (`bench/web-cases.ts`, one module run unchanged on both sides)
 * runs in rounds that alternate: a unikernel on the isolate target (booted per round, timed from
 * inside, around the loop only), then Node's own WebCrypto in this process. The median time per
 * operation of each side and their ratio are printed; the targets of issue 13 are checked last.
 *
 * Also the memory `crypto.subtle` costs a unikernel: the isolate's heap after `start` with and
 * without touching it; and streamed bodies through tsuki/http next to bare Node `http`
 * (bench/web-streams.ts: a 1 GiB response and a 1 GiB upload, `STREAM_MIB` to change the size,
 * `STREAM_ROUNDS` the rounds, `STREAMS=0` to skip them).
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { buildSource } from "../test/helpers.ts";
import { bootToEnd } from "../test/helpers.ts";
import { CASES, measure } from "./web-cases.ts";
import { streamCases } from "./web-streams.ts";
import { TARGETS } from "../src/host/tender/targets/index.ts";
import { Tender } from "../src/host/tender/tender.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
/** `CASES="name|name"` runs only those. */
const ONLY = process.env.CASES?.split("|");
/** Operations per round: about 200 ms of Node's time each (shorter rounds are dominated by the first, slower calls). */
const N: Record<string, number> = {};

const MAIN = `
import { unikernel } from "tsuki";
import { measure } from "./cases.ts";
export default unikernel({
  async start({ console, args }) {
    console.log(String(await measure(args.name as string, args.n as number, () => performance.now())));
  },
});`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function heapAfterStart(touch: boolean): Promise<number> {
  const image = await buildSource(`
    import { unikernel } from "tsuki";
    export default unikernel({ async start() { ${touch ? `await crypto.subtle.digest("SHA-256", new Uint8Array(1));` : ""} await new Promise((r) => setTimeout(r, 60_000)); } });`);
  const tender = new Tender({ target: TARGETS.isolate, console: { line() {} } });
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const u = await tender.boot(image);
    await new Promise((r) => setTimeout(r, 50));
    samples.push(u.heap()!.used);
    u.stop();
    await u.exited;
  }
  return median(samples);
}

const image = await buildSource(MAIN, { "src/cases.ts": readFileSync(path.join(import.meta.dirname, "web-cases.ts"), "utf8") });
const results: Record<string, { tsuki: number; node: number }> = {};
console.log(`bench:web — ${ROUNDS} alternating rounds per case; µs per operation (median); ratio = tsuki / Node`);
for (const name of Object.keys(CASES).filter((name) => ONLY === undefined || ONLY.includes(name))) {
  const probe = await measure(name, 5, () => performance.now());
  N[name] = Math.max(10, Math.round(200_000 / probe));
  const tsuki: number[] = [];
  const node: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const booted = await bootToEnd("isolate", image, { args: { name, n: N[name] }, cpuMs: 60_000 });
    if (booted.status.kind !== "returned") throw new Error(`${name}: ${booted.status.reason}\n${booted.err.join("\n")}`);
    tsuki.push(Number(booted.out[0]));
    node.push(await measure(name, N[name]!, () => performance.now()));
  }
  results[name] = { tsuki: median(tsuki), node: median(node) };
  const { tsuki: t, node: n } = results[name]!;
  console.log(`${name.padEnd(48)} tsuki ${t.toFixed(1).padStart(8)} µs   node ${n.toFixed(1).padStart(8)} µs   ratio ${(t / n).toFixed(2)}`);
}

if (process.env.STREAMS !== "0") {
  const mib = Number(process.env.STREAM_MIB ?? 1024);
  const rounds = Number(process.env.STREAM_ROUNDS ?? 3);
  console.log(`streamed bodies — ${rounds} alternating rounds; Gbit/s (median); ratio = tsuki / Node; the unikernel has a 32 MiB heap`);
  for (const [name, r] of Object.entries(await streamCases(rounds, mib))) {
    console.log(`${name.padEnd(48)} tsuki ${r.tsuki.toFixed(2).padStart(6)} Gbit/s   node ${r.node.toFixed(2).padStart(6)} Gbit/s   ratio ${(r.tsuki / r.node).toFixed(2)}   ${r.tsuki >= 1 ? "target ≥ 1 Gbit/s met" : "target ≥ 1 Gbit/s MISSED"}`);
  }
}

const untouched = await heapAfterStart(false);
const touched = await heapAfterStart(true);
console.log(`heap of an idle unikernel after start: ${(untouched / 1024).toFixed(0)} KiB; after using crypto.subtle once: ${(touched / 1024).toFixed(0)} KiB (+${((touched - untouched) / 1024).toFixed(0)} KiB)`);

const targets: [string, number][] = [
  ["crypto.subtle.digest SHA-256, 1 MiB", 2],
  ["Ed25519 sign + verify, 32 bytes", 2],
];
for (const [name, within] of targets) {
  const r = results[name];
  if (r !== undefined) console.log(`target: ${name} within ${within}× of Node: ${(r.tsuki / r.node).toFixed(2)}× ${r.tsuki / r.node <= within ? "met" : "MISSED"}`);
}
