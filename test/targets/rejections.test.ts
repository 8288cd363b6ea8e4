/**
 * Rejections nobody handles end the unikernel on every target, with a reason that names the
 * rejection and shows the guest's value (`aborted: unhandled rejection: Error: boom`), never
 * isolated-vm's message about objects that are not an Error, and a console line in the guest's
 * words. A rejection handled later in the same turn, and exit() inside an async function, are not
 * rejections to report.
 *
 * Where the value is an object that is not an Error and no runtime code saw the promise (one left
 * lying in `start`), the isolate and process targets can only say so: isolated-vm lets only errors
 * and primitives out of an isolate (README, "Unhandled rejections").
 */

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { TARGET_NAMES } from "../../src/host/tender/targets/index.ts";
import { ROOT, bootToEnd, buildSource } from "../helpers.ts";

const built = new Map<string, Promise<Image>>();
const image = (start: string) => {
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ async start(ctx) {\n${start}\n} });\n`;
  if (!built.has(source)) built.set(source, buildSource(source));
  return built.get(source)!;
};

const HOST_TEXT = [ROOT, "node_modules", "node:internal", "file://", "isolated-vm"];

/** node:test fails a test whose process sees an unhandled rejection; on the unix target the guest's are the tender's to report. */
let runnerListeners: NodeJS.UnhandledRejectionListener[] = [];
before(() => {
  runnerListeners = process.listeners("unhandledRejection");
  runnerListeners.forEach((l) => process.off("unhandledRejection", l));
});
after(() => runnerListeners.forEach((l) => process.on("unhandledRejection", l)));

const CASES: { what: string; code: string; reason: string; console: RegExp; targets?: readonly string[] }[] = [
  { what: "an Error rejected in start and left", code: `Promise.reject(new Error("boom"));`, reason: "aborted: unhandled rejection: Error: boom", console: /^Uncaught \(in promise\) Error: boom$/ },
  { what: "an async timer callback that throws a plain object", code: `setTimeout(async () => { throw { code: 42 }; }, 1);`, reason: "aborted: unhandled rejection: { code: 42 }", console: /^Uncaught \(in promise\) \{ code: 42 \}$/ },
  { what: "an async microtask that throws a TypeError", code: `queueMicrotask(async () => { null.x; });`, reason: "aborted: unhandled rejection: TypeError: Cannot read properties of null (reading 'x')", console: /^Uncaught \(in promise\) TypeError: Cannot read properties of null/ },
  { what: "a string rejected in a timer and left", code: `setTimeout(() => { Promise.reject("str"); }, 1); setTimeout(() => {}, 100);`, reason: "aborted: unhandled rejection: 'str'", console: /^Uncaught \(in promise\) 'str'$/ },
  { what: "a number rejected in start and left", code: `Promise.reject(42);`, reason: "aborted: unhandled rejection: 42", console: /^Uncaught \(in promise\) 42$/ },
  { what: "a plain object rejected in start and left (unix: shown)", code: `Promise.reject({ code: 42 });`, reason: "aborted: unhandled rejection: { code: 42 }", console: /^Uncaught \(in promise\) \{ code: 42 \}$/, targets: ["unix"] },
  {
    what: "a plain object rejected in start and left (isolated-vm: said to be an object)",
    code: `Promise.reject({ code: 42 });`,
    reason: "aborted: unhandled rejection: an object that is not an Error (only errors and primitives leave the isolate: reject with an Error, or handle the promise, to see it)",
    console: /^Uncaught \(in promise\) an object that is not an Error/,
    targets: ["isolate", "process"],
  },
];

for (const target of TARGET_NAMES) {
  describe(`target ${target}: rejections nobody handles`, () => {
    for (const c of CASES.filter((c) => c.targets === undefined || c.targets.includes(target))) {
      test(c.what, async () => {
        const r = await bootToEnd(target, await image(c.code));
        assert.equal(r.status.kind, "aborted");
        assert.equal(r.status.reason, c.reason);
        assert.match(r.err[0] ?? "", c.console);
        assert.ok(!HOST_TEXT.some((h) => r.status.reason.includes(h)), r.status.reason);
        // The unix target promises no walls: its errors' stacks run through the tender's frames.
        if (target !== "unix") for (const line of r.err) assert.ok(!HOST_TEXT.some((h) => line.includes(h)), line);
      });
    }

    test("a rejection handled later in the same turn is not one", async () => {
      const r = await bootToEnd(target, await image(`const p = Promise.reject(new Error("x")); await null; p.catch(() => console.log("handled"));`));
      assert.equal(r.status.kind, "returned", r.status.reason);
      assert.deepEqual(r.out, ["handled"]);
    });

    test("exit() in an async callback ends the unikernel with its code, not as a rejection", async () => {
      const r = await bootToEnd(target, await image(`setTimeout(async () => { await null; ctx.exit(4); }, 1);`));
      assert.deepEqual([r.status.kind, r.status.code], ["exit", 4]);
      assert.deepEqual(r.err, []);
    });
  });
}
