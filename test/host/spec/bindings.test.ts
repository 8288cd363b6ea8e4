/**
 * Device bindings against an image's manifest: `--dev NAME=URI` parsing, and the boot check that
 * reports every device declared but not bound, bound but not declared, bound twice, or bound to a
 * resource of the wrong kind, each naming the device and the flag that fixes it.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { DeviceKind, Manifest } from "../../../src/abi/index.ts";
import { readImage } from "../../../src/host/image/image.ts";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { type Binding, BindingsError, checkBindings, parseBinding } from "../../../src/host/spec/bindings.ts";
import { craftImage, tempDir, unikernelDir } from "../../helpers.ts";
import { errors, finished, start, tsuki } from "../../cli/spawn.ts";

/** A manifest as the tender reads it from an image declaring `devices`. */
function manifest(devices: Record<string, DeviceKind>): Manifest {
  const decls = Object.fromEntries(Object.entries(devices).map(([name, kind]) => [name, { kind }]));
  return readImage(craftImage("export default 0;", { name: "site", devices: decls })).manifest;
}

const bind = (...texts: string[]): Binding[] => texts.map(parseBinding);

/** Runs `fn`, which must throw a TsukiError, and returns it. */
function thrown(fn: () => unknown): TsukiError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TsukiError, `a TsukiError, not ${String(error)}`);
    return error;
  }
  assert.fail("it did not throw");
}

describe("parseBinding", () => {
  test("NAME=URI gives the name and the URI", () => {
    assert.deepEqual(parseBinding("web=tcp://127.0.0.1:8080"), { name: "web", uri: "tcp://127.0.0.1:8080" });
  });

  test("only the first = separates the name, so a URI may hold =", () => {
    assert.deepEqual(parseBinding("data=file:a=b.img"), { name: "data", uri: "file:a=b.img" });
  });

  for (const text of ["nonsense", "web=", "=tcp://127.0.0.1:1", "1x=tcp://a:1", "web-site=tcp://a:1", "console=tcp://a:1", "web=no-scheme", "web=127.0.0.1:8080"]) {
    test(`--dev ${JSON.stringify(text)} is ERR_DEV_MALFORMED (exit 78) and the message quotes it`, () => {
      const error = thrown(() => parseBinding(text));
      assert.equal(error.code, "ERR_DEV_MALFORMED");
      assert.equal(error.exitCode, 78);
      assert.ok(error.message.startsWith(`--dev ${JSON.stringify(text)}`), error.message);
    });
  }

  test("a reserved name is refused with the reason", () => {
    assert.match(thrown(() => parseBinding("args=tcp://a:1")).message, /reserved/);
  });
});

describe("checkBindings", () => {
  test("every declared device bound to a URI of its kind passes and comes back by name", () => {
    const m = manifest({ web: "listener", db: "connector", dns: "udp", lan: "net", data: "block" });
    const bound = checkBindings(m, bind("web=tcp://127.0.0.1:8080", "db=tcp://10.0.0.2:5432", "dns=udp://127.0.0.1:53", "lan=tap:tap0", "data=file:data.img"));
    assert.deepEqual([...bound.keys()].sort(), ["data", "db", "dns", "lan", "web"]);
    assert.equal(bound.get("lan")?.uri, "tap:tap0");
  });

  test("an image without devices and no bindings passes", () => {
    assert.equal(checkBindings(manifest({}), []).size, 0);
  });

  test("a listener may be bound to tls://, with its certificate and key", () => {
    assert.equal(checkBindings(manifest({ web: "listener" }), bind("web=tls://0.0.0.0:443?cert=c.pem&key=k.pem")).size, 1);
    assert.match(thrown(() => checkBindings(manifest({ web: "listener" }), bind("web=tls://0.0.0.0:443"))).message, /needs \?cert=PATH&key=PATH/);
  });

  test("a device declared but not bound is ERR_DEV_UNBOUND naming the device and the --dev flag that fixes it", () => {
    const error = thrown(() => checkBindings(manifest({ web: "listener" }), []));
    assert.equal(error.code, "ERR_DEV_UNBOUND");
    assert.equal(error.exitCode, 78);
    assert.match(error.message, /"web"/);
    assert.match(error.message, /--dev web=tcp:\/\/127\.0\.0\.1:8080/);
  });

  test("the flag suggested for an unbound device suits its kind", () => {
    assert.match(thrown(() => checkBindings(manifest({ data: "block" }), [])).message, /--dev data=file:/);
    assert.match(thrown(() => checkBindings(manifest({ lan: "net" }), [])).message, /--dev lan=tap:/);
    assert.match(thrown(() => checkBindings(manifest({ dns: "udp" }), [])).message, /--dev dns=udp:\/\//);
  });

  test("a device bound but not declared is ERR_DEV_UNDECLARED naming it, what the image declares, and the flag to remove", () => {
    const error = thrown(() => checkBindings(manifest({ web: "listener" }), bind("web=tcp://127.0.0.1:8080", "extra=tcp://127.0.0.1:9090")));
    assert.equal(error.code, "ERR_DEV_UNDECLARED");
    assert.match(error.message, /"extra"/);
    assert.match(error.message, /declares web/);
    assert.match(error.message, /remove --dev extra=tcp:\/\/127\.0\.0\.1:9090/);
  });

  test("binding a device to an image that declares none says so", () => {
    assert.match(thrown(() => checkBindings(manifest({}), bind("web=tcp://127.0.0.1:1"))).message, /declares no devices/);
  });

  test("a device bound twice is ERR_DEV_BOUND_TWICE naming both URIs", () => {
    const error = thrown(() => checkBindings(manifest({ web: "listener" }), bind("web=tcp://127.0.0.1:1", "web=tcp://127.0.0.1:2")));
    assert.equal(error.code, "ERR_DEV_BOUND_TWICE");
    assert.equal(error.exitCode, 78);
    assert.match(error.message, /tcp:\/\/127\.0\.0\.1:1 and tcp:\/\/127\.0\.0\.1:2/);
  });

  test("a block device bound to tcp://… is ERR_DEV_WRONG_KIND naming the kind and an example of the right URI", () => {
    const error = thrown(() => checkBindings(manifest({ data: "block" }), bind("data=tcp://127.0.0.1:8080")));
    assert.equal(error.code, "ERR_DEV_WRONG_KIND");
    assert.equal(error.exitCode, 78);
    assert.match(error.message, /"data" is a block/);
    assert.match(error.message, /--dev data=file:data\.img/);
  });

  const WRONG: [DeviceKind, string][] = [
    ["listener", "udp://127.0.0.1:53"],
    ["connector", "udp://127.0.0.1:443"],
    ["udp", "tcp://127.0.0.1:53"],
    ["net", "file:frames.img"],
    ["block", "tap:tap0"],
  ];
  for (const [kind, uri] of WRONG) {
    test(`a ${kind} device bound to ${uri} is ERR_DEV_WRONG_KIND`, () => {
      assert.equal(thrown(() => checkBindings(manifest({ dev: kind }), bind(`dev=${uri}`))).code, "ERR_DEV_WRONG_KIND");
    });
  }

  const MALFORMED: [DeviceKind, string, RegExp][] = [
    ["listener", "tcp://127.0.0.1", /port/],
    ["connector", "tcp://127.0.0.1:0", /port/],
    ["listener", "tcp://127.0.0.1:8080/path", /path/],
    ["listener", "tcp://127.0.0.1:99999", /not a valid URI/],
    ["connector", "tcp://:5432", /names no host/],
    ["udp", "udp://127.0.0.1", /port/],
    ["net", "tap:name-is-16-chars", /TAP interface name/],
    ["net", "tap:", /TAP interface name/],
    ["net", "tap:tap 0", /TAP interface name/],
    ["block", "file:", /empty/],
  ];
  for (const [kind, uri, why] of MALFORMED) {
    test(`a ${kind} device bound to ${uri} is ERR_DEV_MALFORMED saying why, with an example`, () => {
      const error = thrown(() => checkBindings(manifest({ dev: kind }), bind(`dev=${uri}`)));
      assert.equal(error.code, "ERR_DEV_MALFORMED");
      assert.equal(error.exitCode, 78);
      assert.match(error.message, why);
      assert.match(error.message, /e\.g\. --dev dev=/);
    });
  }

  test("a TAP name of exactly 15 characters is accepted", () => {
    assert.equal(checkBindings(manifest({ lan: "net" }), bind("lan=tap:abcdefghijklmno")).size, 1);
  });

  test("several problems are all listed in details, the first one as the message and code", () => {
    const m = manifest({ web: "listener", data: "block", lan: "net" });
    const error = thrown(() => checkBindings(m, bind("web=tcp://127.0.0.1:1", "web=tcp://127.0.0.1:2", "data=tcp://127.0.0.1:3", "ghost=tcp://127.0.0.1:4")));
    assert.equal(error.details.length, 4);
    assert.equal(error.details[0], error.message);
    assert.equal(error.code, "ERR_DEV_BOUND_TWICE");
    assert.match(error.details.join("\n"), /"web" is bound twice/);
    assert.match(error.details.join("\n"), /"data" is a block/);
    assert.match(error.details.join("\n"), /"ghost" is bound but/);
    assert.match(error.details.join("\n"), /"lan" is declared .* but not bound/);
  });

  test("with several problems, each keeps its own stable code", () => {
    const m = manifest({ web: "listener", data: "block", lan: "net" });
    const error = thrown(() => checkBindings(m, bind("web=tcp://127.0.0.1:1", "web=tcp://127.0.0.1:2", "data=tcp://127.0.0.1:3", "ghost=tcp://127.0.0.1:4", "lan=tap:")));
    assert.ok(error instanceof BindingsError);
    assert.deepEqual(
      error.problems.map((p) => p.code),
      ["ERR_DEV_BOUND_TWICE", "ERR_DEV_WRONG_KIND", "ERR_DEV_UNDECLARED", "ERR_DEV_MALFORMED"],
    );
    assert.deepEqual(error.problems.map((p) => p.message), error.details);
  });
});

describe("tsuki run with devices", () => {
  const T = { timeout: 60_000 };
  const image = path.join(tempDir("tsuki-bindings-"), "site.tsuki");
  before(async () => {
    const dir = unikernelDir({ "src/main.ts": `import { unikernel, listener } from "tsuki";\nexport default unikernel({ devices: { web: listener() }, start({ console }) { console.log("up"); } });\n` }, "site");
    const r = await tsuki(["build", dir, "--out", image]);
    assert.equal(r.code, 0, r.stderr);
  });

  test("an image declaring listener \"web\" run without --dev exits 78 with ERR_DEV_UNBOUND and the flag that fixes it", T, async () => {
    const r = await tsuki(["run", image]);
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(errors(r.stderr).map(([code]) => code), ["ERR_DEV_UNBOUND"]);
    assert.match(r.stderr, /--dev web=tcp:\/\/127\.0\.0\.1:8080/);
  });

  test("a net device bound to an interface that is not a TAP exits 78 with ERR_TAP_OPEN naming it", T, async () => {
    const dir = unikernelDir({ "src/main.ts": `import { unikernel, net } from "tsuki";\nexport default unikernel({ devices: { eth: net() }, start() {} });\n` }, "direct");
    const out = path.join(tempDir("tsuki-bindings-"), "direct.tsuki");
    assert.equal((await tsuki(["build", dir, "--out", out])).code, 0);
    // lo exists and is no TAP: never attachable, wherever the test runs (without /dev/net/tun: ERR_TAP_UNAVAILABLE).
    const r = await tsuki(["run", out, "--dev", "eth=tap:lo"]);
    assert.equal(r.code, 78, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(["ERR_TAP_OPEN", "ERR_TAP_UNAVAILABLE"].includes(errors(r.stderr).map(([code]) => code)[0]!), r.stderr);
    assert.match(r.stderr, /"eth"/);
  });

  test("a listener bound to port 0 boots on a port the host chose and says which", T, async () => {
    const run = start(["run", image, "--dev", "web=tcp://127.0.0.1:0"]);
    const listening = /web listening on tcp:\/\/127\.0\.0\.1:(\d+)/;
    while (!listening.test(run.stderrText()) && run.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    assert.ok(Number(listening.exec(run.stderrText())?.[1]) > 0, run.stderrText());
    run.kill("SIGTERM");
    const r = await finished(run);
    assert.equal(r.code, 143, r.stderr);
  });

  test("several binding problems print one line each, each with its own code", T, async () => {
    const r = await tsuki(["run", image, "--dev", "web=file:x", "--dev", "web=tcp://127.0.0.1:1", "--dev", "other=tcp://127.0.0.1:2"]);
    assert.equal(r.code, 78, r.stderr);
    assert.deepEqual(
      errors(r.stderr).map(([code]) => code),
      ["ERR_DEV_WRONG_KIND", "ERR_DEV_BOUND_TWICE", "ERR_DEV_UNDECLARED"],
    );
  });
});
