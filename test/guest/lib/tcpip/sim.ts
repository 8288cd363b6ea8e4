/**
 * A deterministic in-memory network of TCP stacks with a virtual clock: each host is a `Tcp` over a
 * fake `IpLayer`; segments cross a link with seeded loss, duplication, reordering, delay, jitter, a
 * bandwidth and a drop-tail queue; time jumps to the next packet arrival or timer deadline, so a
 * thousand simulated seconds take one real one. Application code (async socket calls) runs between
 * turns, as it would between the event batches of a unikernel.
 *
 * Hooks let tests watch, change or drop every segment (`tap`) and inject raw segments (`inject`);
 * the helpers at the end record the wire, list connection states, and set up an established pair
 * with the numbers a crafted segment needs.
 */

import assert from "node:assert/strict";
import type { IpLayer, TransportContext } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { TCP_STATE_NAMES, Tcp, type TcpConnection, type TcpOptions } from "../../../../src/guest/lib/tcpip/tcp/index.ts";
import { ACK, FIN, PSH, RST, SYN, TcpPacket, TcpRepr } from "../../../../src/guest/lib/tcpip/wire/tcp.ts";

/** mulberry32: a small seeded PRNG, [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkOptions {
  /** One-way propagation delay (ms, default 5). */
  delayMs?: number;
  /** Uniform extra delay 0..jitterMs (ms, default 0). */
  jitterMs?: number;
  /** Probability a packet is lost (default 0). */
  loss?: number;
  /** Probability a packet is delivered twice (default 0). */
  duplicate?: number;
  /** Probability a packet is held back by `reorderDelayMs` (default 0). */
  reorder?: number;
  reorderDelayMs?: number;
  /** Bits per second each way (default 1e9); Infinity for none. */
  bandwidth?: number;
  /** Drop-tail queue at each sender, in ms of transmission time (default 50). */
  queueMs?: number;
  /** The link MTU (default 1500). */
  mtu?: number;
}

interface Packet {
  at: number;
  order: number;
  from: Host;
  to: Host;
  bytes: Uint8Array;
}

/** A segment as a tap sees it (parsed for convenience), with its raw bytes. */
export interface TapSegment {
  from: string;
  to: string;
  at: number;
  repr: TcpRepr;
  bytes: Uint8Array;
}

export class Host implements IpLayer, TransportContext {
  readonly name: string;
  readonly address: number;
  readonly tcp: Tcp;
  readonly ip: IpLayer = this;
  readonly sim: Sim;
  woken = true;
  deadline = 0;
  /** Packets sent, for the link's bandwidth model. */
  linkFree = 0;
  #random: () => number;

  constructor(sim: Sim, name: string, address: number, seed: number, options?: TcpOptions) {
    this.sim = sim;
    this.name = name;
    this.address = address;
    this.#random = prng(seed);
    this.tcp = new Tcp(this, options);
  }

  payloadMtu(_destination: number): number {
    return this.sim.mtu - 20;
  }

  send(destination: number, protocol: number, length: number, fill: (buffer: Uint8Array, offset: number) => void, source?: number): boolean {
    if (protocol !== 6) throw new Error("sim: only TCP");
    if (length > this.sim.mtu - 20) throw new Error(`sim: a segment of ${length} bytes exceeds the MTU`);
    const bytes = new Uint8Array(length);
    fill(bytes, 0);
    if (source !== undefined && source !== this.address) throw new Error("sim: wrong source address");
    this.sim.transmit(this, destination, bytes);
    return true;
  }

  now(): number {
    return this.sim.now;
  }

  wake(): void {
    this.woken = true;
  }

  random(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(this.#random() * 256);
  }
}

export interface SimOptions {
  seed?: number;
  link?: LinkOptions;
  /** Options for both stacks, or per stack. */
  tcp?: TcpOptions;
  tcpA?: TcpOptions;
  tcpB?: TcpOptions;
}

export const ADDRESS_A = 0x0a000001; // 10.0.0.1
export const ADDRESS_B = 0x0a000002; // 10.0.0.2

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Sim {
  now = 0;
  readonly a: Host;
  readonly b: Host;
  readonly mtu: number;
  readonly link: Required<LinkOptions>;
  #random: () => number;
  #heap: Packet[] = [];
  #order = 0;
  /** Sees every packet on the wire; return false to drop it. May change `bytes` in place. */
  tap: ((segment: TapSegment) => boolean | void) | undefined;
  /** Packets carried and lost, for reports. */
  delivered = 0;
  lost = 0;
  turns = 0;

  constructor(options: SimOptions = {}) {
    const seed = options.seed ?? 1;
    this.#random = prng(seed);
    this.link = { delayMs: 5, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 3, bandwidth: 1e9, queueMs: 50, mtu: 1500, ...options.link };
    this.mtu = this.link.mtu;
    this.a = new Host(this, "a", ADDRESS_A, seed * 7 + 1, { ...options.tcp, ...options.tcpA });
    this.b = new Host(this, "b", ADDRESS_B, seed * 13 + 2, { ...options.tcp, ...options.tcpB });
  }

  host(address: number): Host | undefined {
    return address === this.a.address ? this.a : address === this.b.address ? this.b : undefined;
  }

  /** Puts a packet on the wire from `from`, through the link model. */
  transmit(from: Host, destination: number, bytes: Uint8Array): void {
    const to = this.host(destination);
    if (to === undefined) return;
    if (this.tap) {
      const packet = TcpPacket.check(bytes);
      const repr = new TcpRepr();
      if (typeof packet !== "string") repr.parse(packet);
      if (this.tap({ from: from.name, to: to.name, at: this.now, repr, bytes }) === false) return;
    }
    const link = this.link;
    const random = this.#random;
    // Serialization at the sender, with a drop-tail queue.
    let departure = this.now;
    if (link.bandwidth !== Infinity) {
      const start = Math.max(this.now, from.linkFree);
      if (start - this.now > link.queueMs) {
        this.lost++;
        return;
      }
      departure = start + ((bytes.length + 40) * 8 * 1000) / link.bandwidth;
      from.linkFree = departure;
    }
    if (random() < link.loss) {
      this.lost++;
      return;
    }
    const copies = random() < link.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let at = departure + link.delayMs + random() * link.jitterMs;
      if (random() < link.reorder) at += link.reorderDelayMs;
      this.#push({ at, order: this.#order++, from, to, bytes: i === 0 ? bytes : bytes.slice() });
    }
  }

  /** Delivers raw TCP bytes to `to` as if from `fromAddress` (for crafted segments). */
  inject(to: Host, fromAddress: number, bytes: Uint8Array): void {
    to.tcp.input(this.now, fromAddress, to.address, bytes);
    to.woken = true;
  }

  /**
   * Runs turns until `until()` holds (checked after each turn), for at most `limitMs` of simulated
   * time. Returns whether `until` held.
   */
  async run(until: () => boolean, limitMs = 60_000): Promise<boolean> {
    const end = this.now + limitMs;
    for (;;) {
      this.#turn();
      await nextTurn();
      if (until()) return true;
      if (this.a.woken || this.b.woken) continue;
      const next = Math.min(this.#heap[0]?.at ?? Infinity, this.a.deadline, this.b.deadline);
      if (next > end) {
        this.now = end;
        return until();
      }
      if (next > this.now) this.now = next;
    }
  }

  /** Runs for `ms` of simulated time. */
  async runFor(ms: number): Promise<void> {
    await this.run(() => false, ms);
  }

  #turn(): void {
    this.turns++;
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.at <= this.now) {
      const packet = this.#pop();
      this.delivered++;
      packet.to.tcp.input(this.now, packet.from.address, packet.to.address, packet.bytes);
      packet.to.woken = true;
    }
    for (const host of [this.a, this.b]) {
      if (host.woken || host.deadline <= this.now) {
        host.woken = false;
        host.deadline = host.tcp.poll(this.now);
      }
    }
  }

  #push(packet: Packet): void {
    const heap = this.#heap;
    heap.push(packet);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): Packet {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Packet, y: Packet): boolean {
  return x.at < y.at || (x.at === y.at && x.order < y.order);
}

/** Deterministic pseudo-random bytes. */
export function testData(length: number, seed = 42): Uint8Array {
  const random = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const v = Math.floor(random() * 4294967296);
    out[i] = v & 0xff;
    if (i + 1 < length) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < length) out[i + 3] = v >>> 24;
  }
  return out;
}

/** Reads a connection to its end; the bytes and whether it ended with an error. */
export function collect(connection: { read(): Promise<Uint8Array | null> }): { chunks: Uint8Array[]; length: number; done: boolean; error: Error | undefined; bytes(): Uint8Array } {
  const state = {
    chunks: [] as Uint8Array[],
    length: 0,
    done: false,
    error: undefined as Error | undefined,
    bytes(): Uint8Array {
      const out = new Uint8Array(state.length);
      let at = 0;
      for (const chunk of state.chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      return out;
    },
  };
  void (async () => {
    try {
      for (;;) {
        const chunk = await connection.read();
        if (chunk === null) break;
        state.chunks.push(chunk);
        state.length += chunk.length;
      }
    } catch (error) {
      state.error = error as Error;
    }
    state.done = true;
  })();
  return state;
}

/** Writes `data` in pieces of `piece` bytes, awaiting each (backpressure), then ends unless told not to. */
export async function sendAll(connection: { write(data: Uint8Array): Promise<void>; end(): Promise<void> }, data: Uint8Array, piece = 64 * 1024, end = true): Promise<void> {
  for (let at = 0; at < data.length; at += piece) await connection.write(data.subarray(at, Math.min(data.length, at + piece)));
  if (end) await connection.end();
}

/** A raw segment, checksummed, for injection. */
export function segment(fields: { sourcePort: number; destinationPort: number; seq: number; ack?: number; flags: number; window?: number; payload?: Uint8Array; mss?: number; windowScale?: number }, source: number, destination: number): Uint8Array {
  const repr = new TcpRepr();
  repr.sourcePort = fields.sourcePort;
  repr.destinationPort = fields.destinationPort;
  repr.seq = fields.seq >>> 0;
  repr.ack = (fields.ack ?? 0) >>> 0;
  repr.flags = fields.flags;
  repr.window = fields.window ?? 65535;
  repr.mss = fields.mss ?? -1;
  repr.windowScale = fields.windowScale ?? -1;
  repr.payload = fields.payload ?? new Uint8Array(0);
  const bytes = new Uint8Array(repr.bufferLength());
  repr.emit(bytes, 0, source, destination);
  return bytes;
}

export const FLAGS = { ACK, FIN, PSH, RST, SYN };

// ——— Helpers for the state and input tests ———

export interface Seen {
  from: string;
  at: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  length: number;
  mss: number;
  windowScale: number;
}

export function flagNames(flags: number): string {
  return [flags & SYN ? "S" : "", flags & FIN ? "F" : "", flags & RST ? "R" : "", flags & ACK ? "." : ""].join("");
}

/** Records every segment the link carries (before loss). */
export function record(sim: Sim, drop?: (seen: Seen) => boolean): Seen[] {
  const seen: Seen[] = [];
  sim.tap = ({ from, at, repr }) => {
    const entry = { from, at, seq: repr.seq, ack: repr.ack, flags: repr.flags, window: repr.window, length: repr.payload.length, mss: repr.mss, windowScale: repr.windowScale };
    seen.push(entry);
    return drop ? !drop(entry) : true;
  };
  return seen;
}

/** The state names of a host's connections. */
export function states(host: Host): string[] {
  return host.tcp.connectionStates.map((c) => TCP_STATE_NAMES[c.state]!);
}

export interface Pair {
  sim: Sim;
  client: TcpConnection;
  server: TcpConnection;
  seen: Seen[];
  clientPort: number;
}

/** Connects side a to a listener on side b's `port`, in simulated time. */
export async function connectPair(sim: Sim, port = 80): Promise<{ client: TcpConnection; server: TcpConnection }> {
  const listener = sim.b.tcp.listen(port);
  let server: TcpConnection | undefined;
  void listener.accept().then((c) => (server = c as TcpConnection));
  let client: TcpConnection | undefined;
  void sim.a.tcp.connect("10.0.0.2", port).then((c) => (client = c));
  assert.ok(await sim.run(() => client !== undefined && server !== undefined, 5000));
  return { client: client!, server: server! };
}

export async function pair(options: SimOptions = {}, port = 80): Promise<Pair> {
  const sim = new Sim(options);
  const seen = record(sim);
  const { client, server } = await connectPair(sim, port);
  await sim.runFor(100);
  return { sim, client, server, seen, clientPort: client.local.port };
}

/** The last segment `from` sent: its SEQ and ACK are what the other side expects next. */
export function last(seen: Seen[], from: string): Seen {
  for (let i = seen.length - 1; i >= 0; i--) if (seen[i]!.from === from) return seen[i]!;
  throw new Error(`no segment from ${from}`);
}

/** Injects a segment into b as if from a's connection (a's port → 80), numbers relative to the pair's. */
export function injectToServer(p: Pair, fields: { seq: number; ack?: number; flags: number; window?: number; payload?: Uint8Array }): void {
  const bytes = segment({ sourcePort: p.clientPort, destinationPort: 80, ...fields }, ADDRESS_A, ADDRESS_B);
  p.sim.inject(p.sim.b, ADDRESS_A, bytes);
}
