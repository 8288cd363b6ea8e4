/**
 * Fuzzing tsuki/dns's `Authority.answer` in-process with random and mutated packets (seeded, so
 * every run sees the same ones): it never throws, never takes long on one packet, keeps UDP
 * answers within the size the client allows, and every answer decodes with the strict decoder.
 * A sample of the answers is then handed to dig, a parser we did not write, through a tiny UDP
 * server that replies to dig's query with the recorded answer (its ID patched to dig's): dig
 * must print the message without a parse warning.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { describe, test } from "node:test";
import { className, decodeMessage, typeName, WireError } from "../../../../src/guest/lib/dns/index.ts";
import { prng } from "../../runtime/seeded.ts";
import { authority, query, TCP, UDP } from "./fixtures.ts";

const NAMES = ["example.com.", "www.example.com.", "Www.Example.COM.", "x.wild.example.com.", "foo.sub.example.com.", "big.example.com.", "chain.example.com.", "alias-ext.example.com.", "loop1.example.com.", "nothere.example.com.", "example.org.", "b.ent.example.com.", "_sip._tcp.example.com.", "mx2.example.com.", "unk.example.com.", "host.example.net."];
const TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 255, 257, 251, 252, 65280, 999];

function seeds(random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of NAMES)
    for (const type of TYPES) {
      const edns = random() < 0.3 ? (false as const) : { udpSize: Math.floor(random() * 5000), version: random() < 0.1 ? 1 : 0, dnssecOk: random() < 0.3 };
      out.push(query(name, type, { id: Math.floor(random() * 65536), rd: random() < 0.5, class: random() < 0.9 ? 1 : [3, 5, 254, 255][Math.floor(random() * 4)]!, edns }));
    }
  return out;
}

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  let bytes = Array.from(seed);
  const rounds = 1 + Math.floor(random() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 8)) {
      case 0: // flip a byte
        if (bytes.length > 0) bytes[at % bytes.length] = Math.floor(random() * 256);
        break;
      case 1: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 2: // insert garbage
        bytes.splice(at, 0, ...Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)));
        break;
      case 3: // delete
        bytes.splice(at, 1 + Math.floor(random() * 4));
        break;
      case 4: // a compression pointer somewhere
        bytes.splice(at, 2, 0xc0 | Math.floor(random() * 64), Math.floor(random() * 256));
        break;
      case 5: // a count field
        if (bytes.length >= 12) bytes[4 + Math.floor(random() * 8)] = [0, 1, 2, 255][Math.floor(random() * 4)]!;
        break;
      case 6: // a label length
        bytes.splice(at, 1, [0, 1, 63, 64, 0x80, 0xff][Math.floor(random() * 6)]!);
        break;
      default: // flags
        if (bytes.length >= 4) bytes[2 + Math.floor(random() * 2)] = Math.floor(random() * 256);
    }
  }
  return Uint8Array.from(bytes);
}

interface Sample {
  readonly answer: Uint8Array;
  readonly question: { name: string; type: number; class: number } | undefined;
  readonly opcode: number;
  readonly edns: boolean;
}

const ITERATIONS = 30_000;

describe("fuzz", () => {
  const samples: Sample[] = [];

  test(`${ITERATIONS} random and mutated packets: no throw, no hang, every answer decodes and fits`, () => {
    const random = prng(0x5eed);
    const server = authority();
    const corpus = seeds(random);
    let answered = 0;
    let slowest = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const packet = i % 5 === 0 ? Uint8Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)) : mutate(corpus[Math.floor(random() * corpus.length)]!, random);
      const transport = random() < 0.2 ? TCP : UDP;
      // A packet that never ends its answer hangs the test (the runner's timeout fails it); how long
      // each took is printed, not asserted: pathological inputs (pointer loops, label floods) have
      // tests of their own.
      const started = performance.now();
      const answers = server.answer(packet, transport);
      slowest = Math.max(slowest, performance.now() - started);
      for (const answer of answers) {
        answered++;
        if (!transport.tcp) assert.ok(answer.length <= 1232, `a UDP answer of ${answer.length} octets`);
        let message;
        try {
          message = decodeMessage(answer);
        } catch (error) {
          assert.fail(`answer to packet ${i} (${Buffer.from(packet).toString("hex")}) does not decode: ${(error as WireError).message}`);
        }
        assert.equal(message.qr, true);
        assert.equal(message.id, (packet[0]! << 8) | packet[1]!);
        // dig always asks AXFR and IXFR over TCP: those answers are not sampled.
        const q = message.question[0];
        if (samples.length < 120 && random() < 0.02 && q?.type !== 251 && q?.type !== 252) samples.push({ answer, question: message.question[0], opcode: message.opcode, edns: message.edns !== undefined });
      }
    }
    assert.equal(server.stats.errors, 0, "no internal error");
    assert.ok(answered > ITERATIONS / 3, `only ${answered} answers`);
    assert.ok(server.stats.malformed > 1000 && server.stats.formerr > 1000, JSON.stringify(server.stats));
    console.log(`fuzz: ${answered} answers, slowest packet ${slowest.toFixed(2)} ms, stats ${JSON.stringify(server.stats)}`);
  });

  const dig = spawnSync("sh", ["-c", "command -v dig"]).status === 0;
  test("dig, a parser we did not write, reads a sample of the answers without complaint", { skip: dig ? undefined : "dig is not installed (apt-get install bind9-dnsutils)" }, async () => {
    assert.ok(samples.length >= 40, `only ${samples.length} samples`);
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const port = (socket.address() as { port: number }).port;
    let current: Uint8Array | undefined;
    socket.on("message", (msg, from) => {
      if (!current) return;
      const reply = Buffer.from(current);
      reply[0] = msg[0]!;
      reply[1] = msg[1]!;
      socket.send(reply, from.port, from.address);
    });
    try {
      for (const sample of samples) {
        current = sample.answer;
        const args = ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=2", "+ignore", "+notcp", sample.edns ? "+edns=0" : "+noedns", "+nocookie", "+norec", "+noednsneg", `+opcode=${sample.opcode}`];
        if (sample.question) args.push("-q", sample.question.name, "-t", typeName(sample.question.type), "-c", className(sample.question.class));
        else args.push("+header-only", "example.com.");
        const out = await new Promise<string>((resolve) => {
          const child = spawn("dig", args);
          let text = "";
          child.stdout.on("data", (c: Buffer) => (text += c));
          child.stderr.on("data", (c: Buffer) => (text += c));
          child.on("close", () => resolve(text));
        });
        const hex = Buffer.from(sample.answer).toString("hex");
        assert.match(out, /->>HEADER<<-/, `dig did not read the answer ${hex}:\n${out}`);
        assert.doesNotMatch(out, /malformed|Got bad packet|mismatch|WARNING: Message/i, `dig complains about ${hex}:\n${out}`);
      }
    } finally {
      socket.close();
    }
  });
});
