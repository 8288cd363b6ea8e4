/**
 * The streamed-body cases of `npm run bench:web`: a 1 GiB response streamed by tsuki/http and a
 * 1 GiB upload read by a tsuki/http handler as it arrives, next to bare Node `http` doing the same
 * (bench/peers/node-stream.ts), each server in its own process, measured in the same run in rounds
 * that alternate. The client is this process (Node's http client, discarding what it downloads,
 * writing its upload in 1 MiB chunks with backpressure). The unikernel runs with `--mem 32M`: the
 * bytes pass through, never held. Prints each side's median throughput and their ratio.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { writeImage } from "../src/host/image/image.ts";
import { buildSource, stopChild, tempDir } from "../test/helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];

const SERVER = `import { unikernel, listener } from "tsuki";
import { serve } from "tsuki/http";
export default unikernel({
  devices: { web: listener() },
  async start({ web }) {
    const chunk = new Uint8Array(256 * 1024).fill(120);
    await serve(web, async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/download") {
        const total = Number(url.searchParams.get("mib")) * 1024 * 1024;
        let sent = 0;
        return new Response(new ReadableStream({ pull(c) { if (sent >= total) return c.close(); sent += chunk.length; c.enqueue(chunk.slice()); } }));
      }
      let bytes = 0;
      for await (const piece of request.body) bytes += piece.length;
      return new Response(String(bytes));
    }, { maxBodyBytes: Infinity, requestTimeoutMs: Infinity });
  },
});
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function ready(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/download?mib=0`)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on port ${port}`);
}

function download(port: number, mib: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let bytes = 0;
    httpRequest(`http://127.0.0.1:${port}/download?mib=${mib}`, (response) => {
      response.on("data", (c: Buffer) => (bytes += c.length));
      response.on("end", () => (bytes === mib * 1024 * 1024 ? resolve(performance.now() - started) : reject(new Error(`downloaded ${bytes} bytes`))));
    })
      .on("error", reject)
      .end();
  });
}

function upload(port: number, mib: number): Promise<number> {
  const chunk = Buffer.alloc(1024 * 1024, 121);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(`http://127.0.0.1:${port}/upload`, { method: "POST", headers: { "content-length": String(mib * chunk.length) } }, (response) => {
      let text = "";
      response.on("data", (c) => (text += c));
      response.on("end", () => (Number(text) === mib * chunk.length ? resolve(performance.now() - started) : reject(new Error(`the server read ${text} bytes`))));
    });
    req.on("error", reject);
    let sent = 0;
    const more = () => {
      while (sent < mib) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", more);
      }
      req.end();
    };
    more();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gbits = (mib: number, ms: number) => (mib * 1024 * 1024 * 8) / (ms / 1000) / 1e9;

/** Runs both cases for `rounds` alternating rounds of `mib` MiB; returns each case's throughputs in Gbit/s. */
export async function streamCases(rounds: number, mib: number): Promise<Record<string, { tsuki: number; node: number }>> {
  const image = await buildSource(SERVER);
  const file = path.join(tempDir(), "streams.tsuki");
  writeFileSync(file, writeImage(image.manifest, image.entry, image.assets as Uint8Array[], image.sourceMap));
  const children: ChildProcess[] = [];
  try {
    const tsukiPort = await freePort();
    const nodePort = await freePort();
    children.push(spawn(process.execPath, [...NODE_FLAGS, path.join(ROOT, "bin/tsuki.js"), "run", file, "--quiet", "--mem", "32M", "--dev", `web=tcp://127.0.0.1:${tsukiPort}`], { stdio: "inherit" }));
    children.push(spawn(process.execPath, [path.join(ROOT, "bench/peers/node-stream.ts"), String(nodePort)], { stdio: "ignore" }));
    await ready(tsukiPort);
    await ready(nodePort);
    const results: Record<string, { tsuki: number[]; node: number[] }> = { [`tsuki/http streamed response, ${mib} MiB`]: { tsuki: [], node: [] }, [`tsuki/http upload, ${mib} MiB`]: { tsuki: [], node: [] } };
    for (let round = 0; round < rounds; round++) {
      // Alternating which goes first, so that neither always meets the machine in the same state.
      const order = round % 2 === 0 ? (["tsuki", "node"] as const) : (["node", "tsuki"] as const);
      for (const side of order) {
        const port = side === "tsuki" ? tsukiPort : nodePort;
        results[`tsuki/http streamed response, ${mib} MiB`]![side].push(gbits(mib, await download(port, mib)));
        results[`tsuki/http upload, ${mib} MiB`]![side].push(gbits(mib, await upload(port, mib)));
      }
    }
    return Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { tsuki: median(r.tsuki), node: median(r.node) }]));
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}
