// The WPT URL data suites (../shared/conformance/wpt/url, read in place) run inside a unikernel on
// the isolate target, with its global URL, URLSearchParams, Request and Response, next to Node 24
// running the same harness code (wpt-runner.ts) with its own. Every file must pass at least as many
// cases as Node does, and the cases Node passes and tsuki fails are listed (there must be none).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT, bootToEnd, buildSource } from "../../../helpers.ts";
import { FILES, type FileResult, runAll } from "./wpt-runner.ts";

const DATA = path.resolve(ROOT, "../shared/conformance/wpt/url");
const files = Object.fromEntries(FILES.map((file) => [file, JSON.parse(readFileSync(path.join(DATA, file), "utf8"))])) as Record<(typeof FILES)[number], unknown>;

async function inUnikernel(): Promise<Record<string, FileResult>> {
  const runner = path.join(import.meta.dirname, "wpt-runner.ts");
  const image = await buildSource(`
    import { unikernel } from "tsuki";
    import { runAll } from ${JSON.stringify(runner)};
    export default unikernel({
      async start({ console, args }) {
        console.log(JSON.stringify(await runAll(args.files, { URL, URLSearchParams, Request, Response })));
      },
    });
  `);
  assert.deepEqual(image.manifest.runtime, ["web"]);
  const booted = await bootToEnd("isolate", image, { args: { files }, cpuMs: 60_000 });
  assert.equal(booted.status.kind, "returned", booted.err.join("\n"));
  return JSON.parse(booted.out.join(""));
}

test("the WPT URL suites pass inside a unikernel at least as often as in Node 24", async () => {
  const node = await runAll(files, { URL, URLSearchParams, Request, Response });
  const tsuki = await inUnikernel();
  const lines = ["file                          tsuki (isolate)   node 24"];
  for (const file of FILES) {
    lines.push(`${file.padEnd(30)}${`${tsuki[file]!.passed}/${tsuki[file]!.total}`.padEnd(18)}${node[file]!.passed}/${node[file]!.total}`);
  }
  console.log(lines.join("\n"));
  for (const file of FILES) {
    const failing = new Set(tsuki[file]!.failures.map((f) => f.split(": ")[0]));
    const nodeFailing = new Set(node[file]!.failures.map((f) => f.split(": ")[0]));
    const onlyTsuki = [...failing].filter((name) => !nodeFailing.has(name));
    if (tsuki[file]!.failures.length > 0) console.log(`${file}, failing in tsuki:\n  ${tsuki[file]!.failures.join("\n  ")}`);
    assert.ok(tsuki[file]!.passed >= node[file]!.passed, `${file}: tsuki passes ${tsuki[file]!.passed}, Node ${node[file]!.passed}`);
    assert.deepEqual(onlyTsuki, [], `${file}: cases Node passes and tsuki fails`);
  }
});
