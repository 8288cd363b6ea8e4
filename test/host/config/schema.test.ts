/**
 * The published JSON Schema of the run configuration and the documented examples: the schema is
 * JSON Schema 2020-12 whose references resolve and whose keys match what the parser accepts; the
 * README's example and examples/echo/run.yaml parse; the README's customTags list every form.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { CONFIG_KEYS, DEVICE_TAGS, loadRunConfig, parseRunConfig } from "../../../src/host/config/index.ts";
import { ROOT } from "../../helpers.ts";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; $defs?: Record<string, Schema> };

const schemaText = readFileSync(path.join(ROOT, "schema/run-config.schema.json"), "utf8");
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
/** The README's section on the run configuration. */
const section = /^## The run configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";

/** Every subschema, depth first, with its JSON pointer. */
function* subschemas(schema: unknown, pointer = "#"): Generator<[string, Record<string, unknown>]> {
  if (schema === null || typeof schema !== "object") return;
  if (Array.isArray(schema)) {
    for (const [i, s] of schema.entries()) yield* subschemas(s, `${pointer}/${i}`);
    return;
  }
  const s = schema as Record<string, unknown>;
  yield [pointer, s];
  for (const key of ["properties", "$defs"]) {
    for (const [name, sub] of Object.entries((s[key] ?? {}) as Record<string, unknown>)) yield* subschemas(sub, `${pointer}/${key}/${name}`);
  }
  for (const key of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(s[key])) yield* subschemas(s[key], `${pointer}/${key}`);
  for (const key of ["additionalProperties", "propertyNames", "items", "not"]) if (typeof s[key] === "object") yield* subschemas(s[key], `${pointer}/${key}`);
}

describe("schema/run-config.schema.json", () => {
  test("is valid JSON", () => {
    assert.doesNotThrow(() => JSON.parse(schemaText));
  });

  const schema = JSON.parse(schemaText) as Schema;

  test("declares JSON Schema draft 2020-12", () => {
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  });

  test("uses only JSON Schema types, compilable patterns and references that resolve", () => {
    const TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"];
    for (const [pointer, s] of subschemas(schema)) {
      for (const type of [s.type ?? []].flat()) assert.ok(TYPES.includes(type as string), `${pointer}: type ${String(type)}`);
      if (s.pattern !== undefined) assert.doesNotThrow(() => new RegExp(s.pattern as string, "u"), pointer);
      if (s.$ref !== undefined) {
        const target = (s.$ref as string).replace(/^#\//, "").split("/").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], schema);
        assert.ok(target && typeof target === "object", `${pointer}: $ref ${String(s.$ref)} resolves`);
      }
      if (s.required !== undefined) for (const key of s.required as string[]) assert.ok((s.properties as Record<string, unknown>)?.[key], `${pointer}: required ${key} is a property`);
    }
  });

  test("describes exactly the keys the parser accepts, and no others", () => {
    assert.deepEqual(Object.keys(schema.properties ?? {}), [...CONFIG_KEYS]);
    assert.equal(schema.additionalProperties, false);
  });

  test("describes the mapping form of each tag with the parser's options", () => {
    const defs = schema.$defs ?? {};
    for (const tag of ["!listen", "!connect", "!udp", "!block"]) {
      const def = defs[tag.slice(1)];
      assert.deepEqual(Object.keys(def?.properties ?? {}).sort(), [...(DEVICE_TAGS[tag]!.keys ?? [])].sort(), tag);
    }
  });

  test("names every tag in the description of a device value", () => {
    const description = String(schema.$defs?.device?.description);
    for (const tag of Object.keys(DEVICE_TAGS)) assert.ok(description.includes(tag), tag);
  });

  test("its memory pattern accepts what --mem accepts", () => {
    const anyOf = schema.properties?.memory?.anyOf as { pattern?: string }[];
    const pattern = new RegExp(anyOf.find((s) => s.pattern)!.pattern!);
    for (const size of ["32M", "1G", "512k", "64MiB", "64MB", "128"]) assert.ok(pattern.test(size), size);
    assert.ok(!pattern.test("1.5G"));
  });
});

describe("the documented examples", () => {
  test("the README's example configuration parses", () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(example, "the section has a yaml example");
    const config = parseRunConfig(example, { file: "run.yaml", dir: ROOT });
    assert.deepEqual(config.devices.map((b) => b.kind), ["listener", "listener", "connector", "udp", "block"]);
    assert.deepEqual(config.args, { greeting: "hello", ports: [80, 443] });
  });

  test("examples/echo/run.yaml binds tcp to a listener on 127.0.0.1:7000 and runs the echo folder", () => {
    const config = loadRunConfig(path.join(ROOT, "examples/echo/run.yaml"));
    assert.equal(config.image, path.join(ROOT, "examples/echo"));
    assert.deepEqual(config.devices.map((b) => [b.name, b.uri, b.kind]), [["tcp", "tcp://127.0.0.1:7000", "listener"]]);
  });

  test("examples/echo/run.yaml points the YAML language server at the schema", () => {
    const first = readFileSync(path.join(ROOT, "examples/echo/run.yaml"), "utf8").split("\n")[0]!;
    const schemaPath = /^# yaml-language-server: \$schema=(.+)$/.exec(first)?.[1];
    assert.equal(path.resolve(ROOT, "examples/echo", schemaPath ?? ""), path.join(ROOT, "schema/run-config.schema.json"));
  });

  test("the README's customTags list every form of every tag", () => {
    const listed = [...section.matchAll(/"(![a-z]+ (?:scalar|mapping))"/g)].map((m) => m[1]).sort();
    const forms = Object.entries(DEVICE_TAGS).flatMap(([tag, spec]) => [`${tag} scalar`, ...(spec.keys ? [`${tag} mapping`] : [])]).sort();
    assert.deepEqual(listed, forms);
  });
});
