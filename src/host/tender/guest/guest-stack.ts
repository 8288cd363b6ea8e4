/**
 * @module host/tender/guest/guest-stack
 * What of a guest's uncaught exception the operator (and a tenant reading its console) sees: the
 * guest's own text and frames, never the host's. isolated-vm chains the host's stack below a line
 * `at (<isolated-vm boundary>)` on an error that leaves an isolate, and gives an error that has
 * no stack string of its own (its `stack` deleted, `Error.stackTraceLimit` not a number, a plain
 * object thrown) the host's stack alone; the unix target's errors carry the tender's frames below
 * the guest's. So everything below the boundary goes, and of the rest only frames in the guest's
 * scripts (named `tsuki:…` by every target) are kept, with the built-ins they called.
 */

const BOUNDARY = "    at (<isolated-vm boundary>)";
const FRAME = /^\s*at /;
/** A frame in one of the guest's scripts: `at f (tsuki:image/x/main.js:1:2)` or `at tsuki:runtime:3:4`. */
const GUEST_FRAME = /^\s*at (?:.* \((?:async )?tsuki:[^()]*\)|(?:async )?tsuki:\S*)$/;
/** A built-in's frame (no file): kept only when guest code called it, i.e. a guest frame lies below. */
const BUILTIN_FRAME = /^\s*at .* \((?:<anonymous>|native|index \d+)\)$/;

/** The stack text with only the guest's frames; the header (name and message) is the guest's and stays. */
export function guestStack(stack: string): string {
  const lines = stack.split("\n");
  const boundary = lines.indexOf(BOUNDARY);
  const own = boundary >= 0 ? lines.slice(0, boundary) : lines;
  const firstFrame = own.findIndex((line) => FRAME.test(line));
  if (firstFrame < 0) return own.join("\n");
  const frames = own.slice(firstFrame);
  let lastGuest = -1;
  frames.forEach((line, i) => GUEST_FRAME.test(line) && (lastGuest = i));
  const kept = frames.filter((line, i) => i <= lastGuest && (GUEST_FRAME.test(line) || BUILTIN_FRAME.test(line)));
  return [...own.slice(0, firstFrame), ...kept].join("\n");
}

/** How an uncaught value reads on the console: the guest's stack, or the value itself when it has none. */
export function thrownText(error: unknown): string {
  const stack = (error as { stack?: unknown } | null)?.stack;
  return typeof stack === "string" ? guestStack(stack) : String(error);
}

/** isolated-vm's stand-in for a thrown or rejected value that is an object but not an Error. */
const NOT_AN_ERROR = "An object was thrown from supplied code within isolated-vm, but that object was not an instance of `Error`.";

/**
 * How a rejection nobody handled reads, as the target reported it (the guest runtime reports
 * those it sees itself, with the value as its `inspect` shows it): `console`, the lines for the
 * unikernel's error stream (`Uncaught (in promise)` and the guest's stack), and `reason`, one line
 * for the exit reason. isolated-vm lets only an error (its name, message and stack) or a
 * primitive out of an isolate; an object that is not an error stays inside, and is said to be one.
 */
export function rejectionText(value: unknown): { console: string; reason: string } {
  const e = value as { name?: unknown; message?: unknown; stack?: unknown } | null;
  if (typeof e?.message === "string" && e.message === NOT_AN_ERROR) {
    const reason = "an object that is not an Error (only errors and primitives leave the isolate: reject with an Error, or handle the promise, to see it)";
    return { console: `Uncaught (in promise) ${reason}`, reason };
  }
  if (typeof e === "object" && e !== null && typeof e.message === "string") {
    const head = `${String(e.name ?? "Error")}: ${e.message}`;
    return { console: `Uncaught (in promise) ${typeof e.stack === "string" ? guestStack(e.stack) : head}`, reason: head };
  }
  const shown = typeof value === "string" ? `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : typeof value === "bigint" ? `${value}n` : String(value);
  return { console: `Uncaught (in promise) ${shown}`, reason: shown };
}

/** Process output (a dead child's stderr) without any stack frame: JavaScript `at …` lines and native `N: 0x…` lines. */
export function withoutFrames(text: string): string {
  return text
    .split("\n")
    .filter((line) => !FRAME.test(line) && !/^\s*\d+: 0x[0-9a-f]+ /.test(line))
    .join("\n");
}
