/**
 * `tsuki oci pack` and `tsuki oci unpack` as an operator runs them: what they print, the files
 * they write, and each usage mistake as one error line with its code and exit code.
 */

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { craftImage, tempDir } from "../helpers.ts";
import { errors, tsuki } from "./spawn.ts";

const T = { timeout: 60_000 };
const dir = tempDir("tsuki-cli-oci-");
const image = path.join(dir, "app.tsuki");
writeFileSync(image, craftImage("export default { start() {} };", { name: "app", version: "2.0.0" }));

describe("tsuki oci", () => {
  test("pack --out --archive writes both, prints their paths, the digest and containerd's name; the same twice gives the same digest", T, async () => {
    const first = await tsuki(["oci", "pack", image, "--tag", "app:2.0", "--out", path.join(dir, "layout"), "--archive", path.join(dir, "app.tar")]);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trim().split("\n");
    assert.equal(lines[0], path.join(dir, "layout"));
    assert.equal(lines[1], path.join(dir, "app.tar"));
    const digest = /^digest (sha256:[0-9a-f]{64})$/m.exec(first.stdout)?.[1];
    assert.ok(digest, first.stdout);
    assert.match(first.stdout, /^tag app:2\.0 \(containerd: docker\.io\/library\/app:2\.0\)$/m);
    const second = await tsuki(["oci", "pack", image, "--tag", "app:2.0", "--archive", path.join(dir, "again.tar")]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`^digest ${digest}$`, "m"));
    assert.deepEqual(readFileSync(path.join(dir, "again.tar")), readFileSync(path.join(dir, "app.tar")));
  });

  test("unpack of the archive and of the folder writes the same .tsuki and prints its SHA-256", T, async () => {
    for (const from of ["app.tar", "layout"]) {
      const out = path.join(dir, `back-${from}.tsuki`);
      const ran = await tsuki(["oci", "unpack", path.join(dir, from), "--tag", "app:2.0", "--out", out]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(readFileSync(out), readFileSync(image));
      assert.match(ran.stdout, /^sha256 [0-9a-f]{64}$/m);
    }
  });

  test("unpack of a changed archive exits 65 with ERR_OCI_DIGEST and writes nothing", T, async () => {
    const bytes = readFileSync(path.join(dir, "app.tar"));
    const at = bytes.indexOf("export default");
    assert.ok(at > 0);
    bytes[at] = "E".charCodeAt(0);
    writeFileSync(path.join(dir, "changed.tar"), bytes);
    const ran = await tsuki(["oci", "unpack", path.join(dir, "changed.tar"), "--out", path.join(dir, "changed.tsuki")]);
    assert.equal(ran.code, 65);
    assert.deepEqual(errors(ran.stderr).map(([code]) => code), ["ERR_OCI_DIGEST"]);
    assert.equal(ran.stdout, "");
  });

  const mistakes: { name: string; args: () => string[]; code: number; error: string }[] = [
    { name: "pack without --tag", args: () => ["oci", "pack", image, "--out", path.join(dir, "x")], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "pack without --out or --archive", args: () => ["oci", "pack", image, "--tag", "a:1"], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "pack with a tag without a version", args: () => ["oci", "pack", image, "--tag", "app", "--out", path.join(dir, "y")], code: 64, error: "ERR_FLAG_VALUE" },
    { name: "pack into a folder that is not empty", args: () => { mkdirSync(path.join(dir, "full"), { recursive: true }); writeFileSync(path.join(dir, "full", "f"), ""); return ["oci", "pack", image, "--tag", "a:1", "--out", path.join(dir, "full")]; }, code: 73, error: "ERR_OCI_OUT" },
    { name: "pack of what is not an image", args: () => ["oci", "pack", path.join(dir, "app.tar"), "--tag", "a:1", "--out", path.join(dir, "z")], code: 65, error: "ERR_IMAGE_MALFORMED" },
    { name: "unpack without --out", args: () => ["oci", "unpack", path.join(dir, "app.tar")], code: 64, error: "ERR_MISSING_ARGUMENT" },
    { name: "unpack of a tag the index lacks", args: () => ["oci", "unpack", path.join(dir, "app.tar"), "--tag", "app:9", "--out", path.join(dir, "n.tsuki")], code: 66, error: "ERR_OCI_REF" },
    { name: "unpack of what is not an OCI image", args: () => ["oci", "unpack", image, "--out", path.join(dir, "n.tsuki")], code: 65, error: "ERR_OCI_LAYOUT" },
    { name: "an unknown subcommand", args: () => ["oci", "push", image], code: 64, error: "ERR_UNKNOWN_COMMAND" },
  ];
  for (const m of mistakes) {
    test(`${m.name} exits ${m.code} with ${m.error}`, T, async () => {
      const ran = await tsuki(m.args());
      assert.equal(ran.code, m.code, ran.stderr);
      assert.deepEqual(errors(ran.stderr).map(([code]) => code), [m.error], ran.stderr);
    });
  }

  test("tsuki oci --help describes pack and unpack; tsuki --help lists them", T, async () => {
    const help = await tsuki(["oci", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /tsuki oci pack/);
    assert.match(help.stdout, /tsuki oci unpack/);
    assert.match((await tsuki(["--help"])).stdout, /oci pack/);
  });
});
