// tsuki/http's URLSearchParams against Node's own: parsing and serialising
// application/x-www-form-urlencoded, and every method, on fixed and seeded random inputs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { URLSearchParams } from "../../../../src/guest/web/url/search-params.ts";
import { prng } from "../../runtime/seeded.ts";

const NodeParams = globalThis.URLSearchParams;

function snapshot(params: { toString(): string; size: number; [Symbol.iterator](): Iterator<[string, string]> }) {
  return { string: params.toString(), size: params.size, entries: [...(params as Iterable<[string, string]>)] };
}

/**
 * The same query with every non-ASCII character percent-encoded as UTF-8, which the standard's
 * parser (UTF-8 encode, percent-decode, UTF-8 decode) cannot tell apart. Node's URLSearchParams gets
 * a raw non-ASCII character wrong after an invalid percent-encoded byte (`%C3é` gives two U+FFFD
 * instead of U+FFFD and é), so the reference is fed ASCII only.
 */
function asciiOnly(query: string): string {
  return query.toWellFormed().replace(/[^\x00-\x7f]/gu, (c) => encodeURIComponent(c));
}

const QUERIES = [
  "",
  "?",
  "?a=1",
  "a=1&b=2&a=3",
  "a",
  "a=",
  "=b",
  "=",
  "&&a=1&&",
  "a=b=c",
  "a+b=c+d",
  "a%20b=c%2Bd",
  "%zz=%4",
  "%e2%82%ac=%E2%82%AC",
  "%ff=%c3",
  "é=ü&\u{1F600}=1",
  "a=\ud800",
  "??a=1",
  "a=1#frag",
  "%EF%BB%BFa=1",
  "\uFEFFa=1",
  "~!*()'-._=~!*()'-._",
  "%C3é=%909??é",
];

describe("URLSearchParams parses and serialises like Node's", () => {
  for (const query of QUERIES) {
    test(JSON.stringify(query), () => assert.deepEqual(snapshot(new URLSearchParams(query)), snapshot(new NodeParams(asciiOnly(query)))));
  }

  test("records, pairs and another URLSearchParams as init", () => {
    const inits: unknown[] = [{ a: "1", "b c": "d e", "\ud800": "x" }, [["a", "1"], ["a", "2"], ["é", "ü"]], new Map([["k", "v"]]), []];
    for (const init of inits) assert.deepEqual(snapshot(new URLSearchParams(init as never)), snapshot(new NodeParams(init as never)));
    const copy = new URLSearchParams(new URLSearchParams("x=1&y=2"));
    assert.equal(copy.toString(), "x=1&y=2");
  });

  test("a pair that is not a pair is a TypeError, as in Node", () => {
    assert.throws(() => new NodeParams([["a"]] as never), TypeError);
    assert.throws(() => new URLSearchParams([["a"]] as never), TypeError);
    assert.throws(() => new URLSearchParams([["a", "b", "c"]] as never), TypeError);
  });

  test("3,000 seeded random strings round-trip as names and values", () => {
    const random = prng(0x7370);
    const alphabet = [..."abAB09 +%=&?#~*-._!'()/é€\u{1F600}\ud800\u0000\n"];
    const text = () => Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let i = 0; i < 3000; i++) {
      const raw = text();
      assert.deepEqual(snapshot(new URLSearchParams(raw)), snapshot(new NodeParams(asciiOnly(raw))), `parse ${JSON.stringify(raw)}`);
      const mine = new URLSearchParams();
      const theirs = new NodeParams();
      const name = text();
      const value = text();
      mine.append(name, value);
      theirs.append(name, value);
      assert.equal(mine.toString(), theirs.toString(), `serialise ${JSON.stringify([name, value])}`);
    }
  });
});

describe("URLSearchParams methods behave like Node's", () => {
  const ops: [string, (p: InstanceType<typeof NodeParams>) => unknown][] = [
    ["get", (p) => [p.get("a"), p.get("z"), p.get("b")]],
    ["getAll", (p) => [p.getAll("a"), p.getAll("z")]],
    ["has", (p) => [p.has("a"), p.has("a", "3"), p.has("a", "9"), p.has("z")]],
    ["set", (p) => (p.set("a", "x"), p.toString())],
    ["set new", (p) => (p.set("n", "y"), p.toString())],
    ["delete", (p) => (p.delete("a"), p.toString())],
    ["delete with value", (p) => (p.delete("a", "3"), p.toString())],
    ["append", (p) => (p.append("a", "4"), p.toString())],
    ["sort", (p) => (p.sort(), p.toString())],
    ["keys/values", (p) => [[...p.keys()], [...p.values()]]],
    ["forEach", (p) => {
      const seen: unknown[] = [];
      p.forEach((value, name, self) => seen.push([value, name, self === p]));
      return seen;
    }],
  ];
  for (const [name, op] of ops) {
    test(name, () => {
      const init = "b=2&a=1&\u{1F600}=s&a=3&\uFB01=t&c=&A=0";
      assert.deepEqual(op(new URLSearchParams(init) as never), op(new NodeParams(init)));
    });
  }

  test("sort orders by UTF-16 code units and is stable", () => {
    const init = "z=1&\u{1F600}=2&\uFFFD=3&a=4&z=0&a=5";
    const mine = new URLSearchParams(init);
    const theirs = new NodeParams(init);
    mine.sort();
    theirs.sort();
    assert.deepEqual([...mine], [...theirs]);
  });
});
