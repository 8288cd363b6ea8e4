// The web globals as a unikernel gets them: the build records `runtime: ["web"]` exactly when the
// code names one of WEB_GLOBALS as a global; such a unikernel has exactly those globals more than
// one without, each a getter until first touched (nothing of a group is made before), with its
// public name; hello's image is as it was.
import assert from "node:assert/strict";
import { test } from "node:test";
import { WEB_GLOBALS } from "../../../src/abi/index.ts";
import { runtimeParts } from "../../../src/host/build/runtime-parts.ts";
import { bootToEnd, buildSource } from "../../helpers.ts";

test("the build finds web globals named as globals, and nothing else", async () => {
  const cases: [string, string[]][] = [
    ['export const r = new Response("x");', ["web"]],
    ["export const ok = typeof ReadableStream;", ["web"]],
    ["export const u = globalThis.URL;", ["web"]],
    ["export const n = self.navigator;", ["web"]],
    ["class Response {} export const r = new Response();", []],
    ["export function f(URL) { return new URL(); }", []],
    ['export const text = "Response, URL and Headers";', []],
    ["export const p = ({}).Request;", []],
    ["export const q = globalThis.fetch;", ["web"]],
    ["export const d = globalThis.caches;", []],
  ];
  for (const [code, expected] of cases) assert.deepEqual(await runtimeParts(code), expected, code);
});

const PROBE = `
  const before = Object.getOwnPropertyNames(globalThis);
  const lazy = before.filter((name) => Object.getOwnPropertyDescriptor(globalThis, name).get !== undefined);
`;

test("a unikernel that uses the web has exactly WEB_GLOBALS more than one that does not, lazily, with their names", async () => {
  const plain = await buildSource(`
    import { unikernel } from "tsuki";
    export default unikernel({ start({ console }) { console.log(JSON.stringify(Object.getOwnPropertyNames(globalThis))); } });
  `);
  assert.equal(plain.manifest.runtime, undefined, "no web global named: no runtime field");
  const web = await buildSource(`
    import { unikernel } from "tsuki";
    export default unikernel({
      start({ console }) {
        ${PROBE}
        const names = ["Response", "URL", "ReadableStream", "TextDecoderStream", "AbortSignal", "File", "URLPattern", "CompressionStream"].map((name) => globalThis[name].name);
        const touched = Object.getOwnPropertyDescriptor(globalThis, "Response");
        console.log(JSON.stringify({ before, lazy, names, afterTouch: typeof touched.value, writable: touched.writable, enumerable: touched.enumerable, self: self === globalThis, agent: navigator.userAgent }));
      },
    });
  `);
  assert.deepEqual(web.manifest.runtime, ["web"]);
  const [without, withWeb] = [await bootToEnd("isolate", plain), await bootToEnd("isolate", web)];
  const base = new Set(JSON.parse(without.out.join("")) as string[]);
  const seen = JSON.parse(withWeb.out.join(""));
  assert.deepEqual((seen.before as string[]).filter((name) => !base.has(name)).sort(), [...WEB_GLOBALS].sort());
  assert.deepEqual(seen.lazy.filter((name: string) => (WEB_GLOBALS as readonly string[]).includes(name)).sort(), [...WEB_GLOBALS].sort(), "every web global is a getter until touched");
  assert.deepEqual(seen.names, ["Response", "URL", "ReadableStream", "TextDecoderStream", "AbortSignal", "File", "URLPattern", "CompressionStream"]);
  assert.deepEqual([seen.afterTouch, seen.writable, seen.enumerable, seen.self, seen.agent], ["function", true, false, true, "tsuki/0.1.0"]);
});

test("the same unikernel runs its web globals on the unix target", async () => {
  const image = await buildSource(`
    import { unikernel } from "tsuki";
    export default unikernel({ async start({ console }) { console.log(await new Response(new Blob(["ok"]).stream()).text(), new URL("http://ÖBB.at").host); } });
  `);
  const booted = await bootToEnd("unix", image);
  assert.deepEqual(booted.out, ["ok xn--bb-eka.at"]);
});

test("the web script's code cache is warmed: it carries the handler's path, so it is larger than a cold one", async () => {
  const ivm = (await import("isolated-vm")).default;
  const { runtimeScript, webScript } = await import("../../../src/host/tender/guest/runtime-script.ts");
  const { warmCodeCache } = await import("../../../src/host/tender/targets/warm-cache.ts");
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const cold = (isolate.compileScriptSync(webScript(), { filename: "tsuki:web", produceCachedData: true }) as { cachedData?: { copy(): ArrayBuffer } }).cachedData!.copy().byteLength;
  isolate.dispose();
  const warm = warmCodeCache(runtimeScript(), "tsuki:web", webScript());
  assert.ok(warm !== undefined, "the warm-up ran");
  assert.ok(warm.copy().byteLength > cold * 1.5, `warm ${warm.copy().byteLength} bytes, cold ${cold}`);
});

test("an image that takes Response from tsuki/http and names no global itself still gets the web part", async () => {
  const image = await buildSource(`
    import { unikernel } from "tsuki";
    import { Response as R } from "tsuki/http";
    export default unikernel({ async start({ console }) { console.log(await new R("via tsuki/http").text()); } });
  `);
  assert.deepEqual(image.manifest.runtime, ["web"]);
  assert.deepEqual((await bootToEnd("isolate", image)).out, ["via tsuki/http"]);
});
