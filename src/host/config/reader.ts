/**
 * @module host/config/reader
 * Reading a parsed YAML document with positions: the line and column of every node (its tag's,
 * when it has one, since that is where the value visibly starts), the tag written on a node, a
 * map's entries with duplicate and non-scalar keys reported, and plain values built from nodes
 * with every tag refused. Mistakes are collected, not thrown, so a file is checked in full.
 */

import { type Alias, type Document, type LineCounter, type Node, type Pair, type Scalar, isAlias, isMap, isScalar, isSeq, visit } from "yaml";
import { type ConfigCode, type ConfigProblem, type KeySegment, keyPath } from "./problems.ts";

/** Tags of the YAML core schema: they only say which plain type a value has. */
const CORE_TAGS = ["str", "int", "float", "bool", "null", "seq", "map"].map((t) => `tag:yaml.org,2002:${t}`);

/** The most values one `args` may expand to through aliases (a billion laughs stops here). */
const MAX_PLAIN_VALUES = 100_000;

export class Reader {
  readonly problems: ConfigProblem[] = [];
  /** The file as the operator named it, for messages. */
  readonly file: string;
  /** The folder relative paths in the file resolve against. */
  readonly dir: string;
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;
  /** Offsets of every tag token in the source, ascending. */
  readonly #tagOffsets: readonly number[];
  /** What each alias stands for, found once for the whole document. */
  #aliases: Map<Alias, Node | undefined> | undefined;

  constructor(file: string, dir: string, doc: Document.Parsed, lines: LineCounter, tagOffsets: readonly number[]) {
    this.file = file;
    this.dir = dir;
    this.#doc = doc;
    this.#lines = lines;
    this.#tagOffsets = tagOffsets;
  }

  /** `file:line:column` of a source offset. */
  location(offset: number): string {
    const { line, col } = this.#lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** Records a mistake at `offset`: the message reads `<key> at <file:line:col> <text>`. */
  report(code: ConfigCode, segments: readonly KeySegment[], offset: number, text: string): void {
    const { line, col } = this.#lines.linePos(offset);
    const key = keyPath(segments);
    this.problems.push({ code: `ERR_${code}`, key, line, column: col, message: `${key || "the file"} at ${this.file}:${line}:${col} ${text}` });
  }

  /** Records a mistake whose text already names its place (YAML syntax errors). */
  reportRaw(code: ConfigCode, key: string, offset: number, message: string): void {
    const { line, col } = this.#lines.linePos(offset);
    this.problems.push({ code: `ERR_${code}`, key, line, column: col, message });
  }

  /** Where a node visibly starts: at its tag if it has one, else at its value. */
  offset(node: Node | null | undefined, fallback = 0): number {
    if (!node?.range) return fallback;
    const start = node.range[0];
    if (!isAlias(node) && node.tag !== undefined) {
      // The node's tag is the last tag token before its value: only an anchor or space lies between.
      let lo = 0;
      let hi = this.#tagOffsets.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#tagOffsets[mid]! < start) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) return this.#tagOffsets[lo - 1]!;
    }
    return start;
  }

  /** The tag written on a node, unless it is a core-schema type tag such as `!!str`. */
  tag(node: Node | null | undefined): string | undefined {
    if (!node || isAlias(node) || node.tag === undefined) return undefined;
    return CORE_TAGS.includes(node.tag) ? undefined : node.tag;
  }

  /** A scalar's source text (a tagged scalar's value is always its text). */
  text(node: Scalar): string {
    return node.source ?? String(node.value ?? "");
  }

  /**
   * A map's entries as `[key, value node, key node]`, in order. A key written twice, a key that
   * is a list or map, and a tagged key are reported and skipped.
   */
  entries(map: Node, segments: readonly KeySegment[]): [string, Node | null, Node][] {
    if (!isMap(map)) return [];
    const seen = new Map<string, Node>();
    const out: [string, Node | null, Node][] = [];
    for (const pair of map.items as Pair<Node | null, Node | null>[]) {
      const keyNode = pair.key;
      if (!keyNode || !isScalar(keyNode)) {
        const at = keyNode ? this.offset(keyNode) : this.offset(pair.value);
        this.report("CONFIG_KEY", segments, at, `has a key that is ${keyNode ? "a list or map" : "empty"}: write each key as a plain name, e.g. \`name: value\``);
        continue;
      }
      const key = String(keyNode.value);
      const tag = this.tag(keyNode);
      if (tag !== undefined) {
        this.report("CONFIG_TAG", [...segments, key], this.offset(keyNode), `has the tag ${tag} on its key: tags go on values (\`name: !listen tcp://…\`), never on keys; remove it`);
        continue;
      }
      const first = seen.get(key);
      if (first) {
        const { line } = this.#lines.linePos(this.offset(first));
        this.report("CONFIG_KEY", [...segments, key], this.offset(keyNode), `is written twice (first on line ${line}): keep one`);
        continue;
      }
      seen.set(key, keyNode);
      out.push([key, pair.value, keyNode]);
    }
    return out;
  }

  /** Reports every tag inside `node` (itself included); `why` completes "has the tag !x: …". */
  forbidTags(node: Node | null, segments: readonly KeySegment[], why: (tag: string) => string): void {
    if (!node || isAlias(node)) return;
    const tag = this.tag(node);
    if (tag !== undefined) this.report("CONFIG_TAG", segments, this.offset(node), `has the tag ${tag}: ${why(tag)}`);
    if (isSeq(node)) node.items.forEach((item, i) => this.forbidTags(item as Node, [...segments, i], why));
    if (isMap(node)) for (const [key, value] of this.entries(node, segments)) this.forbidTags(value, [...segments, key], why);
  }

  /**
   * The plain value of a node (string, number, boolean, null, list, object), refusing every tag
   * and following aliases to their anchors. Keys such as `__proto__` become own properties.
   */
  plain(node: Node | null, segments: readonly KeySegment[], why: (tag: string) => string): unknown {
    let budget = MAX_PLAIN_VALUES;
    let aliasedTag: string | undefined;
    const convert = (n: Node | null, path: readonly KeySegment[], inside: readonly Node[], report: boolean): unknown => {
      if (!n || --budget < 0) return null;
      if (isAlias(n)) {
        const target = this.#resolve(n);
        if (!target) {
          if (report) this.report("CONFIG_VALUE", path, this.offset(n), `refers to the anchor &${n.source}, which is not set before it: define \`&${n.source}\` on a value above`);
          return null;
        }
        if (inside.includes(target)) {
          if (report) this.report("CONFIG_VALUE", path, this.offset(n), `refers to &${n.source}, a value that contains it: a value cannot include itself`);
          return null;
        }
        // What the alias stands for is checked where its anchor is; here only its tags matter.
        if (!report) return convert(target, path, [...inside, target], false);
        aliasedTag = undefined;
        const value = convert(target, path, [...inside, target], false);
        if (aliasedTag !== undefined) this.report("CONFIG_TAG", path, this.offset(n), `refers to &${n.source}, which has the tag ${aliasedTag}: ${why(aliasedTag)}`);
        return value;
      }
      const tag = this.tag(n);
      if (tag !== undefined) {
        if (report) this.report("CONFIG_TAG", path, this.offset(n), `has the tag ${tag}: ${why(tag)}`);
        else aliasedTag ??= tag;
      }
      if (isScalar(n)) return n.value;
      if (isSeq(n)) return n.items.map((item, i) => convert(item as Node, [...path, i], [...inside, n], report));
      if (isMap(n)) {
        const entries = report ? this.entries(n, path) : this.#quietEntries(n);
        return Object.fromEntries(entries.map(([key, value]) => [key, convert(value, [...path, key], [...inside, n], report)]));
      }
      return null;
    };
    const value = convert(node, segments, [], true);
    if (budget < 0) this.report("CONFIG_VALUE", segments, this.offset(node), `expands to more than ${MAX_PLAIN_VALUES} values through aliases: write the values out`);
    return value;
  }

  /** The node an alias stands for: the last node before it with its anchor (as YAML resolves it). */
  #resolve(alias: Alias): Node | undefined {
    if (!this.#aliases) {
      const aliases = new Map<Alias, Node | undefined>();
      const anchors = new Map<string, Node>();
      visit(this.#doc, {
        Node: (_key, node) => {
          if (isAlias(node)) aliases.set(node, anchors.get(node.source));
          else if (node.anchor) anchors.set(node.anchor, node);
        },
      });
      this.#aliases = aliases;
    }
    return this.#aliases.get(alias);
  }

  #quietEntries(map: Node): [string, Node | null][] {
    if (!isMap(map)) return [];
    const out = new Map<string, Node | null>();
    for (const pair of map.items as Pair<Node | null, Node | null>[]) {
      if (pair.key && isScalar(pair.key) && !out.has(String(pair.key.value))) out.set(String(pair.key.value), pair.value);
    }
    return [...out];
  }
}
