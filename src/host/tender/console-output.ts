/**
 * @module host/tender/console-output
 * Console lines on the tender's own stdout and stderr (`tsuki run`), as `name | text`, optionally
 * with an ISO timestamp; lines the tender writes about a unikernel (drop notices) go to stderr as
 * they are.
 *
 * What the tender holds for its output is bounded whatever reads it. Node writes to a pipe or a
 * socket asynchronously and queues what the reader has not taken, without limit: a reader that
 * stalls (`tsuki run … | a-program-that-never-reads`) made a flooding guest grow the tender by
 * hundreds of MiB. Here a stream's queue is kept under `maxQueued` bytes: past it a line is
 * refused, and the unikernel's console (console.ts) drops and counts it. Files and terminals are
 * written synchronously by Node (nothing queues; a terminal that is paused blocks the tender, as
 * it blocks any program), and the console limits bound how much reaches them.
 *
 * Lines that come in one turn of the event loop go out in one write per stream run, in order, so
 * a chatty unikernel costs a write per tick rather than one per line.
 */

import type { Writable } from "node:stream";
import type { ConsoleLine, ConsoleSink } from "./console.ts";

/** What a stream may have queued (and batched) before lines are refused: 1 MiB. */
export const OUTPUT_QUEUE = 1024 * 1024;

export interface OutputOptions {
  readonly timestamps?: boolean;
  /** Prefix lines with `name | ` (default true). */
  readonly prefix?: boolean;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly maxQueued?: number;
}

export class TerminalOutput implements ConsoleSink {
  #options: OutputOptions;
  #streams: [Writable, Writable];
  #max: number;
  /** The run of lines waiting for the end of this tick, all for one stream. */
  #batch = "";
  #batchStream: 0 | 1 = 0;
  #scheduled: NodeJS.Immediate | undefined;

  constructor(options: OutputOptions = {}) {
    this.#options = options;
    this.#streams = [options.stdout ?? process.stdout, options.stderr ?? process.stderr];
    this.#max = options.maxQueued ?? OUTPUT_QUEUE;
  }

  line(line: ConsoleLine): boolean {
    const head = this.#options.timestamps ? `${new Date(line.time).toISOString()} ` : "";
    const text = line.tender ? `${head}${line.text}\n` : `${head}${this.#options.prefix === false ? "" : `${line.unikernel} | `}${line.text}\n`;
    const index = line.tender || line.stream === 2 ? 1 : 0;
    if (index !== this.#batchStream) this.flush();
    // Characters, not bytes: the bound is approximate (at most three times over for text outside ASCII), and costs no encoding.
    if (this.#streams[index].writableLength + this.#batch.length + text.length > this.#max) return false;
    this.#batchStream = index;
    this.#batch += text;
    this.#scheduled ??= setImmediate(() => this.flush());
    return true;
  }

  /** Writes the batch now. */
  flush(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#batch === "") return;
    const stream = this.#streams[this.#batchStream];
    const text = this.#batch;
    this.#batch = "";
    if (!stream.destroyed) stream.write(text);
  }

  /** Resolves to true once everything is written, or to false after `ms` if a reader is still behind. */
  drained(ms: number): Promise<boolean> {
    this.flush();
    const pending = () => this.#streams.some((s) => !s.destroyed && s.writableLength > 0);
    if (!pending()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = performance.now() + ms;
      const check = () => {
        if (!pending()) return resolve(true);
        if (performance.now() >= deadline) return resolve(false);
        setTimeout(check, 10).unref();
      };
      check();
    });
  }
}

/** The sink of `tsuki run`: the tender's stdout and stderr. */
export function terminalSink(options: OutputOptions = {}): TerminalOutput {
  return new TerminalOutput(options);
}
