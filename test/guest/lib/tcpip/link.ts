/**
 * In-memory Ethernet links for tsuki/tcpip tests: `testNet()` is one `net()` device whose sent
 * frames are recorded and into which a test injects hand-written frames; `linkPair()` connects two
 * devices as a cable would, delivering each side's frames to the other in a later macrotask, in
 * batches (as the host delivers the frames of one turn together), with optional loss, corruption
 * or a tap that sees every frame. Frames are copied on send, like the real device.
 */

import type { Net } from "../../../../src/guest/sdk/devices.ts";

export interface TestNet extends Net {
  /** Copies of every frame sent, in order. */
  readonly sent: Uint8Array[];
  /** Hands frames to the receiver now, as one batch (frames are delivered as views of copies). */
  inject(...frames: Uint8Array[]): void;
  /** Whether a receiver is set. */
  readonly receiving: boolean;
}

let counter = 0;

/** A MAC of the locally administered, unicast kind: 02:00:00:00:00:NN. */
export function testMac(n: number): Uint8Array {
  return new Uint8Array([0x02, 0, 0, 0, (n >>> 8) & 0xff, n & 0xff]);
}

/** One device whose sends are recorded (and passed to `onSend` if given). */
export function testNet(options: { mac?: Uint8Array; mtu?: number; name?: string; onSend?: (frame: Uint8Array) => void } = {}): TestNet {
  let receiver: ((frame: Uint8Array) => void) | undefined;
  const waiting: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  return {
    kind: "net",
    name: options.name ?? `net${++counter}`,
    mac: options.mac ?? testMac(1),
    mtu: options.mtu ?? 1500,
    sent,
    get receiving() {
      return receiver !== undefined;
    },
    send(frame: Uint8Array) {
      const copy = frame.slice();
      sent.push(copy);
      options.onSend?.(copy);
    },
    receive(onFrame: (frame: Uint8Array) => void) {
      receiver = onFrame;
      while (waiting.length > 0) onFrame(waiting.shift()!);
    },
    inject(...frames: Uint8Array[]) {
      for (const frame of frames) {
        if (receiver === undefined) waiting.push(frame.slice());
        else receiver(frame.slice());
      }
    },
  };
}

export interface LinkOptions {
  mtu?: number;
  /** Called with every frame crossing (and its direction); returning false drops it. */
  filter?: (frame: Uint8Array, from: "a" | "b") => boolean;
  /** Keeps a copy of every frame crossing when given an array. */
  capture?: { from: "a" | "b"; frame: Uint8Array }[];
}

/** Two devices joined by a cable: a's frames reach b, b's reach a, one macrotask later. */
export function linkPair(options: LinkOptions = {}): { a: TestNet; b: TestNet } {
  const queues: Record<"a" | "b", Uint8Array[]> = { a: [], b: [] };
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    // One batch per side: everything sent so far crosses now.
    const toB = queues.a.splice(0);
    const toA = queues.b.splice(0);
    b.inject(...toB);
    a.inject(...toA);
  };
  const sender = (from: "a" | "b") => (frame: Uint8Array) => {
    if (options.filter !== undefined && !options.filter(frame, from)) return;
    options.capture?.push({ from, frame });
    queues[from].push(frame);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const a = testNet({ mac: testMac(0xa), mtu: options.mtu, name: "a", onSend: sender("a") });
  const b = testNet({ mac: testMac(0xb), mtu: options.mtu, name: "b", onSend: sender("b") });
  return { a, b };
}

/** Frames from hex (whitespace and `#` comments ignored). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError("hex: odd length or not hex");
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Resolves after `n` macrotasks (lets frames cross a link and the stacks answer). */
export async function settle(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
