/**
 * The keys of a run configuration besides devices: image (relative to the file's folder), memory
 * (as --mem), cpu-ms, target, and args (plain YAML values, untagged), and reading a file from disk.
 */

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { TsukiError } from "../../../src/host/common/errors.ts";
import { loadRunConfig, parseRunConfig } from "../../../src/host/config/index.ts";
import { tempDir } from "../../helpers.ts";

const parse = (text: string, dir = "/srv/site") => parseRunConfig(text, { file: "run.yaml", dir });

describe("the top-level keys", () => {
  test("an empty file is an empty configuration", () => {
    assert.deepEqual(parse(""), { file: "run.yaml", limits: {}, devices: [], args: {} });
  });

  test("a file of only comments is an empty configuration", () => {
    assert.deepEqual(parse("# nothing yet\n"), { file: "run.yaml", limits: {}, devices: [], args: {} });
  });

  test("image is resolved against the configuration's folder", () => {
    assert.equal(parse("image: build/site.tsuki").image, "/srv/site/build/site.tsuki");
  });

  test("image: . is the configuration's own folder", () => {
    assert.equal(parse("image: .").image, "/srv/site");
  });

  test("an absolute image path is kept", () => {
    assert.equal(parse("image: /images/site.tsuki").image, "/images/site.tsuki");
  });

  test("memory takes the sizes --mem takes", () => {
    assert.deepEqual(["32M", "1G", "64", "8192K", "64MiB"].map((m) => parse(`memory: ${m}`).limits.memoryMb), [32, 1024, 64, 8, 64]);
  });

  test("cpu-ms is a whole number of milliseconds", () => {
    assert.equal(parse("cpu-ms: 200").limits.cpuMs, 200);
  });

  test("console holds the console limits, either or both", () => {
    assert.deepEqual(parse("console:\n  rate: 1000\n  burst: 5000\n").limits.console, { rate: 1000, burst: 5000 });
    assert.deepEqual(parse("console: { rate: 10 }").limits.console, { rate: 10 });
  });

  test("target names a target", () => {
    assert.equal(parse("target: unix").target, "unix");
  });

  test("empty devices and args are allowed", () => {
    assert.deepEqual(parse("devices:\nargs:\n"), { file: "run.yaml", limits: {}, devices: [], args: {} });
  });
});

describe("args", () => {
  test("args hold plain YAML: strings, numbers, booleans, null, lists and maps", () => {
    const config = parse("args:\n  greeting: hello\n  n: 3\n  ratio: 0.5\n  on: true\n  none: null\n  list: [1, two]\n  nested: { a: { b: [x] } }\n");
    assert.deepEqual(config.args, { greeting: "hello", n: 3, ratio: 0.5, on: true, none: null, list: [1, "two"], nested: { a: { b: ["x"] } } });
  });

  test("args follow YAML 1.2: yes and no are strings, not booleans", () => {
    assert.deepEqual(parse("args:\n  a: yes\n  b: no\n").args, { a: "yes", b: "no" });
  });

  test("core type tags such as !!str only choose a plain type", () => {
    assert.deepEqual(parse("args:\n  version: !!str 1.0\n").args, { version: "1.0" });
  });

  test("aliases in args stand for their anchor's plain value", () => {
    assert.deepEqual(parse("args:\n  a: &x { port: 80 }\n  b: *x\n").args, { a: { port: 80 }, b: { port: 80 } });
  });

  test("an arg named __proto__ is an own key, not the object's prototype", () => {
    const { args } = parse("args:\n  __proto__: { polluted: true }\n");
    assert.ok(Object.hasOwn(args, "__proto__"));
    assert.equal(Object.getPrototypeOf(args), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("loadRunConfig", () => {
  test("paths resolve against the file's folder, not the working directory", () => {
    const dir = path.join(tempDir("tsuki-config-"), "deploy");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "run.yaml"), "image: ../build/site.tsuki\ndevices:\n  data: !block disk.img\n");
    const config = loadRunConfig(path.join(dir, "run.yaml"));
    assert.equal(config.image, path.join(path.dirname(dir), "build/site.tsuki"));
    assert.equal(config.devices[0]?.uri, `file:${path.join(dir, "disk.img")}`);
  });

  test("the origin names the file as it was given", () => {
    const dir = tempDir("tsuki-config-");
    writeFileSync(path.join(dir, "run.yaml"), "devices:\n  web: !listen tcp://127.0.0.1:1\n");
    assert.equal(loadRunConfig(path.join(dir, "run.yaml")).devices[0]?.origin, `${path.join(dir, "run.yaml")}:2:8 (!listen)`);
  });

  test("a file that does not exist is ERR_CONFIG_FILE naming it", () => {
    const missing = path.join(tempDir("tsuki-config-"), "nope.yaml");
    assert.throws(() => loadRunConfig(missing), (error: unknown) => {
      assert.ok(error instanceof TsukiError);
      assert.equal(error.code, "ERR_CONFIG_FILE");
      assert.equal(error.exitCode, 78);
      assert.match(error.message, /nope\.yaml: there is no such file/);
      return true;
    });
  });

  test("a folder given as the file is ERR_CONFIG_FILE", () => {
    assert.throws(() => loadRunConfig(tempDir("tsuki-config-")), { code: "ERR_CONFIG_FILE", message: /it is a folder/ });
  });
});
