/**
 * A unikernel that drives tsuki/kv on the real tender (isolate target) from a list of steps in its
 * args, and the host side that boots it on a block file and returns one result per step. Tests
 * change the file between runs (tearing, corrupting, truncating) to play crashes and bad disks.
 */

import path from "node:path";
import type { Image } from "../../../../src/host/image/image.ts";
import { buildSource, tempDir, testTender } from "../../../helpers.ts";

const SOURCE = `import { unikernel, block } from "tsuki";
import { KV } from "tsuki/kv";

/** Bytes of a value made from a length and a seed, so the host can check them without sending them. */
const pattern = (length, seed) => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
};
const summary = (bytes) => {
  if (bytes === undefined) return null;
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum * 33 + bytes[i]) >>> 0;
  return { length: bytes.length, sum };
};
const capture = async (f) => {
  try {
    const ok = await f();
    return { ok: ok === undefined ? null : ok };
  } catch (error) {
    return { error: error.code ?? error.name, message: error.message };
  }
};

export default unikernel({
  devices: { data: block() },
  async start({ data, args, console }) {
    let db;
    const opened = await capture(async () => { db = await KV.open(data, args.options ?? {}); });
    console.log(JSON.stringify(opened));
    if (!db) return;
    const run = (step) => {
      const [op, a, b, c] = step;
      switch (op) {
        case "put": return capture(() => db.put(a, b));
        case "fill": return capture(() => db.put(a, pattern(b, c)));
        case "get": return capture(() => db.getText(a) ?? null);
        case "summary": return capture(() => summary(db.get(a)));
        case "has": return capture(() => db.has(a));
        case "delete": return capture(() => db.delete(a));
        case "list": return capture(() => db.list(a));
        case "size": return capture(() => db.size);
        case "stats": return capture(() => db.stats());
        case "compact": return capture(() => db.compact());
        case "close": return capture(() => db.close());
        case "together": return capture(async () => (await Promise.all(a.map(run))).map((r) => r.ok ?? r.error));
        case "repeat": return capture(async () => { const out = []; for (let i = 0; i < a; i++) out.push(await run(JSON.parse(JSON.stringify(b).replaceAll("$i", String(i))))); return out.map((r) => r.ok ?? r.error); });
        default: throw new Error("unknown step " + op);
      }
    };
    for (const step of args.steps) console.log(JSON.stringify(await run(step)));
  },
});
`;

export type Step = readonly unknown[];
export interface Result {
  readonly ok?: unknown;
  readonly error?: string;
  readonly message?: string;
}

let built: Promise<Image> | undefined;
export const driverImage = (): Promise<Image> => (built ??= buildSource(SOURCE));

/** A fresh path for a block file in a temporary folder (the tender creates it at the bound size). */
export const blockFile = (): string => path.join(tempDir("tsuki-kv-"), "kv.img");

/** Boots the driver on `file` and runs `steps`; returns how opening went and one result per step. */
export async function runSteps(file: string, steps: readonly Step[], options: { size?: string; sector?: number; open?: Record<string, unknown> } = {}): Promise<{ open: Result; results: Result[] }> {
  const { tender, lines } = testTender("isolate");
  const query = [options.size ? `size=${options.size}` : "", options.sector ? `sector=${options.sector}` : ""].filter(Boolean).join("&");
  const unikernel = await tender.boot(await driverImage(), {
    bindings: [{ name: "data", uri: `file:${file}${query ? `?${query}` : ""}` }],
    args: { steps, options: options.open ?? {} },
  });
  const status = await unikernel.exited;
  const text = lines.map((l) => l.text);
  if (status.code !== 0) throw new Error(`the driver ended with ${status.code} (${status.reason}):\n${text.join("\n")}`);
  const [open, ...results] = text.map((t) => JSON.parse(t) as Result);
  return { open: open!, results };
}

/** The `ok` values of `runSteps`, failing if opening or any step failed. */
export async function okSteps(file: string, steps: readonly Step[], options: { size?: string; sector?: number; open?: Record<string, unknown> } = {}): Promise<unknown[]> {
  const { open, results } = await runSteps(file, steps, options);
  if (open.error) throw new Error(`open failed: ${open.error}: ${open.message}`);
  return results.map((r, i) => {
    if (r.error) throw new Error(`step ${JSON.stringify(steps[i])} failed: ${r.error}: ${r.message}`);
    return r.ok;
  });
}

/** The driver's summary checksum of its pattern(length, seed). */
export function checksum(length: number, seed: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum = (sum * 33 + ((i * 31 + seed) & 0xff)) >>> 0;
  return sum;
}
