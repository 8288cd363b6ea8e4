/**
 * What a differential scenario records: a value made comparable as JSON, or the kind of error an
 * operation threw (its class, and a DOMException's name), never the message, which runtimes word
 * differently.
 */

export type Observation = { id: string; value: unknown } | { id: string; error: string };

export function errorKind(error: unknown): string {
  if (typeof error !== "object" || error === null) return `thrown ${typeof error}`;
  const name = (error as { constructor?: { name?: string } }).constructor?.name ?? "Object";
  return name === "DOMException" ? `DOMException:${(error as DOMException).name}` : name;
}

/** JSON-comparable form of what web APIs give back. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return { bytes: hex(new Uint8Array(value as ArrayBuffer)) };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return value ?? null;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof File === "function" && value instanceof File) return { file: value.name, type: value.type, size: value.size };
  if (typeof Blob === "function" && value instanceof Blob) return { blob: value.type, size: value.size };
  if (typeof value === "object") return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, plain(v)]));
  return String(value);
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export class Recorder {
  readonly observations: Observation[] = [];

  async record(id: string, run: () => unknown): Promise<void> {
    try {
      this.observations.push({ id, value: plain(await run()) });
    } catch (error) {
      this.observations.push({ id, error: errorKind(error) });
    }
  }
}
