/**
 * The second wall on its own: code run OUTSIDE the isolate, in a process-target unikernel's own
 * process and without Node's permission model (as if it had escaped V8 and gone native), tries
 * what a hostile guest would want. Every attempt is printed with its outcome, and each must fail.
 * Skips, with the reason, on a host where the process target cannot build its walls.
 */

import assert from "node:assert/strict";
import { type StdioOptions, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { exportFilter } from "../../../src/host/sandbox/seal.ts";
import { type ProcessGuest, createProcessTarget, drainProcessTarget } from "../../../src/host/tender/targets/process.ts";
import type { Target } from "../../../src/host/tender/targets/index.ts";
import { Tender } from "../../../src/host/tender/tender.ts";
import { FD_LIMIT } from "../../../src/host/sandbox/bwrap.ts";
import { NODE_FLAGS } from "../../cli/spawn.ts";
import { ROOT, buildSource, processTargetUnavailable, tempDir } from "../../helpers.ts";

const unavailable = await processTargetUnavailable();

/** A target whose guests are kept for the test, so it can run code in their processes. */
function keptTarget(permission: boolean): { target: Target; guests: ProcessGuest[] } {
  const inner = createProcessTarget({ escapes: true, permission });
  const guests: ProcessGuest[] = [];
  return {
    guests,
    target: { ...inner, create: async (o) => { const g = (await inner.create(o)) as ProcessGuest; guests.push(g); return g; } },
  };
}

const IDLE = `import { unikernel } from "tsuki";\nexport default unikernel({ start() { setTimeout(() => {}, 60000); } });\n`;

/** Each attempt: [what, code returning a value on success]; the harness records how it ended. */
const ATTEMPTS = (hostPort: number, otherPid: number, tenderPid: number): [string, string][] => [
  ["read /etc/passwd", `return fs.readFileSync("/etc/passwd", "utf8").slice(0, 20)`],
  ["read the tender's package.json", `return fs.readFileSync(${JSON.stringify(process.cwd() + "/package.json")}, "utf8").slice(0, 20)`],
  ["read /root", `return fs.readdirSync("/root")`],
  ["list the root folder", `return fs.readdirSync("/").join(",")`],
  ["write /x", `fs.writeFileSync("/x", "x"); return "written"`],
  ["write /tmp/x", `fs.writeFileSync("/tmp/x", "x"); return "written"`],
  ["write /tsuki/x", `fs.writeFileSync("/tsuki/x", "x"); return "written"`],
  ["write /dev/shm/x", `fs.writeFileSync("/dev/shm/x", "x"); return "written"`],
  ["open a TCP connection to the host's loopback", `await new Promise((ok, fail) => { const s = require("net").connect(${hostPort}, "127.0.0.1", () => ok()); s.on("error", fail); }); return "connected"`],
  ["listen on a TCP port", `await new Promise((ok, fail) => { const s = require("net").createServer().listen(0, "127.0.0.1", ok); s.on("error", fail); }); return "listening"`],
  ["send a UDP datagram", `await new Promise((ok, fail) => { const s = require("dgram").createSocket("udp4"); s.on("error", fail); s.send("x", 53, "1.1.1.1", (e) => e ? fail(e) : ok()); }); return "sent"`],
  ["connect to a Unix socket", `await new Promise((ok, fail) => { const s = require("net").connect("/tmp/.X11-unix/X0", ok); s.on("error", fail); }); return "connected"`],
  ["see a network interface that is up", `const up = Object.entries(require("os").networkInterfaces()); if (up.length === 0) throw Object.assign(new Error("no interface"), { code: "none" }); return JSON.stringify(up)`],
  ["exec a program (/bin/sh)", `const r = require("child_process").spawnSync("/bin/sh", ["-c", "id"], { stdio: "inherit" }); if (r.error) throw r.error; return "ran, status " + r.status`],
  ["exec node itself", `const r = require("child_process").spawnSync("/tsuki/node", ["-e", "0"], { stdio: "inherit" }); if (r.error) throw r.error; return "ran, status " + r.status`],
  ["signal another unikernel's process", `process.kill(${otherPid}, 0); return "reachable"`],
  ["signal the tender", `process.kill(${tenderPid}, 0); return "reachable"`],
  // Its pid namespace holds only itself (pid 1) and its own threads (2..n): no other process to find.
  ["find another process among pids 2..4096", `const hit = []; for (let p = 2; p <= 4096; p++) { try { process.kill(p, 0); hit.push(p); } catch {} } const threads = hit.every((p, i) => p === i + 2) && hit.length < 64; if (threads) throw Object.assign(new Error("only its own " + hit.length + " threads"), { code: "ESRCH" }); return hit.join()`],
  ["list host processes in /proc", `return fs.readdirSync("/proc").slice(0, 5)`],
];

const harness = (attempts: [string, string][]) => `
  const fs = require("fs");
  const outcomes = [];
  for (const [what, code] of ${JSON.stringify(attempts)}) {
    try {
      const value = await new Function("require", "fs", "return (async () => {" + code + "})()")(require, fs);
      outcomes.push([what, "SUCCEEDED: " + String(JSON.stringify(value)).slice(0, 120)]);
    } catch (e) {
      outcomes.push([what, "denied: " + (e.code ?? e.name) + " " + String(e.message).slice(0, 80)]);
    }
  }
  return { outcomes, uid: process.getuid(), pid: process.pid, ppid: process.ppid };
`;

describe("process target: the OS walls hold without the isolate and without Node's permission model", { skip: unavailable }, () => {
  const server = createServer((s) => s.end("host secret\n"));
  before(() => new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok)));
  after(() => {
    server.close();
    drainProcessTarget();
  });

  test("every escape attempt fails, and each is listed with its outcome", async (t) => {
    const { target, guests } = keptTarget(false);
    const tender = new Tender({ target, console: { line() {} } });
    t.after(() => tender.stopAll());
    const image = await buildSource(IDLE);
    const other = await tender.boot(image);
    const hostile = await tender.boot(image);
    const port = (server.address() as { port: number }).port;
    const result = (await guests[1]!.escape(harness(ATTEMPTS(port, guests[0]!.pid!, process.pid)), 60_000)) as { outcomes: [string, string][]; uid: number; pid: number; ppid: number };
    if (!Array.isArray(result.outcomes)) assert.fail(JSON.stringify(result));
    console.log(`escaped code runs as uid ${result.uid}, pid ${result.pid} (parent ${result.ppid}) in its namespace:`);
    for (const [what, outcome] of result.outcomes) console.log(`  ${what.padEnd(46)} ${outcome}`);
    const succeeded = result.outcomes.filter(([what, outcome]) => outcome.startsWith("SUCCEEDED") && what !== "list the root folder");
    assert.deepEqual(succeeded, []);
    const root = result.outcomes.find(([what]) => what === "list the root folder")![1];
    assert.match(root, /SUCCEEDED: "lib,lib64,tsuki"/);
    assert.equal(result.pid, 1, "alone in its pid namespace");
    assert.equal(other.status, undefined, "the other unikernel is untouched");
  });

  test("with Node's permission model on, the same code is stopped before it reaches the kernel", async (t) => {
    const { target, guests } = keptTarget(true);
    const tender = new Tender({ target, console: { line() {} } });
    t.after(() => tender.stopAll());
    const u = await tender.boot(await buildSource(IDLE));
    const result = (await guests[0]!.escape(harness([["read /etc/passwd", `return fs.readFileSync("/etc/passwd", "utf8")`], ["exec node", `const r = require("child_process").spawnSync("/tsuki/node"); if (r.error) throw r.error; return r.status`]]))) as { outcomes: [string, string][] };
    assert.deepEqual(result.outcomes.map(([, o]) => o.split(" ")[1]), ["ERR_ACCESS_DENIED", "ERR_ACCESS_DENIED"]);
    assert.equal(u.status, undefined);
  });

  test("the seccomp filter, as libseccomp exports it, denies what it promises and kills other architectures", () => {
    const filter = exportFilter();
    for (const call of ["execve", "execveat", "socket", "socketpair", "ptrace", "mount", "unshare", "setns", "init_module", "keyctl", "bpf", "perf_event_open"]) {
      assert.match(filter, new RegExp(`syscall "${call}" \\(\\d+\\)[^\\n]*\\n\\s+if \\(\\$syscall == \\d+\\)\\n\\s+action ERRNO\\(1\\);`), call);
    }
    assert.match(filter, /io_uring_setup[\s\S]*?action ERRNO\(38\)/);
    assert.match(filter, /# default action\n\s+action ALLOW;\n# invalid architecture action\naction KILL_PROCESS;/);
  });

  test("a descriptor the tender inherited (writable, root's, no close-on-exec) is closed before the guest's process can use it", async () => {
    // Above the child's RLIMIT_NOFILE, so no descriptor the child opens itself can take its number.
    const fd = FD_LIMIT + 36;
    const file = path.join(tempDir(), "root-only");
    const handle = openSync(file, "w", 0o600);
    // spawn dup2s it to `fd` in the tender, which clears close-on-exec: what a careless parent leaves.
    const stdio: StdioOptions = ["ignore", "pipe", "pipe", ...Array<"ignore">(fd - 3).fill("ignore"), handle];
    const tender = spawn(process.execPath, [...NODE_FLAGS, path.join(ROOT, "test/host/sandbox/inherited-fd.ts"), String(fd)], { cwd: ROOT, stdio });
    closeSync(handle);
    let out = "";
    let err = "";
    tender.stdout!.setEncoding("utf8").on("data", (text: string) => (out += text));
    tender.stderr!.setEncoding("utf8").on("data", (text: string) => (err += text));
    const code = await new Promise((resolve) => tender.on("close", resolve));
    assert.equal(code, 0, err);
    const result = JSON.parse(out) as { write: string; open: number[] };
    console.log(`descriptors open in the unikernel's process: ${result.open.join(", ")}; a write to ${fd}: ${result.write}`);
    assert.equal(result.write, "EBADF");
    assert.ok(!result.open.includes(fd), `descriptor ${fd} is open inside the sandbox`);
    assert.deepEqual(result.open.slice(0, 4), [0, 1, 2, 3], "stdin, stdout, stderr and the channel are there");
    assert.ok(result.open.every((n) => n < FD_LIMIT), `only descriptors the child opened itself: ${result.open.join(", ")}`);
    assert.equal(readFileSync(file, "utf8"), "");
  });
});
