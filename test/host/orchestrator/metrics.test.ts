/**
 * tsukid's Prometheus metrics on a real daemon started with `--metrics 127.0.0.1:0`, scraped with
 * curl and parsed as the text exposition format: every line is a comment or a well-formed sample,
 * each family has one TYPE; per-unikernel series carry the unikernel's name; counters move with
 * requests and restarts; the daemon's own process metrics are there. Bad `--metrics` values and an
 * address in use end the daemon with a stable code before anything boots.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../../helpers.ts";
import { errors, tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, startDaemon } from "./harness.ts";

const T = { timeout: 60_000 };
let daemon: RunningDaemon;
let url: string;
let hello: Uint8Array;

before(async () => {
  hello = await helloHttpImage();
  daemon = await startDaemon(undefined, ["--metrics", "127.0.0.1:0"]);
  url = (await daemon.waitFor((e) => e.event === "metrics-ready", "metrics-ready")).url as string;
});
after(async () => {
  assert.equal(await daemon.stop(), 0);
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Scrapes with curl; checks the exposition format line by line and returns the samples and types. */
function scrape(): { samples: Sample[]; types: Map<string, string>; contentType: string } {
  const r = spawnSync("curl", ["-sS", "-D", "-", url], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [head, body] = r.stdout.split("\r\n\r\n", 2) as [string, string];
  assert.match(head, /^HTTP\/1\.1 200/);
  const contentType = /^content-type: (.*)$/im.exec(head)![1]!.trim();
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of body.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      assert.ok(!types.has(type[1]!), `one TYPE line for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    // Values as Prometheus parses them (Go's ParseFloat): prom-client writes an empty histogram's mean as "Nan".
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/.exec(line);
    assert.ok(m, `a well-formed sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types, contentType };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("tsuki daemon --metrics", () => {
  test("serves the exposition format with the daemon's process metrics and no unikernel yet", T, () => {
    const { samples, types, contentType } = scrape();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(types.get("process_cpu_seconds_total"), "counter");
    assert.ok((value(samples, "process_resident_memory_bytes", {}) ?? 0) > 10 * 2 ** 20);
    assert.ok(samples.some((s) => s.name.startsWith("nodejs_heap_size_used_bytes")));
    assert.equal(value(samples, "tsuki_unikernels", { state: "running" }), 0);
    assert.equal(samples.filter((s) => "name" in s.labels && s.name.startsWith("tsuki_")).length, 0);
  });

  test("per-unikernel series carry its name; counters move with requests", T, async () => {
    const info = await daemon.client.create({ name: "web", devices: ["web=tcp://127.0.0.1:0"], memoryMb: 40 }, hello);
    const one = scrape();
    const u = { name: "web", tenant: "" };
    const families: [string, string][] = [
      ["tsuki_unikernel_up", "gauge"],
      ["tsuki_unikernel_state", "gauge"],
      ["tsuki_unikernel_restarts_total", "counter"],
      ["tsuki_unikernel_cpu_seconds_total", "counter"],
      ["tsuki_unikernel_memory_used_bytes", "gauge"],
      ["tsuki_unikernel_memory_bytes", "gauge"],
      ["tsuki_unikernel_heap_used_bytes", "gauge"],
      ["tsuki_unikernel_heap_limit_bytes", "gauge"],
      ["tsuki_unikernel_memory_limit_bytes", "gauge"],
      ["tsuki_unikernel_connections", "gauge"],
      ["tsuki_unikernel_device_bytes_total", "counter"],
      ["tsuki_unikernel_device_connections_total", "counter"],
      ["tsuki_unikernel_console_lines_total", "counter"],
    ];
    for (const [family, type] of families) {
      // prom-client names a counter's family without _total in its TYPE line.
      assert.equal(one.types.get(family.replace(/_total$/, "")) ?? one.types.get(family), type, family);
    }
    assert.equal(value(one.samples, "tsuki_unikernel_up", u), 1);
    assert.equal(value(one.samples, "tsuki_unikernel_state", { ...u, state: "running" }), 1);
    assert.equal(value(one.samples, "tsuki_unikernels", { state: "running" }), 1);
    assert.equal(value(one.samples, "tsuki_unikernel_memory_limit_bytes", u), 40 * 2 ** 20);
    assert.ok((value(one.samples, "tsuki_unikernel_heap_used_bytes", u) ?? 0) > 0);
    const parts = ["heap", "external", "reserved"].map((part) => value(one.samples, "tsuki_unikernel_memory_bytes", { ...u, part }) ?? NaN);
    assert.equal(value(one.samples, "tsuki_unikernel_memory_used_bytes", u), parts[0]! + parts[1]! + parts[2]!);
    assert.equal(parts[0], value(one.samples, "tsuki_unikernel_heap_used_bytes", u));
    assert.ok((value(one.samples, "tsuki_unikernel_heap_limit_bytes", u) ?? 0) >= 40 * 2 ** 20);
    assert.equal(value(one.samples, "tsuki_unikernel_restarts_total", u), 0);
    assert.equal(value(one.samples, "tsuki_unikernel_console_lines_total", u), 1);
    const web = { ...u, device: "web", kind: "listener" };
    const cpu0 = value(one.samples, "tsuki_unikernel_cpu_seconds_total", u)!;
    const in0 = value(one.samples, "tsuki_unikernel_device_bytes_total", { ...web, direction: "in" })!;
    const out0 = value(one.samples, "tsuki_unikernel_device_bytes_total", { ...web, direction: "out" })!;
    const conn0 = value(one.samples, "tsuki_unikernel_device_connections_total", web)!;
    assert.ok(cpu0 > 0);

    for (let i = 0; i < 10; i++) {
      const res = await fetch(info.addresses.web!.replace(/^tcp:/, "http:") + "/", { headers: { connection: "close" } });
      assert.equal(await res.text(), "hello\n");
    }
    const two = scrape();
    assert.ok(value(two.samples, "tsuki_unikernel_cpu_seconds_total", u)! > cpu0);
    assert.ok(value(two.samples, "tsuki_unikernel_device_bytes_total", { ...web, direction: "in" })! >= in0 + 10 * 16);
    assert.ok(value(two.samples, "tsuki_unikernel_device_bytes_total", { ...web, direction: "out" })! >= out0 + 10 * 40);
    assert.equal(value(two.samples, "tsuki_unikernel_device_connections_total", web), conn0 + 10);
    assert.ok(value(two.samples, "process_cpu_seconds_total", {})! >= value(one.samples, "process_cpu_seconds_total", {})!);
  });

  test("counters keep growing across a restart; a destroyed unikernel's series are gone", T, async () => {
    const before = scrape();
    const info = await daemon.client.restart("web");
    assert.equal(await fetchText(info.addresses.web!), "hello\n");
    const after = scrape();
    const web = { name: "web", device: "web", kind: "listener" };
    assert.equal(value(after.samples, "tsuki_unikernel_device_connections_total", web), value(before.samples, "tsuki_unikernel_device_connections_total", web)! + 1);
    assert.ok(value(after.samples, "tsuki_unikernel_cpu_seconds_total", { name: "web" })! >= value(before.samples, "tsuki_unikernel_cpu_seconds_total", { name: "web" })!);
    assert.equal(value(after.samples, "tsuki_unikernel_console_lines_total", { name: "web" }), 2);
    await daemon.client.destroy("web");
    assert.equal(scrape().samples.filter((s) => s.labels.name === "web").length, 0);
  });

  test("answers 404 off /metrics", T, async () => {
    const res = await fetch(url.replace(/\/metrics$/, "/other"));
    assert.equal(res.status, 404);
    await res.text();
  });
});

describe("--metrics values", () => {
  test("an address that is not IP:PORT is ERR_FLAG_VALUE (exit 64)", T, async () => {
    for (const bad of ["9464", "localhost:9464", "127.0.0.1:65536", "::1:9464", "127.0.0.1:"]) {
      const r = await tsuki(["daemon", "--state", path.join(tempDir(), "s"), "--metrics", bad]);
      assert.equal(r.code, 64, `${bad}: ${r.stderr}`);
      assert.equal(errors(r.stderr)[0]?.[0], "ERR_FLAG_VALUE", r.stderr);
    }
  });

  test("an address in use is ERR_METRICS_LISTEN (exit 78), before anything boots", T, async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await tsuki(["daemon", "--state", path.join(tempDir(), "s"), "--metrics", `127.0.0.1:${port}`]);
      assert.equal(r.code, 78, r.stderr);
      assert.match(r.stderr, /^tsuki: error ERR_METRICS_LISTEN: --metrics 127\.0\.0\.1:\d+: cannot listen: the address is already in use/m);
      assert.doesNotMatch(r.stdout, /"event":"restored"/);
    } finally {
      busy.close();
    }
  });
});
