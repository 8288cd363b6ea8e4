/**
 * examples/dns as an operator meets it: its run configuration, both images (zones embedded, and
 * zones in a tar archive on a block device), the boot refused with the file, line and column when
 * a zone file is wrong (a syntax error, no SOA, data outside the zone, glue outside the zone), and
 * zone transfers only to the addresses `allowTransfer` names. Answers are checked with raw packets
 * from node:dgram and node:net; the comparison with a reference server is dns-conformance.test.ts.
 */

import assert from "node:assert/strict";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import { loadRunConfig } from "../../src/host/config/index.ts";
import { type Child, finished, tsuki } from "../cli/spawn.ts";
import { ROOT, tempDir } from "../helpers.ts";
import { startExample } from "./dns/example.ts";
import { RCODES, query, tcpExchange, udpExchange } from "./dns/packets.ts";
import { freePort, hasCommand } from "./dns/reference.ts";

const EXAMPLE = path.join(ROOT, "examples/dns");
const NO_TAR = hasCommand("tar") ? false : "tar is not installed: the block-device tests write their zones with it";

let embedded: string;
let fromBlock: string;
const running = new Set<Child>();

before(async () => {
  const dir = tempDir();
  embedded = (await buildImage(EXAMPLE, { out: path.join(dir, "dns.tsuki") })).image;
  fromBlock = (await buildImage(path.join(EXAMPLE, "from-block"), { out: path.join(dir, "dns-block.tsuki") })).image;
});

after(async () => {
  for (const child of running) child.kill("SIGKILL");
});

async function serve(image: string, extra: readonly string[] = []): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = await startExample(image, port, extra);
  running.add(child);
  child.on("close", () => running.delete(child));
  return { child, port };
}

async function stop(child: Child): Promise<void> {
  child.kill("SIGTERM");
  await finished(child);
}

/** A tar archive of `files` (name → text), written with the system's tar, as an operator would. */
async function tarOf(files: Record<string, string>): Promise<string> {
  const dir = tempDir("tsuki-dns-zones-");
  const zones = path.join(dir, "zones");
  mkdirSync(zones);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(zones, name), text);
  const archive = path.join(dir, "zones.tar");
  const { spawn } = await import("node:child_process");
  await new Promise<void>((resolve, reject) => {
    const child = spawn("tar", ["-cf", archive, "-C", zones, "."], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
  });
  return archive;
}

const GOOD_SOA = "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ 3600 IN NS ns1\nns1 3600 IN A 192.0.2.53\n";

describe("examples/dns", () => {
  test("its run configuration binds the udp device and the listener on 127.0.0.1:5353 and allows AXFR to 127.0.0.1", () => {
    const config = loadRunConfig(path.join(EXAMPLE, "run.yaml"));
    assert.deepEqual(
      config.devices.map((b) => [b.name, b.uri]),
      [
        ["udp", "udp://127.0.0.1:5353"],
        ["tcp", "tcp://127.0.0.1:5353"],
      ],
    );
    assert.deepEqual(config.args, { allowTransfer: "127.0.0.1" });
  });

  test("the two images declare exactly the devices they use", async () => {
    const { readImage } = await import("../../src/host/image/image.ts");
    const { readFileSync } = await import("node:fs");
    const a = readImage(readFileSync(embedded)).manifest;
    const b = readImage(readFileSync(fromBlock)).manifest;
    assert.deepEqual(a.devices, { tcp: { kind: "listener" }, udp: { kind: "udp" } });
    assert.deepEqual(
      a.assets.map((asset) => asset.path),
      ["2.0.192.in-addr.arpa.zone", "example.com.zone", "example.org.zone"],
    );
    assert.deepEqual(b.devices, { tcp: { kind: "listener" }, udp: { kind: "udp" }, zones: { kind: "block" } });
    assert.deepEqual(b.assets, []);
  });

  test("it logs its zones with their serials, and answers over UDP and TCP", async () => {
    const { child, port } = await serve(embedded);
    try {
      assert.match(child.stdoutText(), /serving 3 zones: .*example\.com\. \(serial 2024112201\).*example\.org\. \(serial 7\)/);
      const udp = await udpExchange(port, query("www.example.com"));
      assert.deepEqual([udp?.rcode, udp?.aa, udp?.an], [0, true, 2]);
      const tcp = await tcpExchange(port, query("www.example.org", 28), { count: 1 });
      assert.deepEqual([tcp.replies[0]?.rcode, tcp.replies[0]?.an], [0, 1]);
    } finally {
      await stop(child);
    }
  });

  test("without allowTransfer, AXFR is refused; with it, only the addresses named get the zone", async () => {
    const closed = await serve(embedded);
    try {
      const refused = await tcpExchange(closed.port, query("example.com", 252), { count: 1 });
      assert.equal(RCODES[refused.replies[0]?.rcode ?? -1], "REFUSED");
    } finally {
      await stop(closed.child);
    }
    const open = await serve(embedded, ["--arg", "allowTransfer=192.0.2.1, 127.0.0.1"]);
    try {
      assert.match(open.child.stdoutText(), /AXFR to 192\.0\.2\.1, 127\.0\.0\.1/);
      const transfer = await tcpExchange(open.port, query("example.org", 252), { ms: 3000 });
      assert.ok(transfer.replies.length >= 1);
      assert.equal(transfer.replies[0]!.rcode, 0);
      // SOA, the other 9 records of example.org, SOA.
      assert.equal(transfer.replies.reduce((n, r) => n + r.an, 0), 11);
    } finally {
      await stop(open.child);
    }
  });

  test("allowTransfer that is not addresses stops the boot with a message", async () => {
    const ran = await tsuki(["run", embedded, "--dev", "udp=udp://127.0.0.1:0", "--dev", "tcp=tcp://127.0.0.1:0", "--arg", "allowTransfer=42"]);
    assert.notEqual(ran.code, 0);
    assert.match(ran.stdout + ran.stderr, /allowTransfer/);
  });

  test("a zone file with a syntax error in the image: the server does not start, and says where", async () => {
    const dir = path.join(tempDir(), "dns");
    cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}dist`) });
    writeFileSync(path.join(dir, "zones/broken.test.zone"), `$TTL 300\n${GOOD_SOA}www IN A 192.0.2.300\n`);
    const ran = await tsuki(["run", dir, "--dev", "udp=udp://127.0.0.1:0", "--dev", "tcp=tcp://127.0.0.1:0"]);
    assert.equal(ran.code, 1, ran.stdout + ran.stderr);
    assert.match(ran.stdout + ran.stderr, /zones\/broken\.test\.zone:5:\d+: /);
    assert.doesNotMatch(ran.stdout, /serving/);
  });
});

describe("examples/dns/from-block: the zones in a tar archive on a block device", { skip: NO_TAR }, () => {
  test("the same zones from a tar archive answer as the embedded ones", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const files = Object.fromEntries(readdirSync(path.join(EXAMPLE, "zones")).map((name) => [name, readFileSync(path.join(EXAMPLE, "zones", name), "utf8")]));
    const archive = await tarOf(files);
    const { child, port } = await serve(fromBlock, ["--dev", `zones=file:${archive}`]);
    try {
      assert.match(child.stdoutText(), /serving 3 zones: /);
      for (const [name, type, an] of [
        ["10.2.0.192.in-addr.arpa", 12, 1],
        ["www.example.com", 1, 2],
        ["example.org", 6, 1],
      ] as const) {
        const answer = await udpExchange(port, query(name, type));
        assert.deepEqual([answer?.rcode, answer?.aa, answer?.an], [0, true, an], `${name} ${type}`);
      }
    } finally {
      await stop(child);
    }
  });

  const cases: [what: string, file: string, text: string, where: RegExp][] = [
    ["a syntax error (an IPv4 address out of range)", "bad.test.zone", `$TTL 300\n${GOOD_SOA}www IN A 192.0.2.300\n`, /zones:bad\.test\.zone:5:\d+: /],
    ["an unknown type", "bad.test.zone", `$TTL 300\n${GOOD_SOA}www IN BOGUS 1\n`, /zones:bad\.test\.zone:5:\d+: /],
    ["an unterminated parenthesis", "bad.test.zone", `$TTL 300\n@ IN SOA ns1 hostmaster ( 1 2 3 4 5\n`, /zones:bad\.test\.zone:\d+:\d+: /],
    ["no SOA record", "nosoa.test.zone", "$TTL 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n", /zones:nosoa\.test\.zone:\d+:\d+: .*SOA/i],
    ["data outside the zone", "oz.test.zone", `$TTL 300\n${GOOD_SOA}www.example.net. IN A 192.0.2.9\n`, /zones:oz\.test\.zone:5:\d+: /],
    ["glue outside the zone", "glue.test.zone", `$TTL 300\n${GOOD_SOA}sub IN NS ns.other.example.\nns.other.example. IN A 192.0.2.9\n`, /zones:glue\.test\.zone:6:\d+: /],
  ];
  for (const [what, file, text, where] of cases) {
    test(`${what}: the server does not start, and names the file, line and column`, async () => {
      const archive = await tarOf({ [file]: text });
      const ran = await tsuki(["run", fromBlock, "--dev", `zones=file:${archive}`, "--dev", "udp=udp://127.0.0.1:0", "--dev", "tcp=tcp://127.0.0.1:0"]);
      assert.equal(ran.code, 1, ran.stdout + ran.stderr);
      assert.match(ran.stdout + ran.stderr, where);
      assert.doesNotMatch(ran.stdout, /serving/);
    });
  }

  test("a device that does not hold a tar archive stops the boot with a message", async () => {
    const file = path.join(tempDir(), "zeros.img");
    writeFileSync(file, new Uint8Array(4096).fill(7));
    const ran = await tsuki(["run", fromBlock, "--dev", `zones=file:${file}`, "--dev", "udp=udp://127.0.0.1:0", "--dev", "tcp=tcp://127.0.0.1:0"]);
    assert.equal(ran.code, 1);
    assert.match(ran.stdout + ran.stderr, /device "zones": .*tar/);
  });
});
