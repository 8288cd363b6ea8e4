/**
 * The DNS stub resolver (tcpip/dns-stub) in-process, against servers scripted in each test over a
 * fake datagram socket: what the query looks like (RD, EDNS, random ID), which answers are taken
 * (ID, source address and port, question: RFC 5452 §9.1) and which are dropped, retries with
 * doubling timeouts and rotation over the servers, each response code's error `code`, CNAME
 * chains and restarts, truncation with and without a TCP connector. The same resolver against
 * NSD inside a booted unikernel is dns-stub-nsd.test.ts.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RRClass, RRType, Rcode } from "../../../../src/guest/lib/dns/constants.ts";
import { type Message, decodeMessage, encodeMessage } from "../../../../src/guest/lib/dns/message.ts";
import type { ResourceRecord } from "../../../../src/guest/lib/dns/records.ts";
import { type DatagramSocket, DnsError, Resolver, type ResolverOptions, followChain } from "../../../../src/guest/lib/tcpip/dns-stub.ts";
import type { Connection, Connector, Datagram } from "../../../../src/guest/sdk/devices.ts";

type From = { address: string; port: number };
type Handler = (query: Message, to: From, socket: FakeUdp) => void;

/** A udp device in memory: what the resolver sends goes to `handler`; `deliver` is an arrival. */
class FakeUdp implements DatagramSocket {
  readonly sent: { query: Message; to: From; at: number }[] = [];
  #queue: Datagram[] = [];
  #waiters: ((d: Datagram) => void)[] = [];
  #handler: Handler;
  readonly start = Date.now();

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  closed = false;
  #rejects: ((error: Error) => void)[] = [];

  receive(): Promise<Datagram> {
    if (this.closed) return Promise.reject(Object.assign(new Error("recv EBADF"), { code: "EBADF" }));
    const d = this.#queue.shift();
    return d
      ? Promise.resolve(d)
      : new Promise((resolve, reject) => {
          this.#waiters.push(resolve);
          this.#rejects.push(reject);
        });
  }

  /** Closes the socket: pending receives reject with EBADF, as tsuki/tcpip's sockets do. */
  close(): void {
    this.closed = true;
    for (const reject of this.#rejects.splice(0)) reject(Object.assign(new Error("recv EBADF"), { code: "EBADF" }));
    this.#waiters.length = 0;
  }

  send(data: Uint8Array, to?: From): void {
    const query = decodeMessage(data);
    this.sent.push({ query, to: to!, at: Date.now() - this.start });
    this.#handler(query, to!, this);
  }

  /** An arrival from `from`, on a later turn (as the host delivers events). */
  deliver(data: Uint8Array, from: From, delay = 0): void {
    setTimeout(() => {
      if (this.closed) return;
      const datagram: Datagram = { data, from: { ...from, family: "IPv4" } };
      const waiter = this.#waiters.shift();
      this.#rejects.shift();
      if (waiter) waiter(datagram);
      else this.#queue.push(datagram);
    }, delay);
  }
}

const A = (name: string, address: string): ResourceRecord => ({ name, type: RRType.A, class: RRClass.IN, ttl: 60, data: { address } });
const CNAME = (name: string, target: string): ResourceRecord => ({ name, type: RRType.CNAME, class: RRClass.IN, ttl: 60, data: { target } });

function answer(query: Message, fields: Partial<Message> = {}): Uint8Array {
  return encodeMessage({ ...query, qr: true, ra: true, aa: false, edns: undefined, answer: [], authority: [], additional: [], ...fields } as Message);
}

/** A server that answers every question from `records` (NXDOMAIN for unknown names). */
function zone(records: ResourceRecord[]): Handler {
  return (query, to, socket) => {
    const q = query.question[0]!;
    const name = q.name.toLowerCase();
    const at = records.filter((r) => r.name === name);
    if (at.length === 0) return socket.deliver(answer(query, { rcode: Rcode.NXDOMAIN }), to);
    const chain: ResourceRecord[] = [];
    let owner = name;
    for (let i = 0; i < 10; i++) {
      const direct = records.filter((r) => r.name === owner && r.type === q.type);
      if (direct.length > 0) {
        chain.push(...direct);
        break;
      }
      const cname = records.find((r) => r.name === owner && r.type === RRType.CNAME);
      if (!cname) break;
      chain.push(cname);
      owner = (cname.data as { target: string }).target;
    }
    socket.deliver(answer(query, { answer: chain, aa: true }), to);
  };
}

const S1 = { address: "192.0.2.1", port: 53 };
const S2 = { address: "192.0.2.2", port: 53 };

function resolver(handler: Handler, options: Partial<ResolverOptions> = {}) {
  const udp = new FakeUdp(handler);
  return { udp, resolver: new Resolver({ udp, servers: ["192.0.2.1"], timeout: 40, attempts: 2, ...options }) };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<DnsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DnsError, `not a DnsError: ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`resolved; expected ${code}`);
}

const RECORDS = [A("www.example.test.", "192.0.2.10"), A("www.example.test.", "192.0.2.11"), CNAME("alias.example.test.", "hop.example.test."), CNAME("hop.example.test.", "www.example.test."), { name: "txt.example.test.", type: RRType.TXT, class: RRClass.IN, ttl: 60, data: { strings: [new TextEncoder().encode("hi")] } }];

describe("DNS stub resolver: queries and answers", () => {
  test("lookup sends one recursive A query with EDNS(0) 1232 to the server and returns the addresses", async () => {
    const { udp, resolver: r } = resolver(zone(RECORDS));
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10", "192.0.2.11"]);
    assert.equal(udp.sent.length, 1);
    const { query, to } = udp.sent[0]!;
    assert.deepEqual(to, S1);
    assert.equal(query.rd, true);
    assert.equal(query.qr, false);
    assert.deepEqual(query.question, [{ name: "www.example.test.", type: RRType.A, class: RRClass.IN }]);
    assert.equal(query.edns?.udpSize, 1232);
  });

  test("query IDs are random: 50 queries use (nearly) 50 different IDs", async () => {
    const { udp, resolver: r } = resolver(zone(RECORDS));
    for (let i = 0; i < 50; i++) await r.lookup("www.example.test");
    assert.ok(new Set(udp.sent.map((s) => s.query.id)).size >= 48);
  });

  test("a CNAME chain in the answer is followed to its addresses", async () => {
    const { resolver: r } = resolver(zone(RECORDS));
    assert.deepEqual(await r.lookup("alias.example.test."), ["192.0.2.10", "192.0.2.11"]);
    const chain = await r.resolve("alias.example.test", "CNAME");
    assert.deepEqual(chain.map((rr) => (rr.data as { target: string }).target), ["hop.example.test."]);
  });

  test("a chain ending at a name the answer does not resolve restarts the query there (RFC 1034 §5.3.3)", async () => {
    const { udp, resolver: r } = resolver((query, to, socket) => {
      const name = query.question[0]!.name;
      if (name === "start.example.test.") socket.deliver(answer(query, { answer: [CNAME("start.example.test.", "elsewhere.example.net.")] }), to);
      else socket.deliver(answer(query, { answer: [A("elsewhere.example.net.", "198.51.100.7")] }), to);
    });
    assert.deepEqual(await r.lookup("start.example.test"), ["198.51.100.7"]);
    assert.deepEqual(udp.sent.map((s) => s.query.question[0]!.name), ["start.example.test.", "elsewhere.example.net."]);
  });

  test("a CNAME loop ends in ENODATA, not a hang", async () => {
    const { resolver: r } = resolver((query, to, socket) => socket.deliver(answer(query, { answer: [CNAME("a.test.", "b.test."), CNAME("b.test.", "a.test.")] }), to));
    await rejectsWith(r.lookup("a.test"), "ENODATA");
  });

  test("resolve returns raw records by type name or number", async () => {
    const { resolver: r } = resolver(zone(RECORDS));
    const txt = await r.resolve("txt.example.test", "TXT");
    assert.equal(txt.length, 1);
    assert.equal(txt[0]!.type, RRType.TXT);
    assert.equal((await r.resolve("www.example.test", RRType.A)).length, 2);
  });

  test("an address literal is returned without a query", async () => {
    const { udp, resolver: r } = resolver(zone(RECORDS));
    assert.deepEqual(await r.lookup("192.0.2.99"), ["192.0.2.99"]);
    assert.equal(udp.sent.length, 0);
  });

  test("names are matched case-insensitively", async () => {
    const { resolver: r } = resolver((query, to, socket) => socket.deliver(answer(query, { question: [{ ...query.question[0]!, name: "WWW.Example.TEST." }], answer: [A("WWW.EXAMPLE.test.", "192.0.2.10")] }), to));
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
  });

  test("concurrent lookups on one device each get their own answer", async () => {
    const records = Array.from({ length: 20 }, (_, i) => A(`h${i}.example.test.`, `192.0.2.${i}`));
    const { resolver: r } = resolver((query, to, socket) => {
      const name = query.question[0]!.name;
      // Answer in reverse order of asking.
      socket.deliver(answer(query, { answer: records.filter((rr) => rr.name === name) }), to, 40 - Number(name.slice(1, name.indexOf("."))));
    }, { timeout: 500 });
    const results = await Promise.all(records.map((_, i) => r.lookup(`h${i}.example.test`)));
    assert.deepEqual(results, records.map((_, i) => [`192.0.2.${i}`]));
  });
});

describe("DNS stub resolver: errors with Node's codes", () => {
  test("NXDOMAIN is ENOTFOUND, with syscall and hostname as Node's dns has them", async () => {
    const { resolver: r } = resolver(zone(RECORDS));
    const error = await rejectsWith(r.lookup("nothere.example.test"), "ENOTFOUND");
    assert.equal(error.syscall, "queryA");
    assert.equal(error.hostname, "nothere.example.test");
    assert.match(error.message, /^queryA ENOTFOUND nothere\.example\.test/);
  });

  test("a name without records of the type is ENODATA", async () => {
    const { resolver: r } = resolver(zone(RECORDS));
    await rejectsWith(r.lookup("txt.example.test"), "ENODATA");
    await rejectsWith(r.lookup("www.example.test", { family: 6 }), "ENODATA");
  });

  test("SERVFAIL from every server is ESERVFAIL, REFUSED is EREFUSED, FORMERR EFORMERR, NOTIMP ENOTIMP", async () => {
    for (const [rcode, code] of [[Rcode.SERVFAIL, "ESERVFAIL"], [Rcode.REFUSED, "EREFUSED"], [Rcode.FORMERR, "EFORMERR"], [Rcode.NOTIMP, "ENOTIMP"]] as const) {
      const { udp, resolver: r } = resolver((query, to, socket) => socket.deliver(answer(query, { rcode }), to));
      await rejectsWith(r.lookup("www.example.test"), code);
      assert.equal(udp.sent.length, 2, "each try asked again");
    }
  });

  test("a silent server is ETIMEOUT after `attempts` tries, each waiting twice as long", async () => {
    const { udp, resolver: r } = resolver(() => {}, { timeout: 30, attempts: 3 });
    await rejectsWith(r.lookup("www.example.test"), "ETIMEOUT");
    assert.equal(udp.sent.length, 3);
    const gaps = udp.sent.slice(1).map((s, i) => s.at - udp.sent[i]!.at);
    assert.ok(gaps[0]! >= 29 && gaps[1]! >= 59, `gaps ${gaps}`);
    assert.notEqual(udp.sent[0]!.query.id, udp.sent[1]!.query.id);
    assert.equal(r.stats.timeouts, 3);
  });

  test("a malformed answer with the right ID and source is EBADRESP", async () => {
    const { resolver: r } = resolver((query, to, socket) => {
      const bytes = answer(query, { answer: [A("www.example.test.", "192.0.2.10")] });
      socket.deliver(bytes.subarray(0, bytes.length - 2), to);
    });
    await rejectsWith(r.lookup("www.example.test"), "EBADRESP");
    assert.equal(r.stats.malformed, 2);
  });

  test("a name that is not one is EBADNAME, without a query", async () => {
    const { udp, resolver: r } = resolver(zone(RECORDS));
    await rejectsWith(r.lookup(`${"a".repeat(64)}.test`), "EBADNAME");
    await rejectsWith(r.lookup("a..test"), "EBADNAME");
    assert.equal(udp.sent.length, 0);
  });

  test("a send the device refuses (EACCES) is ECONNREFUSED with the device's error as cause", async () => {
    const udp = new FakeUdp(() => {});
    udp.send = () => {
      throw Object.assign(new Error("EACCES"), { code: "EACCES" });
    };
    const r = new Resolver({ udp, servers: ["192.0.2.1"], timeout: 20, attempts: 1 });
    const error = await rejectsWith(r.lookup("www.example.test"), "ECONNREFUSED");
    assert.equal((error.cause as { code: string }).code, "EACCES");
  });
});

describe("DNS stub resolver: answers it must not take (RFC 5452 §9.1)", () => {
  test("an answer with the wrong ID is dropped and the real one taken", async () => {
    const { resolver: r } = resolver((query, to, socket) => {
      socket.deliver(encodeMessage({ ...decodeMessage(answer(query, { answer: [A("www.example.test.", "6.6.6.6")] })), id: query.id ^ 0x5555 }), to);
      socket.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to, 5);
    });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(r.stats.unmatched, 1);
  });

  test("an answer from another address or port is dropped", async () => {
    const { resolver: r } = resolver((query, to, socket) => {
      socket.deliver(answer(query, { answer: [A("www.example.test.", "6.6.6.6")] }), { address: "192.0.2.66", port: 53 });
      socket.deliver(answer(query, { answer: [A("www.example.test.", "6.6.6.6")] }), { address: to.address, port: 5353 });
      socket.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to, 5);
    });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(r.stats.unmatched, 2);
  });

  test("an answer to another question, a query (QR clear) or another opcode is dropped", async () => {
    const { resolver: r } = resolver((query, to, socket) => {
      socket.deliver(answer(query, { question: [{ name: "evil.test.", type: RRType.A, class: RRClass.IN }], answer: [A("evil.test.", "6.6.6.6")] }), to);
      socket.deliver(answer(query, { question: [{ ...query.question[0]!, type: RRType.AAAA }] }), to);
      socket.deliver(answer(query, { qr: false, answer: [A("www.example.test.", "6.6.6.6")] }), to);
      socket.deliver(answer(query, { opcode: 2, answer: [A("www.example.test.", "6.6.6.6")] }), to);
      socket.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to, 5);
    });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(r.stats.unmatched, 4);
  });

  test("a late answer to an earlier try of the same lookup is taken", async () => {
    let n = 0;
    const { udp, resolver: r } = resolver((query, to, socket) => {
      if (n++ === 0) socket.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to, 60);
    }, { timeout: 40, attempts: 3 });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(udp.sent.length, 2);
  });
});

describe("DNS stub resolver: servers", () => {
  test("a try that times out goes to the next server; SERVFAIL moves on too", async () => {
    const { udp, resolver: r } = resolver((query, to, socket) => {
      if (to.address === S2.address) socket.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to);
    }, { servers: ["192.0.2.1", "192.0.2.2:53"] });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.deepEqual(udp.sent.map((s) => s.to), [S1, S2]);
    const s = resolver((query, to, socket) => socket.deliver(answer(query, to.address === S1.address ? { rcode: Rcode.SERVFAIL } : { answer: [A("www.example.test.", "192.0.2.10")] }), to), { servers: ["192.0.2.1", "192.0.2.2"] });
    assert.deepEqual(await s.resolver.lookup("www.example.test"), ["192.0.2.10"]);
  });

  test("rotate starts each query at the next server", async () => {
    const { udp, resolver: r } = resolver(zone(RECORDS), { servers: ["192.0.2.1", "192.0.2.2"], rotate: true });
    await r.lookup("www.example.test");
    await r.lookup("www.example.test");
    assert.deepEqual(udp.sent.map((s) => s.to.address), ["192.0.2.1", "192.0.2.2"]);
  });

  test("servers as uint32 numbers, host:port, objects; the device's fixed peer when none are given", async () => {
    const udp = new FakeUdp(() => {});
    assert.deepEqual(new Resolver({ udp, servers: [0xc0000201, "192.0.2.2:5353", { address: "192.0.2.3" }, "[2001:db8::1]:53", "2001:db8::2"] }).servers, [
      S1,
      { address: "192.0.2.2", port: 5353 },
      { address: "192.0.2.3", port: 53 },
      { address: "2001:db8::1", port: 53 },
      { address: "2001:db8::2", port: 53 },
    ]);
    const withPeer = Object.assign(new FakeUdp(() => {}), { peer: { address: "127.0.0.1", port: 5300 } });
    assert.deepEqual(new Resolver({ udp: withPeer }).servers, [{ address: "127.0.0.1", port: 5300 }]);
    assert.throws(() => new Resolver({ udp }), /no servers/);
    assert.throws(() => new Resolver({ udp, servers: ["dns.example"] }), TypeError);
  });
});

describe("DNS stub resolver: sockets", () => {
  test("given a function, every try opens a fresh socket (a random port) and closes it when the try ends", async () => {
    const opened: FakeUdp[] = [];
    const r = new Resolver({
      servers: ["192.0.2.1"],
      timeout: 30,
      attempts: 3,
      udp: () => {
        const socket = new FakeUdp((query, to, self) => {
          // The first try goes unanswered; the second is answered on its own socket.
          if (opened.length === 2) self.deliver(answer(query, { answer: [A("www.example.test.", "192.0.2.10")] }), to);
        });
        opened.push(socket);
        return socket;
      },
    });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(opened.length, 2);
    assert.ok(opened.every((socket) => socket.closed));
  });

  test("a shared socket that fails (closed under the resolver) fails the waiting lookup at once", async () => {
    const { udp, resolver: r } = resolver(() => {}, { timeout: 10_000 });
    const started = Date.now();
    const pending = r.lookup("www.example.test");
    setTimeout(() => udp.close(), 10);
    const error = await rejectsWith(pending, "ECONNREFUSED");
    assert.equal((error.cause as { code: string }).code, "EBADF");
    assert.ok(Date.now() - started < 5000);
  });
});

describe("DNS stub resolver: truncation", () => {
  const truncating: Handler = (query, to, socket) => socket.deliver(answer(query, { tc: true }), to);

  test("a truncated answer without a TCP connector is ETRUNCATED", async () => {
    const { resolver: r } = resolver(truncating);
    await rejectsWith(r.lookup("www.example.test"), "ETRUNCATED");
    assert.equal(r.stats.truncated, 1);
  });

  test("with a connector, the question is asked again over TCP with a length prefix (RFC 1035 §4.2.2)", async () => {
    const written: Uint8Array[] = [];
    const connector: Connector = {
      name: "dns-tcp",
      kind: "connector",
      async connect(): Promise<Connection> {
        let reply: Uint8Array | undefined;
        return {
          handle: 1,
          remote: { address: "192.0.2.1", port: 53, family: "IPv4" },
          async write(data) {
            const bytes = data as Uint8Array;
            written.push(bytes);
            const query = decodeMessage(bytes.subarray(2));
            const body = answer(query, { answer: [A("www.example.test.", "192.0.2.10")] });
            reply = new Uint8Array(body.length + 2);
            reply.set([body.length >> 8, body.length & 255]);
            reply.set(body, 2);
          },
          async read() {
            // In two pieces, as a stream may deliver it.
            if (!reply) return null;
            const piece = reply.subarray(0, 5);
            reply = reply.length > 5 ? reply.subarray(5) : undefined;
            return piece;
          },
          end: async () => {},
          close() {},
          closed: Promise.resolve(undefined),
          [Symbol.asyncIterator]: undefined as never,
        };
      },
    };
    const { resolver: r } = resolver(truncating, { tcp: connector });
    assert.deepEqual(await r.lookup("www.example.test"), ["192.0.2.10"]);
    assert.equal(written.length, 1);
    assert.equal((written[0]![0]! << 8) | written[0]![1]!, written[0]!.length - 2);
  });
});

describe("DNS stub resolver: followChain", () => {
  test("returns the records at the end of the chain, and that end when it has none", () => {
    const message = decodeMessage(answer({ id: 1, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0, question: [{ name: "a.test.", type: 1, class: 1 }], answer: [], authority: [], additional: [] }, { answer: [CNAME("a.test.", "b.test."), CNAME("b.test.", "c.test.")] }));
    assert.deepEqual(followChain(message, "a.test", RRType.A), { records: [], end: "c.test." });
    assert.deepEqual(followChain(message, "A.TEST.", RRType.CNAME).records.length, 1);
  });
});
