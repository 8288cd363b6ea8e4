/**
 * What `tsuki daemon` loads at start, which is most of its own memory (issue 7): through the
 * module hook of bin/tsuki.js, none of Node's type stripper (amaro), the X.509 stack (the
 * certificate commands load @peculiar/x509; --listen only asn1-schema) or Node's bundled undici (an ESM import of node:http
 * loads it). Each child process loads the modules as bin/tsuki.js would, then lists what it got.
 * The tender (isolated-vm) is not loaded on the daemon's control thread at all: it runs in tender
 * threads, which register the same hook (tender-worker-entry.js) before loading it.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const url = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, file)).href);

/** Loads `modules` in a fresh Node behind the hook; the packages it resolved and the internals it loaded. */
function loaded(modules: string[]): { packages: string[]; internals: string[] } {
  const script = `
    (await import(${url("src/host/loader/hook.js")})).register();
    const { registerHooks } = await import("node:module");
    const packages = new Set();
    registerHooks({ resolve(specifier, context, next) {
      const r = next(specifier, context);
      const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
      if (m) packages.add(m[1]);
      return r;
    } });
    for (const m of [${modules.map(url).join(", ")}]) await import(m);
    console.log(JSON.stringify({ packages: [...packages], internals: process.moduleLoadList }));`;
  const out = execFileSync(process.execPath, ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as { packages: string[]; internals: string[] };
}

test("tsuki daemon loads neither Node's type stripper, the X.509 stack nor undici", () => {
  const { packages, internals } = loaded(["src/cli/main.ts", "src/cli/commands/daemon.ts"]);
  assert.deepEqual(packages.filter((p) => p.startsWith("@peculiar/") || p === "reflect-metadata" || p === "asn1js" || p === "tsyringe"), []);
  assert.deepEqual(internals.filter((m) => /amaro|undici/.test(m)), []);
  assert.ok(!packages.includes("isolated-vm"), `the daemon's control thread runs no guest: the tender loads in its tender threads (${packages.join(", ")})`);
});

test("a tender thread loads the tender behind the same hook: isolated-vm, and no type stripper", () => {
  // Also what shows that `loaded` sees packages at all.
  // What tender-worker.ts imports (it runs only inside a worker), as tender-worker-entry.js loads it.
  const { packages, internals } = loaded(["src/host/tender/tender.ts", "src/host/tender/targets/isolate.ts", "src/host/tender/guest/runtime-script.ts", "src/host/orchestrator/supervision/tender-protocol.ts"]);
  assert.ok(packages.includes("isolated-vm"), `the tender (${packages.join(", ")})`);
  assert.deepEqual(internals.filter((m) => /amaro|undici/.test(m)), []);
});

test("the certificate commands still load the X.509 stack when they run", () => {
  const { packages } = loaded(["src/cli/commands/cert.ts"]);
  assert.ok(packages.includes("@peculiar/x509") && packages.includes("@peculiar/asn1-schema"), packages.join(", "));
});

test("the TLS listener reads chains with Node's X509Certificate: only asn1-schema (the policy extension), never @peculiar/x509", () => {
  const { packages } = loaded(["src/host/orchestrator/server/tls-listener.ts", "src/host/orchestrator/pki/peer-chain.ts", "src/host/orchestrator/pki/tenant-chain.ts", "src/host/orchestrator/pki/native-certs.ts"]);
  assert.ok(packages.includes("@peculiar/asn1-schema"), packages.join(", "));
  assert.deepEqual(packages.filter((p) => p === "@peculiar/x509" || p === "reflect-metadata" || p === "tsyringe"), []);
});
