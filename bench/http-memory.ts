/**
 * The memory half of `npm run bench:http`: the tender's resident memory (VmRSS) while a hello
 * unikernel holds 10,000 idle connections, and while one client pipelines requests without ever
 * reading the answers. Both must stay bounded: per connection a few KiB, and for the slow reader
 * the host's fixed buffers (256 KiB each way) whatever the client sends.
 */

import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

type Launch = (command: string, args: string[]) => ChildProcess;
type Stop = (child: ChildProcess) => Promise<void>;

const ROOT = path.resolve(import.meta.dirname, "..");
const NODE_FLAGS = ["--no-node-snapshot", "--experimental-vm-modules", "--disable-warning=ExperimentalWarning"];
const MiB = 1024 * 1024;

const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first line of `child`'s output that `test` accepts. */
function line(child: ChildProcess, test: (text: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms (last: ${buffered.slice(-200)})`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const text of lines) {
        if (test(text)) {
          clearTimeout(timer);
          child.stdout!.off("data", onData);
          resolve(text);
          return;
        }
      }
    };
    child.stdout!.on("data", onData);
  });
}

async function tender(image: string, port: number, launch: Launch, max: number): Promise<ChildProcess> {
  const child = launch(process.execPath, [...NODE_FLAGS, path.join(ROOT, "bin/tsuki.js"), "run", image, "--quiet", "--dev", `web=tcp://127.0.0.1:${port}?max=${max}`]);
  await line(child, (text) => text.includes("listening"), 20_000);
  return child;
}

async function timedGet(port: number): Promise<number> {
  const start = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/`);
  await response.text();
  if (!response.ok) throw new Error(`GET / answered ${response.status}`);
  return performance.now() - start;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

export async function idle(image: string, count: number, launch: Launch, stop: Stop): Promise<string> {
  const port = 7900 + Math.floor(Math.random() * 50);
  const server = await tender(image, port, launch, count + 100);
  try {
    await timedGet(port);
    await sleep(500);
    const before = rss(server.pid!);
    const clients = launch(process.execPath, [path.join(ROOT, "bench/peers/clients.ts"), "idle", String(port), String(count)]);
    await line(clients, (text) => text.startsWith("open "), 60_000);
    await sleep(1000);
    const held = rss(server.pid!);
    const latency = await timedGet(port);
    // The connections sent nothing: the server's headers timeout (10 s) closes every one.
    const started = performance.now();
    await line(clients, (text) => text === `closed ${count}`, 30_000);
    const closedAfter = (performance.now() - started) / 1000;
    await sleep(1000);
    const after = rss(server.pid!);
    await stop(clients);
    return `RSS ${mib(before)} → ${mib(held)} with ${count} open (${((held - before) / count / 1024).toFixed(1)} KiB each), a GET meanwhile took ${latency.toFixed(1)} ms; the headers timeout closed all of them ${closedAfter.toFixed(1)} s later, RSS then ${mib(after)}`;
  } finally {
    await stop(server);
  }
}

export async function slowReader(image: string, launch: Launch, stop: Stop): Promise<string> {
  const port = 7950 + Math.floor(Math.random() * 50);
  const server = await tender(image, port, launch, 1024);
  try {
    await timedGet(port);
    await sleep(500);
    const before = rss(server.pid!);
    const client = launch(process.execPath, [path.join(ROOT, "bench/peers/clients.ts"), "slow", String(port)]);
    let sent = 0;
    let peak = before;
    for (let i = 0; i < 10; i++) {
      const text = await line(client, (t) => t.startsWith("sent "), 5_000);
      sent = Number(text.split(" ")[1]);
      peak = Math.max(peak, rss(server.pid!));
    }
    const latency = await timedGet(port);
    await stop(client);
    return `RSS ${mib(before)} → at most ${mib(peak)} (+${mib(peak - before)}) over 5 s, while the client got ${mib(sent)} of requests into the kernel before TCP's window closed on it; a GET meanwhile took ${latency.toFixed(1)} ms`;
  } finally {
    await stop(server);
  }
}
