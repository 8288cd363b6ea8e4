/**
 * @module tsuki/kv/key-index
 * The in-memory index: each live key and where its value is on the device. Values stay on the
 * device and are read on `get`. The sorted key order for `list` is built on first use and then
 * kept up to date by binary search, so replaying a log does not pay for an insertion sort.
 * Keys sort as JavaScript strings do (by UTF-16 code unit).
 */

export interface Entry {
  /** Absolute byte offset of the value on the device. */
  readonly offset: number;
  readonly length: number;
  /** The whole record's length, for accounting the live data. */
  readonly recordLength: number;
}

export class KeyIndex {
  #entries = new Map<string, Entry>();
  #sorted: string[] | undefined;
  #liveBytes = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes the live records take, headers included. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  get(key: string): Entry | undefined {
    return this.#entries.get(key);
  }

  set(key: string, entry: Entry): void {
    const old = this.#entries.get(key);
    this.#liveBytes += entry.recordLength - (old?.recordLength ?? 0);
    this.#entries.set(key, entry);
    if (!old && this.#sorted) this.#sorted.splice(lowerBound(this.#sorted, key), 0, key);
  }

  delete(key: string): boolean {
    const old = this.#entries.get(key);
    if (!old) return false;
    this.#liveBytes -= old.recordLength;
    this.#entries.delete(key);
    if (this.#sorted) this.#sorted.splice(lowerBound(this.#sorted, key), 1);
    return true;
  }

  entries(): IterableIterator<[string, Entry]> {
    return this.#entries.entries();
  }

  /** Up to `limit` keys ≥ `start` that begin with `prefix`, in order. */
  list(prefix: string, start: string, limit: number): string[] {
    const sorted = (this.#sorted ??= [...this.#entries.keys()].sort());
    const out: string[] = [];
    for (let i = lowerBound(sorted, start > prefix ? start : prefix); i < sorted.length && out.length < limit; i++) {
      const key = sorted[i]!;
      if (!key.startsWith(prefix)) break;
      out.push(key);
    }
    return out;
  }
}

/** The first index in `sorted` whose key is ≥ `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
