// Conformance of the guest's atob/btoa against Node's own (HTML forgiving-base64).
import assert from "node:assert/strict";
import { test } from "node:test";
import { atob, btoa } from "../../../../src/guest/runtime/web/base64.ts";
import { DOMException } from "../../../../src/guest/runtime/web/dom-exception.ts";
import { prng, assertDOMException } from "../seeded.ts";

const nodeAtob = globalThis.atob;
const nodeBtoa = globalThis.btoa;

function binaryString(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(random() * 256));
  return s;
}

/** The outcome of a call: its value, or the class and name of what it threw. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    return { threw: (error as Error).constructor.name, name: (error as Error).name };
  }
}

const assertInvalidCharacter = (fn: () => unknown, message?: string) => assertDOMException(fn, "InvalidCharacterError", 5, message);

test("btoa matches Node on 2000 random binary strings and atob round-trips them", () => {
  const random = prng(10);
  for (let i = 0; i < 2000; i++) {
    const data = binaryString(random, 40);
    const encoded = btoa(data);
    assert.equal(encoded, nodeBtoa(data));
    assert.equal(atob(encoded), data);
  }
});

test("btoa throws InvalidCharacterError for a code unit above 0xFF", () => {
  for (const data of ["\u0100", "abc\u20ac", "😀", "ab\uD800"]) assertInvalidCharacter(() => btoa(data), data);
});

test("btoa and atob convert their argument like a WebIDL DOMString", () => {
  for (const value of [undefined, null, 12, true, { toString: () => "YWJj" }, ["YW", "Jj"]]) {
    assert.deepEqual(outcome(() => btoa(value as string)), outcome(() => nodeBtoa(value as string)), String(value));
    assert.deepEqual(outcome(() => atob(value as string)), outcome(() => nodeAtob(value as string)), String(value));
  }
  assert.throws(() => btoa(Symbol() as never), TypeError);
  assert.throws(() => atob(Symbol() as never), TypeError);
});

test("btoa and atob called without an argument throw TypeError", () => {
  assert.throws(() => (btoa as () => string)(), TypeError);
  assert.throws(() => (atob as () => string)(), TypeError);
});

test("atob ignores ASCII whitespace anywhere but no other whitespace", () => {
  assert.equal(atob(" YW\tJj\nZA\f=\r= "), "abcd");
  assertInvalidCharacter(() => atob("YWJj\u00a0"));
  assertInvalidCharacter(() => atob("YWJj\v"));
});

test("atob accepts missing padding and ignores leftover bits", () => {
  assert.equal(atob("YQ"), "a");
  assert.equal(atob("YR"), "a");
  assert.equal(atob("YWI"), "ab");
  assert.equal(atob("YWJ"), "ab");
  assert.equal(atob(""), "");
});

test("atob rejects misplaced or excess padding and a lone trailing character", () => {
  for (const data of ["YQ=", "YQ===", "Y===", "=", "==", "YQ==YQ==", "Y=Q=", "a", "abcde", "YWJj=", "YW=j", "===="]) {
    assertInvalidCharacter(() => atob(data), data);
  }
});

test("atob rejects characters outside the base64 alphabet", () => {
  for (const data of ["YW-j", "YW_j", "YW.j", "YWJ\u00ff", "YWJ\u0100", "*"]) assertInvalidCharacter(() => atob(data), data);
});

test("atob matches Node, value or error name, on a fixed corpus of tricky inputs", () => {
  const corpus = [
    "", " ", "AA", "AAA", "AAAA", "AA==", "AA=", "A", "A===", "AAA=", "AAAA====", "AB==", "////", "++++", "+/+/",
    "YQ== ", " YQ==", "Y Q = =", "YQ\n==", "YQ=\n=", "\tYQ==\t", "YWJjZA", "YWJjZA=", "YWJjZA==", "YWJjZA===",
    "ZZ==", "ZZZ=", "YWJj\u0000", "\u00a0YWJj",
  ];
  for (const data of corpus) assert.deepEqual(outcome(() => atob(data)), outcome(() => nodeAtob(data)), JSON.stringify(data));
});

test("atob matches Node, value or error name, on 2000 random strings over the alphabet, padding and whitespace", () => {
  const random = prng(11);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 2000; i++) {
    let data = "";
    const length = Math.floor(random() * 16);
    for (let j = 0; j < length; j++) {
      const r = random();
      if (r < 0.75) data += alphabet[Math.floor(random() * 64)];
      else if (r < 0.87) data += "=";
      else if (r < 0.95) data += " \t\n\f\r"[Math.floor(random() * 5)];
      else data += "-_.!\u00e9\v"[Math.floor(random() * 6)];
    }
    assert.deepEqual(outcome(() => atob(data)), outcome(() => nodeAtob(data)), JSON.stringify(data));
  }
});

test("atob and btoa handle large inputs like Node", () => {
  const random = prng(12);
  let data = "";
  for (let i = 0; i < 200_000; i++) data += String.fromCharCode(Math.floor(random() * 256));
  const encoded = btoa(data);
  assert.equal(encoded, nodeBtoa(data));
  assert.equal(atob(encoded), data);
});
