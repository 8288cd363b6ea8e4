/**
 * The memory battery: for each way a guest can make the host allocate, a hostile guest runs in a
 * tender of its own process (battery-tender.ts) at --mem 64M, and that process's peak RSS
 * (VmHWM; on the process target also the sandboxed process's) must stay within --mem + 64 MiB of
 * the same tender running an idle guest. The guest must end out of memory or catch a RangeError
 * (each prints SURVIVED if it gets through its loop, which stops at about 1 GiB so that a broken
 * limit cannot take the machine), and a second guest in the same tender must still run.
 *
 * Two cases have a bound of their own: a string V8 makes in one step (flattening a rope) is
 * allocated whole before the guard can stop the guest (V8 lets one object past its heap limit
 * rather than end the process, and finishes the operation before a termination takes effect),
 * so their bound is --mem + 64 MiB + that string (README, "Memory"). On the process target the
 * sandbox's RLIMIT_DATA would stop a larger one.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildImage } from "../../src/host/build/build.ts";
import { unikernelDir } from "../helpers.ts";
import { codeModule, literal, memoryModule } from "./wasm-modules.ts";

const MEM_MB = 64;
const SLACK_MB = 64;
const TENDER = fileURLToPath(new URL("./battery-tender.ts", import.meta.url));

const images = new Map<string, Promise<string>>();
function imageFile(start: string): Promise<string> {
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ async start() {\n${start}\n} });\n`;
  if (!images.has(source)) images.set(source, buildImage(unikernelDir({ "src/main.ts": source }), { check: false }).then((r) => r.image));
  return images.get(source)!;
}

interface Run {
  status: string;
  reason: string;
  out: string[];
  second: string;
  secondOut: string[];
  tenderPeakKiB: number;
  sandboxPeakKiB: number;
}

async function run(target: string, start: string): Promise<Run> {
  const [hostile, next] = await Promise.all([imageFile(start), imageFile(`console.log("alive");`)]);
  const flags = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
  const out = execFileSync(process.execPath, [...flags, TENDER, target, String(MEM_MB), hostile, next], { encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").at(-1)!) as Run;
}

/** Each case: what the guest does (it prints SURVIVED if it was never stopped). */
const CASES: { name: string; start: string; transientMb?: number; ends?: string }[] = [
  {
    name: "WebAssembly: one big memory, made in JavaScript and by a module",
    start: `for (const make of [() => new WebAssembly.Memory({ initial: 16384 }), () => new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 16384 }))})).exports.memory]) {
      try { new Uint8Array(make().buffer).fill(1); console.log("SURVIVED"); } catch (e) { console.log(e.name); }
    }`,
  },
  {
    name: "WebAssembly: many small memories",
    start: `const kept = []; try { for (let i = 0; i < 1024; i++) { const m = new WebAssembly.Memory({ initial: 16, maximum: 16 }); new Uint8Array(m.buffer).fill(1); kept.push(m); } console.log("SURVIVED"); } catch (e) { console.log(e.name, kept.length); }`,
  },
  {
    // One call into WebAssembly: no JavaScript runs, so no GC comes to count the memory it takes.
    name: "WebAssembly: a module's memory grown and written by its own code in one call",
    start: `const e = new WebAssembly.Instance(new WebAssembly.Module(${literal(memoryModule({ min: 1 }))})).exports;
    const added = e.growfill(16384); console.log(added < 16383 ? "stopped at " + added : "SURVIVED");`,
  },
  {
    name: "WebAssembly: a memory grown from JavaScript and written",
    start: `const m = new WebAssembly.Memory({ initial: 1, maximum: 16384 }); let pages = 1;
    try { while (pages < 16384) { m.grow(1); new Uint8Array(m.buffer, pages++ * 65536, 65536).fill(1); } console.log("SURVIVED"); } catch (e) { console.log(e.name, pages); }`,
  },
  {
    name: "WebAssembly: compiled code, many distinct modules",
    start: `const bytes = ${literal(codeModule(200, 1000))}; const kept = [];
    try { for (let i = 0; i < 1000; i++) { new DataView(bytes.buffer).setFloat64(bytes.length - 8, i); const m = new WebAssembly.Module(bytes); const x = new WebAssembly.Instance(m).exports; for (let f = 0; f < 200; f++) x["f" + f](f); kept.push(m); } console.log("SURVIVED"); } catch (e) { console.log(e.name, kept.length); }`,
  },
  {
    name: "compiled code: many functions from strings",
    start: `const kept = []; for (let i = 0; i < 2e6; i++) { const f = new Function("a", "return a * " + i + " + " + (i >> 3)); f(i); kept.push(f); } console.log("SURVIVED");`,
  },
  { name: "JSON.parse of deeply nested input", start: `const n = 1e7; JSON.parse("[".repeat(n) + "]".repeat(n)); console.log("SURVIVED");` },
  { name: "JSON.parse of wide input", start: `const r = JSON.parse("[" + "[],".repeat(8e6) + "[]]"); console.log("SURVIVED", r.length);` },
  {
    name: "strings grown step by step (each flattened)",
    start: `let s = ""; const chunk = "x".repeat(1 << 20); for (let i = 0; i < 1024; i++) { s += chunk; s.charCodeAt(s.length - 1); } console.log("SURVIVED");`,
    // The last flattening allocates the whole new string (~--mem) while the old one is alive.
    transientMb: MEM_MB,
  },
  {
    name: "a string of 256 MiB made in one step",
    start: `let s = "ab"; for (let i = 0; i < 27; i++) s += s; s.indexOf("z"); globalThis.kept = s; console.log("SURVIVED");`,
    transientMb: 256,
  },
  { name: "ArrayBuffer flood", start: `const kept = []; try { for (let i = 0; i < 1024; i++) kept.push(new Uint8Array(1 << 20).fill(1)); console.log("SURVIVED"); } catch (e) { console.log(e.name, kept.length); }` },
  {
    name: "resizable ArrayBuffers resized and written",
    start: `const kept = []; try { for (let i = 0; i < 64; i++) { const b = new ArrayBuffer(0, { maxByteLength: 16 * 2 ** 20 }); b.resize(16 * 2 ** 20); new Uint8Array(b).fill(1); kept.push(b); } console.log("SURVIVED"); } catch (e) { console.log(e.name, kept.length); }`,
  },
  { name: "regular-expression backtracking stack", start: `const s = "a".repeat(2e7) + "c"; try { /^(?:a|b)*$/.test(s); console.log("no overflow"); } catch (e) { console.log(e.name); }`, ends: "returned" },
  {
    name: "Intl objects held",
    start: `const kept = []; try { for (let i = 0; i < 40000; i++) kept.push(new Intl.DateTimeFormat("en", { timeZone: "UTC", dateStyle: "full" }), new Intl.Segmenter("en", { granularity: "word" }).segment("a b")[Symbol.iterator]()); console.log("SURVIVED"); } catch (e) { console.log(e.name, kept.length); }`,
  },
  {
    name: "Intl temporaries: locale-sensitive methods called with options",
    start: `const d = new Date(0); for (let i = 0; i < 30000; i++) d.toLocaleString("de-DE", { timeZone: "UTC", weekday: "long" }); console.log("done");`,
    ends: "returned",
  },
  { name: "a Set growing without bound", start: `const s = new Set(); for (let i = 0; i < 5e7; i++) s.add("k" + i); console.log("SURVIVED");` },
];

for (const target of ["isolate", "process"] as const) {
  describe(`target ${target}: every path to the host's memory stays within --mem ${MEM_MB}M + ${SLACK_MB} MiB`, () => {
    let baseline: Run | undefined;
    const base = async () => (baseline ??= await run(target, `console.log("idle");`));

    for (const c of CASES) {
      const transient = c.transientMb ?? 0;
      test(`${c.name}${transient > 0 ? ` (plus the ${transient} MiB object, see the file comment)` : ""}`, async () => {
        const idle = await base();
        const r = await run(target, c.start);
        const detail = `${r.status} (${r.reason}); printed ${JSON.stringify(r.out)}`;
        assert.ok(!r.out.includes("SURVIVED") && !r.out.some((l) => l.startsWith("SURVIVED")), `the guest was never stopped: ${detail}`);
        if (c.ends !== undefined) assert.equal(r.status, c.ends, detail);
        else assert.ok(r.status === "out-of-memory" || r.status === "returned", detail);
        assert.equal(r.second, "returned", "a second guest in the same tender runs");
        assert.deepEqual(r.secondOut, ["alive"]);
        const bound = (MEM_MB + SLACK_MB + transient) * 1024;
        const grew = { tender: r.tenderPeakKiB - idle.tenderPeakKiB, sandbox: r.sandboxPeakKiB - idle.sandboxPeakKiB };
        const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
        console.log(`  ${target} | ${c.name} | ${r.status} | tender +${mib(grew.tender)}${target === "process" ? ` | sandbox +${mib(grew.sandbox)}` : ""}`);
        if (target === "isolate") assert.ok(grew.tender <= bound, `the tender's peak RSS grew by ${mib(grew.tender)}, more than ${mib(bound)}: ${detail}`);
        else {
          assert.ok(grew.sandbox <= bound, `the sandboxed process's peak RSS grew by ${mib(grew.sandbox)}, more than ${mib(bound)}: ${detail}`);
          assert.ok(grew.tender <= SLACK_MB * 1024, `the tender's own peak RSS grew by ${mib(grew.tender)}: ${detail}`);
        }
      });
    }
  });
}
