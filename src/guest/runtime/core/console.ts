/**
 * @module guest/runtime/core/console
 * The guest's `console`: Node-style formatting (`format`), written through the one-way
 * `console.write` hypercall. `log`, `info` and `debug` go to the output stream; `warn`, `error`
 * and `trace` to the error stream. The host adds the unikernel's name and keeps lines whole.
 */

import { CONSOLE_STDERR, CONSOLE_STDOUT, LIMITS } from "../../../abi/index.ts";
import { format, inspect } from "./format.ts";

export type Write = (stream: number, bytes: Uint8Array) => void;

export function makeConsole(write: Write, encode: (text: string) => Uint8Array, now: () => number) {
  let indent = "";
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();

  const emit = (stream: number, text: string) => {
    if (indent) text = indent + text.replaceAll("\n", `\n${indent}`);
    const bytes = encode(`${text}\n`);
    for (let at = 0; at < bytes.length; at += LIMITS.consoleWrite) {
      write(stream, bytes.subarray(at, at + LIMITS.consoleWrite));
    }
  };
  // Strings alone (the common case) print as format() would print them, without its machinery.
  const text = (args: unknown[]) =>
    args.every((a) => typeof a === "string") && !(args[0] as string | undefined)?.includes("%") ? args.join(" ") : format(...args);
  const out = (...args: unknown[]) => emit(CONSOLE_STDOUT, text(args));
  const err = (...args: unknown[]) => emit(CONSOLE_STDERR, text(args));
  const elapsed = (label: string) => {
    const start = timers.get(label);
    return start === undefined ? undefined : `${label}: ${(now() - start).toFixed(3)}ms`;
  };

  return {
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    trace(...args: unknown[]) {
      const stack = new Error().stack?.split("\n").slice(2).join("\n") ?? "";
      err(`Trace${args.length ? `: ${format(...args)}` : ""}\n${stack}`);
    },
    assert(condition?: unknown, ...args: unknown[]) {
      if (!condition) err(args.length ? `Assertion failed: ${format(...args)}` : "Assertion failed");
    },
    dir(value?: unknown, options?: { depth?: number }) {
      emit(CONSOLE_STDOUT, inspect(value, { depth: options?.depth ?? 2 }));
    },
    table(...args: unknown[]) {
      out(...args);
    },
    group(...args: unknown[]) {
      if (args.length) out(...args);
      indent += "  ";
    },
    groupEnd() {
      indent = indent.slice(2);
    },
    count(label = "default") {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      out(`${label}: ${n}`);
    },
    countReset(label = "default") {
      counts.delete(label);
    },
    time(label = "default") {
      timers.set(label, now());
    },
    timeLog(label = "default", ...args: unknown[]) {
      const text = elapsed(label);
      if (text !== undefined) out(text, ...args);
    },
    timeEnd(label = "default") {
      const text = elapsed(label);
      timers.delete(label);
      if (text !== undefined) out(text);
    },
  };
}

export type GuestConsole = ReturnType<typeof makeConsole>;
