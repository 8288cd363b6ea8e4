// The request parser (head, framing, Host, chunked body) against Node's own HTTP/1.1 parser
// (llhttp, in its default strict mode) as the reference: each raw request of a corpus goes to a
// node:http server and through tsuki/http's parsers, and both must accept it alike (same method,
// target, fields and body) or both refuse it. Where the two differ on purpose, the case says what
// each does and why.
import assert from "node:assert/strict";
import { type Server, createServer } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { ChunkedDecoder } from "../../../../src/guest/lib/http/chunked.ts";
import { frameRequest } from "../../../../src/guest/lib/http/framing.ts";
import { parseHead } from "../../../../src/guest/lib/http/head.ts";
import { requestUrl } from "../../../../src/guest/lib/http/target.ts";

type Outcome = { refused: number } | { method: string; target: string; fields: [string, string][]; body: string };

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const MAX = 16 * 1024;

/** What tsuki/http's server makes of `raw`: the request it would hand to a handler, or the status it would refuse it with. */
function ours(raw: string): Outcome | "incomplete" {
  const all = bytes(raw);
  const parsed = parseHead(all, MAX);
  if (parsed.kind === "incomplete") return "incomplete";
  if (parsed.kind === "error") return { refused: parsed.status };
  const { head } = parsed;
  const framing = frameRequest(head, Number.MAX_SAFE_INTEGER);
  if (framing.kind === "error") return { refused: framing.status };
  if (head.method === "CONNECT") return { refused: 501 };
  const url = requestUrl(head, "http", "127.0.0.1:80");
  if (typeof url !== "string") return { refused: url.status };
  const rest = all.subarray(parsed.length);
  let body = "";
  if (framing.body.kind === "length") {
    if (rest.length < framing.body.length) return "incomplete";
    body = String.fromCharCode(...rest.subarray(0, framing.body.length));
  } else if (framing.body.kind === "chunked") {
    const progress = new ChunkedDecoder(Number.MAX_SAFE_INTEGER, MAX).push(rest);
    if (progress.kind === "error") return { refused: progress.status };
    if (!progress.done) return "incomplete";
    body = progress.data.map((d) => String.fromCharCode(...d)).join("");
  }
  return { method: head.method, target: head.target, fields: head.fields.map(([n, v]) => [n, v]), body };
}

let server: Server;
let port = 0;
before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const fields: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) fields.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
      res.end(JSON.stringify({ method: req.method, target: req.url, fields, body: Buffer.concat(chunks).toString("latin1") }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

/** What Node's server makes of `raw`: the request its handler saw, or the status it refused it with. */
function node(raw: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.end(Buffer.from(raw, "latin1")));
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const reply = Buffer.concat(chunks);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply.toString("latin1"))?.[1]);
      if (status !== 200) return resolve({ refused: status });
      // The handler sent JSON as UTF-8; the field values in it are Latin-1 strings, as in tsuki/http.
      resolve(JSON.parse(reply.subarray(reply.indexOf("\r\n\r\n") + 4).toString("utf8")) as Outcome);
    });
  });
}

const kind = (o: Outcome | "incomplete") => (o === "incomplete" ? "incomplete" : "refused" in o ? "refused" : "accepted");

const AGREE: [string, string][] = [
  ["a simple GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a GET with a query and many fields", "GET /a/b?c=d&e=%20f HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nX-Empty:\r\nX-Spaces:   a  b   \r\nX-Tab:\ta\t\r\n\r\n"],
  ["repeated fields stay apart", "GET / HTTP/1.1\r\nHost: x\r\nX: 1\r\nx: 2\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n"],
  ["obs-text in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: caf\xe9\xff\r\n\r\n"],
  ["a token full of punctuation as a field name", "GET / HTTP/1.1\r\nHost: x\r\nX-!#$%&'*+.^_`|~: v\r\n\r\n"],
  ["absolute-form", "GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n"],
  ["asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["the target's odd but visible characters", "GET /a\"b<c>d{e}f|g^h`i HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"],
  ["one empty line before the request", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a POST with Content-Length", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"],
  ["Content-Length: 0", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"],
  ["a chunked body", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n"],
  ["Transfer-Encoding in upper case", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n"],
  ["chunk extensions", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d e\"\r\nhello\r\n0;z\r\n\r\n"],
  ["trailers", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Trailer: t\r\n\r\n"],
  ["a bare LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"],
  ["a bare LF ending a field", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"],
  ["bare LFs everywhere", "GET / HTTP/1.1\nHost: x\n\n"],
  ["obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"],
  ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"],
  ["a control character in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n"],
  ["NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n"],
  ["a field name with a space", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n"],
  ["a field without a colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"],
  ["a non-ASCII target", "GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"],
  ["a lower-case protocol name", "GET / http/1.1\r\nHost: x\r\n\r\n"],
  ["garbage", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n"],
  ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n"],
  ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
  ["differing Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"],
  ["a negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"],
  ["a Content-Length with letters", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3a\r\n\r\nabc"],
  ["chunked not last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"],
  ["a chunk size that is not hex", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
  ["whitespace after a chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"],
  ["chunk data longer than its size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"],
  ["a chunk size that overflows", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nx\r\n0\r\n\r\n"],
  ["a head over 16 KiB", `GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(17 * 1024)}\r\n\r\n`],
];

/** Cases where tsuki/http is stricter than llhttp, or llhttp than tsuki/http, on purpose. */
const DIFFER: [string, string, "accepted" | "refused", "accepted" | "refused", string][] = [
  ["two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "accepted", "refused", "RFC 9112 §3: the request line is method SP request-target SP version; tsuki/http does not parse leniently"],
  ["HTTP/2.0 in an HTTP/1 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", "accepted", "refused", "tsuki/http answers 505: it speaks HTTP/1.x only"],
  ["two Host fields", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "accepted", "refused", "RFC 9112 §3.2: a server MUST answer 400 to more than one Host"],
  ["a Host that is not an authority", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "accepted", "refused", "RFC 9112 §3.2: a server MUST answer 400 to an invalid Host"],
  ["two empty lines before the request", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "accepted", "refused", "RFC 9112 §2.2 asks to ignore at least one; tsuki/http ignores exactly one"],
  ["gzip, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "accepted", "refused", "RFC 9112 §6.1: 501 for a transfer coding the server does not implement (llhttp passes gzip to the application)"],
  ["an HTTP/0.9 request line (no version)", "GET /\r\nHost: x\r\n\r\n", "accepted", "refused", "HTTP/0.9 is not supported: a request line must carry HTTP/1.x"],
  ["Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "accepted", "refused", "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing"],
  ["a method llhttp does not know", "FROB / HTTP/1.1\r\nHost: x\r\n\r\n", "refused", "accepted", "RFC 9110 §9.1: any token is a method; llhttp knows a fixed list"],
  ["identical repeated Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "refused", "accepted", "RFC 9110 §8.6: identical values may be taken as one"],
];

describe("the request parser agrees with Node's (llhttp)", () => {
  for (const [name, raw] of AGREE) {
    test(name, async () => {
      const reference = await node(raw);
      const mine = ours(raw);
      assert.equal(kind(mine), kind(reference), `Node: ${JSON.stringify(reference)}, tsuki: ${JSON.stringify(mine)}`);
      if (kind(reference) === "accepted") assert.deepEqual(mine, reference);
    });
  }
});

describe("where it differs from Node's on purpose", () => {
  for (const [name, raw, nodeDoes, oursDoes, why] of DIFFER) {
    test(`${name}: Node ${nodeDoes === "accepted" ? "accepts" : "refuses"}, tsuki/http ${oursDoes === "accepted" ? "accepts" : "refuses"} (${why})`, async () => {
      assert.equal(kind(await node(raw)), nodeDoes);
      assert.equal(kind(ours(raw)), oursDoes);
    });
  }
});
