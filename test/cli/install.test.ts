/**
 * The tsuki command from any folder once the package is installed: `npm pack` the package,
 * install the tarball into an empty folder with the machine's own npm, and run `npx tsuki build`
 * and `tsuki run` there with an older Node.js first on PATH (this machine's /usr/bin/node is 20).
 * tsuki must run itself again on the Node.js it pins (its dependency "node"), build with its type
 * check, boot, map a stack to the source, and pass a SIGTERM on to the Node.js it started.
 *
 * The test reaches no network: the packed tarball is unpacked into the folder's node_modules/tsuki
 * as npm would place it, its dependencies are linked from the checkout's node_modules (which
 * `npm ci` filled with exactly the versions the lockfile pins) and its bin is linked as npm links
 * it. So what `npm pack` ships is what runs (the `files` list, tsuki's TypeScript below a
 * node_modules folder, the pinned Node found as a dependency); npm's own resolution is npm's to
 * test (an `npm install` of the tarball would ask the registry for version lists).
 */

import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { ROOT, tempDir } from "../helpers.ts";

/** A `node` on PATH older than 24, outside any node_modules (the system's), with its npm. */
function olderNode(): { node: string; npm: string; major: number } | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const node = path.join(dir, "node");
    const npm = path.join(dir, "npm");
    if (dir.includes("node_modules") || !existsSync(node) || !existsSync(npm)) continue;
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    const major = Number(/^v(\d+)\./.exec(version)?.[1]);
    if (major < 24) return { node, npm, major };
  }
  return undefined;
}

const older = olderNode();
const skip = older === undefined ? "no Node.js older than 24 with its npm on PATH to install and run tsuki with" : false;

describe("tsuki installed from its package, with an older Node.js first on PATH", { skip, timeout: 600_000 }, () => {
  const app = path.join(tempDir("tsuki-install-"), "app");
  /** PATH with the older Node.js first and none of the checkout's node_modules/.bin. */
  const env = () => ({ ...process.env, PATH: [path.dirname(older!.node), "/usr/bin", "/bin"].join(path.delimiter), NODE_OPTIONS: "", NODE_TEST_CONTEXT: "" });
  const run = (command: string, args: string[], cwd = app) => spawnSync(command, args, { cwd, env: env(), encoding: "utf8", timeout: 300_000 });

  before(() => {
    mkdirSync(app, { recursive: true });
    execFileSync(older!.npm, ["pack", "--pack-destination", path.dirname(app)], { cwd: ROOT, env: env(), stdio: "pipe" });
    const tarball = readdirSync(path.dirname(app)).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, dependencies: { tsuki: `file:../${tarball}` } }));
    const modules = path.join(app, "node_modules");
    mkdirSync(path.join(modules, ".bin"), { recursive: true });
    execFileSync("tar", ["-xzf", path.join(path.dirname(app), tarball), "-C", path.dirname(app)]);
    renameSync(path.join(path.dirname(app), "package"), path.join(modules, "tsuki"));
    for (const entry of readdirSync(path.join(ROOT, "node_modules"))) {
      if (entry === "tsuki" || entry === ".bin" || entry.startsWith(".") || existsSync(path.join(modules, entry))) continue;
      symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
    }
    symlinkSync("../tsuki/bin/tsuki.js", path.join(modules, ".bin/tsuki"));
    const files = (name: string, source: string) => {
      mkdirSync(path.join(app, name, "src"), { recursive: true });
      writeFileSync(path.join(app, name, "src/main.ts"), source);
    };
    files("svc", `import { unikernel } from "tsuki";\n\nexport default unikernel({\n  start({ console }) {\n    console.log("hello from an installed tsuki");\n    throw new Error("where am I");\n  },\n});\n`);
    files("forever", `import { unikernel } from "tsuki";\n\nexport default unikernel({\n  start({ console }) {\n    console.log("up");\n    setInterval(() => {}, 1000);\n  },\n});\n`);
  });

  test("the package holds the command, the SDK and the examples, not the tests", () => {
    const pkg = path.join(app, "node_modules/tsuki");
    for (const file of ["bin/tsuki.js", "src/guest/globals.d.ts", "src/guest/sdk/index.ts", "examples/hello/src/main.ts"]) assert.ok(existsSync(path.join(pkg, file)), file);
    for (const folder of ["test", "bench", ".ci"]) assert.equal(existsSync(path.join(pkg, folder)), false, folder);
  });

  test("npx tsuki build type-checks and builds a unikernel in the folder", () => {
    const r = run("npx", ["tsuki", "build", "svc"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /svc\.tsuki\nsha256 [0-9a-f]{64}\n/);
  });

  test("tsuki run, started by the older Node.js itself, runs on the pinned one and maps the stack", () => {
    const r = run(older!.node, ["node_modules/.bin/tsuki", "run", "svc"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /svc \| hello from an installed tsuki/);
    assert.match(r.stderr, /svc \|     at Object\.start \(src\/main\.ts:6:11\)/);
    assert.match(r.stderr, /aborted: uncaught Error: where am I/);
  });

  test("with its type stripping cache off, the installed tsuki strips its own TypeScript", () => {
    const r = spawnSync(older!.node, ["node_modules/.bin/tsuki", "build", "forever", "--no-check"], { cwd: app, env: { ...env(), TSUKI_TS_CACHE: "0" }, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });

  test("SIGTERM to the command reaches the unikernel's tender, which stops it (143)", async () => {
    // A process group of its own, so that whatever is left if the test fails can be ended with it.
    const child = spawn(older!.node, ["node_modules/.bin/tsuki", "run", "forever", "--no-check"], { cwd: app, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => ((out += chunk), out.includes("forever | up") && resolve()));
        child.on("exit", () => reject(new Error(`tsuki ended before its unikernel printed:\n${out}\n${err}`)));
      });
      child.kill("SIGTERM");
      assert.equal(await exited, 143, err);
      assert.match(err, /stopped by SIGTERM/);
    } finally {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
      child.stdout.destroy();
      child.stderr.destroy();
    }
  });
});
