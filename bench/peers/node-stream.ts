/**
 * The bare Node.js peer of `npm run bench:web`'s streamed bodies: `node:http` serving what the
 * unikernel under test serves. `GET /download?mib=N` streams N MiB in 256 KiB chunks, each write
 * awaited (backpressure); `POST /upload` reads the body as it comes and answers its length.
 * Usage: node-stream.ts PORT
 */

import { createServer } from "node:http";

const chunk = Buffer.alloc(256 * 1024, 120);
createServer((request, response) => {
  const url = new URL(request.url!, "http://x");
  if (url.pathname === "/download") {
    const total = Number(url.searchParams.get("mib")) * 1024 * 1024;
    response.writeHead(200, { "content-type": "application/octet-stream" });
    let sent = 0;
    const more = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!response.write(chunk)) return void response.once("drain", more);
      }
      response.end();
    };
    return more();
  }
  let bytes = 0;
  request.on("data", (c: Buffer) => (bytes += c.length));
  request.on("end", () => response.end(String(bytes)));
}).listen(Number(process.argv[2]), "127.0.0.1", () => console.log("ready"));
