/**
 * `tsuki run --config run.yaml`, end to end through the real command: the file's image, devices
 * and args reach the unikernel; flags override and extend the file; mistakes in the file exit 78
 * with one line each, naming the key and line; a tag on a device of the wrong kind is reported by
 * the binding check with the tag's place in the file.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { before, describe, test } from "node:test";
import { connect as connectTls } from "node:tls";
import { buildImage } from "../../../src/host/build/build.ts";
import { ROOT, tempDir, unikernelDir } from "../../helpers.ts";
import { type Child, type Ran, errors, finished, start, tsuki } from "../../cli/spawn.ts";

const T = { timeout: 60_000 };
const dir = tempDir("tsuki-config-cli-");
const ECHO = path.join(dir, "echo.tsuki");
const ARGS = path.join(dir, "args.tsuki");

before(async () => {
  await buildImage(path.join(ROOT, "examples/echo"), { out: ECHO });
  const source = `import { unikernel } from "tsuki";\nexport default unikernel({ start({ console, args }) { console.log(JSON.stringify(args)); } });\n`;
  await buildImage(unikernelDir({ "src/main.ts": source }, "args"), { out: ARGS });
});

/** Writes a run configuration into a fresh folder and returns its path. */
function config(text: string, name = "run.yaml"): string {
  const file = path.join(tempDir("tsuki-config-cli-"), name);
  writeFileSync(file, text);
  return file;
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function assertExit(r: Ran, code: number): void {
  assert.equal(r.code, code, `expected exit code ${code}, got ${r.code} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** Waits until the child says where `device` listens; returns the port. */
async function listening(child: Child, device: string, scheme = "tcp"): Promise<number> {
  const pattern = new RegExp(`: ${device} listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)`);
  while (!pattern.test(child.stderrText()) && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const port = Number(pattern.exec(child.stderrText())?.[1]);
  assert.ok(port > 0, `not listening; stderr:\n${child.stderrText()}`);
  return port;
}

/** Sends `text` over TCP, half-closes, and returns everything the server sent back. */
async function echoOver(port: number, text: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let received = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
  socket.end(text);
  await once(socket, "close");
  return received;
}

describe("tsuki run --config", () => {
  test("boots examples/echo from a configuration listening on port 0, echoes, and exits 143 on SIGTERM", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\ndevices:\n  tcp: !listen tcp://127.0.0.1:0\n`);
    const child = start(["run", "--config", file]);
    const port = await listening(child, "tcp");
    assert.equal(await echoOver(port, "hello, tsuki\n"), "hello, tsuki\n");
    child.kill("SIGTERM");
    assertExit(await finished(child), 143);
  });

  test("image: is relative to the configuration's folder, not the working directory", T, async () => {
    const file = config(`image: echo.tsuki\ndevices:\n  tcp: !listen tcp://127.0.0.1:0\n`);
    copyFileSync(ECHO, path.join(path.dirname(file), "echo.tsuki"));
    const child = start(["run", "--config", file], { cwd: tempDir("tsuki-config-cwd-") });
    await listening(child, "tcp");
    child.kill("SIGTERM");
    assertExit(await finished(child), 143);
  });

  test("a !block file given relative to the configuration is created there at its size", T, async () => {
    const source = `import { unikernel, block } from "tsuki";\nexport default unikernel({ devices: { data: block() }, start({ console, data }) { console.log(data.size, data.sectorSize); } });\n`;
    const file = config(`image: ${JSON.stringify(unikernelDir({ "src/main.ts": source }, "disk"))}\ndevices:\n  data: !block { path: disks/data.img, size: 64K, sector: 4096 }\n`);
    mkdirSync(path.join(path.dirname(file), "disks"));
    const r = await tsuki(["run", "--config", file], { cwd: tempDir("tsuki-config-cwd-") });
    assertExit(r, 0);
    assert.match(r.stdout, /\| 65536 4096$/m);
    assert.equal(statSync(path.join(path.dirname(file), "disks/data.img")).size, 65536);
  });

  test("a tls listener's certificate and key given relative to the configuration are found", { ...T, skip: hasOpenssl() ? undefined : "openssl is not installed" }, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\ndevices:\n  tcp: !listen { url: tls://127.0.0.1:0, cert: tls/cert.pem, key: tls/key.pem, max: 4 }\n`);
    const tls = path.join(path.dirname(file), "tls");
    mkdirSync(tls);
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(tls, "key.pem"), "-out", path.join(tls, "cert.pem"), "-days", "1", "-subj", "/CN=localhost"], { stdio: "pipe" });
    const child = start(["run", "--config", file], { cwd: tempDir("tsuki-config-cwd-") });
    const port = await listening(child, "tcp", "tls");
    const socket = connectTls({ port, host: "127.0.0.1", rejectUnauthorized: false });
    await once(socket, "secureConnect");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    socket.end("over tls");
    await once(socket, "close");
    assert.equal(received, "over tls");
    child.kill("SIGTERM");
    assertExit(await finished(child), 143);
  });

  test("the configuration's args reach start({ args }), and --arg replaces and adds keys", T, async () => {
    const file = config(`image: ${JSON.stringify(ARGS)}\nargs:\n  greeting: hello\n  n: 1\n  list: [a, null]\n`);
    const r = await tsuki(["run", "--config", file, "--arg", "n=2", "--arg", "extra=true"]);
    assertExit(r, 0);
    assert.match(r.stdout, /\| \{"greeting":"hello","n":2,"list":\["a",null\],"extra":true\}$/m);
  });

  test("a positional image overrides the configuration's image", T, async () => {
    const file = config(`image: missing.tsuki\nargs:\n  from: file\n`);
    const r = await tsuki(["run", ARGS, "--config", file]);
    assertExit(r, 0);
    assert.match(r.stdout, /\{"from":"file"\}/);
  });

  test("--dev adds a binding to those of the configuration", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\n`);
    const child = start(["run", "--config", file, "--dev", "tcp=tcp://127.0.0.1:0"]);
    const port = await listening(child, "tcp");
    assert.equal(await echoOver(port, "x"), "x");
    child.kill("SIGTERM");
    assertExit(await finished(child), 143);
  });

  test("a device bound in the configuration and by --dev is ERR_DEV_BOUND_TWICE", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\ndevices:\n  tcp: !listen tcp://127.0.0.1:0\n`);
    const r = await tsuki(["run", "--config", file, "--dev", "tcp=tcp://127.0.0.1:0"]);
    assertExit(r, 78);
    assert.deepEqual(errors(r.stderr).map(([code]) => code), ["ERR_DEV_BOUND_TWICE"]);
  });

  test("a tag on a device of the wrong kind is ERR_DEV_WRONG_KIND naming the tag's place in the file", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\ndevices:\n  tcp: !connect tcp://127.0.0.1:7\n`);
    const r = await tsuki(["run", "--config", file]);
    assertExit(r, 78);
    const [[code, message]] = errors(r.stderr) as [[string, string]];
    assert.equal(code, "ERR_DEV_WRONG_KIND");
    assert.ok(message.includes(`${file}:3:8 (!connect)`), message);
    assert.match(message, /is a listener but .* binds a connector/);
  });

  test("a !net device parses and reaches the tender's TAP backend (lo is not a TAP: ERR_TAP_OPEN)", T, async () => {
    const dir = unikernelDir({ "src/main.ts": `import { unikernel, net } from "tsuki";\nexport default unikernel({ devices: { eth: net() }, start() {} });\n` }, "nic");
    const file = config(`image: ${JSON.stringify(dir)}\ndevices:\n  eth: !net tap:lo\n`);
    const r = await tsuki(["run", "--config", file]);
    assertExit(r, 78);
    // ERR_TAP_UNAVAILABLE on a host without /dev/net/tun or a C compiler.
    assert.ok(["ERR_TAP_OPEN", "ERR_TAP_UNAVAILABLE"].includes(errors(r.stderr).map(([code]) => code)[0]!), r.stderr);
  });

  test("an unknown tag exits 78 with ERR_CONFIG_TAG naming the key, line and closest tag, before anything runs", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\ndevices:\n  tcp: !lisen tcp://127.0.0.1:0\n`);
    const r = await tsuki(["run", "--config", file]);
    assertExit(r, 78);
    assert.equal(r.stdout, "");
    assert.deepEqual(errors(r.stderr), [["ERR_CONFIG_TAG", `devices.tcp at ${file}:3:8 has the unknown tag !lisen: did you mean !listen? (the tags are !listen, !connect, !udp, !block, !net)`]]);
  });

  test("several mistakes print one line each, each with its own code", T, async () => {
    const file = config(`image: ${JSON.stringify(ECHO)}\nmem: 32M\ndevices:\n  tcp: tcp://127.0.0.1:0\ntarget: vm\n`);
    const r = await tsuki(["run", "--config", file]);
    assertExit(r, 78);
    assert.deepEqual(errors(r.stderr).map(([code, message]) => [code, /:(\d+):\d+/.exec(message)?.[1]]), [
      ["ERR_CONFIG_KEY", "2"],
      ["ERR_CONFIG_TAG", "4"],
      ["ERR_CONFIG_VALUE", "5"],
    ]);
  });

  test("a YAML syntax error exits 78 with ERR_CONFIG_SYNTAX and its line", T, async () => {
    const file = config(`image: x\nargs: [a, b\n`);
    const r = await tsuki(["run", "--config", file]);
    assertExit(r, 78);
    assert.equal(errors(r.stderr)[0]?.[0], "ERR_CONFIG_SYNTAX");
    assert.match(errors(r.stderr)[0]?.[1] ?? "", new RegExp(`at ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:1 \\(in args\\)`));
  });

  test("a configuration file that does not exist exits 78 with ERR_CONFIG_FILE", T, async () => {
    const r = await tsuki(["run", "--config", path.join(dir, "nope.yaml")]);
    assertExit(r, 78);
    assert.equal(errors(r.stderr)[0]?.[0], "ERR_CONFIG_FILE");
  });

  test("no image in the configuration or on the command line exits 64 saying to write image:", T, async () => {
    const r = await tsuki(["run", "--config", config(`memory: 32M\n`)]);
    assertExit(r, 64);
    assert.equal(errors(r.stderr)[0]?.[0], "ERR_MISSING_ARGUMENT");
    assert.match(errors(r.stderr)[0]?.[1] ?? "", /write `image: PATH` in /);
  });

  test("a bad --target is refused even when the configuration names a good one", T, async () => {
    const r = await tsuki(["run", "--config", config(`image: x\ntarget: unix\n`), "--target", "vm"]);
    assertExit(r, 64);
    assert.equal(errors(r.stderr)[0]?.[0], "ERR_FLAG_VALUE");
  });

  test("tsuki run --help describes --config", T, async () => {
    const r = await tsuki(["run", "--help"]);
    assertExit(r, 0);
    assert.match(r.stdout, /tsuki run --config run\.yaml/);
    assert.match(r.stdout, /--config FILE/);
  });
});
