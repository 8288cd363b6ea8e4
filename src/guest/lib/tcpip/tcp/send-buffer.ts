/**
 * @module tcpip/tcp/send-buffer
 * The bytes written and not yet acknowledged, as a list of chunks (the writes themselves, copied
 * once when written) with an offset into the first: acknowledging drops whole chunks and moves the
 * offset, and a segment is copied straight from the chunks into the IP layer's buffer. Lookups
 * remember the last chunk found, so sending a window front to back costs O(1) per segment.
 */

export class SendBuffer {
  #chunks: Uint8Array[] = [];
  /** Index of the first live chunk in `#chunks`. */
  #head = 0;
  /** Bytes of the first live chunk already acknowledged. */
  #offset = 0;
  /** Bytes held. */
  length = 0;
  // The lookup cache: chunk index and the buffer offset at which that chunk's live bytes start.
  #cacheIndex = 0;
  #cacheStart = 0;

  /** Appends `bytes` (the buffer keeps them: pass a copy). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Drops the first `n` bytes (acknowledged). */
  shift(n: number): void {
    if (n <= 0) return;
    if (n >= this.length) {
      this.#chunks = [];
      this.#head = 0;
      this.#offset = 0;
      this.length = 0;
      this.#cacheIndex = 0;
      this.#cacheStart = 0;
      return;
    }
    this.length -= n;
    let left = n;
    while (left > 0) {
      const first = this.#chunks[this.#head]!;
      const live = first.length - this.#offset;
      if (left < live) {
        this.#offset += left;
        break;
      }
      left -= live;
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
      this.#offset = 0;
    }
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#cacheIndex -= this.#head;
      this.#head = 0;
    }
    // The cache is in buffer offsets: shift it too, or reset it if its chunk is gone.
    this.#cacheStart -= n;
    if (this.#cacheIndex < this.#head || this.#cacheStart < 0) {
      this.#cacheIndex = this.#head;
      this.#cacheStart = 0;
    }
  }

  /** Copies `length` bytes starting `from` bytes into the buffer to `target[at..]`. */
  copyTo(from: number, length: number, target: Uint8Array, at: number): void {
    if (from < 0 || from + length > this.length) throw new RangeError("send buffer: copy outside the buffered bytes");
    let index: number;
    let start: number;
    if (from >= this.#cacheStart && this.#cacheIndex >= this.#head) {
      index = this.#cacheIndex;
      start = this.#cacheStart;
    } else {
      index = this.#head;
      start = 0;
    }
    // Walk to the chunk that holds `from`.
    for (;;) {
      const chunk = this.#chunks[index]!;
      const live = chunk.length - (index === this.#head ? this.#offset : 0);
      if (from < start + live) break;
      start += live;
      index++;
    }
    this.#cacheIndex = index;
    this.#cacheStart = start;
    let left = length;
    let position = from;
    while (left > 0) {
      const chunk = this.#chunks[index]!;
      const base = index === this.#head ? this.#offset : 0;
      const inChunk = base + (position - start);
      const n = Math.min(left, chunk.length - inChunk);
      target.set(n === chunk.length ? chunk : chunk.subarray(inChunk, inChunk + n), at);
      at += n;
      left -= n;
      position += n;
      if (inChunk + n === chunk.length) {
        start += chunk.length - base;
        index++;
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
