/**
 * The tsuki command, end to end: each test spawns the real `tsuki` (bin/tsuki.js) and checks what
 * an operator sees: stdout, stderr, the exit code. Images are built into temporary folders with
 * --out, so the repository is touched only where a test runs a folder (its gitignored dist/).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { readImage } from "../../src/host/image/image.ts";
import { ROOT, processTargetUnavailable, tempDir, unikernelDir } from "../helpers.ts";
import { type Ran, errors, finished, start, tsuki, waitForOutput } from "./spawn.ts";

const T = { timeout: 60_000 };
const processUnavailable = await processTargetUnavailable();
const out = tempDir("tsuki-cli-");
const HELLO = path.join(ROOT, "examples/hello");
const CLOCK = path.join(ROOT, "examples/clock");

/** Guests built with `tsuki build`, one per way a unikernel can end. */
const GUESTS: Record<string, string> = {
  "exit-five": `import { unikernel } from "tsuki";
export default unikernel({ start({ exit }) { exit(5); } });`,
  thrower: `import { unikernel } from "tsuki";
export default unikernel({ start() { throw new Error("kaboom"); } });`,
  busy: `import { unikernel } from "tsuki";
export default unikernel({ start() { for (;;) {} } });`,
  hog: `import { unikernel } from "tsuki";
export default unikernel({ start() { const all: number[][] = []; for (;;) all.push(new Array(100_000).fill(Math.random())); } });`,
  // Runs out of (ArrayBuffer) memory in async code with stack traces off: its error has no stack of its own.
  "stackless-hog": `import { unikernel } from "tsuki";
export default unikernel({ start() { Error.stackTraceLimit = undefined; const all: Uint8Array[] = []; (async () => { for (;;) all.push(new Uint8Array(1 << 20)); })(); } });`,
  args: `import { unikernel } from "tsuki";
export default unikernel({ start({ console, args }) { console.log(JSON.stringify(args), typeof args.greeting, typeof args.n); } });`,
};

const image = (name: string) => path.join(out, `${name}.tsuki`);

/** Asserts the exit code, showing what tsuki printed when it differs. */
function assertExit(r: Ran, code: number): void {
  assert.equal(r.code, code, `expected exit code ${code}, got ${r.code} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** Asserts that tsuki failed with `code` and that its first error line carries `errorCode`. */
function assertError(r: Ran, code: number, errorCode: string): void {
  assertExit(r, code);
  assert.equal(errors(r.stderr)[0]?.[0], errorCode, `stderr:\n${r.stderr}`);
}

before(async () => {
  const builds = [
    tsuki(["build", HELLO, "--out", image("hello")]),
    tsuki(["build", CLOCK, "--out", image("clock")]),
    // --no-check: these guests are about how a unikernel ends (stackless-hog sets V8's Error.stackTraceLimit, which ECMAScript's types lack).
    ...Object.entries(GUESTS).map(([name, source]) => tsuki(["build", unikernelDir({ "src/main.ts": source }, name), "--out", image(name), "--no-check"])),
  ];
  for (const r of await Promise.all(builds)) assertExit(r, 0);
});

describe("tsuki run", () => {
  test("tsuki run examples/hello builds the folder, prints its console prefixed with its name on stdout, the exit reason on stderr, and exits 0", T, async () => {
    const r = await tsuki(["run", "examples/hello"], { direct: true });
    assertExit(r, 0);
    assert.equal(r.stdout, "hello | hello from hello\nhello | goodbye after 100 ms\n");
    assert.match(r.stderr, /^tsuki: hello exited with code 0: returned/m);
  });

  test("tsuki run --target unix examples/hello runs the same unikernel on the unix target", T, async () => {
    const r = await tsuki(["run", "--target", "unix", "examples/hello"]);
    assertExit(r, 0);
    assert.equal(r.stdout, "hello | hello from hello\nhello | goodbye after 100 ms\n");
    assert.match(r.stderr, /hello exited with code 0/);
  });

  test("tsuki run of an image file boots it without building", T, async () => {
    const r = await tsuki(["run", image("hello")]);
    assertExit(r, 0);
    assert.doesNotMatch(r.stderr, /built/);
    assert.equal(r.stdout, "hello | hello from hello\nhello | goodbye after 100 ms\n");
  });

  test("--quiet leaves out the exit reason", T, async () => {
    const r = await tsuki(["run", image("hello"), "--quiet"]);
    assertExit(r, 0);
    assert.equal(r.stderr, "");
  });

  test("--arg greeting=hi --arg n=3 reach start({ args }) as the string \"hi\" and the number 3", T, async () => {
    const r = await tsuki(["run", image("args"), "--arg", "greeting=hi", "--arg", "n=3"]);
    assertExit(r, 0);
    assert.equal(r.stdout, 'args | {"greeting":"hi","n":3} string number\n');
  });

  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    test(`${signal} stops a running unikernel cleanly: exit code ${code}, reason "stopped by ${signal}", its console lines all prefixed "clock | "`, T, async () => {
      const child = start(["run", image("clock"), "--arg", "interval=20"], { direct: signal === "SIGINT" });
      // Two lines: the handlers are installed once boot has returned, which the first line precedes.
      await waitForOutput(child, (stdout) => stdout.split("\n").length > 2);
      child.kill(signal);
      const r = await finished(child);
      assertExit(r, code);
      const lines = r.stdout.trimEnd().split("\n");
      assert.ok(lines.length >= 2);
      for (const line of lines) assert.match(line, /^clock \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(r.stderr, new RegExp(`clock exited with code ${code}: stopped by ${signal}\\n$`));
    });
  }
});

describe("exit reasons", () => {
  test("a guest that calls exit(5) makes tsuki exit 5", T, async () => {
    const r = await tsuki(["run", image("exit-five")]);
    assertExit(r, 5);
    assert.match(r.stderr, /exit-five exited with code 5: exit\(5\)/);
  });

  test("a guest whose start() throws exits 1 with the stack on stderr and an \"aborted: uncaught Error\" reason", T, async () => {
    const r = await tsuki(["run", image("thrower")]);
    assertExit(r, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^thrower \| Uncaught Error: kaboom$/m);
    assert.match(r.stderr, /^thrower \| +at /m);
    assert.match(r.stderr, /thrower exited with code 1: aborted: uncaught Error: kaboom/);
  });

  test("a busy loop is stopped by --cpu-ms 50 with exit code 152 and a reason naming the CPU limit", T, async () => {
    const r = await tsuki(["run", image("busy"), "--cpu-ms", "50"]);
    assertExit(r, 152);
    assert.match(r.stderr, /busy exited with code 152: CPU limit.*50 ms/);
  });

  test("unbounded allocation under --mem 16M is stopped with exit code 137 and a reason naming the memory limit", T, async () => {
    const r = await tsuki(["run", image("hog"), "--mem", "16M"]);
    assertExit(r, 137);
    assert.match(r.stderr, /hog exited with code 137: out of memory.*16 MiB/);
  });

  for (const target of ["isolate", "process"] as const) {
    test(`on the ${target} target, running out of memory prints no host stack or path: the console and the reason name only the guest`, { ...T, skip: target === "process" ? processUnavailable : undefined }, async () => {
      const r = await tsuki(["run", image("stackless-hog"), "--mem", "16M", "--target", target]);
      assertExit(r, 137);
      // The heap guard usually stops it first (no console line); if the allocator refuses first, the RangeError is all it prints.
      for (const line of r.stderr.split("\n").filter((l) => l.startsWith("stackless-hog |"))) assert.equal(line, "stackless-hog | Uncaught RangeError: Array buffer allocation failed");
      assert.match(r.stderr, /stackless-hog exited with code 137: out of memory: reached the limit of 16 MiB/);
      for (const line of (r.stdout + r.stderr).split("\n")) {
        for (const host of [ROOT, "node_modules", "node:internal", "file://", "/tsuki/child.js"]) assert.ok(!line.includes(host), `"${host}" in: ${line}`);
      }
    });
  }
});

describe("tsuki build", () => {
  test("tsuki build --json prints exactly {image, sha256, size} with the SHA-256 and size of the file written", T, async () => {
    const target = path.join(tempDir(), "hello.tsuki");
    const r = await tsuki(["build", "examples/hello", "--out", target, "--json"]);
    assertExit(r, 0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(result), ["image", "sha256", "size"]);
    const bytes = readFileSync(target);
    assert.equal(path.resolve(ROOT, result.image as string), target);
    assert.equal(result.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.equal(result.size, bytes.length);
  });

  test("tsuki build prints the image's path and its SHA-256", T, async () => {
    const target = path.join(tempDir(), "clock.tsuki");
    const r = await tsuki(["build", "examples/clock", "--out", target]);
    assertExit(r, 0);
    const hash = createHash("sha256").update(readFileSync(target)).digest("hex");
    assert.match(r.stdout, new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.match(r.stdout, new RegExp(`^sha256 ${hash}$`, "m"));
  });

  test("tsuki build --out naming a folder fails with ERR_FLAG_VALUE instead of crashing", T, async () => {
    const folder = tempDir();
    const r = await tsuki(["build", "examples/hello", "--out", folder]);
    assertError(r, 64, "ERR_FLAG_VALUE");
    assert.match(r.stderr, /--out/);
    assert.ok(statSync(folder).isDirectory());
  });
});

describe("tsuki inspect", () => {
  test("tsuki inspect prints the name, the version, \"(verified)\" and the devices", T, async () => {
    const r = await tsuki(["inspect", image("hello")]);
    assertExit(r, 0);
    assert.match(r.stdout, /^hello 1\.0\.0$/m);
    assert.match(r.stdout, /sha256 +[0-9a-f]{64} \(verified\)/);
    assert.match(r.stdout, /devices +none/);
  });

  test("tsuki inspect lists each declared device with its kind", T, async () => {
    const dir = unikernelDir({ "src/main.ts": `import { unikernel, listener, block } from "tsuki";\nexport default unikernel({ devices: { web: listener(), data: block() }, start() {} });\n` }, "site");
    const target = path.join(tempDir(), "site.tsuki");
    assertExit(await tsuki(["build", dir, "--out", target]), 0);
    const r = await tsuki(["inspect", target]);
    assertExit(r, 0);
    assert.match(r.stdout, /devices +data \(block\), web \(listener\)/);
  });

  test("tsuki inspect --json prints the manifest the image holds", T, async () => {
    const r = await tsuki(["inspect", "--json", image("hello")]);
    assertExit(r, 0);
    const printed = JSON.parse(r.stdout) as { manifest: unknown; sha256: string };
    const read = readImage(readFileSync(image("hello")));
    assert.deepEqual(printed.manifest, read.manifest);
    assert.equal(printed.sha256, read.sha256);
  });

  test("tsuki inspect of a tampered image exits 65 with ERR_IMAGE_TAMPERED", T, async () => {
    const bytes = Buffer.from(readFileSync(image("hello")));
    const at = bytes.indexOf("hello from");
    assert.ok(at > 0);
    bytes[at] = "j".charCodeAt(0);
    const tampered = path.join(tempDir(), "tampered.tsuki");
    writeFileSync(tampered, bytes);
    const r = await tsuki(["inspect", tampered]);
    assertError(r, 65, "ERR_IMAGE_TAMPERED");
    assert.equal(r.stdout, "");
  });

  test("tsuki run of a tampered image exits 65 with ERR_IMAGE_TAMPERED and runs nothing", T, async () => {
    const bytes = Buffer.from(readFileSync(image("hello")));
    bytes[bytes.indexOf("goodbye")] = "G".charCodeAt(0);
    const tampered = path.join(tempDir(), "tampered.tsuki");
    writeFileSync(tampered, bytes);
    const r = await tsuki(["run", tampered]);
    assertError(r, 65, "ERR_IMAGE_TAMPERED");
    assert.equal(r.stdout, "");
  });
});

describe("bad input", () => {
  const cases: { name: string; argv: (string | (() => string))[]; code: number; error: string; says?: RegExp }[] = [
    { name: "an unknown flag", argv: ["run", "x", "--bogus"], code: 64, error: "ERR_UNKNOWN_FLAG", says: /--bogus/ },
    { name: "an unknown command", argv: ["frobnicate"], code: 64, error: "ERR_UNKNOWN_COMMAND", says: /frobnicate/ },
    { name: "tsuki run without an image", argv: ["run"], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "tsuki build without a folder", argv: ["build"], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "tsuki inspect without an image", argv: ["inspect"], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "--dev without NAME=", argv: ["run", () => image("hello"), "--dev", "nonsense"], code: 78, error: "ERR_DEV_MALFORMED", says: /NAME=URI/ },
    { name: "--dev with an empty URI", argv: ["run", () => image("hello"), "--dev", "web="], code: 78, error: "ERR_DEV_MALFORMED" },
    { name: "--dev with a name that is not an identifier", argv: ["run", () => image("hello"), "--dev", "1x=tcp://a:1"], code: 78, error: "ERR_DEV_MALFORMED", says: /"1x"/ },
    { name: "--dev with a URI without a scheme", argv: ["run", () => image("hello"), "--dev", "web=no-scheme"], code: 78, error: "ERR_DEV_MALFORMED", says: /no scheme/ },
    { name: "a missing image", argv: ["run", "no/such/image.tsuki"], code: 65, error: "ERR_IMAGE_NOT_FOUND", says: /no\/such\/image\.tsuki/ },
    { name: "inspect of a missing image", argv: ["inspect", "no/such/image.tsuki"], code: 65, error: "ERR_IMAGE_NOT_FOUND" },
    { name: "a truncated image (cut mid-block)", argv: ["run", () => truncated(700)], code: 65, error: "ERR_IMAGE_TRUNCATED" },
    { name: "a truncated image (cut at a block boundary)", argv: ["run", () => truncated(1024)], code: 65, error: "ERR_IMAGE_TRUNCATED" },
    { name: "an empty image", argv: ["run", () => truncated(0)], code: 65, error: "ERR_IMAGE_TRUNCATED" },
    { name: "--mem lots", argv: ["run", () => image("hello"), "--mem", "lots"], code: 64, error: "ERR_FLAG_VALUE", says: /--mem/ },
    { name: "--mem 4M, below the minimum of 8M", argv: ["run", () => image("hello"), "--mem", "4M"], code: 64, error: "ERR_FLAG_VALUE", says: /8/ },
    { name: "--cpu-ms -1", argv: ["run", () => image("hello"), "--cpu-ms", "-1"], code: 64, error: "ERR_FLAG_VALUE", says: /--cpu-ms/ },
    { name: "--cpu-ms=-1", argv: ["run", () => image("hello"), "--cpu-ms=-1"], code: 64, error: "ERR_FLAG_VALUE", says: /--cpu-ms/ },
    { name: "--cpu-ms abc", argv: ["run", () => image("hello"), "--cpu-ms", "abc"], code: 64, error: "ERR_FLAG_VALUE", says: /--cpu-ms/ },
    { name: "--cpu-ms 0", argv: ["run", () => image("hello"), "--cpu-ms", "0"], code: 64, error: "ERR_FLAG_VALUE", says: /--cpu-ms/ },
    { name: "--target vm", argv: ["run", () => image("hello"), "--target", "vm"], code: 64, error: "ERR_FLAG_VALUE", says: /isolate/ },
    { name: "--arg without KEY=", argv: ["run", () => image("hello"), "--arg", "=x"], code: 64, error: "ERR_FLAG_VALUE", says: /KEY=VALUE/ },
    { name: "two images", argv: ["run", () => image("hello"), () => image("clock")], code: 64, error: "ERR_FLAG_VALUE", says: /takes one argument, an image or a unikernel folder; got 2/ },
  ];
  for (const c of cases) {
    test(`${c.name} exits ${c.code} with ${c.error} on stderr, prints one error line and nothing on stdout`, T, async () => {
      const r = await tsuki(c.argv.map((a) => (typeof a === "function" ? a() : a)));
      assertError(r, c.code, c.error);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.split("\n").filter(Boolean).length, 1, `one line on stderr:\n${r.stderr}`);
      if (c.says) assert.match(errors(r.stderr)[0]![1], c.says);
    });
  }

  test("a bad --mem fails before a folder is built", T, async () => {
    const dir = unikernelDir({ "src/main.ts": GUESTS["exit-five"]! }, "unbuilt");
    const r = await tsuki(["run", dir, "--mem", "4M"]);
    assertError(r, 64, "ERR_FLAG_VALUE");
    assert.equal(existsSync(path.join(dir, "dist")), false, "no image was built");
  });

  test("a bad --cpu-ms fails before a folder is built", T, async () => {
    const dir = unikernelDir({ "src/main.ts": GUESTS["exit-five"]! }, "unbuilt");
    const r = await tsuki(["run", dir, "--cpu-ms", "0"]);
    assertError(r, 64, "ERR_FLAG_VALUE");
    assert.equal(existsSync(path.join(dir, "dist")), false, "no image was built");
  });
});

describe("tsuki new", () => {
  test("tsuki new <dir> creates src/main.ts, package.json, tsconfig.json and a README saying how to build and run it", T, async () => {
    const dir = path.join(tempDir(), "fresh-one");
    const r = await tsuki(["new", dir]);
    assertExit(r, 0);
    for (const file of ["src/main.ts", "package.json", "tsconfig.json", "README.md"]) assert.ok(existsSync(path.join(dir, file)), `${file} exists`);
    assert.equal((JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string }).name, "fresh-one");
    JSON.parse(readFileSync(path.join(dir, "tsconfig.json"), "utf8"));
    assert.match(readFileSync(path.join(dir, "README.md"), "utf8"), /tsuki run/);
  });

  test("the unikernel tsuki new makes is built and run by tsuki run <dir>, exiting 0", T, async () => {
    const dir = path.join(tempDir(), "fresh-two");
    assertExit(await tsuki(["new", dir]), 0);
    const r = await tsuki(["run", dir], { direct: true });
    assertExit(r, 0);
    assert.match(r.stdout, /^fresh-two \| hello from fresh-two/m);
  });

  test("tsuki new on a folder that is not empty fails with ERR_NEW_EXISTS and leaves it alone", T, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "keep.txt"), "mine");
    const r = await tsuki(["new", dir]);
    assertError(r, 64, "ERR_NEW_EXISTS");
    assert.equal(existsSync(path.join(dir, "src")), false);
    assert.equal(readFileSync(path.join(dir, "keep.txt"), "utf8"), "mine");
  });

  test("tsuki new on an existing file fails with ERR_NEW_EXISTS instead of crashing", T, async () => {
    const file = path.join(tempDir(), "taken");
    writeFileSync(file, "a file");
    const r = await tsuki(["new", file]);
    assertError(r, 64, "ERR_NEW_EXISTS");
    assert.equal(readFileSync(file, "utf8"), "a file");
  });

  test("an unexpected failure (tsuki new under a file) exits 70 with one error line naming the system error, not a crash", T, async () => {
    const file = path.join(tempDir(), "plain-file");
    writeFileSync(file, "");
    const r = await tsuki(["new", path.join(file, "inside")]);
    assertExit(r, 70);
    assert.match(r.stderr, /^tsuki: error ENOTDIR: /m);
  });

  test("tsuki new on an empty folder fills it", T, async () => {
    const dir = path.join(tempDir(), "empty");
    mkdirSync(dir);
    assertExit(await tsuki(["new", dir]), 0);
    assert.ok(existsSync(path.join(dir, "src/main.ts")));
  });
});

describe("usage", () => {
  test("tsuki --help prints the usage with every command and exits 0", T, async () => {
    const r = await tsuki(["--help"], { direct: true });
    assertExit(r, 0);
    assert.match(r.stdout, /^Usage: tsuki <command>/m);
    for (const command of ["new", "build", "run", "inspect"]) assert.match(r.stdout, new RegExp(`^  ${command} `, "m"));
  });

  test("tsuki run --help prints the usage of run with its flags and exits 0", T, async () => {
    const r = await tsuki(["run", "--help"]);
    assertExit(r, 0);
    assert.match(r.stdout, /^Usage: tsuki run <image\|dir>/m);
    for (const flag of ["--dev", "--arg", "--mem", "--cpu-ms", "--target"]) assert.match(r.stdout, new RegExp(flag));
  });

  for (const command of ["build", "inspect", "new"]) {
    test(`tsuki ${command} --help prints the usage of ${command} and exits 0`, T, async () => {
      const r = await tsuki([command, "--help"]);
      assertExit(r, 0);
      assert.match(r.stdout, new RegExp(`^Usage: tsuki ${command} `, "m"));
    });
  }

  test("tsuki alone prints the usage and exits 64", T, async () => {
    const r = await tsuki([]);
    assertExit(r, 64);
    assert.match(r.stdout + r.stderr, /Usage: tsuki <command>/);
  });
});

/** The first `n` bytes of the hello image, in a file of their own. */
function truncated(n: number): string {
  const file = path.join(tempDir(), `cut-${n}.tsuki`);
  writeFileSync(file, readFileSync(image("hello")).subarray(0, n));
  return file;
}
