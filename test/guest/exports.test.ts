/**
 * The guest libraries as package entry points (package.json `exports`): every library the build
 * resolves as `tsuki/<name>` (a folder of src/guest/lib with an index.ts, host/build/bundle.ts) is
 * exported with its types, so an editor and `tsc` resolve it outside the build. Checked by reading
 * the field, and by type-checking a small consumer project against an installed copy of tsuki
 * (package.json and src/ in its node_modules, beside the packages the guest code imports), with
 * TypeScript's `bundler` and `nodenext` resolution: it compiles, and a type error in it is found
 * (the types are the libraries' own, not `any`).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { tscPath } from "../../src/host/build/type-check.ts";
import { ROOT, tempDir } from "../helpers.ts";

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
const LIBRARIES = readdirSync(path.join(ROOT, "src/guest/lib")).filter((name) => existsSync(path.join(ROOT, "src/guest/lib", name, "index.ts")));

describe("package.json exports the guest libraries", () => {
  test("every library the build resolves as tsuki/<name> is exported with its types, and every export names a file that exists", () => {
    assert.ok(LIBRARIES.length >= 6, `${LIBRARIES}`);
    for (const name of LIBRARIES) {
      const target = `./src/guest/lib/${name}/index.ts`;
      assert.deepEqual(pkg.exports[`./${name}`], { types: target, default: target }, `tsuki/${name}`);
    }
    assert.deepEqual(pkg.exports["."], { types: "./src/guest/sdk/index.ts", default: "./src/guest/sdk/index.ts" });
    for (const [key, value] of Object.entries(pkg.exports)) {
      for (const file of typeof value === "string" ? [value] : Object.values(value)) assert.ok(existsSync(path.join(ROOT, file)), `${key}: ${file}`);
    }
  });

  /** A project that uses tsuki as an installed package; returns tsc's exit status and output. */
  function consumer(resolution: "bundler" | "nodenext", extra: string): { status: number | null; output: string } {
    const dir = tempDir("tsuki-consumer-");
    const installed = path.join(dir, "node_modules/tsuki");
    mkdirSync(installed, { recursive: true });
    cpSync(path.join(ROOT, "package.json"), path.join(installed, "package.json"));
    cpSync(path.join(ROOT, "src"), path.join(installed, "src"), { recursive: true });
    // The packages guest code imports, as an install would put them beside tsuki.
    for (const name of ["web-streams-polyfill", "fflate", "urlpattern-polyfill"]) symlinkSync(path.join(ROOT, "node_modules", name), path.join(dir, "node_modules", name));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "es2024", lib: ["es2024"], types: ["tsuki/globals"], module: resolution === "bundler" ? "esnext" : "nodenext", moduleResolution: resolution, strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true },
        include: ["main.ts"],
      }),
    );
    writeFileSync(
      path.join(dir, "main.ts"),
      `import { unikernel, listener, block, type SystemError } from "tsuki";
import { serve } from "tsuki/http";
import { KV, KVError, KV_ERROR_CODES } from "tsuki/kv";
import { parseZone, WireError } from "tsuki/dns";
import { Stack, DnsError } from "tsuki/tcpip";
import { workersUnikernel } from "tsuki/workers";
import { formatIPv6, isIP, parseIPv6 } from "tsuki/net-address";
const text: string = formatIPv6(parseIPv6("2001:db8::1")!);
const family: 0 | 4 | 6 = isIP(text);
const code: keyof typeof KV_ERROR_CODES = "ERR_KV_KEY";
void [KV, KVError, parseZone, WireError, Stack, DnsError, workersUnikernel, family, code];
export default unikernel({
  devices: { web: listener(), data: block() },
  async start({ web, data }) {
    const store = await KV.open(data);
    void store;
    await serve(web, async (request: Request) => new Response(new URL(request.url).pathname));
  },
});
export function failed(error: SystemError): string {
  return error.code;
}
${extra}
`,
    );
    const result = spawnSync(tscPath(), ["-p", dir, "--pretty", "false"], { cwd: dir, encoding: "utf8" });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  for (const resolution of ["bundler", "nodenext"] as const) {
    test(`a consumer project type-checks against them (moduleResolution ${resolution}), and its type errors are found`, () => {
      const clean = consumer(resolution, "");
      assert.equal(clean.status, 0, clean.output);
      const wrong = consumer(resolution, `export const wrong: number = formatIPv6([0, 0, 0, 0, 0, 0, 0, 1]);\nexport const missing = KV_ERROR_CODES.ERR_KV_NOPE;`);
      assert.notEqual(wrong.status, 0);
      const lines = wrong.output.trim().split("\n");
      assert.equal(lines.length, 2, wrong.output);
      assert.ok(lines.every((line) => line.startsWith("main.ts(")), wrong.output);
      assert.match(wrong.output, /TS2322/);
      assert.match(wrong.output, /ERR_KV_NOPE/);
    });
  }
});
