// Bad input to the web globals, inside a unikernel on the isolate target: a body stream that
// errors midway, WPT-style hostile underlying sources and strategies (throwing getters,
// re-entrant pull, a then getter on Object.prototype), and a decompression bomb under a small heap.
// Each must end with the web's error, an object of the guest's own realm that the guest catches,
// never a host error and never a crash of the tender.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGzip } from "node:zlib";
import { bootToEnd, buildSource } from "../../helpers.ts";

/** Runs `cases` (an object literal of async functions, as source) in a unikernel; returns what each ended with. */
async function runCases(cases: string, options: { memoryMb?: number; args?: Record<string, unknown> } = {}): Promise<Record<string, string>> {
  const image = await buildSource(`
    import { unikernel } from "tsuki";
    const cases = ${cases};
    export default unikernel({
      async start({ console, args }) {
        const out = {};
        for (const [name, run] of Object.entries(cases)) {
          try {
            out[name] = "returned " + String(await run(args));
          } catch (error) {
            // The guest's own classes: a host object would be none of these.
            const realm = error instanceof TypeError ? "TypeError" : error instanceof RangeError ? "RangeError" : error instanceof DOMException ? "DOMException " + error.name : error instanceof Error ? "Error" : typeof error;
            out[name] = "threw " + realm + ": " + String(error?.message ?? error);
          }
        }
        console.log(JSON.stringify(out));
      },
    });
  `);
  const booted = await bootToEnd("isolate", image, { memoryMb: options.memoryMb ?? 128, args: options.args ?? {}, cpuMs: 30_000 });
  assert.equal(booted.status.kind, "returned", `${booted.status.kind}: ${booted.err.join("\n")}`);
  return JSON.parse(booted.out.join(""));
}

test("a body stream that errors midway rejects every reader with the stream's own error", async () => {
  const results = await runCases(`{
    async text() {
      const body = new ReadableStream({ pull(c) { c.enqueue(new TextEncoder().encode("part")); c.error(new TypeError("source failed midway")); } });
      return new Response(body).text();
    },
    async bytesAfterChunks() {
      let n = 0;
      const body = new ReadableStream({ pull(c) { if (n++ < 3) c.enqueue(new Uint8Array(10)); else c.error(new RangeError("ran out")); } });
      return (await new Request("http://x/", { method: "POST", body, duplex: "half" }).arrayBuffer()).byteLength;
    },
    async notBytes() {
      return new Response(new ReadableStream({ start(c) { c.enqueue("a string, not bytes"); c.close(); } })).text();
    },
    async clonedBranch() {
      const body = new ReadableStream({ pull(c) { c.error(new TypeError("tee'd failure")); } });
      const response = new Response(body);
      const copy = response.clone();
      return Promise.allSettled([response.text(), copy.text()]).then((r) => r.map((x) => x.status + " " + (x.reason?.message ?? "")).join(", "));
    },
    async throughCompression() {
      const body = new ReadableStream({ pull(c) { c.error(new TypeError("upstream broke")); } });
      return new Response(body.pipeThrough(new CompressionStream("gzip"))).text();
    },
  }`);
  assert.deepEqual(results, {
    text: "threw TypeError: source failed midway",
    bytesAfterChunks: "threw RangeError: ran out",
    notBytes: "threw TypeError: a body stream's chunks must be Uint8Arrays",
    clonedBranch: "returned rejected tee'd failure, rejected tee'd failure",
    throughCompression: "threw TypeError: upstream broke",
  });
});

test("hostile underlying sources and strategies (WPT style) end in the web's errors, caught by the guest", async () => {
  const results = await runCases(`{
    async throwingStartGetter() {
      new ReadableStream({ get start() { throw new TypeError("start getter"); } });
    },
    async throwingTypeGetter() {
      new ReadableStream({ get type() { throw new RangeError("type getter"); } });
    },
    async throwingSize() {
      const stream = new ReadableStream({ start(c) { c.enqueue("x"); } }, { size() { throw new TypeError("size threw"); } });
      return stream.getReader().read();
    },
    async throwingHighWaterMark() {
      new ReadableStream({}, { get highWaterMark() { throw new RangeError("hwm getter"); } });
    },
    async negativeHighWaterMark() {
      new ReadableStream({}, { highWaterMark: -1 });
    },
    async reentrantPull() {
      // pull reads from its own stream: the reads queue up behind the one being served, pull is
      // never re-entered, and the values come out once each, in the order the reads were made.
      let depth = 0;
      let reentered = false;
      let pulling = false;
      let reader;
      const reads = [];
      const stream = new ReadableStream({
        pull(c) {
          if (pulling) reentered = true;
          pulling = true;
          depth++;
          if (depth < 50) reads.push(reader.read());
          c.enqueue(depth);
          if (depth === 50) c.close();
          pulling = false;
        },
      }, { highWaterMark: 0 });
      reader = stream.getReader();
      reads.push(reader.read());
      for (let i = 0; i < reads.length; i++) await reads[i];
      const values = (await Promise.all(reads)).map((r) => r.value);
      const inOrder = values.every((v, i) => v === i + 1);
      return values.length + " reads, in order " + inOrder + ", re-entered " + reentered;
    },
    async pullThrowsAfterClose() {
      const stream = new ReadableStream({ pull(c) { c.close(); c.close(); } });
      return JSON.stringify(await stream.getReader().read());
    },
    async patchedThen() {
      // WPT's patched-global tests: a then getter on Object.prototype must not derail streams.
      let touched = 0;
      Object.defineProperty(Object.prototype, "then", { get() { touched++; return undefined; }, configurable: true });
      try {
        const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } });
        const [a, b] = stream.tee();
        return (await new Response(a).text()) + (await new Response(b).text());
      } finally {
        delete Object.prototype.then;
      }
    },
    async hostileAsBody() {
      const body = new ReadableStream({ type: "bytes", pull(c) { c.enqueue(new Uint8Array(0)); } });
      return new Response(body).text();
    },
  }`);
  assert.deepEqual(results, {
    throwingStartGetter: "threw TypeError: start getter",
    throwingTypeGetter: "threw RangeError: type getter",
    throwingSize: "threw TypeError: size threw",
    throwingHighWaterMark: "threw RangeError: hwm getter",
    negativeHighWaterMark: "threw RangeError: Invalid highWaterMark",
    reentrantPull: "returned 50 reads, in order true, re-entered false",
    // The second close() throws inside pull, after the stream closed: the error has nowhere to go (Streams §4.7).
    pullThrowsAfterClose: 'returned {"done":true}',
    patchedThen: "returned hihi",
    hostileAsBody: "threw TypeError: chunk must have non-zero byteLength",
  });
});

/** 512 MiB of zeros, gzipped by the host's zlib: about 500 KiB. */
async function bomb(): Promise<string> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => parts.push(chunk));
  const done = new Promise((resolve) => gzip.on("end", resolve));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < 512; i++) if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  gzip.end();
  await done;
  return Buffer.concat(parts).toString("base64");
}

test("a decompression bomb read in full under a 64 MiB heap fails with a RangeError the guest catches; read slowly it is paced", async () => {
  const packed = await bomb();
  const results = await runCases(
    `{
    async readAll(args) {
      const data = Uint8Array.from(atob(args.bomb), (c) => c.charCodeAt(0));
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
      return (await new Response(stream).arrayBuffer()).byteLength;
    },
    async readSome(args) {
      const data = Uint8Array.from(atob(args.bomb), (c) => c.charCodeAt(0));
      const reader = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
      let total = 0;
      for (let i = 0; i < 20; i++) total += (await reader.read()).value.byteLength;
      await reader.cancel();
      return total <= 40 * 1024 * 1024 ? "paced" : "not paced: " + total;
    },
    async stillAlive() {
      return new Response("the unikernel goes on").text();
    },
  }`,
    { memoryMb: 64, args: { bomb: packed } },
  );
  assert.match(results.readAll!, /^threw RangeError: /);
  assert.equal(results.readSome, "returned paced");
  assert.equal(results.stillAlive, "returned the unikernel goes on");
});
