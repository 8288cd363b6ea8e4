/**
 * The command line laid over a run configuration: a positional image, --mem, --cpu-ms and
 * --target replace the file's values; --arg adds or replaces args keys; --dev adds bindings.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyCommandLine, parseRunConfig } from "../../../src/host/config/index.ts";
import { parseBinding } from "../../../src/host/spec/bindings.ts";

const config = parseRunConfig(
  `image: site.tsuki\nmemory: 32M\ncpu-ms: 200\ntarget: unix\ndevices:\n  web: !listen tcp://127.0.0.1:8080\nargs:\n  greeting: hello\n  n: 1\n`,
  { file: "run.yaml", dir: "/srv/site" },
);
const none = { limits: {}, devices: [], args: {} };

describe("applyCommandLine", () => {
  test("without flags the file's values stand", () => {
    assert.deepEqual(applyCommandLine(config, none), {
      image: "/srv/site/site.tsuki",
      limits: { memoryMb: 32, cpuMs: 200 },
      target: "unix",
      devices: config.devices,
      args: { greeting: "hello", n: 1 },
    });
  });

  test("a positional image replaces the file's image", () => {
    assert.equal(applyCommandLine(config, { ...none, image: "other.tsuki" }).image, "other.tsuki");
  });

  test("--mem replaces memory", () => {
    assert.equal(applyCommandLine(config, { ...none, limits: { memoryMb: 64 } }).limits.memoryMb, 64);
  });

  test("--console-rate and --console-burst replace console's rate and burst, each on its own", () => {
    const file = parseRunConfig("console: { rate: 10, burst: 20 }", { file: "run.yaml" });
    assert.deepEqual(applyCommandLine(file, { ...none, limits: { console: { rate: 5 } } }).limits.console, { rate: 5, burst: 20 });
    assert.equal(applyCommandLine(undefined, none).limits.console, undefined);
  });

  test("--cpu-ms replaces cpu-ms", () => {
    assert.equal(applyCommandLine(config, { ...none, limits: { cpuMs: 50 } }).limits.cpuMs, 50);
  });

  test("--target replaces target", () => {
    assert.equal(applyCommandLine(config, { ...none, target: "isolate" }).target, "isolate");
  });

  test("--arg replaces an args key and adds new ones", () => {
    assert.deepEqual(applyCommandLine(config, { ...none, args: { n: 2, extra: true } }).args, { greeting: "hello", n: 2, extra: true });
  });

  test("--dev adds bindings after the file's", () => {
    const settings = applyCommandLine(config, { ...none, devices: [parseBinding("db=tcp://127.0.0.1:5432")] });
    assert.deepEqual(settings.devices.map((b) => b.name), ["web", "db"]);
  });

  test("--dev for a device the file binds keeps both, for the binding check to report", () => {
    const settings = applyCommandLine(config, { ...none, devices: [parseBinding("web=tcp://127.0.0.1:9090")] });
    assert.deepEqual(settings.devices.map((b) => b.uri), ["tcp://127.0.0.1:8080", "tcp://127.0.0.1:9090"]);
  });

  test("without a file the flags are the settings", () => {
    assert.deepEqual(applyCommandLine(undefined, { image: "a.tsuki", devices: [], args: { a: 1 }, limits: { memoryMb: 16 } }), {
      image: "a.tsuki",
      limits: { memoryMb: 16 },
      devices: [],
      args: { a: 1 },
    });
  });
});
