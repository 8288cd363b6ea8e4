/**
 * tsuki/tcpip inside a real unikernel, on a net device bound to a TAP, against the Linux kernel's own
 * stack in a network namespace each test makes: ARP both ways, ping (large and fragmented), TCP both
 * ways, curl against tsuki/http on the in-image stack, a gigabyte each way checked byte for byte,
 * transfers under netem loss, reordering and duplication, DHCP from dnsmasq, and the website example
 * on the direct stack. Needs root, /dev/net/tun and iproute2; dnsmasq, curl and tc tests skip
 * without their tool.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import { ROOT, processTargetUnavailable, stopChild, hasTool } from "../helpers.ts";
import { cleanup, netUnavailable } from "../netns.ts";
import { impair, impairUnavailable } from "./impair.ts";
import { FIXTURE, GUEST_ADDRESS, HOST_ADDRESS, type Link, buildFolder, link } from "./harness.ts";

const skip = netUnavailable();
/** Why the process target cannot run here (its sandbox's walls), or undefined. */
const processUnavailable = await processTargetUnavailable();
const GiB = 1_000_000_000;

describe("tsuki/tcpip against the Linux kernel over a TAP", { skip }, () => {
  let image: Image;
  const links: Link[] = [];
  before(async () => {
    image = await buildFolder(FIXTURE);
  });
  after(async () => {
    for (const l of links) await l.stop().catch(() => undefined);
    cleanup();
  });
  const open = async (options: Partial<Parameters<typeof link>[0]> = {}) => {
    const l = await link({ image, ...options });
    links.push(l);
    return l;
  };

  test("ARP both ways: the kernel resolves the guest's MAC, the guest resolves an address the kernel never announced", async () => {
    const l = await open();
    const r = await l.spawn("ping", ["-c", "2", "-i", "0.2", "-W", "2", GUEST_ADDRESS]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const mac = (l.lines.map((x) => x.text).find((t) => t.includes('"ready"')) ?? "").match(/"mac":"([0-9a-f:]+)"/)![1];
    const neighbours = JSON.parse(l.ns.ip("-j", "neigh", "show", "dev", l.tap)) as { dst: string; lladdr?: string }[];
    assert.ok(neighbours.some((n) => n.dst === GUEST_ADDRESS && n.lladdr === mac), JSON.stringify(neighbours));
    // A second address on the kernel's side: the guest has never heard of it, so it must ask.
    l.ns.ip("addr", "add", "10.0.0.3/24", "dev", l.tap);
    await l.command("ping 10.0.0.3");
    const ping = await l.event("ping");
    assert.equal(ping.error, undefined, JSON.stringify(ping));
    assert.equal(typeof ping.ms, "number");
  });

  test("ping from the kernel: small, 4,000 bytes and 30,000 bytes (fragmented by the kernel, reassembled and answered in fragments by the guest)", async () => {
    const l = await open();
    for (const size of [56, 4000, 30000]) {
      const r = await l.spawn("ping", ["-c", "3", "-i", "0.2", "-W", "2", "-s", String(size), GUEST_ADDRESS]);
      assert.equal(r.code, 0, `ping -s ${size}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /3 received/);
    }
  });

  test("UDP echo of 1 to 8,000 bytes (fragmented both ways), and port unreachable for a closed port", { skip: hasTool("socat") ? undefined : "socat is not installed" }, async () => {
    const l = await open();
    for (const size of [1, 1400, 8000]) {
      const payload = "x".repeat(size - 1) + "\n";
      const r = await l.spawn("bash", ["-c", `printf '%s' "$1" | socat -T 3 - UDP:${GUEST_ADDRESS}:7`, "udp", payload]);
      assert.equal(r.stdout, payload, `${size} bytes: ${r.stderr}`);
    }
    const closed = await l.spawn("bash", ["-c", `echo hi | socat -T 3 - UDP:${GUEST_ADDRESS}:9999`]);
    assert.notEqual(closed.code, 0);
    assert.match(closed.stderr, /Connection refused/);
  });

  test("curl fetches from tsuki/http on the in-image stack (kernel → guest TCP)", { skip: hasTool("curl") ? undefined : "curl is not installed" }, async () => {
    const l = await open();
    const r = await l.spawn("curl", ["-sS", "--max-time", "10", `http://${GUEST_ADDRESS}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "hello from tsuki/tcpip\n");
    const big = await l.spawn("bash", ["-c", `curl -sS --max-time 20 "http://${GUEST_ADDRESS}/bytes?n=5000000" | wc -c`]);
    assert.equal(big.stdout.trim(), "5000000", big.stderr);
  });

  test("the guest connects out to a Linux socket (guest → kernel TCP) and the kernel reads every byte", async () => {
    const l = await open();
    const peer = l.peer("recv", "7000");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await l.command(`connect ${HOST_ADDRESS}:7000 3000000`);
    const [events, sent] = await Promise.all([peer, l.event("sent")]);
    assert.equal(sent.error, undefined, JSON.stringify(sent));
    const received = events.find((e) => e.event === "received")!;
    assert.deepEqual([received.bytes, received.mismatch], [3_000_000, -1]);
  });

  test("a connection to a port nobody listens on is refused both ways", async () => {
    const l = await open();
    await l.command(`connect ${HOST_ADDRESS}:7999 10`);
    const sent = await l.event("sent");
    assert.equal(sent.code, "ECONNREFUSED", JSON.stringify(sent));
    const events = await l.peer("read", GUEST_ADDRESS, "7998").catch((error: Error) => [{ event: "error", message: error.message }]);
    assert.match(JSON.stringify(events), /ECONNREFUSED/);
  });

  test("Linux's abortive close (a RST) ends the guest's connection with ECONNRESET, and the stack goes on serving", { skip: hasTool("curl") ? undefined : "curl is not installed" }, async () => {
    const l = await open();
    await l.peer("reset", GUEST_ADDRESS, "7");
    const failed = await l.event("echo-error");
    assert.equal(failed.code, "ECONNRESET", JSON.stringify(failed));
    const r = await l.spawn("curl", ["-sS", "--max-time", "10", `http://${GUEST_ADDRESS}/`]);
    assert.equal(r.stdout, "hello from tsuki/tcpip\n", r.stderr);
  });

  test("1 GB from the kernel to the guest, checked byte for byte", async () => {
    const l = await open();
    const [events, sink] = await Promise.all([l.peer("send", GUEST_ADDRESS, "9000", String(GiB)), l.event("sink", 110_000)]);
    assert.deepEqual([sink.bytes, sink.mismatch], [GiB, -1], JSON.stringify(sink));
    const sent = events.find((e) => e.event === "sent")!;
    process.stdout.write(`# kernel → guest: 1 GB in ${Math.round(sent.ms as number)} ms, ${((GiB * 8) / (sent.ms as number) / 1e6).toFixed(2)} Gbit/s\n`);
  });

  test("1 GB from the guest to the kernel, checked byte for byte", async () => {
    const l = await open({ args: { sourceBytes: GiB } });
    const events = await l.peer("read", GUEST_ADDRESS, "9001");
    const read = events.find((e) => e.event === "read")!;
    assert.deepEqual([read.bytes, read.mismatch], [GiB, -1], JSON.stringify(read));
    process.stdout.write(`# guest → kernel: 1 GB in ${Math.round(read.ms as number)} ms, ${((GiB * 8) / (read.ms as number) / 1e6).toFixed(2)} Gbit/s\n`);
  });

  test("transfers complete and verify under loss, reordering and duplication (both directions)", { skip: impairUnavailable() }, async () => {
    const l = await open({ args: { sourceBytes: 20_000_000 } });
    const { method } = impair(l.ns, l.tap);
    process.stdout.write(`# link impaired with ${method}\n`);
    const [events, sink] = await Promise.all([l.peer("send", GUEST_ADDRESS, "9000", "20000000"), l.event("sink", 110_000)]);
    assert.deepEqual([sink.bytes, sink.mismatch], [20_000_000, -1], JSON.stringify(sink));
    assert.ok(events.some((e) => e.event === "sent"));
    const read = (await l.peer("read", GUEST_ADDRESS, "9001")).find((e) => e.event === "read")!;
    assert.deepEqual([read.bytes, read.mismatch], [20_000_000, -1], JSON.stringify(read));
    // The link did misbehave: the guest saw segments out of order and had to retransmit.
    await l.command("stats");
    const { tcp } = (await l.event("stats")) as unknown as { tcp: { outOfOrderSegments: number; retransmits: number } };
    assert.ok(tcp.outOfOrderSegments > 0 && tcp.retransmits > 0, JSON.stringify(tcp));
  });

  test("DHCP from dnsmasq: the guest ends with the address dnsmasq leased it", { skip: hasTool("dnsmasq") ? undefined : "dnsmasq is not installed (Debian: dnsmasq-base)" }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tsuki-dhcp-"));
    const leases = path.join(dir, "leases");
    let dnsmasq: ChildProcess | undefined;
    let log = "";
    const l = await open({
      args: { address: "dhcp" },
      readyEvent: null,
      afterAdopt: (ns, tap) => {
        dnsmasq = spawn("ip", ["netns", "exec", ns.name, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", `--interface=${tap}`, "--bind-interfaces", "--port=0", "--dhcp-range=10.0.0.50,10.0.0.99,255.255.255.0,2m", `--dhcp-leasefile=${leases}`, "--dhcp-authoritative", "--log-dhcp"], { stdio: ["ignore", "pipe", "pipe"] });
        dnsmasq.stdout!.setEncoding("utf8").on("data", (d: string) => (log += d));
        dnsmasq.stderr!.setEncoding("utf8").on("data", (d: string) => (log += d));
      },
    });
    try {
      const bound = await l.event("bound", 40_000).catch((error: Error) => assert.fail(`${error.message}\ndnsmasq said:\n${log}`));
      assert.match(String(bound.address), /^10\.0\.0\.(5\d|[6-9]\d)$/);
      const ready = await l.event("ready");
      const lease = readFileSync(leases, "utf8").trim().split(" ");
      assert.equal(lease[1], ready.mac);
      assert.equal(lease[2], bound.address);
      const r = await l.spawn("ping", ["-c", "1", "-W", "2", String(bound.address)]);
      assert.equal(r.code, 0, r.stdout);
    } finally {
      if (dnsmasq) await stopChild(dnsmasq);
    }
  });

  test("the process target runs the same stack: curl gets its answer", { skip: processUnavailable ?? (hasTool("curl") ? undefined : "curl is not installed") }, async () => {
    const l = await open({ target: "process" });
    const r = await l.spawn("curl", ["-sS", "--max-time", "10", `http://${GUEST_ADDRESS}/`]);
    assert.equal(r.stdout, "hello from tsuki/tcpip\n", r.stderr);
  });

  test("examples/website serves the same bytes on the direct stack as on the host's sockets", { skip: hasTool("curl") ? undefined : "curl is not installed" }, async () => {
    const website = await buildFolder(path.join(ROOT, "examples/website"));
    const l = await open({ image: website, args: { address: `${GUEST_ADDRESS}/24`, port: 80 }, readyEvent: null });
    for (let i = 0; i < 500 && !l.lines.some((x) => x.text.includes("over the in-image TCP/IP stack")); i++) await new Promise((r) => setTimeout(r, 10));
    const r = await l.spawn("curl", ["-sS", "-D", "-", "--max-time", "10", `http://${GUEST_ADDRESS}/`]);
    assert.equal(r.code, 0, r.stderr + l.lines.map((x) => x.text).join("\n"));
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK/);
    const page = readFileSync(path.join(ROOT, "examples/website/site/index.html"), "utf8");
    assert.ok(r.stdout.endsWith(page), "the body is site/index.html");
  });
});
