/**
 * tsuki/dns in a real unikernel: an image built through the real build, embedding a zone as an
 * asset, booted on the isolate target with a udp() and a listener() device, serving with
 * serveUdp and serveTcp, and queried by dig (spawned asynchronously) over UDP and TCP, including
 * a TCP connection with pipelined queries and the idle timeout.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { connect, createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { decodeMessage, RRType } from "../../../../src/guest/lib/dns/index.ts";
import type { Unikernel } from "../../../../src/host/tender/unikernel.ts";
import { buildSource, testTender } from "../../../helpers.ts";
import { EXAMPLE_COM, EXAMPLE_NET, query } from "./fixtures.ts";

const HAS_DIG = spawnSync("sh", ["-c", "command -v dig"]).status === 0;
const NO_DIG = HAS_DIG ? undefined : "dig is not installed (apt-get install bind9-dnsutils)";

const SOURCE = `import { listener, udp, unikernel } from "tsuki";
import { Authority, parseZone, serveTcp, serveUdp } from "tsuki/dns";
export default unikernel({
  devices: { udp: udp(), tcp: listener() },
  assets: "zones",
  async start({ udp, tcp, assets, console }) {
    const zones = assets.list().map((entry) => parseZone(assets.text(entry.path) ?? "", { file: entry.path }));
    const authority = new Authority(zones, { allowTransfer: (address) => address === "127.0.0.1" });
    console.log("serving", zones.map((z) => z.origin).join(" "));
    await Promise.all([serveUdp(udp, authority), serveTcp(tcp, authority, { idleTimeoutMs: 300 })]);
  },
});`;

let unikernel: Unikernel;
let lines: { text: string }[];
let udpPort = 0;
let tcpPort = 0;

before(async () => {
  const image = await buildSource(SOURCE, { "zones/example.com.zone": EXAMPLE_COM, "zones/example.net.zone": EXAMPLE_NET });
  const booted = testTender("isolate");
  lines = booted.lines;
  // One port number for both, as a DNS server has, so that dig's retry over TCP after TC finds it.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  unikernel = await booted.tender.boot(image, { bindings: [{ name: "udp", uri: `udp://127.0.0.1:${port}` }, { name: "tcp", uri: `tcp://127.0.0.1:${port}` }] });
  udpPort = unikernel.addresses.udp!.port;
  tcpPort = unikernel.addresses.tcp!.port;
});

after(async () => {
  unikernel?.stop();
  await unikernel?.exited;
});

function dig(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("dig", ["@127.0.0.1", "+tries=1", "+time=3", "+norec", ...args]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (out += c));
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

describe("a DNS server unikernel on the isolate target", () => {
  test("it boots and says which zones it serves", async () => {
    for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines[0]?.text, "serving example.com. example.net.");
  });

  test("dig over UDP: an answer with authority and additional data, the question's case echoed", { skip: NO_DIG }, async () => {
    const out = await dig("-p", String(udpPort), "Www.Example.COM", "A");
    assert.match(out, /status: NOERROR/);
    assert.match(out, /flags: qr aa; QUERY: 1, ANSWER: 2, AUTHORITY: 2, ADDITIONAL: 3/);
    assert.match(out, /Www\.Example\.COM\.\s+3600\s+IN\s+CNAME\s+web\.Example\.COM\./);
    assert.match(out, /ns1\.Example\.COM\.\s+3600\s+IN\s+AAAA\s+2001:db8::53/);
    assert.match(out, /\(UDP\)/);
  });

  test("dig over UDP without EDNS gets TC and retries over TCP by itself", { skip: NO_DIG }, async () => {
    const out = await dig("-p", String(udpPort), "big.example.com", "TXT", "+noedns");
    assert.match(out, /Truncated, retrying in TCP mode/);
    assert.match(out, /ANSWER: 5/);
  });

  test("dig over TCP, NXDOMAIN and a referral, and an AXFR", { skip: NO_DIG }, async () => {
    const nx = await dig("-p", String(tcpPort), "+tcp", "nothere.example.com", "A");
    assert.match(nx, /status: NXDOMAIN/);
    assert.match(nx, /\(TCP\)/);
    const referral = await dig("-p", String(tcpPort), "+tcp", "foo.sub.example.com", "A");
    assert.match(referral, /flags: qr; QUERY: 1, ANSWER: 0, AUTHORITY: 2, ADDITIONAL: 2/);
    const axfr = await dig("-p", String(tcpPort), "example.com", "AXFR");
    assert.match(axfr, /XFR size: \d+ records \(messages 1/);
  });

  test("pipelined queries on one connection are all answered, in order; an idle connection is closed", async () => {
    const socket = connect(tcpPort, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    const frames = [1, 2, 3].map((id) => {
      const q = query(["web.example.com.", "mail.example.com.", "nothere.example.com."][id - 1]!, RRType.A, { id });
      return Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    });
    const chunks: Buffer[] = [];
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on("close", () => resolve(Date.now() - started));
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.write(Buffer.concat(frames));
    const lasted = await closed;
    let data = Buffer.concat(chunks);
    const ids: number[] = [];
    while (data.length >= 2) {
      const length = data.readUInt16BE(0);
      const message = decodeMessage(new Uint8Array(data.subarray(2, 2 + length)));
      ids.push(message.id);
      data = data.subarray(2 + length);
    }
    assert.deepEqual(ids, [1, 2, 3]);
    assert.ok(lasted >= 250 && lasted < 3000, `closed after ${lasted} ms`);
  });
});
