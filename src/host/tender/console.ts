/**
 * @module host/tender/console
 * The host side of a unikernel's console: bytes from `console.write` are decoded as UTF-8, cut
 * into whole lines per stream and handed to a `ConsoleSink` with the unikernel's name and the
 * time. A line with no newline is flushed at `MAX_LINE` bytes, so a guest cannot make the host
 * buffer without bound. A line may be rewritten before it goes out: the tender maps the stack
 * frames of an image with a source map back to the developer's files (source-map.ts).
 */

import { TextDecoder } from "node:util";

export const MAX_LINE = 64 * 1024;

export interface ConsoleLine {
  readonly unikernel: string;
  /** 1: output, 2: errors. */
  readonly stream: 1 | 2;
  readonly text: string;
  /** Wall-clock time in ms since the epoch. */
  readonly time: number;
}

/** Where console lines go: a terminal, a ring buffer, a log. */
export interface ConsoleSink {
  line(line: ConsoleLine): void;
}

/** Prints `name | text` to the tender's stdout/stderr, optionally with an ISO timestamp. */
export function terminalSink(options: { timestamps?: boolean; prefix?: boolean } = {}): ConsoleSink {
  return {
    line({ unikernel, stream, text, time }) {
      const head = `${options.timestamps ? `${new Date(time).toISOString()} ` : ""}${options.prefix === false ? "" : `${unikernel} | `}`;
      (stream === 2 ? process.stderr : process.stdout).write(`${head}${text}\n`);
    },
  };
}

export class ConsoleLines {
  /** Made on first use: most unikernels never write to the error stream. */
  #decoders: (TextDecoder | undefined)[] = [undefined, undefined];
  #partial = ["", ""];
  #name: string;
  #sink: ConsoleSink;
  #rewrite: ((text: string) => string) | undefined;

  constructor(name: string, sink: ConsoleSink, rewrite?: (text: string) => string) {
    this.#name = name;
    this.#sink = sink;
    this.#rewrite = rewrite;
  }

  write(stream: 1 | 2, bytes: Uint8Array): void {
    const i = stream - 1;
    const decoder = (this.#decoders[i] ??= new TextDecoder("utf-8"));
    let text = this.#partial[i] + decoder.decode(bytes, { stream: true });
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
      this.#emit(stream, text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    while (text.length >= MAX_LINE) {
      this.#emit(stream, text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.#partial[i] = text;
  }

  /** Emits what is left of unfinished lines (at exit). */
  flush(): void {
    for (const stream of [1, 2] as const) {
      const rest = this.#partial[stream - 1]! + (this.#decoders[stream - 1]?.decode() ?? "");
      this.#partial[stream - 1] = "";
      if (rest) this.#emit(stream, rest);
    }
  }

  #emit(stream: 1 | 2, raw: string): void {
    const text = this.#rewrite === undefined ? raw : this.#rewrite(raw);
    this.#sink.line({ unikernel: this.#name, stream, text: text.endsWith("\r") ? text.slice(0, -1) : text, time: Date.now() });
  }
}
