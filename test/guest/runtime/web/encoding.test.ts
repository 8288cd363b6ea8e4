// Conformance of the guest's TextEncoder/TextDecoder against Node's own (WHATWG Encoding).
import assert from "node:assert/strict";
import { test } from "node:test";
import { TextDecoder, TextEncoder } from "../../../../src/guest/runtime/web/encoding.ts";
import { prng } from "../seeded.ts";

const NodeTextEncoder = globalThis.TextEncoder;
const NodeTextDecoder = globalThis.TextDecoder;

/** Byte strings rich in UTF-8 edge cases: valid sequences, stray continuations, bad leads, truncations. */
function randomBytes(random: () => number, maxLength: number): Uint8Array {
  const pools = [
    [0x00, 0x7f], [0x80, 0xbf], [0xc0, 0xc1], [0xc2, 0xdf], [0xe0, 0xe0], [0xe1, 0xec], [0xed, 0xed],
    [0xee, 0xef], [0xf0, 0xf0], [0xf1, 0xf3], [0xf4, 0xf4], [0xf5, 0xff], [0x80, 0x8f], [0x90, 0x9f], [0xa0, 0xbf],
  ] as const;
  const out: number[] = [];
  const length = Math.floor(random() * maxLength);
  while (out.length < length) {
    if (random() < 0.3) {
      const cp = randomCodePoint(random);
      out.push(...new NodeTextEncoder().encode(String.fromCodePoint(cp)));
    } else {
      const [lo, hi] = pools[Math.floor(random() * pools.length)]!;
      out.push(lo + Math.floor(random() * (hi - lo + 1)));
    }
  }
  return new Uint8Array(out.slice(0, length));
}

function randomCodePoint(random: () => number): number {
  const r = random();
  if (r < 0.4) return Math.floor(random() * 0x80);
  if (r < 0.6) return 0x80 + Math.floor(random() * 0x780);
  if (r < 0.8) {
    const cp = 0x800 + Math.floor(random() * 0xf800);
    return cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
  }
  return 0x10000 + Math.floor(random() * 0x100000);
}

/** Strings with lone and paired surrogates mixed into ordinary text. */
function randomString(random: () => number, maxLength: number): string {
  const units: number[] = [];
  const length = Math.floor(random() * maxLength);
  for (let i = 0; i < length; i++) {
    const r = random();
    if (r < 0.15) units.push(0xd800 + Math.floor(random() * 0x400));
    else if (r < 0.3) units.push(0xdc00 + Math.floor(random() * 0x400));
    else if (r < 0.5) units.push(Math.floor(random() * 0x80));
    else units.push(Math.floor(random() * 0x10000));
  }
  return String.fromCharCode(...units);
}

/** The outcome of a call: its value, or the class and name of what it threw. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    return { threw: (error as Error).constructor.name, name: (error as Error).name };
  }
}

function splitPoints(random: () => number, length: number): number[] {
  const points = [0];
  for (let i = 1; i < length; i++) if (random() < 0.3) points.push(i);
  points.push(length);
  return points;
}

/** Decodes `bytes` in the chunks between `points` with stream: true, then flushes. */
function decodeChunks(decoder: { decode(input?: Uint8Array, options?: { stream?: boolean }): string }, bytes: Uint8Array, points: number[]): unknown[] {
  const results: unknown[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const chunk = bytes.subarray(points[i], points[i + 1]);
    const result = outcome(() => decoder.decode(chunk, { stream: true }));
    results.push(result);
    if ("threw" in (result as object)) return results;
  }
  results.push(outcome(() => decoder.decode()));
  return results;
}

const TRICKY_STRINGS = [
  "", "a", "héllo", "€", "😀", "\u{10FFFF}", "\uD800", "\uDFFF", "a\uD800b", "\uDC00\uD800", "\uD83D\uDE00\uD83D",
  "\uFEFF", "\u0000\u007F\u0080\u07FF\u0800\uFFFF", "x".repeat(10000) + "é".repeat(5000) + "😀".repeat(3000),
];

const TRICKY_BYTES: number[][] = [
  [], [0x41], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xc2, 0x41], [0xc2, 0x80], [0xdf, 0xbf],
  [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xe0, 0xa0], [0xe0, 0xa0, 0x80], [0xe1, 0x80], [0xed, 0xa0, 0x80],
  [0xed, 0x9f, 0xbf], [0xed, 0xbf, 0xbf], [0xef, 0xbf, 0xbf], [0xef, 0xbb, 0xbf], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
  [0xef, 0xbb], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf0, 0x90, 0x80],
  [0xf0, 0x90], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe], [0xff], [0xfe, 0xff], [0xf1, 0x80, 0x41, 0x80], [0xe2, 0x82, 0xac, 0xe2, 0x82], [0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62],
  [0xf4, 0x91, 0x92, 0x93, 0xff, 0x41, 0x80, 0xbf, 0x42], [0xe0, 0xc0], [0xc2, 0xc2, 0x80],
];

test("TextEncoder.encode matches Node for tricky strings, lone surrogates included", () => {
  for (const text of TRICKY_STRINGS) {
    assert.deepEqual(new TextEncoder().encode(text), new NodeTextEncoder().encode(text), JSON.stringify(text.slice(0, 40)));
  }
});

test("TextEncoder.encode matches Node for 2000 random strings with lone surrogates", () => {
  const random = prng(1);
  for (let i = 0; i < 2000; i++) {
    const text = randomString(random, 64);
    assert.deepEqual(new TextEncoder().encode(text), new NodeTextEncoder().encode(text));
  }
});

test("TextEncoder.encode converts its argument like a WebIDL USVString", () => {
  for (const input of [undefined, null, 12.5, true, { toString: () => "obj" }, ["a", "b"]]) {
    assert.deepEqual(new TextEncoder().encode(input as string), new NodeTextEncoder().encode(input as string));
  }
  assert.deepEqual(new TextEncoder().encode(), new Uint8Array(0));
  assert.throws(() => new TextEncoder().encode(Symbol() as never), TypeError);
});

test("TextEncoder.encode returns a Uint8Array over its own exact-size ArrayBuffer", () => {
  const bytes = new TextEncoder().encode("é😀");
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  assert.equal(bytes.buffer.byteLength, 6);
});

test("TextEncoder.encoding is utf-8", () => {
  assert.equal(new TextEncoder().encoding, "utf-8");
});

test("TextEncoder and TextDecoder carry their interface name as Symbol.toStringTag", () => {
  assert.equal(Object.prototype.toString.call(new TextEncoder()), Object.prototype.toString.call(new NodeTextEncoder()));
  assert.equal(Object.prototype.toString.call(new TextDecoder()), Object.prototype.toString.call(new NodeTextDecoder()));
});

test("TextEncoder.encodeInto writes only whole code points and matches Node for random strings and sizes", () => {
  const random = prng(2);
  for (let i = 0; i < 2000; i++) {
    const text = randomString(random, 32);
    const size = Math.floor(random() * 40);
    const ours = new Uint8Array(size);
    const theirs = new Uint8Array(size);
    assert.deepEqual(new TextEncoder().encodeInto(text, ours), new NodeTextEncoder().encodeInto(text, theirs));
    assert.deepEqual(ours, theirs);
  }
});

test("TextEncoder.encodeInto rejects a destination that is not a Uint8Array with TypeError", () => {
  for (const dest of [[], new Uint16Array(4), new Uint8ClampedArray(4), new ArrayBuffer(4), null]) {
    assert.throws(() => new TextEncoder().encodeInto("abc", dest as unknown as Uint8Array), TypeError);
  }
});

test("TextDecoder.decode matches Node on tricky byte sequences, non-fatal and fatal", () => {
  for (const bytes of TRICKY_BYTES) {
    const input = new Uint8Array(bytes);
    assert.equal(new TextDecoder().decode(input), new NodeTextDecoder().decode(input), `${bytes}`);
    assert.deepEqual(
      outcome(() => new TextDecoder("utf-8", { fatal: true }).decode(input)),
      outcome(() => new NodeTextDecoder("utf-8", { fatal: true }).decode(input)),
      `${bytes}`,
    );
  }
});

test("TextDecoder.decode matches Node on 2000 random byte strings, whole", () => {
  const random = prng(3);
  for (let i = 0; i < 2000; i++) {
    const input = randomBytes(random, 48);
    assert.equal(new TextDecoder().decode(input), new NodeTextDecoder().decode(input), `${input}`);
    assert.deepEqual(
      outcome(() => new TextDecoder("utf-8", { fatal: true }).decode(input)),
      outcome(() => new NodeTextDecoder("utf-8", { fatal: true }).decode(input)),
      `${input}`,
    );
  }
});

test("TextDecoder.decode with stream: true matches Node chunk by chunk on 2000 random split byte strings", () => {
  const random = prng(4);
  for (let i = 0; i < 2000; i++) {
    const input = randomBytes(random, 48);
    const points = splitPoints(random, input.length);
    const fatal = random() < 0.5;
    const ignoreBOM = random() < 0.5;
    const ours = decodeChunks(new TextDecoder("utf-8", { fatal, ignoreBOM }), input, points);
    const theirs = decodeChunks(new NodeTextDecoder("utf-8", { fatal, ignoreBOM }), input, points);
    assert.deepEqual(ours, theirs, `${input} split at ${points} fatal=${fatal}`);
  }
});

test("TextDecoder strips one leading BOM per stream, even when it is split across chunks", () => {
  const decoder = new TextDecoder();
  assert.equal(decoder.decode(new Uint8Array([0xef, 0xbb]), { stream: true }), "");
  assert.equal(decoder.decode(new Uint8Array([0xbf, 0xef, 0xbb, 0xbf, 0x41])), "\uFEFFA");
  assert.equal(decoder.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x42])), "B");
});

test("TextDecoder keeps the BOM when ignoreBOM is set", () => {
  assert.equal(new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), "\uFEFFA");
});

test("TextDecoder does not strip a BOM that follows other text", () => {
  const decoder = new TextDecoder();
  assert.equal(decoder.decode(new Uint8Array([0x41]), { stream: true }), "A");
  assert.equal(decoder.decode(new Uint8Array([0xef, 0xbb, 0xbf])), "\uFEFF");
});

test("TextDecoder accepts the six WHATWG labels of UTF-8, ASCII case-insensitive and trimmed", () => {
  for (const label of ["utf-8", "UTF-8", "utf8", " \t\n\f\rUtF8\r\n", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]) {
    assert.equal(new TextDecoder(label).encoding, "utf-8", label);
  }
  assert.equal(new TextDecoder().encoding, "utf-8");
  assert.equal(new TextDecoder(undefined).encoding, "utf-8");
});

test("TextDecoder rejects every other label with RangeError", () => {
  for (const label of ["latin1", "utf-16le", "ascii", "", "utf-8\u00a0", "utf\u2010-8", "\u212Aoi8-r", null, "utf_8"]) {
    assert.throws(() => new TextDecoder(label as string), RangeError, String(label));
  }
});

test("TextDecoder exposes fatal and ignoreBOM as booleans", () => {
  const decoder = new TextDecoder("utf-8", { fatal: 1 as unknown as boolean, ignoreBOM: "" as unknown as boolean });
  assert.equal(decoder.fatal, true);
  assert.equal(decoder.ignoreBOM, false);
  const plain = new TextDecoder("utf-8", null);
  assert.equal(plain.fatal, false);
  assert.equal(plain.ignoreBOM, false);
});

test("TextDecoder rejects options that are not an object with TypeError", () => {
  assert.throws(() => new TextDecoder("utf-8", 5 as never), TypeError);
  assert.throws(() => new TextDecoder().decode(undefined, 5 as never), TypeError);
});

test("TextDecoder.decode reads ArrayBuffer, SharedArrayBuffer, DataView and any typed array in place", () => {
  const bytes = new NodeTextEncoder().encode("xxhé😀llo");
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  const inputs = [
    bytes.buffer, shared, new DataView(bytes.buffer, 2), new Uint8Array(bytes.buffer, 2, 4), new Int8Array(bytes.buffer, 1),
    new Uint16Array(bytes.buffer, 0, 4), new Float64Array(new ArrayBuffer(16)), new Uint8ClampedArray(bytes),
  ];
  for (const input of inputs) {
    assert.equal(new TextDecoder().decode(input), new NodeTextDecoder().decode(input as never));
  }
});

test("TextDecoder.decode of a detached buffer or of no input is the empty string", () => {
  const buffer = new ArrayBuffer(4);
  const view = new Uint8Array(buffer);
  buffer.transfer();
  assert.equal(new TextDecoder().decode(buffer), "");
  assert.equal(new TextDecoder().decode(view), "");
  assert.equal(new TextDecoder().decode(), "");
});

test("TextDecoder.decode rejects anything but a buffer source with TypeError", () => {
  for (const input of ["abc", null, 5, {}, [0x41]]) {
    assert.throws(() => new TextDecoder().decode(input as never), TypeError, String(input));
  }
});

test("TextDecoder with fatal throws TypeError and then starts afresh, as Node does", () => {
  for (const make of [() => new TextDecoder("utf-8", { fatal: true }), () => new NodeTextDecoder("utf-8", { fatal: true })]) {
    const decoder = make();
    assert.equal(decoder.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), "");
    assert.throws(() => decoder.decode(new Uint8Array([0x41]), { stream: true }), TypeError);
    assert.equal(decoder.decode(new Uint8Array([0x41])), "A");
  }
});

test("TextDecoder decodes large ASCII and mixed inputs like Node", () => {
  const random = prng(5);
  const ascii = new Uint8Array(100_000).map(() => Math.floor(random() * 0x80));
  assert.equal(new TextDecoder().decode(ascii), new NodeTextDecoder().decode(ascii));
  const mixed = new NodeTextEncoder().encode(randomString(random, 50_000) + "é😀".repeat(20_000));
  assert.equal(new TextDecoder().decode(mixed), new NodeTextDecoder().decode(mixed));
  const noisy = randomBytes(random, 60_000);
  assert.equal(new TextDecoder().decode(noisy), new NodeTextDecoder().decode(noisy));
});
