/**
 * @module host/common/size
 * Sizes as operators write them, for every place that takes one (`--mem`, `memory:`, a block
 * device's `size`): a whole number, or one followed by K, M, G or T (powers of 1024, with an
 * optional `i` and `B`: `64M`, `64MiB`, `1G`). A bare number counts in `unit` bytes.
 */

export function parseSize(value: unknown, unit = 1): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value * unit : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+)\s*(?:([KMGT])i?B?|B)?$/i.exec(value.trim());
  if (!m) return undefined;
  const scale = m[2] === undefined ? (/B$/i.test(value.trim()) ? 1 : unit) : 1024 ** "_KMGT".indexOf(m[2].toUpperCase());
  const bytes = Number(m[1]) * scale;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A memory limit in MiB (a bare number is MiB): possibly fractional, which callers refuse. */
export function parseMemoryMb(value: unknown): number | undefined {
  const bytes = parseSize(value, 2 ** 20);
  return bytes === undefined ? undefined : bytes / 2 ** 20;
}

/** Bytes in the largest unit that divides them exactly: 2097152 → "2M", 1000 → "1000". */
export function formatSize(bytes: number): string {
  for (const [unit, scale] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}
