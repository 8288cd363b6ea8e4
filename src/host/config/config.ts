/**
 * @module host/config/config
 * The run configuration file of `tsuki run --config run.yaml` (cloudabi-run style):
 *
 *   image: build/site.tsuki        # an image or a unikernel folder, relative to this file
 *   memory: 32M                    # as --mem
 *   cpu-ms: 200                    # as --cpu-ms
 *   target: isolate                # as --target
 *   console: { rate: 1000 }        # as --console-rate and --console-burst
 *   devices:                       # each value becomes a resource only through its tag
 *     web: !listen tcp://127.0.0.1:8080
 *   args:                          # plain data for start({ args }); no tags anywhere
 *     greeting: hello
 *
 * The file is read in full and every mistake is reported at once with a stable code, the key,
 * its line and column, and how to fix it (a ConfigError). Limits and the target are checked by
 * the run specification's own checkers (spec/run-spec.ts), which name them as the file spells
 * them. The result is a RunSpec holding what the file says; `applyCommandLine` (overrides.ts)
 * lays the command line's flags over it.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { Composer, LineCounter, type Node, Parser, isAlias, isMap, isScalar } from "yaml";
import { deviceNameProblem } from "../../abi/index.ts";
import { TsukiError } from "../common/errors.ts";
import type { Binding } from "../spec/bindings.ts";
import { type RunSpec, SpecProblem, cpuLimit, memoryLimit, targetName } from "../spec/run-spec.ts";
import { readConsole } from "./console.ts";
import { ConfigError, type KeySegment, closest, keyPath } from "./problems.ts";
import { Reader } from "./reader.ts";
import { DEVICE_TAGS, deviceBinding, tagHint, untaggedHint } from "./tags.ts";

/**
 * A run configuration file, read and checked: a run specification (spec/run-spec.ts) whose image
 * is absolute and whose devices come in the file's order, each with its kind and origin
 * (`run.yaml:7:8 (!listen)`).
 */
export interface RunConfig extends RunSpec {
  /** The file as the operator named it. */
  readonly file: string;
}

/** The keys a run configuration may have, in the order the documentation lists them. */
export const CONFIG_KEYS = ["image", "memory", "cpu-ms", "target", "console", "devices", "args"] as const;

/** Words people write for a key, mostly the flags' names. */
const KEY_ALIASES: Readonly<Record<string, string>> = { mem: "memory", cpu: "cpu-ms", dev: "devices", arg: "args" };

/** How YAML syntax errors can be fixed, by the parser's error code. */
const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  TAB_AS_INDENT: "indent with spaces, not tabs",
  BAD_INDENT: "line it up with its siblings, or close the [ or { it is in",
  MISSING_CHAR: "close the quote or bracket",
  BLOCK_AS_IMPLICIT_KEY: "put a nested mapping on its own, indented lines, or quote a value that contains \": \"",
  MULTILINE_IMPLICIT_KEY: "write each key and its colon on one line, or quote a value that contains \": \"",
  TAG_RESOLVE_FAILED: "a tag is written !name, e.g. !listen",
};

/** Reads and checks a run configuration file; paths in it resolve against its folder. */
export function loadRunConfig(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "there is no such file" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new TsukiError("CONFIG_FILE", `cannot read the run configuration ${file}: ${why}; give the path of a YAML file, e.g. --config run.yaml`);
  }
  return parseRunConfig(text, { file, dir: path.dirname(path.resolve(file)) });
}

export interface ParseOptions {
  /** The file's name for messages and origins, e.g. `run.yaml`. */
  readonly file: string;
  /** The folder relative paths resolve against (the file's folder); the working directory by default. */
  readonly dir?: string;
}

/** Checks the text of a run configuration; throws one ConfigError listing every mistake. */
export function parseRunConfig(text: string, options: ParseOptions): RunConfig {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const tagOffsets: number[] = [];
  collectTags(tokens, tagOffsets);
  tagOffsets.sort((a, b) => a - b);
  const docs = [...new Composer({ uniqueKeys: false, prettyErrors: false }).compose(tokens, true, text.length)];
  const doc = docs[0]!;
  const reader = new Reader(options.file, options.dir ?? process.cwd(), doc, lines, [...new Set(tagOffsets)]);

  // One syntax error a line: the parser's later errors on a line mostly follow from its first.
  const lineOfError = new Set<number>();
  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    if (lineOfError.has(line)) continue;
    lineOfError.add(line);
    const key = keyAt(doc.contents, error.pos[0]);
    const message = error.message.replace(/\s*\n[\s\S]*$/, "").replace(/\.$/, "");
    const hint = SYNTAX_HINTS[error.code] ?? "check the indentation and quoting there";
    reader.reportRaw("CONFIG_SYNTAX", key, error.pos[0], `YAML syntax error at ${options.file}:${line}:${col}${key ? ` (in ${key})` : ""}: ${message}: ${hint}`);
  }
  if (docs.length > 1) {
    const start = tokens.filter((t) => t.type === "document")[1]?.offset ?? docs[1]!.range[0];
    const { line } = lines.linePos(start);
    reader.reportRaw("CONFIG_SYNTAX", "", start, `YAML syntax error at ${options.file}:${line}:1: the file holds more than one YAML document: a run configuration is one document; remove the "---" on line ${line} and what follows, or merge the two`);
  }
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);

  const config = readRoot(reader, doc.contents as Node | null, options.file);
  if (reader.problems.length > 0) {
    throw new ConfigError([...reader.problems].sort((a, b) => a.line - b.line || a.column - b.column));
  }
  return config;
}

/** The offsets of every tag token in a CST, wherever it is (a tag is a token of its own). */
function collectTags(token: unknown, out: number[]): void {
  if (Array.isArray(token)) for (const t of token) collectTags(t, out);
  else if (token !== null && typeof token === "object") {
    const t = token as { type?: unknown; offset?: unknown };
    if (t.type === "tag" && typeof t.offset === "number") out.push(t.offset);
    for (const value of Object.values(token)) if (value !== null && typeof value === "object") collectTags(value, out);
  }
}

function readRoot(reader: Reader, root: Node | null, file: string): RunConfig {
  const config: { -readonly [K in keyof RunConfig]: RunConfig[K] } = { file, limits: {}, devices: [], args: {} };
  const limits: { -readonly [K in keyof RunConfig["limits"]]: RunConfig["limits"][K] } = {};
  config.limits = limits;
  if (root === null || (isScalar(root) && root.value === null)) return config;
  const tag = reader.tag(root);
  if (tag !== undefined) reader.report("CONFIG_TAG", [], reader.offset(root), `has the tag ${tag}: tags bind devices and go under devices:, e.g. \`web: !listen tcp://127.0.0.1:8080\`; remove it`);
  if (!isMap(root)) {
    reader.report("CONFIG_VALUE", [], reader.offset(root), `is not a mapping of keys: write keys such as \`image: build/site.tsuki\` and \`devices:\`, one per line (the keys are ${CONFIG_KEYS.join(", ")})`);
    return config;
  }
  const outsideDevices = (tag: string) => `tags bind devices and go under devices:${DEVICE_TAGS[tag] ? `, e.g. \`devices: { web: ${tag} … }\`` : ""}; remove it`;

  for (const [key, value, keyNode] of reader.entries(root, [])) {
    const at = reader.offset(value, reader.offset(keyNode));
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const valueTag = reader.tag(value);
      const guess = KEY_ALIASES[key] ?? closest(key, CONFIG_KEYS);
      const hint = valueTag && DEVICE_TAGS[valueTag] ? `: a device goes under devices:, indented (\`devices:\` then \`  ${key}: ${valueTag} …\`)` : guess ? `: did you mean ${guess}?` : "";
      reader.report("CONFIG_KEY", [key], reader.offset(keyNode), `is not a key of a run configuration${hint} (the keys are ${CONFIG_KEYS.join(", ")})`);
      continue;
    }
    if (key === "devices") {
      config.devices = readDevices(reader, value);
      continue;
    }
    if (key === "args") {
      config.args = readArgs(reader, value);
      continue;
    }
    if (key === "console") {
      limits.console = readConsole(reader, value);
      continue;
    }
    const valueTag = reader.tag(value);
    if (valueTag !== undefined) {
      reader.report("CONFIG_TAG", [key], at, `has the tag ${valueTag}: ${outsideDevices(valueTag)}`);
      continue;
    }
    const scalar = isScalar(value) && value.value !== null ? value.value : undefined;
    const shown = isScalar(value) ? (value.value === null ? "empty" : JSON.stringify(value.value)) : "a list or mapping";
    if (key === "image") {
      if (typeof scalar === "string" && scalar !== "") config.image = path.resolve(reader.dir, scalar);
      else reader.report("CONFIG_VALUE", [key], at, `is ${shown}, not a path: write the path of an image or unikernel folder, relative to this file, e.g. \`image: build/site.tsuki\``);
      continue;
    }
    // A list or mapping is shown as one; a scalar as its value.
    const given = isScalar(value) ? scalar : isMap(value) ? {} : [];
    try {
      if (key === "memory") limits.memoryMb = memoryLimit(given, "yaml");
      else if (key === "cpu-ms") limits.cpuMs = cpuLimit(given, "yaml");
      else if (key === "target") config.target = targetName(given, "yaml");
    } catch (error) {
      if (!(error instanceof SpecProblem)) throw error;
      reader.report("CONFIG_VALUE", [key], at, error.message);
    }
  }
  return config;
}

function readDevices(reader: Reader, devices: Node | null): Binding[] {
  const segments: KeySegment[] = ["devices"];
  const at = reader.offset(devices);
  const tag = reader.tag(devices);
  if (tag !== undefined) {
    reader.report("CONFIG_TAG", segments, at, `has the tag ${tag}: put a tag on each device instead, e.g. \`devices:\` then \`  web: ${DEVICE_TAGS[tag] ? tag : "!listen"} …\``);
    return [];
  }
  if (devices === null || (isScalar(devices) && devices.value === null)) return [];
  if (!isMap(devices)) {
    reader.report("CONFIG_VALUE", segments, at, `is not a mapping of device names: write one \`NAME: !tag VALUE\` per line under devices, e.g. \`web: !listen tcp://127.0.0.1:8080\``);
    return [];
  }
  const bindings: Binding[] = [];
  for (const [name, value, keyNode] of reader.entries(devices, segments)) {
    const problem = deviceNameProblem(name);
    if (problem) {
      reader.report("CONFIG_KEY", [...segments, name], reader.offset(keyNode), `is not a device name: ${problem}`);
      continue;
    }
    const valueAt = reader.offset(value, reader.offset(keyNode));
    if (isAlias(value)) {
      reader.report("CONFIG_VALUE", [...segments, name], valueAt, `is an alias (*${value.source}): a device is bound by a tag written where it is named; write its tag and value here`);
      continue;
    }
    const deviceTag = reader.tag(value);
    if (deviceTag === undefined) {
      reader.report("CONFIG_TAG", [...segments, name], valueAt, `has no tag: ${untaggedHint(name, value, isScalar(value) && value.value !== null ? String(value.value) : undefined)}`);
      continue;
    }
    if (!DEVICE_TAGS[deviceTag]) {
      reader.report("CONFIG_TAG", [...segments, name], valueAt, `has the unknown tag ${deviceTag}: ${tagHint(deviceTag)}`);
      continue;
    }
    const binding = deviceBinding(reader, name, deviceTag, value);
    if (binding) bindings.push(binding);
  }
  return bindings;
}

function readArgs(reader: Reader, args: Node | null): Record<string, unknown> {
  const segments: KeySegment[] = ["args"];
  const why = (tag: string) =>
    `a value can only become a resource through a tag under devices; args are plain data: remove the tag${DEVICE_TAGS[tag] ? `, or move the device under devices:` : ""}`;
  if (args === null || (isScalar(args) && args.value === null && reader.tag(args) === undefined)) return {};
  const value = isMap(args) || isAlias(args) ? reader.plain(args, segments, why) : undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    reader.forbidTags(args, segments, why);
    reader.report("CONFIG_VALUE", segments, reader.offset(args), `is not a mapping: write one \`name: value\` per line under args, e.g. \`greeting: hello\``);
    return {};
  }
  return value as Record<string, unknown>;
}

/** The key path of the deepest entry whose source contains `offset`, for syntax errors. */
function keyAt(node: unknown, offset: number, prefix: KeySegment[] = []): string {
  if (!isMap(node)) return keyPath(prefix);
  for (const pair of node.items) {
    const key = pair.key as Node | null;
    const value = pair.value as Node | null;
    const start = key?.range?.[0] ?? value?.range?.[0];
    const end = value?.range?.[2] ?? key?.range?.[2];
    if (start !== undefined && end !== undefined && offset >= start && offset <= end && isScalar(key) && key.value !== null) {
      return keyAt(value, offset, [...prefix, String(key.value)]);
    }
  }
  return keyPath(prefix);
}
