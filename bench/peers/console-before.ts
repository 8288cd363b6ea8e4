/**
 * The tender's console assembly as it was before console limits (commit 55b3a60): every line
 * decoded and handed on, none dropped, a line without a newline split at 64 KiB. Kept only so that
 * `npm run bench:console` can compare the honest throughput of the current code with it in the
 * same run, alternating rounds.
 */

import { TextDecoder } from "node:util";
import type { ConsoleSink } from "../../src/host/tender/console.ts";

const MAX_LINE = 64 * 1024;

export class ConsoleLinesBefore {
  /** Made on first use: most unikernels never write to the error stream. */
  #decoders: (TextDecoder | undefined)[] = [undefined, undefined];
  #partial = ["", ""];
  #name: string;
  #sink: ConsoleSink;

  constructor(name: string, sink: ConsoleSink) {
    this.#name = name;
    this.#sink = sink;
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

  #emit(stream: 1 | 2, text: string): void {
    this.#sink.line({ unikernel: this.#name, stream, text: text.endsWith("\r") ? text.slice(0, -1) : text, time: Date.now() });
  }
}
