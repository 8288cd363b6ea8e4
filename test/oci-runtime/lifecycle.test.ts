/**
 * tsuki-runtime's commands as containerd's shim calls them (--root, --log, --log-format json), on
 * bundles made here: the OCI lifecycle of hello-http on the isolate target (create → created with
 * its pid file, start → it answers HTTP, kill → stopped, delete), and each refusal as one JSON
 * error line led by its code, with its exit code and the state left as it was: start before
 * create, delete of a running container without --force, kill of a stopped one, a console
 * socket, a bad annotation, a command it does not have, a bundle for runc when there is no runc.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../helpers.ts";
import { type Ran, freePort, helloHttp, makeBundle, runtime } from "./runtime.ts";

const T = { timeout: 60_000 };
const root = path.join(tempDir("tsuki-rt-"), "root");
const rt = (...args: string[]) => runtime(root, args);

/** The command failed with `exit`, and its JSON log's last error line is `code: …` matching `message`. */
function refused(r: Ran, exit: number, code: string, message: RegExp): void {
  assert.equal(r.code, exit, r.stderr);
  const errors = r.log.filter((l) => l.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(r.log));
  assert.ok(errors[0]!.msg.startsWith(`ERR_${code}: `), errors[0]!.msg);
  assert.match(errors[0]!.msg, message);
  assert.ok(!Number.isNaN(Date.parse(errors[0]!.time)));
}

const waitFor = async (what: string, check: () => boolean) => {
  for (let i = 0; !check(); i++) {
    if (i > 300) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("the lifecycle of hello-http under tsuki-runtime", () => {
  let port = 0;
  let bundle = "";
  const pidFile = path.join(tempDir("tsuki-rt-pid-"), "init.pid");
  const status = () => JSON.parse(rt("state", "web1").stdout).status as string;

  before(async () => {
    port = await freePort();
    bundle = makeBundle({ annotations: { "tsuki.dev/device.web": `tcp://127.0.0.1:${port}`, "tsuki.dev/target": "isolate" } }, await helloHttp());
  });
  after(() => rt("delete", "--force", "web1"));

  test("start before create: ERR_RUNTIME_CONTAINER (66)", T, () => {
    refused(rt("start", "web1"), 66, "RUNTIME_CONTAINER", /container web1 does not exist under .*: create it first/);
  });

  test("create writes the init's pid and the OCI state says created, with the bundle and annotations", T, () => {
    const r = rt("create", "--bundle", bundle, "--pid-file", pidFile, "web1");
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const state = JSON.parse(rt("state", "web1").stdout);
    assert.deepEqual({ ...state, created: undefined }, { ociVersion: "1.0.2", id: "web1", pid, status: "created", bundle, rootfs: path.join(bundle, "rootfs"), created: undefined, owner: "", annotations: { "tsuki.dev/device.web": `tcp://127.0.0.1:${port}`, "tsuki.dev/target": "isolate" } });
    refused(rt("create", "--bundle", bundle, "web1"), 66, "RUNTIME_CONTAINER", /container web1 exists/);
  });

  test("start boots it: running, and it answers HTTP on the annotated device", T, async () => {
    assert.equal(rt("start", "web1").code, 0);
    assert.equal(status(), "running");
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), "hello\n");
    refused(rt("start", "web1"), 75, "RUNTIME_STATE", /cannot start container web1: it is running, not created/);
    const pids = JSON.parse(rt("ps", "--format", "json", "web1").stdout) as number[];
    assert.ok(pids.includes(Number(readFileSync(pidFile, "utf8"))), String(pids));
  });

  test("delete of a running container without --force: ERR_RUNTIME_STATE (75), and it still runs", T, async () => {
    refused(rt("delete", "web1"), 75, "RUNTIME_STATE", /cannot delete container web1: it is running \(stop it with kill, or delete --force\)/);
    assert.equal(status(), "running");
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
  });

  test("kill (SIGTERM by default) stops it; kill again: ERR_RUNTIME_STATE (75); kill --all of a stopped one is no error", T, async () => {
    assert.equal(rt("kill", "web1").code, 0);
    await waitFor("the init to end", () => status() === "stopped");
    assert.equal(JSON.parse(rt("state", "web1").stdout).pid, 0);
    assert.deepEqual(JSON.parse(rt("ps", "--format", "json", "web1").stdout), []);
    refused(rt("kill", "web1", "KILL"), 75, "RUNTIME_STATE", /cannot kill container web1: it is stopped/);
    assert.equal(rt("kill", "--all", "web1", "9").code, 0);
  });

  test("delete forgets it: state and delete are then ERR_RUNTIME_CONTAINER, delete --force is no error", T, () => {
    assert.equal(rt("delete", "web1").code, 0);
    assert.ok(!existsSync(path.join(root, "web1")));
    refused(rt("state", "web1"), 66, "RUNTIME_CONTAINER", /does not exist/);
    refused(rt("delete", "web1"), 66, "RUNTIME_CONTAINER", /does not exist/);
    // As runc's: the shim's cleanup deletes with --force what ctr run --rm has deleted already.
    assert.equal(rt("delete", "--force", "web1").code, 0);
  });

  test("delete --force ends a running container", T, async () => {
    const port2 = await freePort();
    const b = makeBundle({ annotations: { "tsuki.dev/device.web": `tcp://127.0.0.1:${port2}`, "tsuki.dev/target": "isolate" } }, await helloHttp());
    assert.equal(rt("create", "--bundle", b, "web2").code, 0);
    assert.equal(rt("start", "web2").code, 0);
    assert.equal(rt("delete", "--force", "web2").code, 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port2}/`));
  });
});

describe("what tsuki-runtime refuses, each as one JSON error line, leaving no container behind", () => {
  test("create --console-socket: ERR_RUNTIME_UNSUPPORTED (64): a unikernel has no terminal", T, async () => {
    const bundle = makeBundle({}, await helloHttp());
    refused(rt("create", "--bundle", bundle, "--console-socket", "/tmp/x.sock", "tty1"), 64, "RUNTIME_UNSUPPORTED", /--console-socket: a unikernel has no terminal/);
    assert.ok(!existsSync(path.join(root, "tty1")));
  });

  test("an unknown tsuki.dev/ annotation: ERR_RUNTIME_ANNOTATION (78)", T, async () => {
    const bundle = makeBundle({ annotations: { "tsuki.dev/memory": "1G" } }, await helloHttp());
    refused(rt("create", "--bundle", bundle, "a1"), 78, "RUNTIME_ANNOTATION", /unknown annotation tsuki\.dev\/memory/);
    assert.ok(!existsSync(path.join(root, "a1")));
  });

  test("a device the image does not declare, or none bound: the tender's own codes, before anything is spawned", T, async () => {
    const both = rt("create", "--bundle", makeBundle({ annotations: { "tsuki.dev/device.db": "tcp://127.0.0.1:1" } }, await helloHttp()), "d1");
    assert.equal(both.code, 78);
    assert.deepEqual(both.log.map((l) => l.msg.split(":")[0]), ["ERR_DEV_UNDECLARED", "ERR_DEV_UNBOUND"]);
    refused(rt("create", "--bundle", makeBundle({}, await helloHttp()), "d2"), 78, "DEV_UNBOUND", /web/);
    assert.ok(!existsSync(path.join(root, "d1")) && !existsSync(path.join(root, "d2")));
  });

  test("a damaged image: its image code", T, async () => {
    const damaged = path.join(tempDir(), "bad.tsuki");
    writeFileSync(damaged, "not an image");
    const r = rt("create", "--bundle", makeBundle({}, damaged), "i1");
    assert.ok(r.code !== 0);
    assert.match(r.log.at(-1)!.msg, /^ERR_IMAGE_/);
  });

  test("a command it does not have: ERR_RUNTIME_UNSUPPORTED (64); a bad signal: ERR_FLAG_VALUE", T, () => {
    refused(rt("exec", "x"), 64, "RUNTIME_UNSUPPORTED", /no command "exec"/);
    refused(rt("kill", "x", "SIGNOPE"), 64, "FLAG_VALUE", /not a signal/);
    refused(rt("create", "--bogus", "x"), 64, "UNKNOWN_FLAG", /--bogus/);
  });

  test("a bundle without a tsuki image goes to runc; with no runc: ERR_RUNTIME_RUNC (69)", T, () => {
    const r = runtime(root, ["create", "--bundle", makeBundle({ process: { args: ["/pause"] } }), "p1"], { TSUKI_RUNTIME_RUNC: "/nonexistent/runc" });
    refused(r, 69, "RUNTIME_RUNC", /cannot start runc \(\/nonexistent\/runc\)/);
  });

  test("a bundle without a tsuki image, and a container runc keeps, go to runc with the same argv and its exit code", T, () => {
    const dir = tempDir("tsuki-rt-runc-");
    const fake = path.join(dir, "runc");
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" >> ${dir}/argv\nexit 7\n`, { mode: 0o755 });
    const bundle = makeBundle({ process: { args: ["/pause"] } });
    const r = runtime(root, ["create", "--bundle", bundle, "--pid-file", "/tmp/p.pid", "pause1"], { TSUKI_RUNTIME_RUNC: fake });
    assert.equal(r.code, 7);
    const args = (logged: string) => ["--root", root, "--log", logged, "--log-format", "json"];
    const first = readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");
    assert.deepEqual(first.slice(6), ["create", "--bundle", bundle, "--pid-file", "/tmp/p.pid", "pause1"]);
    assert.deepEqual(first.slice(0, 6), args(first[3]!));
    assert.ok(!existsSync(path.join(root, "pause1")), "tsuki-runtime kept nothing of runc's container");
    // runc's own state file under --root: later commands for that id are runc's too.
    mkdirSync(path.join(root, "pause1"), { recursive: true });
    writeFileSync(path.join(root, "pause1/state.json"), "{}");
    assert.equal(runtime(root, ["kill", "pause1", "9"], { TSUKI_RUNTIME_RUNC: fake }).code, 7);
    assert.deepEqual(readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n").slice(first.length + 6), ["kill", "pause1", "9"]);
  });

  test("features prints the runtime-spec features document", T, () => {
    const r = rt("features");
    assert.equal(r.code, 0);
    const features = JSON.parse(r.stdout);
    assert.equal(features.ociVersionMin, "1.0.0");
    assert.deepEqual(features.linux.namespaces, ["network"]);
  });
});
