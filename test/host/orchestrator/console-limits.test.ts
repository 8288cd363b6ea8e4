/**
 * Console limits in tsukid: a create request's `console` limits reach the tender, a flood past
 * them is dropped and counted (stats, metrics, one notice from the tender in the ring), tenants
 * may lower the limits but not raise them, and a control thread that falls behind its tender
 * thread's console lines costs at most CONSOLE_IN_FLIGHT: past it the lines are dropped and
 * counted as backlog. A `Daemon` in this process, so that the test can hold its control thread.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { Daemon } from "../../../src/host/orchestrator/control/daemon.ts";
import { EventLog } from "../../../src/host/orchestrator/store/event-log.ts";
import { tsukidRegistry } from "../../../src/host/orchestrator/metrics/metrics.ts";
import { parseSpec } from "../../../src/host/orchestrator/model/spec.ts";
import { type Tenant, admit } from "../../../src/host/orchestrator/control/tenants.ts";
import { CONSOLE_IN_FLIGHT } from "../../../src/host/orchestrator/supervision/tender-protocol.ts";
import { tempDir } from "../../helpers.ts";
import { sourceImage } from "./harness.ts";
import { POLICY } from "./pki.ts";

const T = { timeout: 60_000 };
const acme: Tenant = { path: ["acme"], policies: [POLICY], client: "acme-client" };
/** Writes `n` lines of `size` characters in each turn, `turns` times, then waits for ever. */
const FLOOD = `import { unikernel } from "tsuki";
export default unikernel({ async start({ args }) {
  const line = "x".repeat(args.size);
  for (let t = 0; t < args.turns; t++) {
    for (let i = 0; i < args.n; i++) console.log(line);
    await new Promise((r) => setTimeout(r, 1));
  }
  console.log("done");
  setInterval(() => {}, 1000);
} });`;

let daemon: Daemon;
let sha: string;
let image: Uint8Array;

before(async () => {
  image = await sourceImage("flood", FLOOD);
  daemon = new Daemon({ stateDir: path.join(tempDir("tsukid-console-"), "state"), log: new EventLog(path.join(tempDir(), "events.log")) });
  await daemon.restore();
  sha = daemon.registry.add("", image).sha256;
  daemon.registry.add("acme", image);
});
after(async () => {
  await daemon.shutdown();
});

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const found = await check();
    if (found !== undefined) return found;
  }
  throw new Error(`timed out waiting: ${what}`);
}

test("a create's console limits reach the tender: a flood past them is dropped, counted in stats and metrics, and told once in the ring", T, async () => {
  const info = await daemon.create(parseSpec({ name: "chatty", image: sha, memoryMb: 32, console: { rate: 100, burst: 200 }, args: { n: 5000, size: 10, turns: 2 } }));
  assert.deepEqual(info.console, { rate: 100, burst: 200 });
  const instance = daemon.get("chatty");
  const stats = await until("the notice", async () => {
    const s = await instance.stats();
    return instance.ring.history().some((l) => l.tender) ? s : undefined;
  });
  assert.ok(stats.console.rateDropped >= 9_700, JSON.stringify(stats.console));
  assert.ok(stats.console.rateDropped <= 9_800, "the burst and the rate went through");
  assert.equal(stats.console.backlogDropped, 0);
  assert.deepEqual(stats.console.limits, { rate: 100, burst: 200 });
  const notice = instance.ring.history().find((l) => l.tender)!;
  assert.match(notice.text, /^tsuki: [\d,]+ console lines of chatty dropped \(rate 100\/s, burst 200\)$/);
  assert.equal(notice.stream, 2);

  const prom = await import("prom-client");
  const metrics = await tsukidRegistry(prom.default as never, { instances: () => daemon.list().map((i) => daemon.get(i.name)) }, { defaultMetrics: false }).getMetricsAsJSON();
  const dropped = metrics.find((m) => m.name === "tsuki_unikernel_console_dropped_total")!.values as { labels: Record<string, string>; value: number }[];
  const by = (reason: string) => dropped.find((v) => v.labels.name === "chatty" && v.labels.reason === reason)?.value;
  assert.ok(by("rate")! >= 9_700);
  assert.equal(by("backlog"), 0);
  await daemon.destroy("chatty");
});

test("a tenant may lower its console limits but not raise them", T, async () => {
  const tenantAdmit = (s: Parameters<typeof admit>[1], m: Parameters<typeof admit>[2], o: Parameters<typeof admit>[3], f: Parameters<typeof admit>[4]) => admit(acme, s, m, o, f);
  daemon.registry.add("acme", image);
  const spec = (name: string, console: object) => parseSpec({ name, image: sha, memoryMb: 32, console, args: { n: 1, size: 1, turns: 1 } });
  await assert.rejects(daemon.create(spec("acme/loud", { rate: 50_001 }), tenantAdmit, acme), { code: "ERR_POLICY_DENIED", message: /--console-rate 50001 is more than a tenant may ask for: give --console-rate 50000 or less/ });
  await assert.rejects(daemon.create(spec("acme/bursty", { burst: 100_001 }), tenantAdmit, acme), { code: "ERR_POLICY_DENIED", message: /--console-burst 100001/ });
  const quiet = await daemon.create(spec("acme/quiet", { rate: 10 }), tenantAdmit, acme);
  assert.deepEqual(quiet.console, { rate: 10, burst: 20 });
  await daemon.destroy("acme/quiet");
});

test("console limits in a create request are checked field by field", () => {
  const spec = (console: unknown) => () => parseSpec({ name: "x", image: "0".repeat(64), console });
  assert.throws(spec({ rate: 0 }), { code: "ERR_REQUEST_VALUE", message: /console.rate 0 is out of range: give 1–1000000 lines a second/ });
  assert.throws(spec({ burst: 1.5 }), { code: "ERR_REQUEST_MALFORMED", message: /console.burst must be a whole number/ });
  assert.throws(spec({ rates: 1 }), { code: "ERR_REQUEST_MALFORMED", message: /unknown key "rates" in console/ });
  assert.throws(spec([1]), { code: "ERR_REQUEST_MALFORMED" });
  assert.deepEqual(parseSpec({ name: "x", image: "0".repeat(64) }).console, undefined);
});

test("a control thread that falls behind costs at most CONSOLE_IN_FLIGHT of lines: the rest are dropped as backlog and counted", T, async () => {
  // 1 KiB lines, as fast as the guest can write them, with limits far above. (The daemon dropped the image with its last user.)
  daemon.registry.add("", image);
  await daemon.create(parseSpec({ name: "firehose", image: sha, memoryMb: 64, console: { rate: 1_000_000, burst: 10_000_000 }, args: { n: 2000, size: 1024, turns: 400 } }));
  const instance = daemon.get("firehose");
  // Hold this (the control) thread while the tender thread floods: its lines can only pile up.
  const rss = process.memoryUsage.rss();
  for (const end = Date.now() + 1500; Date.now() < end; );
  const grown = process.memoryUsage.rss() - rss;
  await until("the flood to end", () => (instance.ring.history().some((l) => l.text === "done") ? true : undefined), 40_000);
  const stats = await instance.stats();
  assert.ok(stats.console.backlogDropped > 0, JSON.stringify(stats.console));
  // Every line is accounted for: in the ring (with the notices), or dropped.
  assert.ok(instance.ring.total + stats.console.backlogDropped >= 2000 * 400 + 1, JSON.stringify(stats.console));
  // The lines on their way while the thread was held: at most CONSOLE_IN_FLIGHT (and the guest's heap, 64 MiB at most).
  assert.ok(grown < CONSOLE_IN_FLIGHT + 96 * 2 ** 20, `grew ${(grown / 2 ** 20).toFixed(1)} MiB while held`);
  await daemon.destroy("firehose");
});
