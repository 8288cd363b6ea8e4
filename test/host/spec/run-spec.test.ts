/**
 * The run specification's one set of checkers, through each input path: a bad memory limit, CPU
 * limit or device binding is refused with the path's own code, and its message names the value
 * as that path spells it — the flag on the command line, the YAML key with its line and column,
 * the create request's field — never another path's spelling.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DeviceKind, Manifest } from "../../../src/abi/index.ts";
import { readImage } from "../../../src/host/image/image.ts";
import { ConfigError, parseRunConfig } from "../../../src/host/config/index.ts";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { DaemonError } from "../../../src/host/orchestrator/api/errors.ts";
import { parseSpec, specBindings } from "../../../src/host/orchestrator/model/spec.ts";
import { checkBindings, parseBinding } from "../../../src/host/spec/bindings.ts";
import { absoluteBinding, runSpecFromFlags } from "../../../src/host/spec/flags.ts";
import { SpecProblem, consoleLimits, cpuLimit, memoryLimit, targetName } from "../../../src/host/spec/run-spec.ts";
import { TARGETS } from "../../../src/host/tender/targets/index.ts";
import { Tender } from "../../../src/host/tender/tender.ts";
import { craftImage } from "../../helpers.ts";

function manifest(devices: Record<string, DeviceKind>): Manifest {
  return readImage(craftImage("export default 0;", { name: "site", devices: Object.fromEntries(Object.entries(devices).map(([n, kind]) => [n, { kind }])) })).manifest;
}

/** What `fn` threw. */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.fail("it did not throw");
}

/** The one problem of a run configuration that must hold exactly one. */
function yamlProblem(text: string): { code: string; key: string; line: number; column: number; message: string } {
  const error = thrown(() => parseRunConfig(text, { file: "run.yaml", dir: "/srv/site" }));
  assert.ok(error instanceof ConfigError, String(error));
  assert.equal(error.problems.length, 1, error.message);
  return error.problems[0]!;
}

const OTHER_SPELLINGS = { flag: /memoryMb|cpuMs|devices\[|run\.yaml/, yaml: /--mem|--cpu-ms|--dev|memoryMb|cpuMs/, api: /--mem|--cpu-ms|--dev|run\.yaml/ };

describe("the command line: ERR_FLAG_VALUE naming the flag as written", () => {
  test("--mem 4M", () => {
    const error = thrown(() => runSpecFromFlags({ mem: "4M" }));
    assert.ok(error instanceof TsukiError);
    assert.equal(error.code, "ERR_FLAG_VALUE");
    assert.equal(error.message, "--mem 4M is out of range: give 8M–16384M; e.g. --mem 64M");
  });

  test("--cpu-ms 0 and --cpu-ms abc", () => {
    assert.throws(() => runSpecFromFlags({ "cpu-ms": "0" }), { code: "ERR_FLAG_VALUE", message: "--cpu-ms 0 is out of range: give 1–3600000 ms; e.g. --cpu-ms 200" });
    assert.throws(() => runSpecFromFlags({ "cpu-ms": "abc" }), { code: "ERR_FLAG_VALUE", message: "--cpu-ms abc is not a whole number: e.g. --cpu-ms 200" });
  });

  test("--dev: a malformed binding is ERR_DEV_MALFORMED quoting it; a bad URI names --dev in its fix", () => {
    assert.throws(() => runSpecFromFlags({ dev: ["web"] }), { code: "ERR_DEV_MALFORMED", message: /^--dev "web" is malformed: write --dev NAME=URI/ });
    const error = thrown(() => checkBindings(manifest({ web: "listener" }), [parseBinding("web=tcp://127.0.0.1")]));
    assert.equal(error.code, "ERR_DEV_MALFORMED");
    assert.match(error.message, /^device "web": tcp:\/\/127\.0\.0\.1 is malformed: it names no port .*; e\.g\. --dev web=tcp:\/\/127\.0\.0\.1:8080$/);
    for (const message of [thrown(() => runSpecFromFlags({ mem: "4M" })).message, error.message]) assert.doesNotMatch(message, OTHER_SPELLINGS.flag);
  });

  test("a good command line is a RunSpec; --target is checked against the command's targets", () => {
    const spec = runSpecFromFlags({ mem: "1G", "cpu-ms": "50", target: "unix", "console-rate": "10", dev: ["web=tcp://127.0.0.1:0"], arg: ["n=3"] });
    assert.deepEqual(spec, { target: "unix", limits: { memoryMb: 1024, cpuMs: 50, console: { rate: 10 } }, args: { n: 3 }, devices: [{ name: "web", uri: "tcp://127.0.0.1:0" }] });
    assert.throws(() => runSpecFromFlags({ target: "unix" }, ["isolate", "process"]), { code: "ERR_FLAG_VALUE", message: "--target unix is not one of isolate, process: give --target isolate or --target process" });
  });

  test("absoluteBinding makes a block file and TLS files absolute, canonically, and leaves the rest", () => {
    const cwd = process.cwd();
    assert.equal(absoluteBinding(parseBinding("data=file:d.img?size=1M")).uri, `file:${cwd}/d.img?size=1048576`);
    assert.equal(absoluteBinding(parseBinding("web=tls://127.0.0.1:8443?cert=c.pem&key=k.pem")).uri, `tls://127.0.0.1:8443?cert=${cwd}/c.pem&key=${cwd}/k.pem`);
    assert.equal(absoluteBinding(parseBinding("db=tls://db.internal:5432?ca=ca.pem")).uri, `tls://db.internal:5432?ca=${cwd}/ca.pem`);
    assert.equal(absoluteBinding(parseBinding("data=volume:kv")).uri, "volume:kv");
    assert.equal(absoluteBinding(parseBinding("web=tcp://127.0.0.1:0")).uri, "tcp://127.0.0.1:0");
  });
});

describe("a run configuration: ERR_CONFIG_VALUE naming the key, its line and column", () => {
  test("memory: 4M", () => {
    const p = yamlProblem("image: site.tsuki\nmemory: 4M\n");
    assert.deepEqual([p.code, p.key, p.line, p.column], ["ERR_CONFIG_VALUE", "memory", 2, 9]);
    assert.equal(p.message, 'memory at run.yaml:2:9 is "4M", out of range: give 8M–16384M; write e.g. `memory: 64M`');
  });

  test("cpu-ms: 0", () => {
    const p = yamlProblem("cpu-ms: 0\n");
    assert.deepEqual([p.code, p.key, p.line, p.column], ["ERR_CONFIG_VALUE", "cpu-ms", 1, 9]);
    assert.equal(p.message, "cpu-ms at run.yaml:1:9 is 0, not a whole number of milliseconds from 1 to 3600000: write e.g. `cpu-ms: 200`");
  });

  test("a device binding", () => {
    const p = yamlProblem("devices:\n  web: !listen tcp://127.0.0.1\n");
    assert.deepEqual([p.code, p.key, p.line, p.column], ["ERR_CONFIG_VALUE", "devices.web", 2, 8]);
    assert.match(p.message, /^devices\.web at run\.yaml:2:8 is !listen "tcp:\/\/127\.0\.0\.1", which names no port/);
  });

  test("no message names a flag or an API field", () => {
    for (const text of ["memory: 4M\n", "memory: lots\n", "cpu-ms: 0\n", "console: { rate: 0 }\n", "target: vm\n", "devices:\n  web: !listen tcp://127.0.0.1\n"]) {
      assert.doesNotMatch(yamlProblem(text).message, OTHER_SPELLINGS.yaml, text);
    }
  });

  test("a device bound in the file but not declared is named by its key and place", () => {
    const config = parseRunConfig("devices:\n  extra: !listen tcp://127.0.0.1:0\n", { file: "run.yaml" });
    const error = thrown(() => checkBindings(manifest({}), config.devices));
    assert.equal(error.code, "ERR_DEV_UNDECLARED");
    assert.match(error.message, /remove devices\.extra \(run\.yaml:2:10 \(!listen\)\)$/);
  });
});

describe("tsukid's create request: ERR_REQUEST_VALUE / ERR_REQUEST_MALFORMED naming the field", () => {
  const sha = "0".repeat(64);

  test("memoryMb: 4, and memoryMb: \"4M\"", () => {
    const error = thrown(() => parseSpec({ name: "x", image: sha, memoryMb: 4 }));
    assert.ok(error instanceof DaemonError);
    assert.equal(error.code, "ERR_REQUEST_VALUE");
    assert.equal(error.message, "memoryMb 4 is out of range: give 8–16384 MiB");
    assert.throws(() => parseSpec({ name: "x", image: sha, memoryMb: "4M" }), { code: "ERR_REQUEST_MALFORMED", message: "memoryMb must be a whole number" });
  });

  test("cpuMs: 0", () => {
    assert.throws(() => parseSpec({ name: "x", image: sha, cpuMs: 0 }), { code: "ERR_REQUEST_VALUE", message: "cpuMs 0 is out of range: give 1–3600000 ms" });
  });

  test("a device binding: devices[i], and the fix as the request writes it", () => {
    assert.throws(() => parseSpec({ name: "x", image: sha, devices: ["web=tcp://127.0.0.1:0", "db"] }), { code: "ERR_DEV_MALFORMED", message: /^devices\[1\] "db" is malformed: write "NAME=URI"/ });
    const spec = parseSpec({ name: "x", image: sha, devices: ["web=tcp://127.0.0.1"] });
    const error = thrown(() => checkBindings(manifest({ web: "listener" }), specBindings(spec), { path: "api" }));
    assert.equal(error.code, "ERR_DEV_MALFORMED");
    assert.match(error.message, /^device "web": tcp:\/\/127\.0\.0\.1 \(devices\[0\]\) is malformed: it names no port .*; e\.g\. "web=tcp:\/\/127\.0\.0\.1:8080" in devices$/);
    assert.doesNotMatch(error.message, OTHER_SPELLINGS.api);
  });
});

describe("the checkers", () => {
  test("each path spells the same problem its own way", () => {
    const messages = (["flag", "yaml", "api"] as const).map((path) => thrown(() => memoryLimit(path === "api" ? 4 : "4M", path)).message);
    assert.deepEqual(messages, ["--mem 4M is out of range: give 8M–16384M; e.g. --mem 64M", 'is "4M", out of range: give 8M–16384M; write e.g. `memory: 64M`', "memoryMb 4 is out of range: give 8–16384 MiB"]);
    assert.ok(thrown(() => cpuLimit(1.5, "api")) instanceof SpecProblem);
    assert.equal((thrown(() => cpuLimit(1.5, "api")) as SpecProblem).malformed, true);
    assert.equal(targetName("process", "api", ["isolate", "process"]), "process");
  });

  test("a console rate alone gets a burst of two seconds of it", () => {
    assert.deepEqual(consoleLimits({ rate: 1000 }, "api"), { rate: 1000, burst: 2000 });
    assert.deepEqual(consoleLimits({}, "api"), { rate: 50_000, burst: 100_000 });
  });

  test("the tender checks a library caller's limits with the same checkers, naming BootOptions' fields", async () => {
    const tender = new Tender({ target: TARGETS.unix, console: { line: () => undefined } });
    const image = readImage(craftImage("export default 0;", { name: "site" }));
    await assert.rejects(tender.boot(image, { memoryMb: 4 }), { code: "ERR_FLAG_VALUE", message: "memoryMb 4 is out of range: give 8–16384 MiB" });
    await assert.rejects(tender.boot(image, { cpuMs: 0 }), { code: "ERR_FLAG_VALUE", message: "cpuMs 0 is out of range: give 1–3600000 ms" });
  });
});
