/**
 * examples/dns against the reference: the example is built through the real build and run by the
 * tsuki command in a child process; NSD (a server we did not write) serves the same zone files
 * from examples/dns/zones on another port; dig sends every query of test/examples/dns/queries.txt
 * to both, and the rcode, flags, question, OPT record and the answer, authority and additional
 * sections (as sets) must be the same; ANY queries must also follow RFC 8482 on their own. Every
 * difference is reported at once. Then the malformed packets of the list, sent raw over
 * UDP to both: each is answered with FORMERR or dropped where NSD does either, with NSD's rcode
 * otherwise; over TCP, framing errors end the connection; and the server still answers after.
 *
 * DNS_REFERENCE=knot compares with Knot DNS instead of NSD (same corpus; Knot answers minimally and
 * follows no CNAME into another zone, so expect those differences there).
 */

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { buildImage } from "../../src/host/build/build.ts";
import { type Child, finished } from "../cli/spawn.ts";
import { ROOT, tempDir } from "../helpers.ts";
import { prng } from "../guest/runtime/seeded.ts";
import { startExample } from "./dns/example.ts";
import { RCODES, badPackets, concat, decodeHeader, describe as describeReply, malformation, opt, query, tcpExchange, udpBurst, udpExchange } from "./dns/packets.ts";
import {
  type CorpusQuery,
  type DigAnswer,
  KNOTD,
  NSD,
  type Server,
  answering,
  dig,
  differences,
  exampleZones,
  freePort,
  hasCommand,
  readCorpus,
  startKnot,
  startNsd,
} from "./dns/reference.ts";

const EXAMPLE = path.join(ROOT, "examples/dns");
const CORPUS = path.join(ROOT, "test/examples/dns/queries.txt");
const REFERENCE = process.env.DNS_REFERENCE === "knot" ? "knot" : "nsd";
const SKIP = !hasCommand("dig")
  ? "dig is not installed (apt-get install bind9-dnsutils): the queries are sent with it"
  : REFERENCE === "nsd" && !NSD
    ? "nsd is not installed (apt-get install nsd): it is the reference server the answers are compared with"
    : REFERENCE === "knot" && !KNOTD
      ? "knotd is not installed (apt-get install knot)"
      : false;

let tsuki: { child: Child; port: number } | undefined;
let reference: Server | undefined;
/** The reference's zones as transferred (AXFR), owner → records, for the ANY rule. */
const zoneData = new Map<string, string[]>();

before(async () => {
  if (SKIP) return;
  const image = (await buildImage(EXAMPLE, { out: path.join(tempDir(), "dns.tsuki") })).image;
  const [tsukiPort, referencePort] = [await freePort(), await freePort()];
  const options = { port: referencePort, dir: tempDir("tsuki-dns-ref-"), zones: exampleZones(), allowTransfer: ["127.0.0.1"] };
  reference = REFERENCE === "knot" ? startKnot(options) : startNsd(options);
  tsuki = { child: await startExample(image, tsukiPort, ["--arg", "allowTransfer=127.0.0.1"]), port: tsukiPort };
  await answering(reference, "example.com");
  for (const zone of options.zones) {
    const transfer = await dig(reference.port, [zone.origin, "AXFR"]);
    for (const record of transfer.answer) {
      const owner = record.split(" ", 1)[0]!;
      zoneData.set(owner, [...(zoneData.get(owner) ?? []), record]);
    }
  }
});

after(async () => {
  await reference?.stop();
  if (tsuki && tsuki.child.exitCode === null) {
    tsuki.child.kill("SIGTERM");
    await finished(tsuki.child);
  }
});

/**
 * ANY (RFC 8482 §4.2): instead of every RRset at the name, a server may answer with one or more
 * whole RRsets of its choice. NSD picks one, Knot another: the answer must hold at least one
 * RRset, each complete and really at that name (or at the wildcard that synthesises it); the
 * rcode, flags and question are compared as usual.
 */
function anyRule(q: CorpusQuery, got: DigAnswer, want: DigAnswer): string[] {
  const problems = differences(got, want, new Set(["answer", "authority", "additional"]));
  if (want.answer.length === 0) return [...problems, ...differences(got, want, new Set(["status", "flags", "question", "edns"]))];
  if (got.answer.length === 0) return [...problems, "answer: empty, but RFC 8482 wants at least one RRset"];
  const qname = `${q.args[0]!.toLowerCase().replace(/\.?$/, ".")}`;
  const labels = qname.split(".");
  const candidates = new Set<string>();
  for (let i = 0; i <= labels.length - 2; i++) {
    const owner = i === 0 ? qname : `*.${labels.slice(i).join(".")}`;
    for (const record of zoneData.get(owner) ?? []) candidates.add(qname + record.slice(owner.length));
    if (i === 0 && zoneData.has(qname)) break;
  }
  const types = new Set(got.answer.map((r) => r.split(" ")[3]));
  for (const record of got.answer) if (!candidates.has(record)) problems.push(`answer: ${record} is not a record at ${qname}`);
  for (const type of types) {
    const whole = [...candidates].filter((r) => r.split(" ")[3] === type);
    const sent = got.answer.filter((r) => r.split(" ")[3] === type);
    if (sent.length !== whole.length) problems.push(`answer: the ${type} RRset is incomplete (${sent.length} of ${whole.length} records)`);
  }
  return problems;
}

const RULES: Record<string, (q: CorpusQuery, got: DigAnswer, want: DigAnswer) => string[]> = { any: anyRule };

describe(`examples/dns answers like ${REFERENCE === "knot" ? "Knot" : "NSD"} serving the same zones`, { skip: SKIP }, () => {
  test("the corpus: rcode, flags, question and sections of every query are the reference's", async () => {
    const corpus = readCorpus(CORPUS);
    assert.ok(corpus.length >= 100, `the corpus has ${corpus.length} queries`);
    const failures: string[] = [];
    const seen = new Set<string>();
    // A few at a time: dig is a process per query, and both servers answer in microseconds.
    for (let i = 0; i < corpus.length; i += 4) {
      await Promise.all(
        corpus.slice(i, i + 4).map(async (q) => {
          const [got, want] = await Promise.all([dig(tsuki!.port, q.args), dig(reference!.port, q.args)]);
          const rule = q.rule ? RULES[q.rule] : undefined;
          if (q.rule && !rule) throw new Error(`queries.txt:${q.line}: unknown rule ${q.rule}`);
          const problems = rule ? rule(q, got, want) : differences(got, want, new Set(q.differ.keys()));
          // ANY must follow RFC 8482 whatever the reference does.
          if (!rule && q.args[1]?.toUpperCase() === "ANY" && !/^(CH|HS|ANY)$/i.test(q.args[2] ?? "")) problems.push(...anyRule(q, got, want).filter((p) => !problems.includes(p)));
          if (problems.length) failures.push(`queries.txt:${q.line} ${q.text}\n    ${problems.join("\n    ")}`);
          seen.add(got.status);
        }),
      );
    }
    for (const status of ["NOERROR", "NXDOMAIN", "REFUSED", "FORMERR", "AXFR", "AXFR-FAILED"]) assert.ok(seen.has(status), `no query of the corpus got ${status} from tsuki (it got ${[...seen].join(", ")})`);
    failures.sort((a, b) => Number(/:(\d+)/.exec(a)![1]) - Number(/:(\d+)/.exec(b)![1]));
    assert.equal(failures.length, 0, `${failures.length} of ${corpus.length} queries differ (tsuki vs ${REFERENCE}):\n${failures.join("\n")}`);
  });

  test("malformed and unusual packets over UDP: FORMERR or silence where the reference does either, its rcode otherwise, and the server goes on", async () => {
    const failures: string[] = [];
    for (const { name, packet } of badPackets()) {
      const [got, want] = await Promise.all([udpExchange(tsuki!.port, packet), udpExchange(reference!.port, packet)]);
      const rcode = (r: typeof got) => (r === null ? "silence" : (RCODES[r.rcode] ?? `RCODE${r.rcode}`));
      const malformed = (r: string) => r === "FORMERR" || r === "silence";
      const ok = rcode(got) === rcode(want) || (malformed(rcode(got)) && malformed(rcode(want)));
      if (!ok) failures.push(`${name}: tsuki ${describeReply(got)} vs ${REFERENCE} ${describeReply(want)}`);
      if (got !== null && !got.qr) failures.push(`${name}: the answer has no QR bit`);
      if (got !== null && malformation(got.bytes)) failures.push(`${name}: the answer is malformed: ${malformation(got.bytes)}`);
      if (got !== null && got.id !== 0x1234 && packet.length >= 2) failures.push(`${name}: the answer's ID is ${got.id}, not the query's`);
    }
    const after = await udpExchange(tsuki!.port, query("www.example.com"));
    assert.equal(after?.rcode, 0, "the server answers a good query after the bad ones");
    assert.equal(after?.an, 2);
    assert.equal(failures.length, 0, failures.join("\n"));
  });

  test("TCP: three queries in one write are answered in turn; a zero length, a cut frame and garbage end the connection, not the server", async () => {
    const three = concat(...[query("www.example.com", 1, { id: 1 }), query("nothing.example.com", 1, { id: 2 }), query("www.example.net", 1, { id: 3 })].map((q) => concat([q.length >> 8, q.length & 0xff], q)));
    const { replies } = await tcpExchange(tsuki!.port, three, { frame: false, count: 3 });
    assert.deepEqual(
      replies.map((r) => [r.id, RCODES[r.rcode]]),
      [
        [1, "NOERROR"],
        [2, "NXDOMAIN"],
        [3, "REFUSED"],
      ],
    );
    // With EDNS and over TCP the whole big answer comes back, never TC.
    const big = await tcpExchange(tsuki!.port, concat(query("big.example.com", 16, { ar: 1 }), opt(512)), { count: 1 });
    assert.equal(big.replies[0]?.tc, false);
    assert.equal(big.replies[0]?.an, 12);
    for (const [what, bytes] of [
      ["a zero length", Uint8Array.of(0, 0)],
      ["a frame shorter than a header", Uint8Array.of(0, 3, 1, 2, 3)],
      ["a compression loop", concat([0, 18], query("x").slice(0, 12), [0xc0, 12, 0, 1, 0, 1])],
    ] as const) {
      const result = await tcpExchange(tsuki!.port, bytes, { frame: false, ms: 3000 });
      assert.ok(result.closed || result.replies.every((r) => r.rcode === 1), `${what}: the connection stays open without an answer, or answers ${result.replies.map(describeReply)}`);
    }
    const again = await tcpExchange(tsuki!.port, query("www.example.com"), { count: 1 });
    assert.equal(again.replies[0]?.an, 2, "the server still answers over TCP");
  });

  test("random and mutated packets: every answer is a well-formed message with the query's ID, and the server goes on", async () => {
    const problems: string[] = [];
    // Seeded: every run sends the same packets, so a failure can be replayed.
    const random = prng(0xd115);
    const byte = () => Math.floor(random() * 256);
    // 200 random packets of 1 to 200 octets, from one socket; their answers collected until the server falls quiet.
    const garbage = Array.from({ length: 200 }, (_, i) => Uint8Array.from({ length: 1 + (i % 200) }, byte));
    const answers = await udpBurst(tsuki!.port, garbage);
    const ids = new Set(garbage.filter((p) => p.length >= 2).map((p) => (p[0]! << 8) | p[1]!));
    for (const bytes of answers) {
      const problem = malformation(bytes);
      if (problem) problems.push(`an answer to a random packet: ${problem}`);
      else if (!ids.has(decodeHeader(bytes)!.id)) problems.push(`an answer with an ID no random packet had: ${decodeHeader(bytes)!.id}`);
    }
    // A header's worth with QR clear is a query, however garbled: it gets an answer (FORMERR at least).
    const queries = garbage.filter((p) => p.length >= 12 && (p[2]! & 0x80) === 0).length;
    assert.ok(answers.length >= queries * 0.8, `${answers.length} answers to ${queries} random packets that are queries`);
    // Valid queries (with EDNS, several types, names that hit each rule) with 1 to 4 octets changed.
    const seeds = [query("www.example.com"), query("big.example.com", 16), query("x.wcname.example.com", 1), query("www.sub.example.com", 28), query("nothing.example.org", 15)].map((q) => concat(q.slice(0, 10), [0, 1], q.slice(12), opt(4096)));
    const mutated = Array.from({ length: 400 }, (_, i) => {
      const packet = seeds[i % seeds.length]!.slice();
      for (let k = 0, n = 1 + Math.floor(random() * 4); k < n; k++) packet[2 + Math.floor(random() * (packet.length - 2))] = byte();
      return packet;
    });
    for (const bytes of await udpBurst(tsuki!.port, mutated)) {
      const problem = malformation(bytes);
      const reply = decodeHeader(bytes);
      if (problem) problems.push(`an answer to a mutated query (${Buffer.from(bytes).toString("hex")}): ${problem}`);
      else if (reply!.id !== 0x1234) problems.push(`an answer to a mutated query with the ID ${reply!.id}`);
      else if (!reply!.qr) problems.push("an answer to a mutated query without its QR bit");
    }
    assert.deepEqual(problems, []);
    await udpExchange(tsuki!.port, new Uint8Array(65_507), 50);
    const after = await udpExchange(tsuki!.port, query("WWW.Example.COM", 28));
    assert.equal(after?.rcode, 0);
    assert.equal(after?.an, 1);
    assert.equal(tsuki!.child.exitCode, null, `the server ended:\n${tsuki!.child.stderrText()}`);
  });
});
