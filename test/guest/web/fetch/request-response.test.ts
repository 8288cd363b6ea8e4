// The guest's Request and Response against Node's own (undici, Fetch Standard): construction,
// defaults, checks, reading bodies once, bodies as streams, and requests from the wire.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Headers } from "../../../../src/guest/web/fetch/headers.ts";
import { Request, requestFromWire } from "../../../../src/guest/web/fetch/request.ts";
import { Response } from "../../../../src/guest/web/fetch/response.ts";
import { URLSearchParams } from "../../../../src/guest/web/url/search-params.ts";
import { ReadableStream } from "../../../../src/guest/web/streams/index.ts";
import { useWebGroups } from "../groups.ts";

useWebGroups();

const NodeResponse = globalThis.Response;
const NodeRequest = globalThis.Request;

async function describeResponse(r: { status: number; statusText: string; ok: boolean; headers: Iterable<[string, string]>; text(): Promise<string>; bodyUsed: boolean }) {
  const head = { status: r.status, statusText: r.statusText, ok: r.ok, headers: [...r.headers] };
  const text = await r.text();
  return { ...head, text, bodyUsed: r.bodyUsed };
}

async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    return { value: await fn() };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

describe("Response behaves like Node's", () => {
  const CASES: [string, unknown, unknown][] = [
    ["a string body", "héllo", undefined],
    ["no body", null, undefined],
    ["bytes", new Uint8Array([104, 105]), undefined],
    ["an ArrayBuffer", new Uint8Array([104, 105]).buffer, undefined],
    ["a DataView", new DataView(new Uint8Array([0, 104, 105, 0]).buffer, 1, 2), undefined],
    ["URLSearchParams", "params", undefined],
    ["a status and statusText", "x", { status: 201, statusText: "Made It" }],
    ["headers as a record", "x", { headers: { "X-A": "1", "content-type": "text/html" } }],
    ["headers as pairs", "x", { headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"]] }],
    ["status 599", null, { status: 599 }],
    ["status 204 without a body", null, { status: 204 }],
  ];
  for (const [name, body, init] of CASES) {
    test(name, async () => {
      const mine = body === "params" ? new URLSearchParams("a=1&b=é") : body;
      const theirs = body === "params" ? new globalThis.URLSearchParams("a=1&b=é") : body;
      assert.deepEqual(await describeResponse(new Response(mine as never, init as never)), await describeResponse(new NodeResponse(theirs as never, init as never)));
    });
  }

  const BAD: [string, unknown, unknown][] = [
    ["status 199", null, { status: 199 }],
    ["status 600", null, { status: 600 }],
    ["a body with 204", "x", { status: 204 }],
    ["a body with 304", "x", { status: 304 }],
    ["a statusText with a newline", null, { statusText: "a\nb" }],
    ["a statusText above U+00FF", null, { statusText: "\u0100" }],
    ["a bad header", null, { headers: { "a b": "1" } }],
  ];
  for (const [name, body, init] of BAD) {
    test(`refuses ${name} with the same error class`, async () => {
      assert.deepEqual(await outcome(() => new Response(body as never, init as never)), await outcome(() => new NodeResponse(body as never, init as never)));
    });
  }

  test("a status is converted as WebIDL's unsigned short (truncated, modulo 65,536)", () => {
    for (const status of [200.5, 65736, "201"]) assert.equal(new Response(null, { status } as never).status, new NodeResponse(null, { status } as never).status);
  });

  test("Response.json", async () => {
    assert.deepEqual(await describeResponse(Response.json({ a: [1, "é"] }, { status: 202 })), await describeResponse(NodeResponse.json({ a: [1, "é"] }, { status: 202 })));
    assert.deepEqual(await describeResponse(Response.json(1, { headers: { "content-type": "application/x" } })), await describeResponse(NodeResponse.json(1, { headers: { "content-type": "application/x" } })));
    assert.deepEqual(await outcome(() => Response.json(undefined)), await outcome(() => NodeResponse.json(undefined)));
  });

  test("Response.redirect", async () => {
    for (const [url, status] of [["http://x/a b", 301], ["http://x/", undefined], ["http://x/", 200], ["/relative", 302]] as [string, number | undefined][]) {
      const mine = await outcome(async () => describeResponse(Response.redirect(url, status)));
      const theirs = await outcome(async () => describeResponse(NodeResponse.redirect(url, status as never)));
      assert.deepEqual(mine, theirs, `${url} ${status}`);
    }
  });

  test("a body reads once: the second read is a TypeError", async () => {
    const mine = new Response("x");
    const theirs = new NodeResponse("x");
    assert.equal(await mine.text(), await theirs.text());
    assert.equal(mine.bodyUsed, theirs.bodyUsed);
    assert.deepEqual(await outcome(() => mine.text()), await outcome(() => theirs.text()));
  });

  test("json, arrayBuffer and bytes", async () => {
    assert.deepEqual(await new Response('{"a":1}').json(), await new NodeResponse('{"a":1}').json());
    assert.deepEqual(await outcome(() => new Response("{").json()), await outcome(() => new NodeResponse("{").json()));
    assert.deepEqual(new Uint8Array(await new Response("ab").arrayBuffer()), new Uint8Array(await new NodeResponse("ab").arrayBuffer()));
    assert.deepEqual(await new Response("ab").bytes(), await new NodeResponse("ab").bytes());
    assert.equal(await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).text(), await new NodeResponse(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).text());
  });

  test("an async iterable of chunks is a streamed body (as undici takes it), read in full by text(), teed by clone()", async () => {
    async function* chunks() {
      yield "hé";
      yield new Uint8Array([108, 108, 111]);
    }
    const response = new Response(chunks() as never);
    assert.equal(response.headers.get("content-type"), null);
    assert.equal(await response.text(), "héllo");
    const original = new Response(chunks() as never);
    const copy = original.clone();
    assert.deepEqual([await original.text(), await copy.text()], ["héllo", "héllo"]);
  });

  test("body is a byte stream, and reading it makes the body used, as in Node", async () => {
    for (const R of [Response, NodeResponse] as (typeof Response)[]) {
      const response = new R("abc");
      const body = response.body!;
      assert.equal(body, response.body, "the same stream each time");
      assert.equal(response.bodyUsed, false);
      const reader = body.getReader({ mode: "byob" });
      const { value } = await reader.read(new Uint8Array(8));
      assert.deepEqual([...value!], [97, 98, 99]);
      assert.equal(response.bodyUsed, true);
      await assert.rejects(response.text(), TypeError);
    }
  });

  test("a ReadableStream body is read through, and a locked one is refused", async () => {
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("s")), c.close()) });
    assert.equal(await new Response(stream as never).text(), "s");
    const locked = new ReadableStream();
    locked.getReader();
    assert.throws(() => new Response(locked as never), TypeError);
  });

  test("clone copies a byte body", async () => {
    const original = new Response("x", { status: 201 });
    const copy = original.clone();
    assert.equal(await copy.text(), "x");
    assert.equal(await original.text(), "x");
    assert.equal(copy.status, 201);
  });
});

describe("Request behaves like Node's", () => {
  async function describeRequest(r: { method: string; url: string; headers: Iterable<[string, string]>; text(): Promise<string> }) {
    return { method: r.method, url: r.url, headers: [...r.headers], text: await r.text() };
  }

  const CASES: [string, string, unknown][] = [
    ["a GET", "http://example.com/a?b#c", undefined],
    ["a lower-case method", "http://example.com/", { method: "post", body: "x" }],
    ["a custom method kept as is", "http://example.com/", { method: "Patch", body: "x" }],
    ["headers and a string body", "http://Example.com:80/./a/../b", { method: "PUT", headers: { "X-A": "1" }, body: "héllo" }],
    ["a URLSearchParams body", "http://example.com/", { method: "POST", body: "params" }],
    ["bytes", "http://example.com/", { method: "POST", body: new Uint8Array([1, 2]) }],
  ];
  for (const [name, url, init] of CASES) {
    test(name, async () => {
      const fix = (params: unknown) => (init && (init as { body?: unknown }).body === "params" ? { ...(init as object), body: new (params as typeof URLSearchParams)("a=1") } : init);
      assert.deepEqual(await describeRequest(new Request(url, fix(URLSearchParams) as never)), await describeRequest(new NodeRequest(url, fix(globalThis.URLSearchParams) as never)));
    });
  }

  for (const [name, url, init] of [
    ["a GET with a body", "http://x/", { body: "x" }],
    ["a HEAD with a body", "http://x/", { method: "HEAD", body: "x" }],
    ["an invalid method", "http://x/", { method: "GE T" }],
    ["a relative URL", "/a", {}],
  ] as [string, string, unknown][]) {
    test(`refuses ${name} with the same error class`, async () => {
      assert.deepEqual(await outcome(() => new Request(url, init as never)), await outcome(() => new NodeRequest(url, init as never)));
    });
  }

  test("a request made from another takes its method, URL, headers and body", async () => {
    const first = new Request("http://x/a", { method: "POST", headers: { a: "1" }, body: "b" });
    const second = new Request(first, { headers: { c: "2" } });
    assert.equal(second.method, "POST");
    assert.equal(second.url, "http://x/a");
    assert.deepEqual([...second.headers], [["c", "2"]]);
    assert.equal(await second.text(), "b");
  });
});

describe("a request from the wire", () => {
  test("keeps its method as sent, may carry a body with any method, and reads it once", async () => {
    const headers = new Headers({ "content-type": "application/json" });
    const body = new TextEncoder().encode('{"a":1}');
    const request = requestFromWire("get", "http://x/", headers, body);
    assert.equal(request.method, "get");
    assert.equal(request.bodyUsed, false);
    assert.deepEqual(await request.json(), { a: 1 });
    assert.equal(request.bodyUsed, true);
    assert.equal(request.body!.locked, true, "a body read is a used, locked stream");
    await assert.rejects(request.text(), TypeError);
  });

  test("clone gives a second readable body", async () => {
    const request = requestFromWire("POST", "http://x/", new Headers(), new TextEncoder().encode("abc"));
    const copy = request.clone();
    assert.equal(await request.text(), "abc");
    assert.equal(await copy.text(), "abc");
    assert.equal(requestFromWire("GET", "http://x/", new Headers(), null).body, null);
    const streamed = requestFromWire("POST", "http://x/", new Headers(), new TextEncoder().encode("xy"));
    assert.ok(streamed.body instanceof ReadableStream);
    const both = streamed.clone();
    assert.deepEqual([await streamed.text(), await both.text()], ["xy", "xy"]);
  });
});
