/**
 * Streams: seeded pipelines (a source of random chunks with a random high-water mark, through a
 * TransformStream that splits or drops chunks, into a WritableStream that collects them), tees,
 * cancels midway, BYOB reads of random sizes from byte streams, and TextEncoderStream /
 * TextDecoderStream over text split at random places (surrogate pairs and UTF-8 sequences cut).
 */

import { type Recorder, hex } from "./observe.ts";
import { Random, WILD } from "./random.ts";

export async function streams(recorder: Recorder, seed: number, cases: number): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const chunks = Array.from({ length: random.int(6) }, () => random.int(1000));
    const highWaterMark = random.int(4);
    const transform = random.pick(["split", "drop-odd", "none"]);
    const id = `streams/${c} ${JSON.stringify(chunks)} hwm ${highWaterMark} ${transform}`;
    const source = () => new ReadableStream<number>({ start: (ctl) => (chunks.forEach((n) => ctl.enqueue(n)), ctl.close()) }, { highWaterMark });
    await recorder.record(`${id}/pipe`, async () => {
      const out: number[] = [];
      const through = new TransformStream<number, number>({
        transform(n, ctl) {
          if (transform === "split") (ctl.enqueue(n >> 1), ctl.enqueue(n & 1));
          else if (transform === "none" || n % 2 === 0) ctl.enqueue(n);
        },
      });
      await source().pipeThrough(through).pipeTo(new WritableStream({ write: (n) => void out.push(n) }, new CountQueuingStrategy({ highWaterMark: 1 })));
      return out;
    });
    await recorder.record(`${id}/tee`, async () => {
      const [a, b] = source().tee();
      const all = async (s: ReadableStream<number>) => {
        const got: number[] = [];
        for await (const n of s as unknown as AsyncIterable<number>) got.push(n);
        return got;
      };
      return [await all(a), await all(b)];
    });
    const cancelAt = random.int(chunks.length + 1);
    await recorder.record(`${id}/cancel at ${cancelAt}`, async () => {
      let reason: unknown = "none";
      const stream = new ReadableStream<number>({
        start: (ctl) => chunks.forEach((n) => ctl.enqueue(n)),
        cancel: (why) => void (reason = why),
      });
      const reader = stream.getReader();
      const got: number[] = [];
      for (let i = 0; i < cancelAt; i++) got.push((await reader.read()).value!);
      await reader.cancel("stop");
      return [got, reason, await reader.read()];
    });
    const data = random.bytes(random.int(30));
    const sizes = Array.from({ length: 4 }, () => 1 + random.int(12));
    await recorder.record(`streams/${c} byob ${hex(data)} ${JSON.stringify(sizes)}`, async () => {
      const stream = new ReadableStream({ type: "bytes", start: (ctl) => (data.length > 0 && ctl.enqueue(data.slice()), ctl.close()) });
      const reader = stream.getReader({ mode: "byob" });
      const got: unknown[] = [];
      for (const size of sizes) {
        const { done, value } = await reader.read(new Uint8Array(size));
        got.push(done ? "done" : hex(value!));
      }
      return got;
    });
    const text = random.text(WILD, 20);
    const cuts = Array.from({ length: 3 }, () => random.int(text.length + 1)).sort((a, b) => a - b);
    await recorder.record(`streams/${c} text ${JSON.stringify(text)} ${JSON.stringify(cuts)}`, async () => {
      const pieces = [text.slice(0, cuts[0]), text.slice(cuts[0], cuts[1]), text.slice(cuts[1], cuts[2]), text.slice(cuts[2])];
      const encoded = new ReadableStream<string>({ start: (ctl) => (pieces.forEach((p) => ctl.enqueue(p)), ctl.close()) }).pipeThrough(new TextEncoderStream());
      const bytes: number[] = [];
      for await (const chunk of encoded as unknown as AsyncIterable<Uint8Array>) bytes.push(...chunk);
      // Back through the decoder, cut at byte offsets this time.
      const all = new Uint8Array(bytes);
      const at = Math.min(all.length, cuts[1]!);
      const decoded = new ReadableStream<Uint8Array>({ start: (ctl) => (ctl.enqueue(all.slice(0, at)), ctl.enqueue(all.slice(at)), ctl.close()) }).pipeThrough(new TextDecoderStream());
      let out = "";
      for await (const piece of decoded as unknown as AsyncIterable<string>) out += piece;
      return [hex(all), out];
    });
  }
}
