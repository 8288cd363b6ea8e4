/**
 * A seeded generator for the differential scenarios (mulberry32), with the pickers they share.
 * No Node built-ins: the scenarios run inside a unikernel and in Deno too.
 */

export class Random {
  #seed: number;

  constructor(seed: number) {
    this.#seed = seed | 0;
  }

  next(): number {
    this.#seed = (this.#seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#seed ^ (this.#seed >>> 15), 1 | this.#seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** Text from `alphabet` (code points), up to `max` of them. */
  text(alphabet: string, max: number): string {
    const points = [...alphabet];
    let out = "";
    for (let i = this.int(max + 1); i > 0; i--) out += this.pick(points);
    return out;
  }
}

/** Text with the characters that trip parsers up: whitespace, controls, Latin-1, astral, lone surrogates. */
export const WILD = "aZ09 -_.:;=,\"'\\/\t\r\n\0\u00e9\u00ff\u0100\u2603\u{1F600}\ud800%+&?#";
