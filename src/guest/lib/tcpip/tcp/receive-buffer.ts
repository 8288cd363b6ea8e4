/**
 * @module tcpip/tcp/receive-buffer
 * In-order bytes received and not yet read by the application. Segments are copied in as they
 * arrive into one accumulating buffer, so what a reader takes is the coalesced data of every
 * segment since its last read (one Uint8Array per turn in the bulk case, not one per segment).
 * Small reads are copied out and the accumulator reused; large ones hand the accumulator itself
 * over and start a fresh one.
 */

const CHUNK = 64 * 1024;
/** Below this many bytes, a read copies out and keeps the accumulator. */
const COPY_OUT = 4096;

export class ReceiveBuffer {
  #ready: Uint8Array[] = [];
  #current: Uint8Array | undefined;
  #used = 0;
  /** Unread bytes held. */
  buffered = 0;

  /** Copies `bytes` in. */
  append(bytes: Uint8Array): void {
    let at = 0;
    const length = bytes.length;
    this.buffered += length;
    while (at < length) {
      if (this.#current === undefined) {
        this.#current = new Uint8Array(Math.max(CHUNK, Math.min(length - at, 1024 * 1024)));
        this.#used = 0;
      }
      const room = this.#current.length - this.#used;
      const n = Math.min(room, length - at);
      this.#current.set(at === 0 && n === length ? bytes : bytes.subarray(at, at + n), this.#used);
      this.#used += n;
      at += n;
      if (this.#used === this.#current.length) {
        this.#ready.push(this.#current);
        this.#current = undefined;
      }
    }
  }

  /** The oldest unread bytes, or undefined when there are none. */
  take(): Uint8Array | undefined {
    let out: Uint8Array | undefined = this.#ready.shift();
    if (out === undefined) {
      if (this.#current === undefined || this.#used === 0) return undefined;
      if (this.#used <= COPY_OUT) {
        out = this.#current.slice(0, this.#used);
      } else {
        out = this.#current.subarray(0, this.#used);
        this.#current = undefined;
      }
      this.#used = 0;
    }
    this.buffered -= out.length;
    return out;
  }

  /** Drops everything (the connection was reset). */
  clear(): void {
    this.#ready = [];
    this.#current = undefined;
    this.#used = 0;
    this.buffered = 0;
  }
}
