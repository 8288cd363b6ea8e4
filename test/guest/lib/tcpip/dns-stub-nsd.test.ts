/**
 * The DNS stub resolver end to end: a unikernel built through the real build, booted on the isolate
 * target, whose `Resolver` runs over its udp device bound with a fixed peer
 * (`udp://127.0.0.1:0?peer=127.0.0.1:PORT`), against NSD, a reference server we did not write,
 * serving a zone on loopback. A records, a CNAME chain, NXDOMAIN, NODATA; a silent peer for the
 * timeout; and a man in the middle that sends a forged answer with the wrong ID ahead of NSD's
 * real one, which the resolver must ignore.
 */

import assert from "node:assert/strict";
import { type Socket, createSocket } from "node:dgram";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Image } from "../../../../src/host/image/image.ts";
import type { Unikernel } from "../../../../src/host/tender/unikernel.ts";
import { ROOT, buildSource, tempDir, testTender } from "../../../helpers.ts";
import { NSD, type Server, answering, freePort, startNsd } from "../../../examples/dns/reference.ts";

const ZONE = `$ORIGIN example.test.
$TTL 300
@      IN SOA ns1 hostmaster 1 3600 900 604800 300
@      IN NS  ns1
ns1    IN A   127.0.0.1
www    IN A   192.0.2.10
www    IN A   192.0.2.11
alias  IN CNAME hop
hop    IN CNAME www
txt    IN TXT "only text here"
`;

/**
 * The resolver as a unikernel imports it: `tsuki/tcpip` once the library's index exports it, else
 * its module directly (the build resolves an absolute path like any other import).
 */
const INDEX = path.join(ROOT, "src/guest/lib/tcpip/index.ts");
const IMPORT = existsSync(INDEX) && /\bResolver\b/.test(readFileSync(INDEX, "utf8")) ? "tsuki/tcpip" : path.join(ROOT, "src/guest/lib/tcpip/dns-stub.ts");

/** Runs `args.calls` (lookup or resolve) one after the other and prints one JSON line with every outcome. */
const GUEST = `import { unikernel, udp } from "tsuki";
import { Resolver } from ${JSON.stringify(IMPORT)};
export default unikernel({
  devices: { dns: udp() },
  async start({ dns, args, exit }) {
    const resolver = new Resolver({ udp: dns, timeout: args.timeout, attempts: args.attempts });
    const results = [];
    for (const call of JSON.parse(args.calls)) {
      const started = performance.now();
      try {
        const value = call.op === "lookup" ? await resolver.lookup(call.name, { family: call.family }) : (await resolver.resolve(call.name, call.type)).map((rr) => rr.data);
        results.push({ ok: value, ms: performance.now() - started });
      } catch (error) {
        results.push({ code: error.code, message: error.message, ms: performance.now() - started });
      }
    }
    console.log(JSON.stringify({ results, stats: resolver.stats }));
    exit(0);
  },
});`;

type Call = { op: "lookup"; name: string; family?: 4 | 6 } | { op: "resolve"; name: string; type: string };
interface Outcome {
  ok?: unknown;
  code?: string;
  message?: string;
  ms: number;
}

const skip = NSD ? undefined : "nsd is not installed (apt-get install nsd)";
let image: Image;
let nsd: Server | undefined;
const live: Unikernel[] = [];
const sockets: Socket[] = [];

before(async () => {
  if (skip) return;
  image = await buildSource(GUEST);
  const dir = tempDir("tsuki-dns-stub-nsd-");
  const file = path.join(dir, "example.test.zone");
  writeFileSync(file, ZONE);
  nsd = startNsd({ port: await freePort(), dir, zones: [{ origin: "example.test.", file }] });
  await answering(nsd, "example.test.");
});

after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
  for (const s of sockets) s.close();
  await nsd?.stop();
});

/** Boots the resolver unikernel with its udp device's peer at `port`, runs `calls`, returns what it printed. */
async function run(port: number, calls: Call[], options: { timeout?: number; attempts?: number } = {}): Promise<{ results: Outcome[]; stats: Record<string, number> }> {
  const { tender, lines } = testTender("isolate");
  const unikernel = await tender.boot(image, {
    bindings: [{ name: "dns", uri: `udp://127.0.0.1:0?peer=127.0.0.1:${port}` }],
    args: { calls: JSON.stringify(calls), timeout: options.timeout ?? 1000, attempts: options.attempts ?? 2 },
  });
  live.push(unikernel);
  const status = await unikernel.exited;
  const out = lines.filter((l) => l.stream === 1).map((l) => l.text);
  assert.equal(status.code, 0, `the unikernel ended with ${JSON.stringify(status)}: ${lines.map((l) => l.text).join("\n")}`);
  return JSON.parse(out.at(-1)!);
}

async function udpSocket(): Promise<Socket> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

describe("DNS stub resolver in a unikernel, against NSD", { skip }, () => {
  test("A records, a CNAME chain, NXDOMAIN, NODATA and raw TXT records", async () => {
    const { results, stats } = await run(nsd!.port, [
      { op: "lookup", name: "www.example.test" },
      { op: "lookup", name: "alias.example.test" },
      { op: "lookup", name: "nothere.example.test" },
      { op: "lookup", name: "txt.example.test" },
      { op: "resolve", name: "txt.example.test", type: "TXT" },
      { op: "lookup", name: "www.example.test", family: 6 },
    ]);
    assert.deepEqual((results[0]!.ok as string[]).sort(), ["192.0.2.10", "192.0.2.11"]);
    assert.deepEqual((results[1]!.ok as string[]).sort(), ["192.0.2.10", "192.0.2.11"]);
    assert.equal(results[2]!.code, "ENOTFOUND");
    assert.match(results[2]!.message!, /^queryA ENOTFOUND nothere\.example\.test/);
    assert.equal(results[3]!.code, "ENODATA");
    assert.equal((results[4]!.ok as unknown[]).length, 1);
    assert.equal(results[5]!.code, "ENODATA");
    assert.equal(stats.sent, 6);
    assert.equal(stats.unmatched, 0);
  });

  test("a name outside NSD's zones is REFUSED: EREFUSED after asking again", async () => {
    const { results, stats } = await run(nsd!.port, [{ op: "lookup", name: "www.example.org" }]);
    assert.equal(results[0]!.code, "EREFUSED");
    assert.equal(stats.sent, 2);
  });

  test("a silent server: ETIMEOUT after the tries, 150 + 300 ms", async () => {
    const silent = await udpSocket();
    let queries = 0;
    silent.on("message", () => queries++);
    const { results, stats } = await run(silent.address().port, [{ op: "lookup", name: "www.example.test" }], { timeout: 150, attempts: 2 });
    assert.equal(results[0]!.code, "ETIMEOUT");
    assert.ok(results[0]!.ms >= 440, `gave up after ${results[0]!.ms} ms`);
    assert.equal(queries, 2);
    assert.equal(stats.timeouts, 2);
  });

  test("a forged answer with the wrong ID, sent ahead of NSD's, is ignored", async () => {
    // A man in the middle: forwards each query to NSD, and first answers it himself with a
    // forged address under an ID one off, then relays NSD's real answer.
    const mitm = await udpSocket();
    const upstream = await udpSocket();
    let guest: { address: string; port: number } | undefined;
    mitm.on("message", (query, from) => {
      guest = { address: from.address, port: from.port };
      const forged = Buffer.from(query);
      forged[1] = forged[1]! ^ 1;
      forged[2] = forged[2]! | 0x80; // QR
      // Claim one answer: 192.0.2.66 for the question's name (a pointer to offset 12).
      forged[7] = 1;
      forged[11] = 0; // drop the OPT record the query carried
      const question = query.subarray(12, 12 + questionLength(query));
      const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 66]);
      mitm.send(Buffer.concat([forged.subarray(0, 12), question, record]), from.port, from.address);
      upstream.send(query, nsd!.port, "127.0.0.1");
    });
    upstream.on("message", (answer) => mitm.send(answer, guest!.port, guest!.address));
    const { results, stats } = await run(mitm.address().port, [{ op: "lookup", name: "www.example.test" }]);
    assert.deepEqual((results[0]!.ok as string[]).sort(), ["192.0.2.10", "192.0.2.11"]);
    assert.equal(stats.unmatched, 1);
    assert.equal(stats.received, 2);
  });
});

/** The length of the first question of a query (uncompressed name, type, class). */
function questionLength(query: Buffer): number {
  let at = 12;
  while (query[at]! !== 0) at += query[at]! + 1;
  return at + 1 + 4 - 12;
}
