/**
 * @module host/orchestrator/supervision/thread-unikernel
 * One unikernel in a tender thread, as tsukid's control thread sees it (what `Instance`
 * supervises): where its devices are bound, how it ended, and its figures — the last its thread
 * sent, or fresh ones within a deadline (tender-thread.ts). The same information as the tender's
 * `Unikernel`, with every read of the guest made asynchronous, since the guest is on another
 * thread that may be inside a long turn.
 */

import { ExitCode, type ExitStatus, type PeerAddress } from "../../../abi/index.ts";
import type { Figures, Links, ToWorker } from "./tender-protocol.ts";

/** What a unikernel needs of its thread. */
export interface UnikernelThread {
  post(message: ToWorker): void;
  /** Asks for fresh figures of unikernel `id`; resolves to whether they came before the deadline. */
  refresh(id: number): Promise<boolean>;
}

/** One unikernel in a tender thread, as the control thread sees it. */
export class ThreadUnikernel {
  readonly name: string;
  /** Where each listener and udp device is bound (the port the host chose for `:0`). */
  readonly addresses: Readonly<Record<string, PeerAddress>>;
  /** What each net device is attached to. */
  readonly links: Links;
  /** Resolves once, when it has ended and its resources are freed. */
  readonly exited: Promise<ExitStatus>;
  #id: number;
  #thread: UnikernelThread;
  #figures: Figures;
  #status: ExitStatus | undefined;
  #resolve!: (status: ExitStatus) => void;

  constructor(thread: UnikernelThread, id: number, name: string, booted: { addresses: Readonly<Record<string, PeerAddress>>; links: Links; figures: Figures }) {
    this.#thread = thread;
    this.#id = id;
    this.name = name;
    this.addresses = booted.addresses;
    this.links = booted.links;
    this.#figures = booted.figures;
    this.exited = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** How it ended, once it has. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  /** The figures last received: as it ended, once it has. */
  get figures(): Figures {
    return this.#figures;
  }

  /** Stops it (the operator, a restart, a destroy); `exited` says when it has ended. */
  stop(reason = "stopped", code: number = ExitCode.SIGTERM): void {
    if (this.#status === undefined) this.#thread.post({ type: "stop", id: this.#id, reason, code });
  }

  /** Its figures now, or the last received and `stale` when its thread does not answer within STATS_DEADLINE_MS. */
  async sample(): Promise<{ figures: Figures; stale: boolean }> {
    if (this.#status !== undefined) return { figures: this.#figures, stale: false };
    const fresh = await this.#thread.refresh(this.#id);
    return { figures: this.#figures, stale: !fresh && this.#status === undefined };
  }

  /** Called by its thread: newer figures. */
  receive(figures: Figures): void {
    if (this.#status === undefined) this.#figures = figures;
  }

  /** Called by its thread: it has ended. */
  end(status: ExitStatus, figures: Figures): void {
    if (this.#status !== undefined) return;
    this.#figures = figures;
    this.#status = status;
    this.#resolve(status);
  }
}
