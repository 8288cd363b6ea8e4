/**
 * Blob, File and FormData: seeded blobs of mixed parts sliced at random (negative and out of
 * range ends, content types to normalise), File names and types, and FormData entries of strings,
 * blobs and files sent through a Response as multipart/form-data and read back with formData().
 */

import { type Recorder, hex } from "./observe.ts";
import { Random, WILD } from "./random.ts";

export async function files(recorder: Recorder, seed: number, cases: number): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const parts = Array.from({ length: random.int(4) }, () => (random.chance(0.5) ? random.text(WILD, 6) : random.bytes(random.int(6))));
    const type = random.pick(["", "text/plain", "Text/HTML;Charset=UTF-8", "bad\u00e9", "a\u0019b"]);
    const start = random.int(20) - 8;
    const end = random.chance(0.3) ? undefined : random.int(20) - 8;
    const id = `blob/${c} ${JSON.stringify(parts.map((p) => (typeof p === "string" ? p : hex(p))))} ${JSON.stringify(type)} slice ${start},${end}`;
    await recorder.record(id, async () => {
      const blob = new Blob(parts, { type });
      const slice = blob.slice(start, end, random.pick(["", "X/Y"]));
      return [blob.size, blob.type, hex(new Uint8Array(await blob.arrayBuffer())), slice.size, slice.type, hex(await slice.bytes())];
    });
    const name = random.text(WILD, 6);
    await recorder.record(`file/${c} ${JSON.stringify(name)}`, async () => {
      const file = new File(parts, name, { type, lastModified: 42 });
      return [file.name, file.type, file.size, file.lastModified, await file.text()];
    });
    const entries = Array.from({ length: random.int(5) }, () => ({
      name: random.text(WILD, 5),
      kind: random.pick(["string", "blob", "file"]),
      value: random.text(WILD, 8),
      filename: random.chance(0.5) ? random.text("ab.txt\"\n", 6) : undefined,
    }));
    await recorder.record(`form/${c} ${JSON.stringify(entries)}`, async () => {
      const form = new FormData();
      for (const e of entries) {
        if (e.kind === "string") form.append(e.name, e.value);
        else if (e.kind === "blob") e.filename === undefined ? form.append(e.name, new Blob([e.value], { type: "text/x" })) : form.append(e.name, new Blob([e.value]), e.filename);
        else form.append(e.name, new File([e.value], e.filename ?? "f", { type: "application/x-y" }), e.filename);
      }
      const local = [...form].map(([k, v]) => [k, typeof v === "string" ? v : [v.name, v.type, v.size]]);
      const back = await new Response(form).formData();
      const parsed = await Promise.all([...back].map(async ([k, v]) => [k, typeof v === "string" ? v : [v.name, v.type, v.size, await v.text()]]));
      return [local, parsed];
    });
  }
}
