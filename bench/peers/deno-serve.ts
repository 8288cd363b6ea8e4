/**
 * The Deno peer of `npm run bench:http`: `Deno.serve` answering every request with one fixed body.
 * Usage: deno run --allow-net --allow-read deno-serve.ts PORT BODY_FILE CONTENT_TYPE [ETAG]
 */

declare const Deno: {
  args: string[];
  readFileSync(path: string): Uint8Array;
  serve(options: { hostname: string; port: number; onListen(): void }, handler: () => Response): unknown;
};

const [port, file, type, etag] = Deno.args;
const body = Deno.readFileSync(file!);
const headers: Record<string, string> = { "content-type": type! };
if (etag) headers.etag = etag;
Deno.serve({ hostname: "127.0.0.1", port: Number(port), onListen: () => console.log("ready") }, () => new Response(body, { headers }));
