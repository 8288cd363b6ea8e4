/**
 * The bundle parser of tsuki-runtime (host/oci/runtime/bundle.ts) on config.json documents made
 * here: what it takes from root.path, process.args, the tsuki.dev/ annotations, the memory limit
 * and the network namespace, and each refusal with its code.
 */

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parseBundleConfig, readBundle } from "../../src/host/oci/runtime/index.ts";
import { tempDir } from "../helpers.ts";

const DIR = "/bundles/b1";
const IMAGE = "/bundles/b1/rootfs/unikernel.tsuki";
const onlyImage = (p: string) => p === IMAGE || p === "/bundles/b1/rootfs/srv/app.tsuki";
const config = (extra: Record<string, unknown> = {}) => ({ ociVersion: "1.0.2", root: { path: "rootfs" }, process: { args: ["/unikernel.tsuki"] }, ...extra });
const parse = (json: unknown) => parseBundleConfig(json, DIR, onlyImage);
const refused = (json: unknown, code: string, message: RegExp) => assert.throws(() => parse(json), (e: Error & { code?: string }) => e.code === code && message.test(e.message));

test("a bundle with /unikernel.tsuki: the image, devices, args and target from annotations, memory in MiB, the network namespace", () => {
  const b = parse(
    config({
      process: { args: ["/unikernel.tsuki", "greeting=hi", "n=3"] },
      annotations: { "tsuki.dev/device.web": "tcp://127.0.0.1:8080", "tsuki.dev/arg.mode": "fast", "tsuki.dev/target": "isolate", "io.kubernetes.cri.container-type": "container" },
      linux: { resources: { memory: { limit: 64 * 2 ** 20 + 5 } }, namespaces: [{ type: "pid" }, { type: "network", path: "/var/run/netns/cni-1" }] },
    }),
  );
  assert.equal(b.image, IMAGE);
  assert.equal(b.rootfs, "/bundles/b1/rootfs");
  assert.deepEqual(b.bindings, [{ name: "web", uri: "tcp://127.0.0.1:8080" }]);
  assert.deepEqual(b.args, { greeting: "hi", n: 3, mode: "fast" });
  assert.equal(b.target, "isolate");
  assert.equal(b.memoryMb, 64);
  assert.equal(b.netns, "/var/run/netns/cni-1");
});

test("defaults: the process target, no memory limit (or -1), a network namespace without a path is a new one", () => {
  const b = parse(config({ linux: { resources: { memory: { limit: -1 } }, namespaces: [{ type: "network" }] } }));
  assert.equal(b.target, "process");
  assert.equal(b.memoryMb, undefined);
  assert.equal(b.netns, "new");
  assert.equal(parse(config()).netns, undefined);
});

test("process.args[0] ending in .tsuki names the image inside the root file system, without climbing out of it", () => {
  assert.equal(parse(config({ process: { args: ["/srv/app.tsuki"] } })).image, "/bundles/b1/rootfs/srv/app.tsuki");
  assert.equal(parse(config({ process: { args: ["../../../srv/app.tsuki"] } })).image, "/bundles/b1/rootfs/srv/app.tsuki");
});

test("a root file system without a tsuki image is runc's: no image, and its process.args are not read as args", () => {
  const b = parseBundleConfig(config({ process: { args: ["/pause"] } }), DIR, () => false);
  assert.equal(b.image, undefined);
  assert.deepEqual(b.args, {});
});

test("malformed config.json fields are ERR_RUNTIME_BUNDLE, naming the field", () => {
  refused([], "ERR_RUNTIME_BUNDLE", /not a JSON object/);
  refused({ root: {} }, "ERR_RUNTIME_BUNDLE", /root\.path/);
  refused(config({ process: { args: "x" } }), "ERR_RUNTIME_BUNDLE", /process\.args/);
  refused(config({ process: { args: ["/unikernel.tsuki", "loose"] } }), "ERR_RUNTIME_BUNDLE", /not KEY=VALUE/);
  refused(config({ annotations: { a: 1 } }), "ERR_RUNTIME_BUNDLE", /annotations\.a/);
  refused(config({ linux: { resources: { memory: { limit: "1G" } } } }), "ERR_RUNTIME_BUNDLE", /memory\.limit/);
  refused(config({ linux: { resources: { memory: { limit: 2 ** 20 } } } }), "ERR_RUNTIME_BUNDLE", /1 MiB: a unikernel's memory is 8 to/);
  refused(config({ linux: { namespaces: {} } }), "ERR_RUNTIME_BUNDLE", /linux\.namespaces/);
});

test("an unknown tsuki.dev/ annotation, a malformed device or an unknown target is ERR_RUNTIME_ANNOTATION", () => {
  refused(config({ annotations: { "tsuki.dev/devices.web": "tcp://127.0.0.1:1" } }), "ERR_RUNTIME_ANNOTATION", /unknown annotation tsuki\.dev\/devices\.web/);
  refused(config({ annotations: { "tsuki.dev/device.web": "127.0.0.1:80" } }), "ERR_RUNTIME_ANNOTATION", /tsuki\.dev\/device\.web=127\.0\.0\.1:80 is not a device binding.*no scheme/);
  refused(config({ annotations: { "tsuki.dev/target": "vm" } }), "ERR_RUNTIME_ANNOTATION", /the targets are/);
});

test("a terminal is refused: a unikernel has none", () => {
  refused(config({ process: { terminal: true, args: ["/unikernel.tsuki"] } }), "ERR_RUNTIME_UNSUPPORTED", /no terminal/);
});

test("readBundle: a missing or non-JSON config.json is ERR_RUNTIME_BUNDLE; a real one finds the image on disk", () => {
  const dir = tempDir("tsuki-bundle-");
  assert.throws(() => readBundle(dir), { code: "ERR_RUNTIME_BUNDLE" });
  writeFileSync(path.join(dir, "config.json"), "{");
  assert.throws(() => readBundle(dir), /is not JSON/);
  mkdirSync(path.join(dir, "rootfs"));
  writeFileSync(path.join(dir, "rootfs/unikernel.tsuki"), "x");
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(config()));
  assert.equal(readBundle(dir).image, path.join(dir, "rootfs/unikernel.tsuki"));
});
