// tsuki/http's Headers against Node's own (undici, Fetch Standard): validation, normalisation,
// combination of repeated fields, Set-Cookie, and sorted iteration.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertLinear } from "../../../growth.ts";
import { Headers } from "../../../../src/guest/web/fetch/headers.ts";
import { prng } from "../../runtime/seeded.ts";

const NodeHeaders = globalThis.Headers;

type Any = InstanceType<typeof NodeHeaders>;

function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

function both(op: (h: Any) => unknown, init?: unknown): void {
  const mine = outcome(() => op(new Headers(init as never) as unknown as Any));
  const theirs = outcome(() => op(new NodeHeaders(init as never)));
  assert.deepEqual(mine, theirs);
}

describe("Headers behaves like Node's", () => {
  test("names are case-insensitive and come out lower-case", () => both((h) => (h.append("Content-Type", "text/plain"), [h.get("content-type"), h.get("CONTENT-TYPE"), [...h]])));

  test("repeated fields are joined with a comma and space by get", () => both((h) => (h.append("Accept", "a"), h.append("accept", "b"), h.append("ACCEPT", ""), h.get("accept"))));

  test("set replaces every value, delete removes all", () => both((h) => (h.append("x", "1"), h.append("x", "2"), h.set("X", "3"), h.append("y", "1"), h.delete("Y"), [...h])));

  test("set-cookie stays apart in iteration and getSetCookie, joined in get", () =>
    both((h) => (h.append("Set-Cookie", "a=1"), h.append("set-cookie", "b=2; Path=/"), h.append("x", "1"), [h.getSetCookie(), h.get("set-cookie"), [...h]])));

  test("iteration is sorted by name", () => both((h) => [...h], [["b", "1"], ["a", "2"], ["C", "3"], ["a", "4"], ["set-cookie", "z"], ["set-cookie", "y"]]));

  test("forEach passes value, name and the headers", () =>
    both((h) => {
      const seen: unknown[] = [];
      h.forEach((value, name, self) => seen.push([value, name, self === h]));
      return seen;
    }, { b: "2", a: "1" }));

  test("keys, values and entries", () => both((h) => [[...h.keys()], [...h.values()], [...h.entries()]], { b: "2", a: "1" }));

  test("values are trimmed of leading and trailing HTTP whitespace", () => both((h) => (h.append("x", " \t a b \r\n"), h.set("y", "\n\n"), [h.get("x"), h.get("y")])));

  test("trimming a value with a long run of inner whitespace takes linear time", () => {
    both((h) => (h.append("x", `a${" ".repeat(50_000)}b `), h.get("x")!.length));
    // Ours only: Node's own Headers is not what this suite tests for speed.
    assertLinear((n) => new Headers([["x", `a${" ".repeat(n)}b `]]).get("x"), 1_000_000, "a value with a run of inner whitespace");
  });

  test("invalid names throw a TypeError", () => {
    for (const name of ["", "a b", "a:b", "é", "a\r", "(x)", "a/b", "{x}", "a\u0000"]) both((h) => h.append(name, "v"));
  });

  test("invalid values throw a TypeError", () => {
    for (const value of ["a\r\nInjected: 1", "a\nb", "a\rb", "a\u0000b", "\u0100", "\u{1F600}"]) both((h) => h.append("x", value));
  });

  test("values with obs-text and other control characters are kept as Node keeps them", () => {
    for (const value of ["\u00ff\u0080", "a\u0001b", "a\u007fb", "a\tb"]) both((h) => (h.append("x", value), h.get("x")));
  });

  test("init from a record, pairs and another Headers; a bad pair is a TypeError", () => {
    both((h) => [...h], { A: "1", b: "2" });
    both((h) => [...h], [["a", "1"], ["a", "2"]]);
    both((h) => [...h], [["a"]]);
    both((h) => [...h], [["a", "1", "2"]]);
    const copy = new Headers(new Headers({ a: "1" }));
    assert.deepEqual([...copy], [["a", "1"]]);
  });

  test("has and get for absent names", () => both((h) => [h.has("nope"), h.get("nope"), h.getSetCookie()]));

  test("2,000 seeded random operations give the same headers", () => {
    const random = prng(0x6864);
    const names = ["a", "B", "set-cookie", "Set-Cookie", "content-type", "x-y"];
    const values = ["1", " 2 ", "a, b", "", "\t", "c=d; Path=/"];
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const mine = new Headers();
    const theirs = new NodeHeaders();
    for (let i = 0; i < 2000; i++) {
      const op = pick(["append", "set", "delete", "append", "append"] as const);
      const name = pick(names);
      const value = pick(values);
      if (op === "delete") {
        mine.delete(name);
        theirs.delete(name);
      } else {
        mine[op](name, value);
        theirs[op](name, value);
      }
      assert.deepEqual([...mine], [...theirs]);
      assert.equal(mine.get(name), theirs.get(name));
      assert.deepEqual(mine.getSetCookie(), theirs.getSetCookie());
    }
  });
});
