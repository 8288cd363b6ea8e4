// The URL parser's IDNA against tr46 (the UTS #46 implementation whatwg-url uses), whose tables
// idna-data.ts is generated from: every code point's status and mapping, every code point's class
// in the Bidi and joiner rules, ToASCII on generated labels, Punycode on random text, and the
// committed idna-data.ts being what scripts/gen-idna-data.ts makes today.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { domainToASCII } from "../../../../src/guest/web/url/idna.ts";
import { BIDI_AN, BIDI_EN, BIDI_L, BIDI_NSM, BIDI_RAL, bidiOf, isMark, isVirama, mapped, statusOf } from "../../../../src/guest/web/url/idna-tables.ts";
import { decode, encode } from "../../../../src/guest/web/url/punycode.ts";
import { ROOT } from "../../../helpers.ts";
import { prng } from "../../runtime/seeded.ts";

const require = createRequire(import.meta.url);
const table = require("tr46/lib/mappingTable.json") as [number | [number, number], number, string?][];
const regexes = require("tr46/lib/regexes.js") as Record<string, RegExp>;
const tr46 = require("tr46") as { toASCII(domain: string, options: object): string | null };
const punycode = require("punycode/") as { encode(s: string): string; decode(s: string): string };

test("every code point's status and mapping is tr46's (UTS #46, nontransitional)", () => {
  let checked = 0;
  for (const [range, status, mapping] of table) {
    const [from, to] = Array.isArray(range) ? range : [range, range];
    for (let cp = from; cp <= to; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const mine = statusOf(cp);
      const expected = status === 3 ? 1 : status === 7 ? 2 : 0;
      assert.equal(mine, expected, `status of U+${cp.toString(16)}`);
      if (mine === 0) assert.equal(mapped(cp), status === 1 ? mapping : String.fromCodePoint(cp), `mapping of U+${cp.toString(16)}`);
      checked++;
    }
  }
  assert.ok(checked > 1_000_000, `${checked} code points`);
});

test("every code point's Bidi class, mark and virama property is what tr46's rules use", () => {
  const one = (re: RegExp, at = 0) => {
    const parts = re.source.match(/\[(?:\\.|[^\]])*\]/g)!;
    return new RegExp(`^${parts[at]}$`, "u");
  };
  const L = one(regexes.bidiS1LTR!), RAL = one(regexes.bidiS1RTL!), AN = one(regexes.bidiS4AN!), EN = one(regexes.bidiS4EN!), NSM = one(regexes.bidiS3!, 1);
  const MARK = one(regexes.combiningMarks!), VIRAMA = one(regexes.combiningClassVirama!);
  for (let cp = 0; cp < 0x110000; cp += cp < 0x40000 ? 1 : 97) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const expected = L.test(c) ? BIDI_L : RAL.test(c) ? BIDI_RAL : AN.test(c) ? BIDI_AN : EN.test(c) ? BIDI_EN : NSM.test(c) ? BIDI_NSM : null;
    if (expected !== null) assert.equal(bidiOf(cp), expected, `Bidi class of U+${cp.toString(16)}`);
    assert.equal(isMark(cp) === 1, MARK.test(c), `mark U+${cp.toString(16)}`);
    assert.equal(isVirama(cp) === 1, VIRAMA.test(c), `virama U+${cp.toString(16)}`);
  }
});

test("ToASCII agrees with tr46 on 20,000 seeded labels (mixed scripts, joiners, marks, Punycode)", () => {
  const random = prng(46);
  const pieces = ["a", "Z", "0", "-", ".", "ß", "ς", "ü", "\u0301", "\u200c", "\u200d", "\u094d", "क", "ي", "ب", "\u0660", "1", "א", "\u05b0", "xn--", "\u00ad", "\ufe0f", "℡", "Ⅻ", "ﬁ", "\u3002", "😀", "ᏺ", "ꭰ", "\u0627", "\u0644", "\u0649"];
  let differences = 0;
  for (let i = 0; i < 20_000; i++) {
    let domain = "";
    for (let n = 1 + Math.floor(random() * 8); n > 0; n--) domain += pieces[Math.floor(random() * pieces.length)];
    const options = { checkBidi: true, checkJoiners: true, checkHyphens: false, useSTD3ASCIIRules: false, transitionalProcessing: false, verifyDNSLength: false };
    const expected = tr46.toASCII(domain, options);
    const actual = domainToASCII(domain);
    // The one place tsuki departs from UTS #46 (idna.ts): an all-ASCII label of a Bidi domain name
    // skips the Bidi Rule. Such a difference is one tr46 without the rule agrees with.
    const carveOut = expected === null && actual !== null && tr46.toASCII(domain, { ...options, checkBidi: false }) === actual && actual.split(".").some((label) => label !== "" && !label.startsWith("xn--"));
    if (actual !== expected && !carveOut) {
      differences++;
      assert.equal(actual, expected, `ToASCII(${JSON.stringify(domain)})`);
    }
  }
  assert.equal(differences, 0);
});

test("Punycode encodes and decodes as punycode.js does, and refuses what RFC 3492 calls failures", () => {
  const random = prng(3492);
  for (let i = 0; i < 5_000; i++) {
    let text = "";
    for (let n = Math.floor(random() * 12); n > 0; n--) text += String.fromCodePoint(random() < 0.3 ? 0x61 + Math.floor(random() * 26) : 0x80 + Math.floor(random() * 0x2ff00));
    text = text.replace(/[\ud800-\udfff]/g, "");
    assert.equal(encode(text), punycode.encode(text), JSON.stringify(text));
    assert.equal(decode(encode(text)), text);
  }
  for (const bad of ["\u00e9", "99999999999", "a-\u0100", "-", "zzzzzzzzz"]) {
    let reference: string | null;
    try {
      reference = punycode.decode(bad);
    } catch {
      reference = null;
    }
    assert.equal(decode(bad) === null, reference === null || /[\ud800-\udfff]/.test(reference ?? ""), JSON.stringify(bad));
  }
});

test("the committed idna-data.ts is what scripts/gen-idna-data.ts makes from the tr46 installed", () => {
  const made = execFileSync(process.execPath, [path.join(ROOT, "scripts/gen-idna-data.ts"), "--print"], { maxBuffer: 16 * 1024 * 1024 }).toString();
  assert.equal(made, readFileSync(path.join(ROOT, "src/guest/web/url/idna-data.ts"), "utf8"));
});
