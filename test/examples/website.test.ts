/**
 * examples/website end to end: the example built through the real build and booted on the
 * isolate target with its run configuration's memory limit, then driven by curl (a peer we did
 * not write; spawned asynchronously, since the server runs in this very process) and by Node's
 * fetch: content types, folder indexes and redirects, 404, path traversal, ETags and conditional
 * requests, byte ranges, HEAD, gzip and methods other than GET and HEAD. One more test runs it
 * the way an operator does, through the tsuki command in a child process.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { buildImage } from "../../src/host/build/build.ts";
import { loadImage } from "../../src/host/image/image.ts";
import { loadRunConfig } from "../../src/host/config/index.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import { finished, start as startTsuki, waitForOutput } from "../cli/spawn.ts";
import { ROOT, tempDir, testTender } from "../helpers.ts";

const EXAMPLE = path.join(ROOT, "examples/website");
const SITE = path.join(EXAMPLE, "site");
const HAS_CURL = spawnSync("sh", ["-c", "command -v curl"]).status === 0;
const NO_CURL = HAS_CURL ? false : "curl is not installed (apt-get install curl): these tests drive the server with it";

/** A file of the site as it is on disk. */
const file = (name: string): Buffer => readFileSync(path.join(SITE, name));
const etagOf = (name: string): string => `"${createHash("sha256").update(file(name)).digest("hex")}"`;
const gzipEtagOf = (name: string): string => `"${createHash("sha256").update(file(name)).digest("hex")}-gzip"`;

let unikernel: Unikernel;
let port: number;
const url = (p: string) => `http://127.0.0.1:${port}${p}`;

before(async () => {
  const built = await buildImage(EXAMPLE, { out: path.join(tempDir(), "website.tsuki") });
  const config = loadRunConfig(path.join(EXAMPLE, "run.yaml"));
  const { tender } = testTender("isolate");
  unikernel = await tender.boot(loadImage(built.image), { bindings: [{ name: "web", uri: "tcp://127.0.0.1:0" }], memoryMb: config.limits.memoryMb });
  port = unikernel.addresses.web!.port;
});

after(async () => {
  unikernel.stop();
  await unikernel.exited;
});

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Runs curl asynchronously and returns its exit code and output. */
function run(args: readonly string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", ["-s", "--max-time", "10", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** `curl -i` on a path of the site (extra curl arguments first), split into status, headers and body. */
async function curl(target: string, ...args: string[]): Promise<Answer> {
  const { code, stdout, stderr } = await run([...args, "-i", url(target)]);
  assert.equal(code, 0, `curl ${args.join(" ")} ${target} failed: ${stderr}`);
  const split = stdout.indexOf("\r\n\r\n");
  assert.ok(split > 0, `no header section in ${JSON.stringify(stdout.toString("latin1").slice(0, 200))}`);
  const lines = stdout.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!)?.[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { status, headers, body: stdout.subarray(split + 4) };
}

/** `curl -I` (HEAD). */
const head = (target: string, ...args: string[]) => curl(target, "-I", ...args);

test("run.yaml binds web on 127.0.0.1:8080 with 32 MiB", () => {
  const config = loadRunConfig(path.join(EXAMPLE, "run.yaml"));
  assert.equal(config.limits.memoryMb, 32);
  assert.deepEqual(config.devices.map((b) => [b.name, b.uri]), [["web", "tcp://127.0.0.1:8080"]]);
  assert.equal(config.image, EXAMPLE);
});

test("the site folder stays small (under 100 KB) and every file of it is served, byte for byte", async () => {
  const files: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else files.push(`${prefix}${name}`);
    }
  };
  walk(SITE, "");
  assert.ok(files.length >= 10);
  assert.ok(files.reduce((sum, name) => sum + file(name).length, 0) < 100_000);
  for (const name of files) {
    const response = await fetch(url(`/${name}`));
    assert.equal(response.status, 200, name);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), file(name), name);
  }
});

test("content types by extension, with nosniff, Accept-Ranges and Cache-Control", async () => {
  const expected: Record<string, [string, string]> = {
    "/index.html": ["text/html; charset=utf-8", "public, max-age=0, must-revalidate"],
    "/css/style.css": ["text/css; charset=utf-8", "public, max-age=3600"],
    "/js/main.js": ["text/javascript; charset=utf-8", "public, max-age=3600"],
    "/data/targets.json": ["application/json", "public, max-age=3600"],
    "/img/logo.svg": ["image/svg+xml", "public, max-age=3600"],
    "/img/moon.png": ["image/png", "public, max-age=3600"],
    "/favicon.ico": ["image/x-icon", "public, max-age=3600"],
    "/robots.txt": ["text/plain; charset=utf-8", "public, max-age=3600"],
    "/site.webmanifest": ["application/manifest+json", "public, max-age=3600"],
  };
  for (const [target, [type, cache]] of Object.entries(expected)) {
    const response = await fetch(url(target));
    await response.arrayBuffer();
    assert.equal(response.status, 200, target);
    assert.equal(response.headers.get("content-type"), type, target);
    assert.equal(response.headers.get("cache-control"), cache, target);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", target);
    assert.equal(response.headers.get("accept-ranges"), "bytes", target);
    assert.equal(response.headers.get("last-modified"), null, `${target}: images carry no timestamps, so there is no Last-Modified`);
  }
});

describe("paths", { skip: NO_CURL }, () => {
  test("/ and /docs/ serve their index.html; /index.html is the same file", async () => {
    for (const [target, name] of [["/", "index.html"], ["/index.html", "index.html"], ["/docs/", "docs/index.html"], ["/docs/index.html", "docs/index.html"]] as const) {
      const answer = await curl(target);
      assert.equal(answer.status, 200, target);
      assert.equal(answer.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(answer.headers.get("etag"), etagOf(name));
      assert.deepEqual(answer.body, file(name), target);
    }
  });

  test("/docs redirects 301 to /docs/, keeping the query; curl -L follows it", async () => {
    const answer = await curl("/docs");
    assert.equal(answer.status, 301);
    assert.equal(answer.headers.get("location"), "/docs/");
    assert.equal((await curl("/docs?lang=en")).headers.get("location"), "/docs/?lang=en");
    const followed = await run(["-L", url("/docs")]);
    assert.deepEqual(followed.stdout, file("docs/index.html"));
    const response = await fetch(url("/docs"), { redirect: "manual" });
    assert.equal(response.status, 301);
  });

  test("percent-encoded paths are decoded", async () => {
    assert.deepEqual((await curl("/%64ocs/%69ndex.html")).body, file("docs/index.html"));
    assert.deepEqual((await curl("/css%2Fstyle.css")).body, file("css/style.css"));
  });

  test("a missing file is a 404 with the site's 404.html; HEAD gets its length and no body", async () => {
    for (const target of ["/nope", "/docs/nope.html", "/img/", "/index.html/", "/docs//index.html"]) {
      const answer = await curl(target);
      assert.equal(answer.status, 404, target);
      assert.equal(answer.headers.get("content-type"), "text/html; charset=utf-8");
      assert.deepEqual(answer.body, file("404.html"), target);
    }
    const answer = await head("/nope");
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get("content-length"), String(file("404.html").length));
    assert.equal(answer.body.length, 0);
  });

  test("traversal never leaves the site: dot segments are resolved or refused, NUL and bad escapes are 400", async () => {
    const cases: [string, number][] = [
      ["/../../../../etc/passwd", 404],
      ["/docs/../../etc/passwd", 404],
      ["/%2e%2e/%2e%2e/etc/passwd", 404],
      ["/..%2f..%2f..%2fetc%2fpasswd", 400],
      ["/docs/..%2F..%2Findex.html", 400],
      ["/docs/%2e%2e%2findex.html", 400],
      ["/..%5c..%5cetc%5cpasswd", 400],
      ["/index.html%00", 400],
      ["/index.html%00.png", 400],
      ["/%ff%fe", 400],
      ["/%zz", 400],
    ];
    for (const [target, status] of cases) {
      const answer = await curl(target, "--path-as-is");
      assert.equal(answer.status, status, target);
      assert.ok(!answer.body.toString("latin1").includes("root:"), target);
    }
    // The URL parser resolves ".." inside the site, as a browser does.
    const inside = await curl("/docs/../index.html", "--path-as-is");
    assert.equal(inside.status, 200);
    assert.deepEqual(inside.body, file("index.html"));
  });
});

describe("ETag and conditional requests", { skip: NO_CURL }, () => {
  test("the ETag is the manifest's SHA-256 of the file, strong", async () => {
    for (const name of ["index.html", "img/moon.png", "robots.txt"]) {
      assert.equal((await curl(`/${name}`)).headers.get("etag"), etagOf(name));
    }
  });

  test("If-None-Match: the ETag, a list holding it, a weak form of it, or * give 304 with no body", async () => {
    const etag = etagOf("index.html");
    for (const value of [etag, `"nope", ${etag}`, `W/${etag}`, "*", ` "a" ,W/"b",  ${etag} `]) {
      const answer = await curl("/index.html", "-H", `If-None-Match: ${value}`);
      assert.equal(answer.status, 304, value);
      assert.equal(answer.body.length, 0);
      assert.equal(answer.headers.get("etag"), etag);
      assert.equal(answer.headers.get("cache-control"), "public, max-age=0, must-revalidate");
      assert.equal(answer.headers.get("vary"), "Accept-Encoding");
    }
    for (const value of ['"nope"', etag.slice(0, -2) + '"', etag.slice(1, -1), `${etag.slice(0, -1)}-gzip"`]) {
      const answer = await curl("/index.html", "-H", `If-None-Match: ${value}`);
      assert.equal(answer.status, 200, value);
      assert.deepEqual(answer.body, file("index.html"));
    }
    assert.equal((await head("/index.html", "-H", `If-None-Match: ${etag}`)).status, 304);
    // Node's fetch revalidates the same way.
    const response = await fetch(url("/img/moon.png"), { headers: { "if-none-match": etagOf("img/moon.png") } });
    assert.equal(response.status, 304);
  });

  test("the gzip variant has its own ETag, which revalidates the gzip variant only", async () => {
    const gzipEtag = gzipEtagOf("css/style.css");
    const answer = await curl("/css/style.css", "--compressed");
    assert.equal(answer.headers.get("etag"), gzipEtag);
    const revalidated = await curl("/css/style.css", "--compressed", "-H", `If-None-Match: ${gzipEtag}`);
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.headers.get("etag"), gzipEtag);
    assert.equal((await curl("/css/style.css", "-H", `If-None-Match: ${gzipEtag}`)).status, 200);
    assert.equal((await curl("/css/style.css", "--compressed", "-H", `If-None-Match: ${etagOf("css/style.css")}`)).status, 200);
  });

  test("If-Match compares strongly: a mismatch or a weak tag is 412", async () => {
    const etag = etagOf("robots.txt");
    assert.equal((await curl("/robots.txt", "-H", `If-Match: ${etag}`)).status, 200);
    assert.equal((await curl("/robots.txt", "-H", "If-Match: *")).status, 200);
    assert.equal((await curl("/robots.txt", "-H", 'If-Match: "nope"')).status, 412);
    assert.equal((await curl("/robots.txt", "-H", `If-Match: W/${etag}`)).status, 412);
  });
});

describe("ranges", { skip: NO_CURL }, () => {
  const png = () => file("img/moon.png");

  test("bytes=a-b, a- and -n give 206 with Content-Range and only those bytes", async () => {
    const size = png().length;
    const cases: [string, number, number][] = [
      ["0-9", 0, 9],
      ["100-199", 100, 199],
      ["1000-", 1000, size - 1],
      ["-10", size - 10, size - 1],
      [`-${size + 100}`, 0, size - 1],
      [`0-${size * 10}`, 0, size - 1],
      [`${size - 1}-${size - 1}`, size - 1, size - 1],
    ];
    for (const [spec, start, end] of cases) {
      const answer = await curl("/img/moon.png", "-H", `Range: bytes=${spec}`);
      assert.equal(answer.status, 206, spec);
      assert.equal(answer.headers.get("content-range"), `bytes ${start}-${end}/${size}`, spec);
      assert.equal(answer.headers.get("content-length"), String(end - start + 1), spec);
      assert.equal(answer.headers.get("content-type"), "image/png");
      assert.equal(answer.headers.get("etag"), etagOf("img/moon.png"));
      assert.deepEqual(answer.body, png().subarray(start, end + 1), spec);
    }
    // curl's own -r option, and Node's fetch.
    assert.deepEqual((await curl("/img/moon.png", "-r", "8-15")).body, png().subarray(8, 16));
    const response = await fetch(url("/img/moon.png"), { headers: { range: "bytes=-4" } });
    assert.equal(response.status, 206);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), png().subarray(-4));
  });

  test("an unsatisfiable range is 416 with Content-Range: bytes */size", async () => {
    const size = png().length;
    for (const spec of [`${size}-`, `${size + 5}-${size + 10}`, "-0", `${size}-${size}, ${size + 1}-`]) {
      const answer = await curl("/img/moon.png", "-H", `Range: bytes=${spec}`);
      assert.equal(answer.status, 416, spec);
      assert.equal(answer.headers.get("content-range"), `bytes */${size}`, spec);
    }
  });

  test("a Range that is malformed or in another unit is ignored: 200 with the whole file", async () => {
    for (const value of ["bytes=9-5", "bytes=a-b", "bytes=", "bytes=-", "items=0-5", "bytes 0-5", "bytes=0-5;x"]) {
      const answer = await curl("/img/moon.png", "-H", `Range: ${value}`);
      assert.equal(answer.status, 200, value);
      assert.deepEqual(answer.body, png(), value);
    }
  });

  test("If-Range: the ETag lets the range apply; another tag, a weak tag or a date gives the whole file", async () => {
    const etag = etagOf("img/moon.png");
    const ranged = await curl("/img/moon.png", "-H", "Range: bytes=0-3", "-H", `If-Range: ${etag}`);
    assert.equal(ranged.status, 206);
    assert.deepEqual(ranged.body, png().subarray(0, 4));
    for (const value of ['"stale"', `W/${etag}`, "Sun, 22 Nov 2026 10:00:00 GMT"]) {
      const answer = await curl("/img/moon.png", "-H", "Range: bytes=0-3", "-H", `If-Range: ${value}`);
      assert.equal(answer.status, 200, value);
      assert.deepEqual(answer.body, png(), value);
    }
  });

  test("several ranges are one multipart/byteranges body", async () => {
    const size = png().length;
    const answer = await curl("/img/moon.png", "-H", "Range: bytes=0-3, 10-19, -5");
    assert.equal(answer.status, 206);
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(answer.headers.get("content-type") ?? "")?.[1];
    assert.ok(boundary, answer.headers.get("content-type"));
    assert.equal(answer.headers.get("content-length"), String(answer.body.length));
    const text = answer.body.toString("latin1");
    assert.ok(text.endsWith(`\r\n--${boundary}--\r\n`));
    const parts = text.split(`--${boundary}`).slice(1, -1);
    assert.equal(parts.length, 3);
    const expected: [number, number][] = [[0, 3], [10, 19], [size - 5, size - 1]];
    parts.forEach((part, i) => {
      const [start, end] = expected[i]!;
      const [partHead, ...rest] = part.split("\r\n\r\n");
      assert.match(partHead!, /content-type: image\/png/);
      assert.match(partHead!, new RegExp(`content-range: bytes ${start}-${end}/${size}`));
      assert.deepEqual(Buffer.from(rest.join("\r\n\r\n").slice(0, -2), "latin1"), png().subarray(start, end + 1));
    });
    // Overlapping ranges that ask for more bytes than the file holds get the file once.
    const overlapping = await curl("/img/moon.png", "-H", `Range: bytes=0-, 0-, 0-`);
    assert.equal(overlapping.status, 200);
    assert.deepEqual(overlapping.body, png());
  });

  test("a range is served from the identity encoding even when gzip is accepted", async () => {
    const css = file("css/style.css");
    const answer = await curl("/css/style.css", "-H", "Accept-Encoding: gzip", "-H", "Range: bytes=0-99");
    assert.equal(answer.status, 206);
    assert.equal(answer.headers.get("content-encoding"), undefined);
    assert.equal(answer.headers.get("etag"), etagOf("css/style.css"));
    assert.equal(answer.headers.get("vary"), "Accept-Encoding");
    assert.deepEqual(answer.body, css.subarray(0, 100));
  });

  test("HEAD ignores Range", async () => {
    const answer = await head("/img/moon.png", "-H", "Range: bytes=0-3");
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-length"), String(png().length));
  });
});

describe("HEAD", { skip: NO_CURL }, () => {
  test("HEAD has the headers of GET (Content-Length of the whole file) and no body", async () => {
    for (const [target, name, args] of [["/", "index.html", []], ["/img/moon.png", "img/moon.png", []], ["/css/style.css", "css/style.css", ["-H", "Accept-Encoding: gzip"]]] as const) {
      const get = await curl(target, ...args);
      const got = await head(target, ...args);
      assert.equal(got.status, 200);
      assert.equal(got.body.length, 0);
      for (const field of ["content-type", "content-length", "etag", "cache-control", "accept-ranges", "vary", "content-encoding", "x-content-type-options"]) {
        assert.equal(got.headers.get(field), get.headers.get(field), `${target} ${field}`);
      }
      if (args.length === 0) assert.equal(got.headers.get("content-length"), String(file(name).length));
    }
  });
});

describe("gzip", { skip: NO_CURL }, () => {
  test("curl --compressed gets the file's exact bytes, sent with Content-Encoding: gzip", async () => {
    for (const name of ["index.html", "css/style.css", "js/main.js", "data/targets.json", "img/logo.svg", "docs/index.html", "site.webmanifest"]) {
      const answer = await curl(`/${name}`, "--compressed");
      assert.equal(answer.status, 200, name);
      assert.equal(answer.headers.get("content-encoding"), "gzip", name);
      assert.equal(answer.headers.get("vary"), "Accept-Encoding", name);
      assert.ok(Number(answer.headers.get("content-length")) < file(name).length, name);
      assert.deepEqual(answer.body, file(name), name);
    }
  });

  test("the raw gzip body gunzips to the file, and is the same on every request", async () => {
    const first = await curl("/js/main.js", "-H", "Accept-Encoding: gzip");
    assert.equal(first.headers.get("content-encoding"), "gzip");
    assert.equal(Number(first.headers.get("content-length")), first.body.length);
    assert.deepEqual(gunzipSync(first.body), file("js/main.js"));
    assert.deepEqual(first.body.subarray(4, 8), Buffer.alloc(4), "no mtime in the gzip header: the bytes are the same on every boot");
    const second = await curl("/js/main.js", "-H", "Accept-Encoding: gzip");
    assert.deepEqual(second.body, first.body);
  });

  test("Accept-Encoding is parsed with q-values: gzip;q=0 and identity mean no gzip", async () => {
    const cases: [string, boolean][] = [
      ["gzip", true],
      ["GZIP", true],
      ["x-gzip", true],
      ["*", true],
      ["br;q=1.0, gzip;q=0.5", true],
      ["deflate, gzip;q=0.001", true],
      ["gzip;q=0", false],
      ["gzip; q=0.000", false],
      ["*;q=0", false],
      ["gzip;q=0, *", false],
      ["*, gzip;q=0", false],
      ["*;q=0, gzip", true],
      ["identity", false],
      ["br, deflate", false],
      ["gzip;q=2", false],
      ["", false],
    ];
    for (const [value, gzip] of cases) {
      const answer = await curl("/index.html", "-H", `Accept-Encoding: ${value}`);
      assert.equal(answer.headers.get("content-encoding"), gzip ? "gzip" : undefined, value);
      assert.equal(answer.headers.get("vary"), "Accept-Encoding", value);
      assert.equal(answer.headers.get("etag"), gzip ? gzipEtagOf("index.html") : etagOf("index.html"), value);
      assert.deepEqual(gzip ? gunzipSync(answer.body) : answer.body, file("index.html"), value);
    }
    // No Accept-Encoding at all: identity.
    assert.equal((await curl("/index.html")).headers.get("content-encoding"), undefined);
  });

  test("images and tiny files are not compressed, and do not Vary", async () => {
    for (const name of ["img/moon.png", "favicon.ico", "robots.txt"]) {
      const answer = await curl(`/${name}`, "-H", "Accept-Encoding: gzip");
      assert.equal(answer.headers.get("content-encoding"), undefined, name);
      assert.equal(answer.headers.get("vary"), undefined, name);
      assert.deepEqual(answer.body, file(name), name);
    }
  });
});

describe("methods", { skip: NO_CURL }, () => {
  test("methods other than GET and HEAD are 405 with Allow: GET, HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"]) {
      const answer = await curl("/index.html", "-X", method);
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.get("allow"), "GET, HEAD", method);
    }
    const response = await fetch(url("/"), { method: "POST", body: "x" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });

  test("one keep-alive connection serves many requests in order", async () => {
    const targets = ["/", "/css/style.css", "/nope", "/img/moon.png", "/docs/"];
    const { code, stdout } = await run(["-w", "%{http_code} %{num_connects}\\n", ...targets.flatMap((t) => ["-o", "/dev/null", url(t)])]);
    assert.equal(code, 0);
    const lines = stdout.toString().trim().split("\n");
    assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["200", "200", "404", "200", "200"]);
    assert.deepEqual(lines.map((l) => l.split(" ")[1]), ["1", "0", "0", "0", "0"], "curl reused the first connection");
  });
});

test("tsuki run serves the folder from a child process, and Ctrl-C stops it with 130", { skip: NO_CURL }, async () => {
  const out = path.join(tempDir(), "website.tsuki");
  const built = await buildImage(EXAMPLE, { out });
  const child = startTsuki(["run", built.image, "--dev", "web=tcp://127.0.0.1:0", "--mem", "32M"]);
  try {
    await waitForOutput(child, (stdout) => /serving \d+ files .* on http:\/\/127\.0\.0\.1:\d+\//.test(stdout));
    const address = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(child.stdoutText())![1]!;
    const { code, stdout } = await run(["--compressed", `${address}/docs/`]);
    assert.equal(code, 0);
    assert.deepEqual(stdout, file("docs/index.html"));
  } finally {
    child.kill("SIGINT");
  }
  const ended = await finished(child);
  assert.equal(ended.code, 130, ended.stderr);
});
