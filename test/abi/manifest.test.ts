/**
 * parseManifest: the validation of a manifest read from an untrusted image. It accepts what the
 * build writes, and for anything else reports every problem, each naming the key, without throwing.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { ABI_VERSION, MANIFEST_FORMAT, parseManifest } from "../../src/abi/index.ts";

const HASH = "a".repeat(64);
const OTHER = "b".repeat(64);

/** A valid manifest as JSON.parse would return it, with `changes` applied at the top level. */
function manifest(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: MANIFEST_FORMAT,
    name: "hello",
    version: "1.0.0",
    abi: ABI_VERSION,
    entry: { path: "main.js", size: 10, sha256: HASH },
    devices: { web: { kind: "listener" }, disk: { kind: "block" } },
    assets: [
      { path: "css/site.css", size: 3, sha256: HASH },
      { path: "index.html", size: 5, sha256: OTHER },
    ],
    inputs: { "src/main.ts": HASH, "tsuki:guest/sdk/index.ts": OTHER },
    builder: { tsuki: "0.1.0", esbuild: "0.28.2" },
    ...changes,
  };
}

/** The problems parseManifest reports for `json`, failing the test if it accepts it. */
function problems(json: unknown): string[] {
  const result = parseManifest(json);
  assert.equal(result.ok, false, "the manifest should be refused");
  return result.ok ? [] : result.problems;
}

/** Asserts that exactly one problem is reported and that it names `key`. */
function oneProblemNaming(json: unknown, key: string, detail?: RegExp): void {
  const found = problems(json);
  assert.equal(found.length, 1, `expected one problem, got ${JSON.stringify(found)}`);
  assert.ok(found[0]!.startsWith(`manifest.${key} `), `expected the problem to name manifest.${key}: ${found[0]}`);
  if (detail) assert.match(found[0]!, detail);
}

test("a valid manifest is accepted and returned as it was given", () => {
  const json = manifest();
  const result = parseManifest(json);
  assert.equal(result.ok, true);
  assert.deepEqual(result.ok && result.manifest, json);
});

test("a manifest with no devices, no assets and no inputs is accepted", () => {
  assert.equal(parseManifest(manifest({ devices: {}, assets: [], inputs: {} })).ok, true);
});

test("a wrong format is reported under manifest.format, naming the expected one", () => {
  oneProblemNaming(manifest({ format: "tsuki.image/2" }), "format", /tsuki\.image\/1/);
});

test("a name that is not a lower-case DNS label is reported under manifest.name", () => {
  for (const name of ["Hello", "hello world", "-hello", "hello-", "", "a".repeat(64), 7]) {
    oneProblemNaming(manifest({ name }), "name");
  }
});

test("an ABI version that is not a positive integer is reported under manifest.abi", () => {
  for (const abi of [0, -1, 1.5, "1", null]) oneProblemNaming(manifest({ abi }), "abi");
});

test("an empty or over-long version is reported under manifest.version", () => {
  for (const version of ["", "1".repeat(65), 1]) oneProblemNaming(manifest({ version }), "version");
});

test("a device name that is not an identifier is reported under its key", () => {
  oneProblemNaming(manifest({ devices: { "9web": { kind: "listener" } } }), "devices.9web", /identifier/);
});

test("a device named after a key start() always receives is reported as reserved", () => {
  for (const name of ["console", "args", "assets", "name", "exit", "abort"]) {
    oneProblemNaming(manifest({ devices: { [name]: { kind: "listener" } } }), `devices.${name}`, /reserved/);
  }
});

test("an unknown device kind is reported under the device's kind, listing the known kinds", () => {
  oneProblemNaming(manifest({ devices: { web: { kind: "floppy" } } }), "devices.web.kind", /listener, connector, udp, net, block.*"floppy"/);
});

test("a device declaration that is not an object is reported under the device's kind", () => {
  oneProblemNaming(manifest({ devices: { web: "listener" } }), "devices.web.kind");
});

test("a device declaration with keys besides kind is reported under the device", () => {
  oneProblemNaming(manifest({ devices: { web: { kind: "listener", port: 80 } } }), "devices.web", /only "kind"/);
});

test("more devices than the ABI allows are reported under manifest.devices", () => {
  const devices = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`d${i}`, { kind: "udp" }]));
  oneProblemNaming(manifest({ devices }), "devices", /64 devices/);
});

test("assets out of path order are reported under the later asset's path", () => {
  const assets = [
    { path: "index.html", size: 5, sha256: HASH },
    { path: "css/site.css", size: 3, sha256: HASH },
  ];
  oneProblemNaming(manifest({ assets }), "assets[1].path", /sorted/);
});

test("the same asset path twice is reported under the second one", () => {
  const assets = [
    { path: "index.html", size: 5, sha256: HASH },
    { path: "index.html", size: 5, sha256: HASH },
  ];
  oneProblemNaming(manifest({ assets }), "assets[1].path", /no duplicates/);
});

test('an asset path with a ".." segment is reported under that asset\'s path', () => {
  for (const path of ["../secret", "a/../../b", "a/.."]) {
    oneProblemNaming(manifest({ assets: [{ path, size: 1, sha256: HASH }] }), "assets[0].path", /"\.\."/);
  }
});

test('an absolute asset path or one with a "." segment is reported under that asset\'s path', () => {
  for (const path of ["/etc/passwd", "./index.html", "a/./b"]) {
    oneProblemNaming(manifest({ assets: [{ path, size: 1, sha256: HASH }] }), "assets[0].path");
  }
});

test("an asset path with a control character or a backslash is reported under that asset's path", () => {
  for (const path of ["a\nb", "a\u0000b", "a\\b"]) {
    oneProblemNaming(manifest({ assets: [{ path, size: 1, sha256: HASH }] }), "assets[0].path");
  }
});

test("a SHA-256 that is not 64 lower-case hex digits is reported under its key", () => {
  for (const sha256 of ["A".repeat(64), "a".repeat(63), "g".repeat(64), 1]) {
    oneProblemNaming(manifest({ entry: { path: "main.js", size: 10, sha256 } }), "entry.sha256");
    oneProblemNaming(manifest({ assets: [{ path: "a", size: 1, sha256 }] }), "assets[0].sha256");
  }
  oneProblemNaming(manifest({ inputs: { "src/main.ts": "nope" } }), 'inputs["src/main.ts"]');
});

test("a size that is not a byte count is reported under its key", () => {
  for (const size of [-1, 1.5, "10", 2 ** 53]) oneProblemNaming(manifest({ entry: { path: "main.js", size, sha256: HASH } }), "entry.size");
});

test("a file entry with keys besides path, size and sha256 is reported under the entry", () => {
  oneProblemNaming(manifest({ entry: { path: "main.js", size: 10, sha256: HASH, mode: 493 } }), "entry", /only path, size and sha256/);
});

test("an unknown top-level key is reported under its name", () => {
  oneProblemNaming(manifest({ signature: "x" }), "signature", /not a manifest key/);
});

test("a missing required key is reported under its name", () => {
  for (const key of ["format", "name", "version", "abi", "entry", "devices", "assets", "inputs", "builder"]) {
    const json = manifest();
    delete json[key];
    assert.ok(
      problems(json).some((p) => p.startsWith(`manifest.${key}`)),
      `a manifest without ${key} should be refused naming it`,
    );
  }
});

test("input that is not an object is reported, not thrown", () => {
  for (const json of [null, undefined, 1, "manifest", true, [], [manifest()]]) {
    assert.deepEqual(problems(json), ["manifest.json must hold a JSON object"]);
  }
});

test("every problem is reported, not only the first", () => {
  const found = problems(manifest({ format: 1, name: "X", devices: { console: { kind: "tape" } }, extra: true }));
  for (const key of ["format", "name", "devices.console ", "devices.console.kind", "extra"]) {
    assert.ok(found.some((p) => p.startsWith(`manifest.${key}`)), `expected a problem naming manifest.${key} in ${JSON.stringify(found)}`);
  }
});

test("nonsense in every field is reported, naming the field, without throwing", () => {
  const weird = [null, 0, "", [], {}, [null], { a: null }, [[]]];
  // What is not nonsense for a field: no devices, no assets, no inputs, an empty builder record.
  const fine = new Set(["devices {}", "assets []", "inputs {}", "builder {}"]);
  for (const value of weird) {
    for (const key of ["entry", "devices", "assets", "inputs", "builder"]) {
      const label = `${key} ${JSON.stringify(value)}`;
      const result = parseManifest(manifest({ [key]: value }));
      if (fine.has(label)) {
        assert.equal(result.ok, true, label);
        continue;
      }
      assert.equal(result.ok, false, label);
      if (!result.ok) {
        assert.ok(result.problems.length > 0 && result.problems.every((p) => p.startsWith(`manifest.${key}`)), `${label}: ${JSON.stringify(result.problems)}`);
      }
    }
  }
});

test("runtime, the optional parts of the guest runtime an image uses, is accepted sorted and known, absent or not at all", () => {
  assert.equal(parseManifest(manifest({ runtime: ["web"] })).ok, true);
  assert.equal(parseManifest(manifest()).ok, true, "absent: the images of earlier builds");
  for (const bad of [[], ["web", "web"], ["web", "wasi"], "web", [1], null]) oneProblemNaming(manifest({ runtime: bad }), "runtime");
});

test("a connector's origin: accepted in canonical form; refused elsewhere, malformed, or not canonical", () => {
  assert.equal(parseManifest(manifest({ devices: { api: { kind: "connector", origin: "https://api.example.com" } } })).ok, true);
  assert.equal(parseManifest(manifest({ devices: { api: { kind: "connector", origin: "http://[::1]:8080" } } })).ok, true);
  oneProblemNaming(manifest({ devices: { web: { kind: "listener", origin: "https://a.test" } } }), "devices.web.origin", /for connectors only/);
  oneProblemNaming(manifest({ devices: { api: { kind: "connector", origin: "https://a.test/path" } } }), "devices.api.origin", /is not an origin/);
  oneProblemNaming(manifest({ devices: { api: { kind: "connector", origin: "ftp://a.test" } } }), "devices.api.origin", /is not an origin/);
  oneProblemNaming(manifest({ devices: { api: { kind: "connector", origin: "https://A.test:443" } } }), "devices.api.origin", /canonical form, "https:\/\/a\.test"/);
  oneProblemNaming(manifest({ devices: { api: { kind: "connector", origin: "http://999.1.1.1" } } }), "devices.api.origin", /not a dotted-quad/);
});
