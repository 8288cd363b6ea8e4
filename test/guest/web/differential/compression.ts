/**
 * CompressionStream and DecompressionStream: seeded data (random, repetitive, empty) in every
 * format compressed and decompressed back through random chunk boundaries, and streams made by
 * the host's zlib (given in, the same for every runtime) decompressed whole, truncated, with a
 * byte flipped, and with bytes after the end: the output, or the class of the error.
 */

import { type Recorder, hex } from "./observe.ts";
import { Random } from "./random.ts";

const FORMATS = ["gzip", "deflate", "deflate-raw"] as const;

async function through(data: Uint8Array, stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<ArrayBufferView | ArrayBuffer> }, cuts: number[]): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const collected = (async () => {
    const parts: number[] = [];
    for await (const chunk of stream.readable as unknown as AsyncIterable<Uint8Array>) parts.push(...chunk);
    return new Uint8Array(parts);
  })();
  // Whichever side fails first, both promises are awaited: no rejection is left unhandled.
  const written = (async () => {
    let at = 0;
    for (const cut of [...cuts, data.length]) {
      const end = Math.min(Math.max(cut, at), data.length);
      if (end > at) await writer.write(data.slice(at, end));
      at = end;
    }
    await writer.close();
  })();
  const [output, input] = await Promise.allSettled([collected, written]);
  if (output.status === "rejected") throw output.reason;
  if (input.status === "rejected") throw input.reason;
  return output.value;
}

/** `samples`: format → base64 of a zlib-made stream of `sampleText`. */
export async function compression(recorder: Recorder, seed: number, cases: number, samples: Record<string, string>): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const format = random.pick(FORMATS);
    const data = random.pick(["random", "repeat", "empty"]) === "random" ? random.bytes(random.int(3000)) : new TextEncoder().encode("tsuki ".repeat(random.int(500)));
    const cuts = Array.from({ length: 3 }, () => random.int(data.length + 1)).sort((a, b) => a - b);
    await recorder.record(`compression/${c} ${format} ${data.length} bytes round trip`, async () => {
      const packed = await through(data, new CompressionStream(format), cuts);
      const unpacked = await through(packed, new DecompressionStream(format), [random.int(packed.length + 1)]);
      return hex(unpacked) === hex(data);
    });
  }
  for (const format of FORMATS) {
    const packed = Uint8Array.from(atob(samples[format]!), (ch) => ch.charCodeAt(0));
    const variants: [string, Uint8Array][] = [
      ["whole", packed],
      ["truncated", packed.slice(0, packed.length - 3)],
      ["flipped", packed.map((b, i) => (i === packed.length >> 1 ? b ^ 0x55 : b))],
      ["trailing", Uint8Array.from([...packed, 1, 2, 3])],
      ["garbage", new Uint8Array([1, 2, 3, 4, 5])],
    ];
    for (const [what, bytes] of variants) {
      await recorder.record(`compression/zlib ${format} ${what}`, async () => new TextDecoder().decode(await through(bytes, new DecompressionStream(format), [bytes.length >> 2])));
    }
  }
  await recorder.record("compression/bad format", () => new CompressionStream("zip" as never));
  await recorder.record("compression/bad chunk", async () => {
    const ds = new DecompressionStream("gzip");
    const read = ds.readable.getReader().read();
    await ds.writable
      .getWriter()
      .write("not bytes" as never)
      .catch(() => undefined);
    return read;
  });
}
