/**
 * @module host/orchestrator/supervision/tender-worker
 * A tender thread: the inside of one `node:worker_threads` Worker that tsukid starts per tenant
 * (tender-threads.ts). It boots that tenant's unikernels with the ordinary `Tender` (one per boot,
 * as tsukid always did), so their guests' turns, device I/O and hypercall checks all run here,
 * never on the thread that serves tsukid's API. A guest that spins holds this thread only; the
 * OS scheduler shares the CPU between this thread, the other tenants' and the control thread.
 *
 * At start the thread lowers its own CPU priority (`TENDER_THREAD_NICE`), so that the control
 * thread, at the process's priority, wins the CPU whenever it wants it; it reports how that went
 * in its `ready` message. It speaks tender-protocol.ts with the control thread: boots, stops,
 * stats on request, and console lines, batched per turn of the event loop (a guest writing many
 * lines costs one message per tick, not one per line) and bounded: past `CONSOLE_IN_FLIGHT` bytes
 * sent and not yet taken by the control thread, a line is refused and its unikernel's console
 * drops and counts it (tender-protocol.ts).
 *
 * Loaded through tender-worker-entry.js, which registers tsuki's module hook in this thread first.
 */

import { parentPort, workerData } from "node:worker_threads";
import { lowerThisThread } from "./thread-priority.ts";
import { TENDER_THREAD_NICE } from "./cpu-shares.ts";
import { DescriptorBudget } from "./descriptors.ts";
import type { Image } from "../../image/image.ts";
import { useRuntimeScripts } from "../../tender/guest/runtime-script.ts";
import { isolateTarget } from "../../tender/targets/isolate.ts";
import type { Target } from "../../tender/targets/target.ts";
import { Tender } from "../../tender/tender.ts";
import type { Unikernel } from "../../tender/unikernel.ts";
import type { DaemonTarget } from "../model/spec.ts";
import { CONSOLE_IN_FLIGHT, type ConsoleEntry, type Figures, type FromWorker, type ToWorker, carryError, consoleEntrySize, unpackImage } from "./tender-protocol.ts";

/**
 * How much lower a tender thread's CPU priority is than the control thread's: nice +5. Under
 * Linux's fair scheduler a nice-0 thread weighs 1024 and a nice-5 one 335, so when the control
 * thread and a busy tender thread want the same core, the control thread gets about three times
 * the CPU (and its wake-ups preempt the tender thread); two tender threads share as equals.
 * Raising a thread's nice value needs no privilege; lowering it again would.
 */

const port = parentPort;
if (port === null) throw new Error("tender-worker.ts runs inside a worker thread that tsukid started (tender-threads.ts)");
const data = workerData as { runtime: Record<string, string>; descriptors?: SharedArrayBuffer; console?: SharedArrayBuffer };
useRuntimeScripts(data.runtime);
/** The daemon's descriptor budget, shared with every thread: its unikernels' connections take from it. */
const descriptors = data.descriptors === undefined ? undefined : DescriptorBudget.attach(data.descriptors);

const live = new Map<number, Unikernel>();
/** Stops that came for a unikernel still booting: applied once it has. */
const stopsWhileBooting = new Map<number, { reason: string; code: number }>();
const booting = new Set<number>();
const images = new Map<string, Image>();
/** The process target, loaded with its first unikernel here: most tenants never use it, and it costs a thread about 2 MiB. */
let processModule: Promise<typeof import("../../tender/targets/process.ts")> | undefined;
let lines: ConsoleEntry[] = [];
/** What `lines` counts against CONSOLE_IN_FLIGHT. */
let batched = 0;
/** Bytes of console lines sent and not yet taken by the control thread, which subtracts what it takes. */
const inFlight = data.console === undefined ? undefined : new Int32Array(data.console);
let flush: NodeJS.Immediate | undefined;

function post(message: FromWorker): void {
  flushConsole();
  port!.postMessage(message);
}

function flushConsole(): void {
  if (flush !== undefined) clearImmediate(flush);
  flush = undefined;
  if (lines.length === 0) return;
  if (inFlight !== undefined) Atomics.add(inFlight, 0, batched);
  port!.postMessage({ type: "console", lines } satisfies FromWorker);
  lines = [];
  batched = 0;
}

async function targetOf(name: DaemonTarget): Promise<Target> {
  if (name === "isolate") return isolateTarget;
  processModule ??= import("../../tender/targets/process.ts");
  return (await processModule).processTarget;
}

function figuresOf(u: Unikernel): Figures {
  // One reading of the memory for both figures (each reading enters the isolate).
  const memory = u.memory() ?? null;
  const heap = memory === null ? (u.heap() ?? null) : { used: memory.heap, limit: memory.limit };
  return { heap, memory, cpuTime: u.cpuTime() ?? null, devices: u.deviceStats(), connections: u.connections, rejectedCalls: Object.fromEntries(u.rejectedCalls), console: u.consoleCounts() };
}

async function boot(m: Extract<ToWorker, { type: "boot" }>): Promise<void> {
  if (m.image !== undefined) images.set(m.sha256, unpackImage(m.image));
  const image = images.get(m.sha256);
  booting.add(m.id);
  let unikernel: Unikernel;
  try {
    if (image === undefined) throw new Error(`the tender thread holds no image ${m.sha256} (a bug in tsukid)`);
    const tender = new Tender({ target: await targetOf(m.target), console: { line: (l) => queueLine(l.tender ? [m.id, l.stream, l.text, l.time, 1] : [m.id, l.stream, l.text, l.time]) } });
    unikernel = await tender.boot(image, descriptors === undefined ? m.options : { ...m.options, descriptors });
  } catch (error) {
    booting.delete(m.id);
    stopsWhileBooting.delete(m.id);
    return post({ type: "boot-failed", id: m.id, error: carryError(error) });
  }
  booting.delete(m.id);
  live.set(m.id, unikernel);
  post({ type: "booted", id: m.id, addresses: unikernel.addresses, links: unikernel.links, figures: figuresOf(unikernel) });
  void unikernel.exited.then((status) => {
    live.delete(m.id);
    post({ type: "exited", id: m.id, status, figures: figuresOf(unikernel) });
  });
  const stop = stopsWhileBooting.get(m.id);
  stopsWhileBooting.delete(m.id);
  if (stop !== undefined) unikernel.stop(stop.reason, stop.code);
}

/** Queues a line for the control thread; false (the line is dropped) when CONSOLE_IN_FLIGHT would be passed. */
function queueLine(entry: ConsoleEntry): boolean {
  const size = consoleEntrySize(entry);
  if (batched + size + (inFlight === undefined ? 0 : Atomics.load(inFlight, 0)) > CONSOLE_IN_FLIGHT) return false;
  lines.push(entry);
  batched += size;
  flush ??= setImmediate(flushConsole);
  return true;
}

port.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "boot":
      void boot(m);
      return;
    case "stop":
      if (booting.has(m.id)) stopsWhileBooting.set(m.id, { reason: m.reason, code: m.code });
      live.get(m.id)?.stop(m.reason, m.code);
      return;
    case "stats": {
      const figures: [number, Figures][] = [];
      for (const id of m.ids) {
        const u = live.get(id);
        if (u !== undefined) figures.push([id, figuresOf(u)]);
      }
      return post({ type: "stats", req: m.req, figures });
    }
    case "drop-image":
      images.delete(m.sha256);
      return;
    case "close":
      // Sent once no unikernel is left here (the control thread stops them first); spare sandboxed processes may be.
      void (processModule ?? Promise.resolve(undefined)).then((loaded) => {
        loaded?.drainProcessTarget();
        flushConsole();
        process.exit(0);
      });
      return;
  }
});

post({ type: "ready", ...lowerThisThread(TENDER_THREAD_NICE) });
