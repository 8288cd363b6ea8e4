/**
 * The tender's side of a unikernel's console (src/host/tender/console.ts, console-limits.ts,
 * console-output.ts): lines assembled from writes in bounded memory, cut at MAX_LINE, admitted at
 * the rate and burst, dropped and counted past them or when the reader is behind, and told in one
 * notice; the terminal output's queue bounded whatever its reader does. Clocks are given, never read.
 */

import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { type ConsoleLine, ConsoleLines, charBoundary } from "../../../src/host/tender/console.ts";
import { MAX_LINE, TokenBucket, checkConsoleLimits, lineCost } from "../../../src/host/tender/console-limits.ts";
import { TerminalOutput } from "../../../src/host/tender/console-output.ts";

const enc = (text: string) => new TextEncoder().encode(text);

/** A console with a hand-turned clock and a sink that takes lines while `open`. */
function consoleOf(limits = { rate: 1_000_000, burst: 10_000_000 }) {
  const lines: ConsoleLine[] = [];
  const clock = { now: 0, open: true };
  const c = new ConsoleLines("web", { line: (l) => (clock.open ? void lines.push(l) : false) }, { limits, now: () => clock.now });
  return { c, lines, clock, texts: () => lines.map((l) => l.text) };
}

describe("console lines", () => {
  test("lines split across writes, a UTF-8 character split across writes and CRLF come out whole", () => {
    const { c, texts } = consoleOf();
    const bytes = enc("héllo wörld\r\nsecond ✓\n");
    for (const piece of [bytes.subarray(0, 2), bytes.subarray(2, 3), bytes.subarray(3, 20), bytes.subarray(20)]) c.write(1, piece);
    assert.deepEqual(texts(), ["héllo wörld", "second ✓"]);
  });

  test("output and errors are assembled apart", () => {
    const { c, lines } = consoleOf();
    c.write(1, enc("out "));
    c.write(2, enc("err\n"));
    c.write(1, enc("line\n"));
    assert.deepEqual(lines.map((l) => [l.stream, l.text]), [[2, "err"], [1, "out line"]]);
  });

  test("a line longer than MAX_LINE comes out as its head, marked as cut, and the rest up to its newline is skipped", () => {
    const { c, texts } = consoleOf();
    c.write(1, enc("x".repeat(MAX_LINE - 1)));
    c.write(1, enc("é".repeat(1000)));
    c.write(1, enc("y".repeat(100_000)));
    c.write(1, enc("z\nnext\n"));
    const [head, next] = texts();
    assert.equal(texts().length, 2);
    assert.match(head!, /^x+ … \[cut at 16 KiB\]$/);
    assert.equal(Buffer.byteLength(head!.replace(/ … \[cut at 16 KiB\]$/, "")), MAX_LINE - 1, "the 2-byte character that would be split is left out whole");
    assert.equal(next, "next");
    assert.equal(c.counts().truncated, 1);
  });

  test("a 300 MiB line in 64 KiB writes is one cut line", () => {
    const { c, texts } = consoleOf();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    for (let i = 0; i < 4800; i++) c.write(1, chunk);
    c.write(1, enc("\n"));
    assert.equal(texts().length, 1);
    assert.equal(c.counts().truncated, 1);
    assert.equal(c.counts().bytes, MAX_LINE);
  });

  test("a line of exactly MAX_LINE bytes is not cut", () => {
    const { c, texts } = consoleOf();
    c.write(1, enc("a".repeat(MAX_LINE)));
    c.write(1, enc("\n"));
    assert.equal(texts()[0], "a".repeat(MAX_LINE));
    assert.equal(c.counts().truncated, 0);
  });

  test("lines past the burst are dropped and counted, and the rate refills it", () => {
    const { c, texts, clock } = consoleOf({ rate: 10, burst: 5 });
    c.write(1, enc(Array.from({ length: 20 }, (_, i) => `l${i}\n`).join("")));
    assert.deepEqual(texts(), ["l0", "l1", "l2", "l3", "l4"]);
    clock.now = 500; // half a second: 5 more
    c.write(1, enc(Array.from({ length: 20 }, (_, i) => `m${i}\n`).join("")));
    assert.deepEqual(texts().slice(5), ["m0", "m1", "m2", "m3", "m4"]);
    assert.deepEqual([c.counts().lines, c.counts().droppedRate], [10, 30]);
  });

  test("a long line counts once per 256 bytes begun", () => {
    assert.deepEqual([lineCost(0), lineCost(256), lineCost(257), lineCost(MAX_LINE)], [1, 1, 2, 64]);
    const { c, texts } = consoleOf({ rate: 1, burst: 4 });
    c.write(1, enc(`${"a".repeat(1000)}\nshort\n`));
    assert.deepEqual(texts(), ["a".repeat(1000)]);
  });

  test("drops are told in one notice from the tender, with the limits", () => {
    const { c, lines } = consoleOf({ rate: 1000, burst: 5000 });
    c.write(1, enc("x\n".repeat(17_345)));
    c.flush();
    const notice = lines.at(-1)!;
    assert.deepEqual([notice.stream, notice.tender, notice.text], [2, true, "tsuki: 12,345 console lines of web dropped (rate 1,000/s, burst 5,000)"]);
    assert.equal(lines.filter((l) => l.tender).length, 1);
  });

  test("lines the sink cannot take are dropped as backlog, and the notice waits until it can", async () => {
    const lines: ConsoleLine[] = [];
    let open = false;
    const c = new ConsoleLines("web", { line: (l) => (open ? void lines.push(l) : false) }, { now: () => 0, noticeMs: 5 });
    c.write(1, enc("a\nb\n"));
    assert.equal(c.counts().droppedBacklog, 2);
    await new Promise((r) => setTimeout(r, 30)); // notices were tried, and refused
    assert.equal(lines.length, 0);
    open = true;
    c.write(2, enc("c\n"));
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(lines.map((l) => l.text), ["c", "tsuki: 2 console lines of web dropped: the reader of the tender's output is behind"]);
    c.flush();
    assert.equal(lines.length, 2, "nothing more to tell");
  });

  test("flush emits unfinished lines, and writes after it are ignored", () => {
    const { c, texts } = consoleOf();
    c.write(1, enc("no newline"));
    c.flush();
    c.write(1, enc("late\n"));
    assert.deepEqual(texts(), ["no newline"]);
  });

  test("charBoundary never splits a character", () => {
    const bytes = enc("aé✓😀");
    // a(1) é(2) ✓(3) 😀(4): boundaries at 0, 1, 3, 6, 10.
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((end) => charBoundary(bytes, end)), [1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
  });
});

describe("console limits", () => {
  test("a token bucket refills at its rate up to its burst", () => {
    const b = new TokenBucket({ rate: 1000, burst: 3 }, 0);
    assert.deepEqual([b.take(1, 0), b.take(1, 0), b.take(1, 0), b.take(1, 0)], [true, true, true, false]);
    assert.deepEqual([b.take(1, 1), b.take(1, 1)], [true, false]);
    assert.deepEqual([b.take(3, 10_000), b.take(1, 10_000)], [true, false], "never more than the burst");
  });

  test("limits out of range are refused with the setting's name; a rate alone gets a burst of two seconds", () => {
    const where = "flag";
    assert.throws(() => checkConsoleLimits({ rate: 0 }, where), { code: "ERR_FLAG_VALUE", message: /--console-rate 0 is out of range/ });
    assert.throws(() => checkConsoleLimits({ burst: 2.5 }, where), { code: "ERR_FLAG_VALUE", message: /--console-burst 2.5 is out of range/ });
    assert.deepEqual(checkConsoleLimits({ rate: 1000 }, where), { rate: 1000, burst: 2000 });
  });
});

describe("terminal output", () => {
  const line = (text: string, stream: 1 | 2 = 1): ConsoleLine => ({ unikernel: "web", stream, text, time: 0 });

  test("a stream whose reader has stopped queues at most maxQueued, and refuses lines past it", async () => {
    const stdout = new PassThrough({ highWaterMark: 16 });
    const out = new TerminalOutput({ stdout, stderr: new PassThrough(), maxQueued: 1000 });
    let taken = 0;
    for (let i = 0; i < 1000; i++) {
      if (out.line(line(`line ${i}`))) taken++;
      if (i % 10 === 9) out.flush();
    }
    assert.ok(taken > 50 && taken < 100, `${taken} lines taken`);
    assert.ok(stdout.writableLength <= 1000, `${stdout.writableLength} bytes queued`);
    assert.equal(await out.drained(0), false);
    stdout.resume();
    assert.equal(await out.drained(1000), true);
    assert.equal(out.line(line("again")), true);
  });

  test("runs of lines go out in order, prefixed; the tender's own lines go to stderr as they are", () => {
    const order: string[] = [];
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on("data", (b: Buffer) => order.push(`out:${b}`));
    stderr.on("data", (b: Buffer) => order.push(`err:${b}`));
    const out = new TerminalOutput({ stdout, stderr });
    out.line(line("a"));
    out.line(line("b"));
    out.line(line("oops", 2));
    out.line({ ...line("tsuki: 3 console lines of web dropped", 2), tender: true });
    out.line(line("c"));
    out.flush();
    assert.deepEqual(order, ["out:web | a\nweb | b\n", "err:web | oops\ntsuki: 3 console lines of web dropped\n", "out:web | c\n"]);
  });
});
