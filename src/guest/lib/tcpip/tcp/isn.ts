/**
 * @module tcpip/tcp/isn
 * Initial sequence numbers (RFC 6528 §3): ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), where M is a timer ticking every 4 µs and F a keyed pseudo-random function. F here is
 * HalfSipHash-2-4 (Aumasson & Bernstein; the 32-bit SipHash Linux uses as hsiphash) under a 64-bit
 * key drawn once from the CSPRNG, so an off-path attacker cannot predict another connection's ISN
 * while successive connections of one 4-tuple still get increasing ISNs (RFC 6528 §3: the timer keeps
 * old duplicates of an earlier incarnation out of the new one's window).
 */

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

/** HalfSipHash-2-4 of the 32-bit words `words` under `key` (two 32-bit words): a 32-bit result. */
export function halfSipHash(key: readonly [number, number], words: readonly number[]): number {
  let v0 = key[0] >>> 0;
  let v1 = key[1] >>> 0;
  let v2 = (0x6c796765 ^ v0) >>> 0;
  let v3 = (0x74656462 ^ v1) >>> 0;
  const round = () => {
    v0 = (v0 + v1) >>> 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) >>> 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) >>> 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  };
  for (const word of words) {
    const m = word >>> 0;
    v3 = (v3 ^ m) >>> 0;
    round();
    round();
    v0 = (v0 ^ m) >>> 0;
  }
  // The final block: the message length in bytes in the top byte, nothing left over (whole words).
  const b = ((words.length * 4) << 24) >>> 0;
  v3 = (v3 ^ b) >>> 0;
  round();
  round();
  v0 = (v0 ^ b) >>> 0;
  v2 = (v2 ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}

/** Makes initial sequence numbers for one stack. */
export class IsnGenerator {
  #key: [number, number];

  /** `random` fills bytes from the CSPRNG. */
  constructor(random: (bytes: Uint8Array) => void) {
    const bytes = new Uint8Array(8);
    random(bytes);
    const view = new DataView(bytes.buffer);
    this.#key = [view.getUint32(0), view.getUint32(4)];
  }

  /** The ISN for a connection at `now` (ms). */
  next(now: number, localAddress: number, localPort: number, remoteAddress: number, remotePort: number): number {
    // RFC 6528 §3: M ticks every 4 µs, i.e. 250 per millisecond, modulo 2^32.
    const m = Math.floor(now * 250) % 0x1_0000_0000;
    const f = halfSipHash(this.#key, [localAddress, remoteAddress, ((localPort << 16) | remotePort) >>> 0]);
    return (m + f) >>> 0;
  }
}
