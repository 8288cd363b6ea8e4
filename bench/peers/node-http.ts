/**
 * The bare Node.js peer of `npm run bench:http`: `node:http` answering every request with one
 * fixed body, as the unikernel under test does. Usage: node-http.ts PORT BODY_FILE CONTENT_TYPE [ETAG]
 */

import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const [port, file, type, etag] = process.argv.slice(2);
const body = readFileSync(file!);
const headers: Record<string, string> = { "content-type": type!, "content-length": String(body.length) };
if (etag) headers.etag = etag;
createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
}).listen(Number(port), "127.0.0.1", () => console.log("ready"));
