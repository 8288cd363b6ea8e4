/**
 * @module host/orchestrator/supervision/tender-thread
 * The control thread's side of one tender thread: a Worker running tender-worker.ts for one
 * tenant, and the unikernels in it (thread-unikernel.ts).
 *
 * The control thread never waits on a tender thread: a boot, a stop or an exit is a message and a
 * promise. Figures (CPU time, heap, devices, connections, refused calls) are asked for when wanted
 * — the asks of one tick go out as one message, and at most one is in flight per thread — and
 * waited for at most `STATS_DEADLINE_MS`: a thread inside a long guest turn cannot answer, and
 * then the last figures it sent are used and said to be stale. They only ever grow, since a
 * thread answers in order and the last answer received is always the newest.
 *
 * What a thread sends is checked (tender-protocol.ts). A thread that dies, throws or sends
 * something malformed ends every unikernel in it with "crashed: its tender thread failed: …",
 * and the restart policy of each applies as for any crash; unikernels still booting there end so
 * as soon as they are handed over.
 */

import { Worker } from "node:worker_threads";
import { ExitCode, type ExitStatus } from "../../../abi/index.ts";
import type { Image } from "../../image/image.ts";
import type { BootOptions } from "../../tender/tender.ts";
import type { EventLog } from "../store/event-log.ts";
import type { DaemonTarget } from "../model/spec.ts";
import { type FromWorker, NO_FIGURES, type ToWorker, checkFromWorker, consoleEntrySize, packImage, rebuildError } from "./tender-protocol.ts";
import { ThreadUnikernel, type UnikernelThread } from "./thread-unikernel.ts";

/** How long a read of a unikernel's figures waits for its tender thread before it takes the last ones (stale). */
export const STATS_DEADLINE_MS = 200;
/** How long a closing tender thread has to end before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;
const ENTRY = new URL("./tender-worker-entry.js", import.meta.url);

let nextId = 1;

export interface BootRequest {
  readonly target: DaemonTarget;
  readonly image: Image;
  readonly options: BootOptions & { readonly name: string };
  /** Where its console lines go, in order; `tender`: the tender wrote it (a drop notice). */
  readonly console: (stream: 1 | 2, text: string, time: number, tender: boolean) => void;
}

/** One round of figures asked of a thread: the ids, and a promise kept when the answer has come. */
interface Round {
  readonly ids: Set<number>;
  readonly answered: Promise<void>;
  readonly done: () => void;
  req: number;
}

function round(): Round {
  let done!: () => void;
  const answered = new Promise<void>((resolve) => (done = resolve));
  return { ids: new Set(), answered, done, req: 0 };
}

/** Whether `promise` settled within `ms`. */
function within(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export interface TenderThreadOptions {
  readonly log: EventLog;
  /** The guest runtime's scripts, bundled once by the control thread. */
  readonly runtime: Readonly<Record<string, string>>;
  /** The daemon's descriptor budget, shared with the thread (DescriptorBudget.shared). */
  readonly descriptors?: SharedArrayBuffer | undefined;
  /** It has no unikernel left (none booting, none running). */
  readonly idle: (thread: TenderThread) => void;
  /** It has ended, closed or failed. */
  readonly ended: (thread: TenderThread) => void;
  /** It runs, as Linux thread `tid`, at its lowered priority. */
  readonly ready?: (thread: TenderThread, tid: number) => void;
}

export class TenderThread implements UnikernelThread {
  /** The tenant whose unikernels run here ("" for the administrator's). */
  readonly tenant: string;
  /** The worker (tests end it from outside, as a crash would). */
  readonly worker: Worker;
  /** Resolves once the thread has ended. */
  readonly ended: Promise<void>;
  /** The worker's thread id in this process (`worker.threadId` reads -1 once it has ended). */
  readonly threadId: number;
  #options: TenderThreadOptions;
  #booting = new Map<number, { request: BootRequest; resolve: (u: ThreadUnikernel) => void; reject: (error: Error) => void }>();
  #live = new Map<number, { unikernel: ThreadUnikernel; request: BootRequest }>();
  /** Unikernels (booting or live) per image SHA-256: the thread holds an image while this is above 0. */
  #imageUsers = new Map<string, number>();
  #sent: Round | undefined;
  #next: Round | undefined;
  #nextReq = 1;
  #closing = false;
  #failure: string | undefined;
  #down = false;
  /** Bytes of console lines the thread has sent and this thread has not taken (tender-protocol.ts). */
  #consoleInFlight = new Int32Array(new SharedArrayBuffer(4));

  constructor(tenant: string, options: TenderThreadOptions) {
    this.tenant = tenant;
    this.#options = options;
    this.worker = new Worker(ENTRY, { workerData: { runtime: options.runtime, descriptors: options.descriptors, console: this.#consoleInFlight.buffer }, name: `tender:${tenant || "admin"}`, stdout: false, stderr: false });
    this.threadId = this.worker.threadId;
    this.worker.on("message", (data: unknown) => {
      // A thread found failing is not listened to while it is being ended.
      if (this.#failure !== undefined) return;
      let message: FromWorker;
      try {
        message = checkFromWorker(data);
      } catch (error) {
        return this.#fail(`it sent a malformed message (${(error as Error).message})`);
      }
      this.#receive(message);
    });
    this.worker.on("messageerror", (error) => this.#fail(`a message from it could not be read (${error.message})`));
    this.worker.on("error", (error) => (this.#failure ??= error instanceof Error ? error.message : String(error)));
    this.ended = new Promise((resolve) => this.worker.once("exit", (code) => resolve(this.#exit(code))));
  }

  /** Unikernels booting or running here. */
  get load(): number {
    return this.#booting.size + this.#live.size;
  }

  /** Boots a unikernel here; rejects with the tender's error (a TsukiError, as if it had been thrown on this thread). */
  boot(request: BootRequest): Promise<ThreadUnikernel> {
    const id = nextId++;
    if (this.#down) return Promise.resolve(this.#lost(id, request, this.#endStatus(true)));
    const sha = request.image.sha256;
    const users = this.#imageUsers.get(sha) ?? 0;
    this.#imageUsers.set(sha, users + 1);
    const image = users === 0 ? packImage(request.image) : undefined;
    const promise = new Promise<ThreadUnikernel>((resolve, reject) => this.#booting.set(id, { request, resolve, reject }));
    this.post({ type: "boot", id, target: request.target, sha256: sha, ...(image === undefined ? {} : { image }), options: request.options }, image === undefined ? [] : [image.assets]);
    return promise;
  }

  /** Asks for fresh figures of unikernel `id`; resolves to whether they came within STATS_DEADLINE_MS. */
  refresh(id: number): Promise<boolean> {
    if (this.#down) return Promise.resolve(false);
    let wanted = this.#sent;
    if (wanted === undefined || !wanted.ids.has(id)) {
      if (this.#next === undefined) {
        this.#next = round();
        queueMicrotask(() => this.#sendRound());
      }
      wanted = this.#next;
      wanted.ids.add(id);
    }
    return within(wanted.answered, STATS_DEADLINE_MS);
  }

  /** Asks the thread to end (it has no unikernel left); resolves once it has. */
  close(): Promise<void> {
    if (!this.#down && !this.#closing) {
      this.#closing = true;
      this.post({ type: "close" });
      setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS).unref();
    }
    return this.ended;
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.#down) this.worker.postMessage(message, transfer);
  }

  #sendRound(): void {
    if (this.#sent !== undefined || this.#next === undefined || this.#down) return;
    const sending = (this.#sent = this.#next);
    this.#next = undefined;
    sending.req = this.#nextReq++;
    this.post({ type: "stats", req: sending.req, ids: [...sending.ids] });
  }

  #receive(m: FromWorker): void {
    switch (m.type) {
      case "ready":
        if (m.tid !== null && m.nice !== null) this.#options.ready?.(this, m.tid);
        this.#options.log.emit("tender-thread-started", { tenant: this.tenant, thread: this.threadId, tid: m.tid, nice: m.nice, ...(m.problem === null ? {} : { problem: m.problem }) });
        return;
      case "console": {
        let taken = 0;
        for (const entry of m.lines) {
          const [id, stream, text, time, tender] = entry;
          taken += consoleEntrySize(entry);
          (this.#live.get(id)?.request ?? this.#booting.get(id)?.request)?.console(stream, text, time, tender === 1);
        }
        Atomics.sub(this.#consoleInFlight, 0, taken);
        return;
      }
      case "booted": {
        const boot = this.#take(m.id);
        if (boot === undefined) return;
        const unikernel = new ThreadUnikernel(this, m.id, boot.request.options.name, m);
        this.#live.set(m.id, { unikernel, request: boot.request });
        return boot.resolve(unikernel);
      }
      case "boot-failed": {
        const boot = this.#take(m.id);
        if (boot === undefined) return;
        this.#release(boot.request.image.sha256);
        boot.reject(rebuildError(m.error));
        return this.#maybeIdle();
      }
      case "exited": {
        const entry = this.#live.get(m.id);
        if (entry === undefined) return this.#fail(`it reported the end of unikernel ${m.id}, which is not running there`);
        this.#live.delete(m.id);
        this.#release(entry.request.image.sha256);
        entry.unikernel.end(m.status, m.figures);
        return this.#maybeIdle();
      }
      case "stats": {
        if (this.#sent === undefined || m.req !== this.#sent.req) return this.#fail(`it answered figures nobody asked for (request ${m.req})`);
        for (const [id, figures] of m.figures) this.#live.get(id)?.unikernel.receive(figures);
        this.#sent.done();
        this.#sent = undefined;
        return this.#sendRound();
      }
    }
  }

  #take(id: number) {
    const boot = this.#booting.get(id);
    if (boot === undefined) return this.#fail(`it reported the boot of unikernel ${id}, which is not booting there`);
    this.#booting.delete(id);
    return boot;
  }

  /** A unikernel handed over already ended (its thread was gone before it booted). */
  #lost(id: number, request: BootRequest, status: ExitStatus): ThreadUnikernel {
    const unikernel = new ThreadUnikernel(this, id, request.options.name, { addresses: {}, links: {}, figures: NO_FIGURES });
    unikernel.end(status, NO_FIGURES);
    return unikernel;
  }

  #endStatus(failed: boolean): ExitStatus {
    return failed
      ? { kind: "crashed", code: ExitCode.INTERNAL, reason: `crashed: its tender thread failed: ${oneLine(this.#failure ?? "it had ended")}` }
      : { kind: "stopped", code: ExitCode.SIGTERM, reason: "stopped: its tender thread was closed" };
  }

  #release(sha: string): void {
    const users = (this.#imageUsers.get(sha) ?? 1) - 1;
    if (users > 0) return void this.#imageUsers.set(sha, users);
    this.#imageUsers.delete(sha);
    this.post({ type: "drop-image", sha256: sha });
  }

  #maybeIdle(): void {
    if (this.load === 0 && !this.#down) this.#options.idle(this);
  }

  /** Something is wrong with the thread: end it; `#exit` ends its unikernels. */
  #fail(why: string): void {
    this.#failure ??= why;
    void this.worker.terminate();
  }

  /** The worker has ended: expectedly (closed, code 0) or not; every unikernel still in it ends now. */
  #exit(code: number): void {
    this.#down = true;
    const failed = !this.#closing || code !== 0 || this.#failure !== undefined;
    this.#failure ??= `it exited with code ${code}`;
    const status = this.#endStatus(failed);
    const lost = this.load;
    for (const [id, boot] of this.#booting) boot.resolve(this.#lost(id, boot.request, status));
    for (const { unikernel } of this.#live.values()) unikernel.end(status, unikernel.figures);
    this.#booting.clear();
    this.#live.clear();
    this.#imageUsers.clear();
    this.#sent?.done();
    this.#next?.done();
    if (failed) this.#options.log.emit("tender-thread-failed", { tenant: this.tenant, thread: this.threadId, reason: oneLine(this.#failure), unikernels: lost });
    else this.#options.log.emit("tender-thread-ended", { tenant: this.tenant, thread: this.threadId });
    this.#options.ended(this);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
