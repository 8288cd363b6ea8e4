/**
 * @module guest/runtime/core/inspect-error
 *
 * How `inspect` (./inspect.ts) writes errors, ported from Node's lib/internal/util/inspect.js (v24)
 * so that a logged error reads as it does under Node.
 *
 * Guarantees: an error prints as its `stack` (or `[Name: message]` when it has no stack frames),
 * with the first line corrected to name the constructor when `name` was changed (`Foo [Bar]: msg`),
 * frames it shares with its `cause` folded into `... n lines matching cause stack trace ...`, and
 * `[cause]`, `[errors]` and other own keys listed after it.
 *
 * Not ported: folding of repeated frames in stacks longer than ten lines (V8 keeps ten by
 * default) and the highlighting of node_modules and cwd paths (which only applies with colours).
 */

import { formatValue } from "./inspect.ts";
import { type Context, getPrefix } from "./inspect-text.ts";
import { isError } from "./inspect-types.ts";

export function formatError(ctx: Context, err: Error, constructor: string | null, tag: string, keys: PropertyKey[]): string {
  let stack: string;
  try {
    stack = getStackString(ctx, err);
  } catch {
    return Object.prototype.toString.call(err);
  }
  let message: unknown;
  let messageThrows = false;
  try {
    message = err.message;
  } catch {
    messageThrows = true;
  }
  let name: unknown;
  let nameThrows = false;
  try {
    name = err.name;
  } catch {
    nameThrows = true;
  }
  if (!ctx.showHidden && keys.length !== 0) {
    removeKey(keys, "stack");
    // `message` and `name` are only hidden when the stack already shows them.
    if (!messageThrows && (typeof message !== "string" || stack.includes(message))) removeKey(keys, "message");
    if (!nameThrows && (typeof name !== "string" || stack.includes(name))) removeKey(keys, "name");
  }
  name ??= "Error";
  if (Object.hasOwn(err, "cause") && !keys.includes("cause")) keys.push("cause");
  try {
    const errors: unknown = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && Object.hasOwn(err, "errors") && !keys.includes("errors")) keys.push("errors");
  } catch {}

  stack = improveStack(stack, constructor, name, tag);
  // The frames start after the message (which may itself contain "\n    at").
  let pos = message ? stack.indexOf(String(message)) : -1;
  if (pos === 0) pos = -1;
  if (pos !== -1) pos += (message as string).length;
  const stackStart = stack.indexOf("\n    at", pos);
  if (stackStart === -1) {
    stack = `[${stack}]`;
  } else {
    const frames = getStackFrames(ctx, err, stack.slice(stackStart + 1));
    stack = `${stack.slice(0, stackStart)}\n${frames.join("\n")}`;
  }
  if (ctx.indentationLvl !== 0) stack = stack.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
  return stack;
}

function removeKey(keys: PropertyKey[], key: string): void {
  const index = keys.indexOf(key);
  if (index !== -1) keys.splice(index, 1);
}

function getStackString(ctx: Context, error: Error): string {
  let stack: unknown;
  try {
    stack = error.stack;
  } catch {}
  if (stack) {
    if (typeof stack === "string") return stack;
    ctx.seen.push(error);
    ctx.indentationLvl += 4;
    const result = formatValue(ctx, stack, NaN); // as Node, which passes no depth here
    ctx.indentationLvl -= 4;
    ctx.seen.pop();
    return `${Error.prototype.toString.call(error)}\n    ${result}`;
  }
  return Error.prototype.toString.call(error);
}

function getStackFrames(ctx: Context, err: Error, stack: string): string[] {
  const frames = stack.split("\n");
  let cause: unknown;
  try {
    cause = err.cause;
  } catch {}
  if (cause !== null && cause !== undefined && isError(cause)) {
    const causeStack = getStackString(ctx, cause);
    const causeStackStart = causeStack.indexOf("\n    at");
    if (causeStackStart !== -1) {
      const causeFrames = causeStack.slice(causeStackStart + 1).split("\n");
      const [len, offset] = identicalSequenceRange(frames, causeFrames);
      if (len > 0) {
        const skipped = len - 2;
        frames.splice(offset + 1, skipped, `    ... ${skipped} lines matching cause stack trace ...`);
      }
    }
  }
  return frames;
}

/** The longest run (more than three lines) of `a` that also appears in `b`: [length, start in a]. */
function identicalSequenceRange(a: string[], b: string[]): [number, number] {
  for (let i = 0; i < a.length - 3; i++) {
    const pos = b.indexOf(a[i]!);
    if (pos !== -1) {
      const rest = b.length - pos;
      if (rest > 3) {
        let len = 1;
        const maxLen = Math.min(a.length - i, rest);
        while (maxLen > len && a[i + len] === b[pos + len]) len++;
        if (len > 3) return [len, i];
      }
    }
  }
  return [0, 0];
}

/** Makes the first line of the stack name the constructor when it differs from `name`. */
function improveStack(stack: string, constructor: string | null, name: unknown, tag: string): string {
  let len = typeof name === "string" ? name.length : -1;
  const nameText = String(name);
  if (typeof name !== "string") {
    stack = stack.replace(nameText, `${nameText} [${getPrefix(constructor, tag, "Error").slice(0, -1)}]`);
  }
  if (
    constructor === null ||
    (nameText.endsWith("Error") && stack.startsWith(nameText) &&
      (stack.length === len || stack[len] === ":" || stack[len] === "\n"))
  ) {
    let fallback = "Error";
    if (constructor === null) {
      const start = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n {4}at)/.exec(stack) ?? /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
      fallback = start?.[1] ?? "";
      len = fallback.length;
      fallback ||= "Error";
    }
    const prefix = getPrefix(constructor, tag, fallback).slice(0, -1);
    if (name !== prefix) {
      if (prefix.includes(nameText)) {
        stack = len === 0 ? `${prefix}: ${stack}` : `${prefix}${stack.slice(len)}`;
      } else {
        stack = `${prefix} [${nameText}]${stack.slice(len)}`;
      }
    }
  }
  return stack;
}
