/**
 * @module host/tender/targets/process-child
 * The program of a process-target unikernel: it runs inside the sandbox (src/host/sandbox), holds
 * one guest on the isolate target's own code (`IsolateGuest`) and a channel to the tender on fd 3,
 * and nothing else. It is bundled into one script (process-script.ts) in which `isolated-vm` is
 * the addon at the path given as its first argument and the guest runtime's sources are the ones
 * the tender sends.
 *
 * It only forwards: every hypercall becomes a `call` frame, and the guest waits (a blocking read:
 * this process has nothing else to do) for the tender's `answer`, which the tender's one validator
 * produced. The one exception is `console.write`, which answers nothing: well-formed writes are
 * gathered into one `console` frame of up to `LIMITS.consoleWrite` bytes (runs of bytes per
 * stream, in order), sent before any other frame and at the end of each turn, so that a chatty
 * guest costs the tender a frame per 64 KiB instead of a round trip per line. The tender still
 * validates every run; a write that is not well formed goes as a `call`, for the validator to
 * refuse and count. The tender drives turns with `create`, `evaluate`, `boot` and `dispatch`; each is
 * answered by `end` with how the turn ended, whether the guest is still busy, its heap and all of
 * its memory as the limit counts it.
 *
 * `--test-escape` (tests only, never passed by a tender that runs unikernels) also accepts
 * `escape` frames: code run here, outside the isolate, as if it had escaped V8, to show what the
 * process's walls still stop.
 */

import { readSync, writeSync } from "node:fs";
import { serialize } from "node:v8";
import { isUint8Array } from "node:util/types";
import { type BootInfo, LIMITS } from "../../../abi/index.ts";
import { useHeapGuard } from "../memory/guard-addon.ts";
import { IsolateGuest } from "./isolate.ts";
import { FRAME_CAP, FrameReader, encodeFrame } from "./process-frames.ts";
import type { TurnEnd } from "./target.ts";
import { disableWarmCodeCache } from "./warm-cache.ts";

const CHANNEL = 3;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function writeAll(bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(CHANNEL, bytes, at, bytes.length - at);
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

/** Console writes not yet sent, back to back. */
const consoleBuffer = new Uint8Array(LIMITS.consoleWrite);
let consoleUsed = 0;
/** `[stream, end, stream, end, …]`: the runs of `consoleBuffer`, a stream's consecutive writes in one. */
let consoleRuns: number[] = [];

function flushConsole(): void {
  if (consoleRuns.length === 0) return;
  const runs: (number | Uint8Array)[] = [];
  for (let i = 0, start = 0; i < consoleRuns.length; i += 2) {
    runs.push(consoleRuns[i]!, consoleBuffer.slice(start, consoleRuns[i + 1]));
    start = consoleRuns[i + 1]!;
  }
  consoleRuns = [];
  consoleUsed = 0;
  writeAll(encodeFrame({ t: "console", runs }));
}

function queueConsole(stream: 1 | 2, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  if (consoleUsed + bytes.length > consoleBuffer.length) flushConsole();
  consoleBuffer.set(bytes, consoleUsed);
  consoleUsed += bytes.length;
  const n = consoleRuns.length;
  if (n >= 2 && consoleRuns[n - 2] === stream) consoleRuns[n - 1] = consoleUsed;
  else consoleRuns.push(stream, consoleUsed);
}

/** Every frame but a console frame goes after the console writes before it. */
const send = (message: unknown) => {
  flushConsole();
  writeAll(encodeFrame(message));
};

/** Frames from the tender are trusted; the reader's cap only bounds a runaway. */
const reader = new FrameReader(2 ** 31);
const inbox: unknown[] = [];
const chunk = Buffer.allocUnsafe(256 * 1024);

function receive(): Record<string, unknown> {
  while (inbox.length === 0) {
    let n: number;
    try {
      n = readSync(CHANNEL, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
      Atomics.wait(sleeper, 0, 0, 1);
      continue;
    }
    if (n === 0) process.exit(0); // the tender is gone
    inbox.push(...reader.push(Buffer.from(chunk.subarray(0, n))));
  }
  return inbox.shift() as Record<string, unknown>;
}

/** An argument too large for a frame crosses as a stand-in the tender's validator rejects. */
function forwardable(call: unknown, args: unknown[]): { call: unknown; args: unknown[] } {
  const fit = args.map((arg) => {
    try {
      serialize(arg);
      return arg;
    } catch {
      return undefined; // a function, symbol or other value that cannot be copied: the validator says what it expected
    }
  });
  const message = { t: "call", call: typeof call === "string" ? call : null, args: fit };
  if (serialize(message).length + 4 <= FRAME_CAP) return message;
  return { call: message.call, args: fit.map((arg) => ((arg as { length?: unknown })?.length as number) > 65536 ? { oversized: (arg as { length: number }).length } : arg) };
}

function hypercall(call: string, ...args: unknown[]): unknown {
  if (call === "console.write" && args.length === 2 && (args[0] === 1 || args[0] === 2) && isUint8Array(args[1]) && args[1].length <= LIMITS.consoleWrite) {
    queueConsole(args[0], args[1]);
    return undefined;
  }
  send({ t: "call", ...forwardable(call, args) });
  const reply = receive();
  if (reply.t !== "answer") throw new Error(`tsuki: the tender answered a hypercall with ${String(reply.t)}`);
  return reply.result;
}

function endOf(end: TurnEnd | undefined): unknown {
  if (end === undefined || end.kind !== "threw") return end ?? null;
  const error = end.error as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const rejection = end.rejection === true ? { rejection: true } : {};
  if (error instanceof Error) return { kind: "threw", error: { name: String(error.name), message: String(error.message), stack: String(error.stack) }, ...rejection };
  return { kind: "threw", error: { text: String(end.error), primitive: typeof end.error }, ...rejection };
}

let guest: IsolateGuest | undefined;
/** How the guest ended outside a turn's own run: entering it for `busy` can find it over its memory limit. */
let endedAfter: TurnEnd | undefined;

function turn(run: () => TurnEnd | undefined): void {
  let end = run();
  const busy = end === undefined && guest!.busy();
  end ??= endedAfter;
  send({ t: "end", end: endOf(end), busy, heap: guest!.heap() ?? null, memory: guest!.memory() ?? null });
}

async function serve(escapes: boolean): Promise<never> {
  const prepare = receive();
  disableWarmCodeCache();
  (globalThis as { __tsukiScripts?: unknown }).__tsukiScripts = { runtime: prepare.runtime, drivers: prepare.drivers, web: prepare.web };
  send({ t: "hello", pid: process.pid });
  for (;;) {
    const m = receive();
    switch (m.t) {
      case "create":
        try {
          guest = new IsolateGuest({
            name: m.name as string,
            entry: m.entry as string,
            hypercall,
            memoryMb: m.memoryMb as number,
            cpuMs: m.cpuMs as number,
            drivers: m.drivers as boolean,
            web: m.web === true,
            // Net frames wait for the end of the turn and cross as one `net.send` per batch, not one call per frame.
            frames: m.frames === true,
            ended: (end) => void (endedAfter ??= end),
          });
          send({ t: "created" });
        } catch (error) {
          send({ t: "error", code: String((error as { code?: unknown }).code ?? ""), message: String((error as Error).message) });
        }
        break;
      case "evaluate":
        turn(() => guest!.evaluate());
        break;
      case "boot":
        turn(() => guest!.boot(m.info as BootInfo));
        break;
      case "dispatch": {
        const bytes = m.bytes as Uint8Array | undefined;
        turn(() => guest!.dispatchBatch(m.json as string, bytes === undefined ? undefined : new Uint8Array(bytes), m.now as number));
        break;
      }
      case "escape":
        if (!escapes) throw new Error("tsuki: escape frames are for tests only");
        send({ t: "escaped", result: await escape(m.code as string) });
        break;
      default:
        throw new Error(`tsuki: unknown frame ${String(m.t)} from the tender`);
    }
  }
}

/** Runs test code in this process's own realm, with Node's `require`: what a V8 escape would have. */
async function escape(code: string): Promise<unknown> {
  const load = (globalThis as { require?: unknown }).require ?? (typeof require === "function" ? require : undefined);
  try {
    return await (new Function("require", "process", `return (async () => { ${code} })()`) as (r: unknown, p: unknown) => Promise<unknown>)(load, process);
  } catch (error) {
    return { error: String((error as Error)?.message ?? error) };
  }
}

// The heap guard is bound into the sandbox next to the isolated-vm addon (bwrap.ts).
useHeapGuard(process.argv[3]!);
// A fatal V8 error ends this process; the tender reports why (a parked thread would look hung).
IsolateGuest.abortOnCatastrophe = true;
serve(process.argv.includes("--test-escape")).catch((error: unknown) => {
  process.stderr.write(`tsuki child: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(70);
});
