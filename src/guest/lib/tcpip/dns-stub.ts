/**
 * @module tcpip/dns-stub
 * A DNS stub resolver (RFC 1034 §5.3.1): it sends recursive queries (RD set) over a udp device to
 * the servers it is given (from DHCP option 6, or the device's fixed peer) and reads their answers,
 * using the `tsuki/dns` wire code for the messages.
 *
 * ```ts
 * const resolver = new Resolver({ udp, servers: ["192.0.2.53"] });
 * await resolver.lookup("example.com");          // ["93.184.215.14"]
 * await resolver.resolve("example.com", "MX");   // [{ name, type, class, ttl, data }]
 * ```
 *
 * What it guarantees: an answer is taken only from the address and port the query went to, with
 * the query's random 16-bit ID, QR set, opcode QUERY and exactly the question asked (name compared
 * case-insensitively, type, class) — RFC 5452 §9.1; anything else is dropped and counted and the
 * wait goes on. Each try waits `timeout` ms (doubled on each round over the servers) and goes to
 * the next server (RFC 1035 §4.2.1; SERVFAIL, REFUSED, FORMERR, NOTIMP and a malformed answer
 * also move on). CNAME chains are followed within the answer, and if the chain ends at a name the
 * answer does not resolve, the query restarts at that name (RFC 1034 §5.3.3), at most 8 times.
 * A truncated answer (TC, RFC 2181 §9) is retried over TCP when a `tcp` connector to the server
 * is given, else it fails with `ETRUNCATED`. Errors are `DnsError`s with the stable codes of Node's
 * `dns` module (`ENOTFOUND`, `ENODATA`, `ETIMEOUT`, `ESERVFAIL`, `EREFUSED`, `EBADRESP`, …).
 *
 * Source ports (RFC 5452 §9.2): given a function for `udp` (`() => stack.udp()` with tsuki/tcpip,
 * whose port 0 is a random ephemeral port, RFC 6056), every try goes out on a fresh socket, closed
 * when the try ends, so a forger must guess the port as well as the ID. A udp device has one port
 * fixed by the operator: then the 16-bit ID is the only entropy, so use that form only towards a
 * resolver on a path you trust (loopback, a host-local resolver). The resolver reads every
 * datagram of the socket it is given: give it one of its own.
 *
 * Not done: a cache (every call asks), search lists and `ndots` (names are fully qualified),
 * DNSSEC validation, IPv6 transport beyond passing the addresses through.
 *
 * Beside it: its options and server addresses (`dns-stub-options.ts`), its errors
 * (`dns-stub-errors.ts`), CNAME chains in an answer (`dns-stub-chain.ts`).
 */

import { RRClass, RRType, Rcode, typeFromName } from "../dns/constants.ts";
import { canonicalName, lower } from "../dns/names.ts";
import { type Message, decodeMessage, encodeMessage } from "../dns/message.ts";
import type { AddressData, ResourceRecord } from "../dns/records.ts";
import type { Connector, Datagram } from "../../sdk/devices.ts";
import { parseIPv4 } from "../net-address/index.ts";
import { followChain, qtypeLabel } from "./dns-stub-chain.ts";
import { DnsError, type DnsErrorCode } from "./dns-stub-errors.ts";
import { type ClosableDatagramSocket, type DatagramSocket, type LookupOptions, type ResolverOptions, type ResolverStats, type Server, parseServer } from "./dns-stub-options.ts";

export { followChain } from "./dns-stub-chain.ts";
export { DnsError, RESOLVER_ERROR_CODES, type DnsErrorCode } from "./dns-stub-errors.ts";
export type { ClosableDatagramSocket, DatagramSocket, LookupOptions, ResolverOptions, ResolverStats, ServerSpec } from "./dns-stub-options.ts";

/** One try's end: an answer, or why there was none. */
type Outcome = { readonly message: Message } | { readonly error: DnsErrorCode; readonly cause?: unknown };

/** A question in flight: every (ID, server) it was sent as, and the try waiting for it. */
interface Exchange {
  readonly key: string;
  readonly type: number;
  readonly sent: { id: number; server: Server }[];
  settle: ((outcome: Outcome) => void) | undefined;
}

/** RFC 1034 §5.3.3: restart at the canonical name at most this often (CNAMEs per answer are bounded in dns-stub-chain.ts). */
const MAX_RESTARTS = 8;

function defaultRandom(bytes: Uint8Array): void {
  crypto.getRandomValues(bytes);
}

export class Resolver {
  readonly stats: ResolverStats = { queries: 0, sent: 0, received: 0, unmatched: 0, malformed: 0, timeouts: 0, truncated: 0 };
  readonly servers: readonly Server[];
  #udp: DatagramSocket | undefined;
  #open: (() => ClosableDatagramSocket) | undefined;
  #tcp: Connector | undefined;
  #timeout: number;
  #attempts: number;
  #rotate: boolean;
  #edns: number;
  #random: (bytes: Uint8Array) => void;
  #exchanges = new Set<Exchange>();
  #reading = false;
  #next = 0;

  constructor(options: ResolverOptions) {
    const shared = typeof options.udp === "function" ? undefined : options.udp;
    const specs = options.servers ?? (shared?.peer ? [shared.peer] : []);
    if (specs.length === 0) throw new TypeError("Resolver: no servers: pass servers (from DHCP option 6) or bind the udp device with a fixed peer (?peer=ADDR:53)");
    this.servers = specs.map(parseServer);
    this.#udp = shared;
    this.#open = typeof options.udp === "function" ? options.udp : undefined;
    this.#tcp = options.tcp;
    this.#timeout = options.timeout ?? 2000;
    this.#attempts = options.attempts ?? 3;
    if (!(this.#timeout > 0) || !Number.isInteger(this.#attempts) || this.#attempts < 1) throw new TypeError("Resolver: timeout must be > 0 ms and attempts an integer ≥ 1");
    this.#rotate = options.rotate ?? false;
    this.#edns = options.ednsPayload ?? 1232;
    this.#random = options.random ?? defaultRandom;
  }

  /** The addresses of `name` (A, or AAAA with family 6), following CNAMEs; an address literal is returned as is. */
  async lookup(name: string, options: LookupOptions = {}): Promise<string[]> {
    const family = options.family ?? 4;
    if (family === 4 && parseIPv4(name) !== undefined) return [name];
    if (family === 6 && name.includes(":")) return [name];
    const records = await this.resolve(name, family === 6 ? RRType.AAAA : RRType.A);
    return records.map((rr) => (rr.data as AddressData).address);
  }

  /**
   * The records of `type` (a number or a mnemonic such as "MX") at `name`, or at the end of its
   * CNAME chain. Throws a `DnsError`: ENOTFOUND for NXDOMAIN, ENODATA when there are none.
   */
  async resolve(name: string, type: number | string = RRType.A): Promise<ResourceRecord[]> {
    const qtype = typeof type === "number" ? type : typeFromName(type);
    if (qtype === undefined || !Number.isInteger(qtype) || qtype < 0 || qtype > 0xffff) throw new TypeError(`Resolver: ${String(type)} is not a record type`);
    const syscall = `query${qtype === RRType.AAAA ? "Aaaa" : qtypeLabel(qtype)}`;
    let current = name;
    for (let restart = 0; restart <= MAX_RESTARTS; restart++) {
      const message = await this.query(current, qtype, syscall, name);
      const { records, end } = followChain(message, current, qtype);
      if (records.length > 0) return records;
      if (message.rcode === Rcode.NXDOMAIN) throw new DnsError("ENOTFOUND", syscall, name);
      // RFC 1034 §5.3.3: the answer ends at a CNAME whose target it does not resolve: ask for the target.
      if (lower(end) === lower(canonicalName(current)) || qtype === RRType.CNAME) throw new DnsError("ENODATA", syscall, name);
      current = end;
    }
    throw new DnsError("ENODATA", syscall, name, `more than ${MAX_RESTARTS} CNAME restarts`);
  }

  /**
   * Asks the servers one question and returns the first acceptable answer (NOERROR or NXDOMAIN),
   * whole. Throws a `DnsError` when every try failed.
   */
  async query(name: string, type: number, syscall = `query${qtypeLabel(type)}`, hostname = name): Promise<Message> {
    let qname: string;
    try {
      qname = canonicalName(name) === "." ? "." : name.endsWith(".") ? name : `${name}.`;
    } catch (error) {
      throw new DnsError("EBADNAME", syscall, hostname, (error as Error).message);
    }
    this.stats.queries++;
    const exchange: Exchange = { key: lower(canonicalName(qname)), type, sent: [], settle: undefined };
    const servers = this.servers;
    const first = this.#rotate ? this.#next++ % servers.length : 0;
    let last: { code: DnsErrorCode; cause?: unknown } = { code: "ETIMEOUT" };
    this.#exchanges.add(exchange);
    try {
      for (let i = 0; i < this.#attempts * servers.length; i++) {
        const server = servers[(first + i) % servers.length]!;
        const wait = this.#timeout * 2 ** Math.floor(i / servers.length);
        const outcome = await this.#try(exchange, qname, server, wait);
        if ("error" in outcome) {
          last = { code: outcome.error, cause: outcome.cause };
          continue;
        }
        let message = outcome.message;
        if (message.tc) {
          this.stats.truncated++;
          // RFC 2181 §9: a truncated answer is not used; RFC 7766 §6.2.2: ask again over TCP.
          if (!this.#tcp) throw new DnsError("ETRUNCATED", syscall, hostname);
          message = await this.#overTcp(qname, type, syscall, hostname);
        }
        switch (message.rcode) {
          case Rcode.NOERROR:
          case Rcode.NXDOMAIN:
            return message;
          case Rcode.SERVFAIL:
            last = { code: "ESERVFAIL" };
            break;
          case Rcode.REFUSED:
            last = { code: "EREFUSED" };
            break;
          case Rcode.FORMERR:
            last = { code: "EFORMERR" };
            break;
          case Rcode.NOTIMP:
            last = { code: "ENOTIMP" };
            break;
          default:
            last = { code: "EBADRESP", cause: `response code ${message.rcode}` };
        }
      }
    } finally {
      this.#exchanges.delete(exchange);
    }
    throw new DnsError(last.code, syscall, hostname, undefined, last.cause === undefined ? undefined : { cause: last.cause });
  }

  /** One try: a fresh ID to one server, and the wait for its answer (or a late answer to an earlier try). */
  #try(exchange: Exchange, qname: string, server: Server, wait: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const id = this.#freshId(server);
      const bytes = encodeMessage(this.#queryMessage(id, qname, exchange.type));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let own: ClosableDatagramSocket | undefined;
      const settle = (outcome: Outcome) => {
        if (exchange.settle !== settle) return;
        exchange.settle = undefined;
        if (timer !== undefined) clearTimeout(timer);
        own?.close();
        resolve(outcome);
      };
      exchange.settle = settle;
      exchange.sent.push({ id, server });
      try {
        if (this.#open) {
          own = this.#open();
          own.send(bytes, { address: server.address, port: server.port });
        } else this.#udp!.send(bytes, { address: server.address, port: server.port });
        this.stats.sent++;
      } catch (error) {
        return settle({ error: "ECONNREFUSED", cause: error });
      }
      timer = setTimeout(() => {
        this.stats.timeouts++;
        settle({ error: "ETIMEOUT" });
      }, wait);
      if (own) this.#readOwn(own, settle);
      else this.#pump();
    });
  }

  #queryMessage(id: number, qname: string, type: number): Message {
    return {
      id,
      qr: false,
      opcode: 0,
      aa: false,
      tc: false,
      // RFC 1034 §5.3.1: a stub resolver asks for recursion.
      rd: true,
      ra: false,
      ad: false,
      cd: false,
      rcode: 0,
      question: [{ name: qname, type, class: RRClass.IN }],
      answer: [],
      authority: [],
      additional: [],
      ...(this.#edns > 0 ? { edns: { udpSize: this.#edns, version: 0, dnssecOk: false, options: [] } } : {}),
    };
  }

  /** A random ID not in flight to `server` (RFC 5452 §9.2: IDs unpredictable). */
  #freshId(server: Server): number {
    const bytes = new Uint8Array(2);
    for (;;) {
      this.#random(bytes);
      const id = (bytes[0]! << 8) | bytes[1]!;
      let used = false;
      for (const exchange of this.#exchanges) for (const sent of exchange.sent) if (sent.id === id && sent.server === server) used = true;
      if (!used) return id;
    }
  }

  /** Reads the shared socket while queries are outstanding, one `receive()` at a time. */
  #pump(): void {
    if (this.#reading) return;
    this.#reading = true;
    void (async () => {
      try {
        while (this.#exchanges.size > 0) this.#dispatch(await this.#udp!.receive());
      } catch (error) {
        // The socket failed (closed under us): every try waiting on it fails now, not at its timeout.
        for (const exchange of this.#exchanges) exchange.settle?.({ error: "ECONNREFUSED", cause: error });
      } finally {
        this.#reading = false;
      }
    })();
  }

  /** Reads a try's own socket until the try ends (closing it rejects the pending receive). */
  #readOwn(socket: ClosableDatagramSocket, settle: (outcome: Outcome) => void): void {
    void (async () => {
      try {
        for (;;) this.#dispatch(await socket.receive());
      } catch (error) {
        settle({ error: "ECONNREFUSED", cause: error });
      }
    })();
  }

  #dispatch(datagram: Datagram): void {
    this.stats.received++;
    const bytes = datagram.data;
    if (bytes.length < 12) {
      this.stats.malformed++;
      return;
    }
    const id = (bytes[0]! << 8) | bytes[1]!;
    const from = datagram.from;
    for (const exchange of this.#exchanges) {
      if (exchange.settle === undefined) continue;
      // RFC 5452 §9.1: the ID and the address and port the query went to must match.
      if (!exchange.sent.some((s) => s.id === id && s.server.port === from.port && s.server.address === from.address.toLowerCase())) continue;
      let message: Message;
      try {
        message = decodeMessage(bytes);
      } catch (error) {
        this.stats.malformed++;
        exchange.settle({ error: "EBADRESP", cause: error });
        return;
      }
      // … and so must the question, and it must be a response to a standard query.
      const question = message.question[0];
      if (!message.qr || message.opcode !== 0 || message.question.length !== 1 || question!.type !== exchange.type || question!.class !== RRClass.IN || lower(question!.name) !== exchange.key) continue;
      exchange.settle({ message });
      return;
    }
    this.stats.unmatched++;
  }

  /** The same question over TCP (RFC 1035 §4.2.2: two-octet length prefix), one connection per query. */
  async #overTcp(qname: string, type: number, syscall: string, hostname: string): Promise<Message> {
    const id = this.#freshId(this.servers[0]!);
    const query = encodeMessage(this.#queryMessage(id, qname, type));
    const framed = new Uint8Array(query.length + 2);
    framed[0] = query.length >>> 8;
    framed[1] = query.length & 0xff;
    framed.set(query, 2);
    let connection: Awaited<ReturnType<Connector["connect"]>> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        connection?.close();
        reject(new DnsError("ETIMEOUT", syscall, hostname, "no answer over TCP in time"));
      }, this.#timeout * 2);
    });
    const exchange = async (): Promise<Message> => {
      connection = await this.#tcp!.connect();
      await connection.write(framed);
      let buffer = new Uint8Array(0);
      for (;;) {
        if (buffer.length >= 2 && buffer.length >= 2 + ((buffer[0]! << 8) | buffer[1]!)) break;
        const chunk = await connection.read();
        if (chunk === null) throw new DnsError("EBADRESP", syscall, hostname, "the TCP connection closed before a whole answer");
        const joined = new Uint8Array(buffer.length + chunk.length);
        joined.set(buffer);
        joined.set(chunk, buffer.length);
        buffer = joined;
      }
      connection.close();
      let message: Message;
      try {
        message = decodeMessage(buffer.subarray(2, 2 + ((buffer[0]! << 8) | buffer[1]!)));
      } catch (error) {
        throw new DnsError("EBADRESP", syscall, hostname, undefined, { cause: error });
      }
      const question = message.question[0];
      if (message.id !== id || !message.qr || question === undefined || question.type !== type || lower(question.name) !== lower(qname)) throw new DnsError("EBADRESP", syscall, hostname, "the TCP answer is not for our question");
      return message;
    };
    try {
      return await Promise.race([exchange(), timeout]);
    } catch (error) {
      if (error instanceof DnsError) throw error;
      throw new DnsError("ECONNREFUSED", syscall, hostname, `TCP: ${(error as Error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
