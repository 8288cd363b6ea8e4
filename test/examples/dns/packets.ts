/**
 * Hand-made DNS packets for the bad-input tests: well-formed queries to start from, and the
 * malformed ones the issue lists (QDCOUNT 0 or 2, truncated, oversized, compression loops, names
 * of 256+ octets, a label past the end, unknown opcodes, responses). Each is sent over UDP with
 * node:dgram, or over TCP with the two-octet length prefix, and the answer's header is decoded.
 */

import { createSocket } from "node:dgram";
import { connect } from "node:net";

/** The wire form of a name: labels, then the root. */
export function encodeName(name: string): Uint8Array {
  const bytes: number[] = [];
  for (const label of name.replace(/\.$/, "").split(".").filter(Boolean)) {
    const octets = new TextEncoder().encode(label);
    bytes.push(octets.length, ...octets);
  }
  bytes.push(0);
  return Uint8Array.from(bytes);
}

export interface Header {
  id?: number;
  flags?: number;
  qd?: number;
  an?: number;
  ns?: number;
  ar?: number;
}

export function header({ id = 0x1234, flags = 0x0100, qd = 1, an = 0, ns = 0, ar = 0 }: Header = {}): Uint8Array {
  const h = new Uint8Array(12);
  const v = new DataView(h.buffer);
  v.setUint16(0, id);
  v.setUint16(2, flags);
  v.setUint16(4, qd);
  v.setUint16(6, an);
  v.setUint16(8, ns);
  v.setUint16(10, ar);
  return h;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const u16 = (n: number) => [n >> 8, n & 0xff];

/** A plain query: `name` `type` IN, recursion desired. */
export function query(name: string, type = 1, options: Header & { klass?: number } = {}): Uint8Array {
  return concat(header(options), encodeName(name), u16(type), u16(options.klass ?? 1));
}

/** An OPT pseudo-record (EDNS(0)) advertising `size`. */
export const opt = (size = 1232, version = 0) => [0, ...u16(41), ...u16(size), 0, version, 0, 0, 0, 0];

/** What came back: the header fields, or null for no answer within the wait. */
export interface Reply {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rcode: number;
  readonly qd: number;
  readonly an: number;
  readonly ns: number;
  readonly ar: number;
  readonly bytes: Uint8Array;
}

export function decodeHeader(bytes: Uint8Array): Reply | null {
  if (bytes.length < 12) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = v.getUint16(2);
  return {
    id: v.getUint16(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    qd: v.getUint16(4),
    an: v.getUint16(6),
    ns: v.getUint16(8),
    ar: v.getUint16(10),
    bytes,
  };
}

export const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** A short description of a reply for comparisons: "silence" or "FORMERR qd=0 an=0 …". */
export function describe(reply: Reply | null): string {
  if (reply === null) return "silence";
  return `${reply.qr ? "" : "no-QR "}${RCODES[reply.rcode] ?? `RCODE${reply.rcode}`}${reply.tc ? " tc" : ""} qd=${reply.qd} an=${reply.an}`;
}

/** Sends one datagram to 127.0.0.1:`port` and waits up to `ms` for the first answer. */
export async function udpExchange(port: number, packet: Uint8Array, ms = 700): Promise<Reply | null> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  try {
    return await new Promise<Reply | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      socket.once("message", (message) => {
        clearTimeout(timer);
        resolve(decodeHeader(new Uint8Array(message)));
      });
      socket.send(packet, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/**
 * Sends every packet from one socket (each a datagram of its own), then collects the answers until
 * `quietMs` pass without one: late answers are answers, not silence. Returns each answer's bytes.
 */
export async function udpBurst(port: number, packets: readonly Uint8Array[], quietMs = 500): Promise<Uint8Array[]> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const replies: Uint8Array[] = [];
  try {
    return await new Promise<Uint8Array[]>((resolve) => {
      let timer = setTimeout(() => resolve(replies), quietMs * 4);
      socket.on("message", (message) => {
        replies.push(new Uint8Array(message));
        clearTimeout(timer);
        timer = setTimeout(() => resolve(replies), quietMs);
      });
      for (const packet of packets) socket.send(packet, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/**
 * Writes `stream` (already framed, or framed here when `frame` is true) on a TCP connection and
 * collects framed answers until the server closes, `count` answers came, or `ms` passed.
 */
export function tcpExchange(port: number, stream: Uint8Array, options: { frame?: boolean; count?: number; ms?: number } = {}): Promise<{ replies: Reply[]; closed: boolean }> {
  const data = options.frame === false ? stream : concat(u16(stream.length), stream);
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let buffered: Uint8Array = new Uint8Array(0);
    const replies: Reply[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(() => finish(false), options.ms ?? 1500);
    socket.on("data", (chunk) => {
      buffered = concat(buffered, new Uint8Array(chunk));
      while (buffered.length >= 2) {
        const length = (buffered[0]! << 8) | buffered[1]!;
        if (buffered.length < 2 + length) break;
        const reply = decodeHeader(buffered.slice(2, 2 + length));
        if (reply) replies.push(reply);
        buffered = buffered.slice(2 + length);
      }
      if (options.count !== undefined && replies.length >= options.count) finish(false);
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.write(data);
  });
}

/** The malformed packets of the issue's list, each named, for UDP. */
export function badPackets(): { name: string; packet: Uint8Array }[] {
  const www = encodeName("www.example.com");
  const q = (extra: Header = {}) => header(extra);
  const tail = [...u16(1), ...u16(1)];
  // A name that is its own compression pointer, and two pointers pointing at each other.
  const selfLoop = concat(q(), [0xc0, 12], tail);
  const pairLoop = concat(q(), [3, 0x77, 0x77, 0x77, 0xc0, 16, 0xc0, 12], tail);
  // A pointer forward, past the end of the packet.
  const pastEnd = concat(q(), [0xc0, 0xff], tail);
  // 256+ octets: five labels of 63 octets.
  const longLabels: number[] = [];
  for (let i = 0; i < 5; i++) longLabels.push(63, ...new Array(63).fill(0x61));
  const tooLong = concat(q(), longLabels, [0], tail);
  // A label whose length runs past the end of the packet.
  const labelPastEnd = concat(q(), [3, 0x77, 0x77, 0x77, 40, 0x61, 0x62]);
  // A label type 0x40/0x80 (reserved / extended labels).
  const reservedLabel = concat(q(), [0x41, 0, 0], tail);
  return [
    { name: "QDCOUNT 0", packet: concat(q({ qd: 0 })) },
    { name: "QDCOUNT 2", packet: concat(q({ qd: 2 }), www, tail, www, tail) },
    { name: "QDCOUNT 2 with one question", packet: concat(q({ qd: 2 }), www, tail) },
    { name: "only 5 octets", packet: Uint8Array.of(0x12, 0x34, 0x01, 0x00, 0x00) },
    { name: "a header and nothing else", packet: q() },
    { name: "the question's type and class cut off", packet: concat(q(), www, [0]) },
    { name: "a label past the end", packet: labelPastEnd },
    { name: "a compression pointer to itself", packet: selfLoop },
    { name: "two compression pointers in a loop", packet: pairLoop },
    { name: "a compression pointer past the end", packet: pastEnd },
    { name: "a name of 320 octets", packet: tooLong },
    { name: "a reserved label type", packet: reservedLabel },
    { name: "ARCOUNT 1 with no record", packet: concat(q({ ar: 1 }), www, tail) },
    { name: "ANCOUNT 5 with no records", packet: concat(q({ an: 5 }), www, tail) },
    { name: "an OPT record cut in the middle", packet: concat(q({ ar: 1 }), www, tail, opt().slice(0, 7)) },
    { name: "two OPT records", packet: concat(q({ ar: 2 }), www, tail, opt(), opt()) },
    { name: "EDNS version 1", packet: concat(q({ ar: 1 }), www, tail, opt(1232, 1)) },
    { name: "trailing garbage after the question", packet: concat(q(), www, tail, [1, 2, 3, 4, 5]) },
    { name: "a 65,000-octet datagram", packet: concat(q(), www, tail, new Uint8Array(65_000 - 33)) },
    { name: "a response (QR set)", packet: concat(q({ flags: 0x8100 }), www, tail) },
    { name: "opcode IQUERY (1)", packet: concat(q({ flags: 0x0800 }), www, tail) },
    { name: "opcode STATUS (2)", packet: concat(q({ flags: 0x1000 }), www, tail) },
    { name: "opcode NOTIFY (4) from a stranger", packet: concat(q({ flags: 0x2400 }), encodeName("example.com"), [0, 6, 0, 1]) },
    { name: "opcode UPDATE (5)", packet: concat(q({ flags: 0x2800 }), encodeName("example.com"), [0, 6, 0, 1]) },
    { name: "opcode 15", packet: concat(q({ flags: 0x7800 }), www, tail) },
    { name: "the Z bit set", packet: concat(q({ flags: 0x0140 }), www, tail) },
    { name: "class 0", packet: concat(q(), www, [0, 1, 0, 0]) },
    { name: "type 0", packet: concat(q(), www, [0, 0, 0, 1]) },
    { name: "type AXFR over UDP", packet: concat(q(), encodeName("example.com"), [0, 252, 0, 1]) },
    { name: "type IXFR over UDP", packet: concat(q(), encodeName("example.com"), [0, 251, 0, 1]) },
    { name: "type MAILB (253)", packet: concat(q(), www, [0, 253, 0, 1]) },
    { name: "type OPT (41) as the question", packet: concat(q(), www, [0, 41, 0, 1]) },
    { name: "class NONE (254)", packet: concat(q(), www, [0, 1, 0, 254]) },
  ];
}

/**
 * Why `bytes` is not a well-formed DNS message, or undefined: every name (labels and compression
 * pointers, each pointing back), every record's RDATA length, the counts of the header, and
 * nothing after the last record. A stand-in for "dig can parse it" that needs no process.
 */
export function malformation(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return `${bytes.length} octets is shorter than a header`;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  const name = (): string | undefined => {
    let length = 0;
    let position = at;
    let jumped = false;
    for (let hops = 0; hops < 128; hops++) {
      if (position >= bytes.length) return `a name runs past the end at ${position}`;
      const b = bytes[position]!;
      if (b === 0) {
        if (!jumped) at = position + 1;
        return length + 1 > 255 ? "a name longer than 255 octets" : undefined;
      }
      if ((b & 0xc0) === 0xc0) {
        if (position + 1 >= bytes.length) return "a pointer cut off";
        const target = ((b & 0x3f) << 8) | bytes[position + 1]!;
        if (target >= position) return `a pointer forward at ${position}`;
        if (!jumped) at = position + 2;
        jumped = true;
        position = target;
        continue;
      }
      if ((b & 0xc0) !== 0) return `a label type 0x${b.toString(16)} at ${position}`;
      length += b + 1;
      position += b + 1;
    }
    return "too many labels or pointers";
  };
  for (let i = 0; i < v.getUint16(4); i++) {
    const problem = name();
    if (problem) return `question ${i}: ${problem}`;
    at += 4;
  }
  const records = v.getUint16(6) + v.getUint16(8) + v.getUint16(10);
  for (let i = 0; i < records; i++) {
    const problem = name();
    if (problem) return `record ${i}: ${problem}`;
    if (at + 10 > bytes.length) return `record ${i} is cut off`;
    at += 10 + v.getUint16(at + 8);
  }
  if (at > bytes.length) return `the last record or question is cut off (${at - bytes.length} octets missing)`;
  return at === bytes.length ? undefined : `${bytes.length - at} octets after the last record`;
}
