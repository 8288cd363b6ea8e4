/**
 * Request and Response bodies: seeded bodies of every kind (text, bytes, URLSearchParams, Blob,
 * FormData, a ReadableStream of random chunks, null) read with every reader, read twice, cloned
 * and both read, read partly through `body` then in full, and the Content-Type each implies.
 */

import { type Recorder, hex } from "./observe.ts";
import { Random, WILD } from "./random.ts";

type Make = () => ConstructorParameters<typeof Response>[0];

function bodyOf(random: Random): [string, Make] {
  const text = random.text(WILD, 12);
  const bytes = random.bytes(random.int(40));
  const chunks = Array.from({ length: random.int(4) }, () => random.bytes(1 + random.int(9)));
  switch (random.int(7)) {
    case 0:
      return [`text ${JSON.stringify(text)}`, () => text];
    case 1:
      return [`bytes ${hex(bytes)}`, () => bytes.slice()];
    case 2:
      return [`params ${JSON.stringify(text)}`, () => new URLSearchParams({ q: text, [text]: "v" })];
    case 3:
      return [`blob ${JSON.stringify(text)}`, () => new Blob([text, bytes], { type: random.pick(["", "Text/Plain", "a/b;x=Y"]) })];
    case 4:
      return [
        `form ${JSON.stringify(text)}`,
        () => {
          const form = new FormData();
          form.append("name", text);
          form.append(text || "empty", "v");
          return form;
        },
      ];
    case 5:
      return [`stream of ${chunks.length}`, () => new ReadableStream({ start: (c) => (chunks.forEach((chunk) => c.enqueue(chunk.slice())), c.close()) })];
    default:
      return ["null", () => null];
  }
}

/** A multipart body's boundary is random: written as BOUNDARY, and the length counted without it. */
function unbound(text: string, body: Request | Response): string {
  const boundary = /boundary=(.*)$/i.exec(body.headers.get("content-type") ?? "")?.[1];
  return boundary === undefined ? text : text.replaceAll(boundary, "BOUNDARY").replace(/boundary=BOUNDARY$/, "boundary=BOUNDARY");
}

async function read(body: Request | Response, how: string): Promise<unknown> {
  switch (how) {
    case "text":
      return unbound(await body.text(), body);
    case "bytes":
      return [unbound(new TextDecoder().decode(await body.arrayBuffer()), body), "bytes"];
    case "json":
      return body.json();
    case "blob": {
      const blob = await body.blob();
      // A multipart body's size depends on its random boundary's length: its text is compared instead.
      return blob.type.startsWith("multipart/") ? { type: unbound(blob.type, body), text: unbound(await blob.text(), body) } : { type: blob.type, size: blob.size };
    }
    case "formData": {
      const form = await body.formData();
      return [...form].map(([k, v]) => [k, typeof v === "string" ? v : { name: v.name, type: v.type, size: v.size }]);
    }
    default:
      return unbound(new TextDecoder().decode(await body.arrayBuffer()), body).length;
  }
}

export async function bodies(recorder: Recorder, seed: number, cases: number): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const [what, make] = bodyOf(random);
    const how = random.pick(["text", "bytes", "json", "blob", "formData", "length"]);
    const asRequest = random.chance(0.4);
    const build = () => (asRequest ? new Request("http://x/", { method: "POST", body: make(), duplex: "half" } as RequestInit) : new Response(make()));
    const id = `bodies/${c}/${asRequest ? "request" : "response"} ${what}`;
    await recorder.record(`${id}/content-type`, () => build().headers.get("content-type")?.replace(/boundary=.*/, "boundary=…") ?? null);
    await recorder.record(`${id}/${how}`, async () => {
      const body = build();
      const first = await read(body, how === "formData" && !/form|params/.test(what) ? "text" : how);
      return [first, body.bodyUsed];
    });
    await recorder.record(`${id}/twice`, async () => {
      const body = build();
      await body.text();
      return read(body, "text");
    });
    await recorder.record(`${id}/clone`, async () => {
      const body = build();
      const copy = body.clone();
      return [unbound(await copy.text(), copy), unbound(await body.text(), body), copy.bodyUsed, body.bodyUsed];
    });
    await recorder.record(`${id}/partly`, async () => {
      const body = build();
      const stream = body.body;
      if (stream === null) return [null, body.bodyUsed];
      const reader = stream.getReader();
      const first = await reader.read();
      reader.releaseLock();
      return [first.done, body.bodyUsed, stream.locked, await body.text().catch((error: Error) => error.constructor.name)];
    });
  }
}
