/**
 * @module host/tender/hypercalls
 * The host side of the hypercall ABI: one function per unikernel that checks every argument
 * against the ABI's table before anything acts on it, and answers every mistake with an error
 * value (`EINVAL`, `EBADF`, `ENOSYS`, …), never an exception. Guest-supplied values are only read
 * after they have been checked to be the plain types the ABI names.
 */

import { randomFillSync } from "node:crypto";
import { isArrayBuffer, isProxy, isUint8Array } from "node:util/types";
import {
  type ArgType,
  Errno,
  HYPERCALLS,
  type HypercallError,
  type HypercallFn,
  type HypercallName,
  LIMITS,
  MAX_GUEST_EXIT_CODE,
} from "../../abi/index.ts";
import { type TurnClock, makeCryptoCalls } from "./crypto/index.ts";
import type { DeviceCalls } from "./devices/calls.ts";
import { runtimePart } from "./guest/runtime-script.ts";

/** What the hypercalls act on: the services of one running unikernel. */
export interface HypercallHost {
  /** False once the unikernel has ended: every later call is ESRCH. */
  alive(): boolean;
  exit(code: number): void;
  abort(reason: string): void;
  console(stream: 1 | 2, bytes: Uint8Array): void;
  monotonic(): number;
  armTimer(deadline: number): void;
  /** The contents of the asset `handle`, or undefined if the unikernel owns no such asset. */
  asset(handle: number): Uint8Array | undefined;
  /** Counts a rejected call, for the operator's view of a misbehaving guest. */
  rejected(call: string, errno: string): void;
  /** The unikernel's devices; handles are checked there (EBADF for any the unikernel does not own). */
  devices: DeviceCalls;
  /** The current turn's time, against which the host's crypto work counts; absent, each crypto call is bounded only by its limits. */
  turn?: TurnClock;
}

const fail = (errno: HypercallError["errno"], message: string): HypercallError => ({ errno, message });

const NON_ASCII = /[^\x00-\x7f]/;

function checkArg(type: ArgType, value: unknown): string | undefined {
  switch (type) {
    case "u32":
    case "handle":
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 32 ? undefined : "an integer from 0 to 2^32-1";
    case "u53":
      return Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : "an integer from 0 to 2^53-1";
    case "i32":
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31 ? undefined : "a 32-bit integer";
    case "time":
      return typeof value === "number" && value >= 0 && !Number.isNaN(value) ? undefined : "a time in ms ≥ 0, or Infinity";
    case "bytes":
      // isUint8Array, not instanceof: the unix target's guest has Uint8Array of another realm.
      return isUint8Array(value) ? undefined : "a Uint8Array";
    case "chunk":
      if (typeof value === "string") return NON_ASCII.test(value) ? "bytes or an ASCII string (encode other text as UTF-8 bytes)" : undefined;
      return isUint8Array(value) ? undefined : "a Uint8Array or an ASCII string";
    case "string":
      return typeof value === "string" ? undefined : "a string";
    case "bool":
      return typeof value === "boolean" ? undefined : "a boolean";
  }
}

/** The name of a typed array, read through the intrinsic getter: no getter, proxy trap or toString of the guest's runs. */
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

/**
 * Describes a rejected argument for the message. It must not run guest code (on the unix target
 * the value is the guest's own object: a getter, a proxy trap or a toString could throw into the
 * host or re-enter it), so it looks only at what the language tells without asking the value.
 */
function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `string of length ${value.length}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value).slice(0, 20)}`;
    case "object":
      if (value === null) return "null";
      if (isProxy(value)) return "Proxy";
      return (typedArrayName.call(value) as string | undefined) ?? (isArrayBuffer(value) ? "ArrayBuffer" : Array.isArray(value) ? "Array" : "object");
    default:
      return typeof value; // undefined, symbol, function
  }
}

export function makeHypercall(host: HypercallHost): HypercallFn {
  const crypto = makeCryptoCalls(host.turn);
  function handle(call: string, args: unknown[]): unknown {
    if (!host.alive()) return fail(Errno.ESRCH, "the unikernel has exited");
    if (typeof call !== "string") return fail(Errno.ENOSYS, `a hypercall is named by a string, got ${describe(call)}`);
    if (!Object.hasOwn(HYPERCALLS, call)) return fail(Errno.ENOSYS, `no hypercall ${JSON.stringify(call).slice(0, 60)} in this ABI`);
    const spec = HYPERCALLS[call as HypercallName].args as readonly ArgType[];
    if (args.length !== spec.length) return fail(Errno.EINVAL, `${call} takes ${spec.length} argument(s), got ${args.length}`);
    for (let i = 0; i < spec.length; i++) {
      const expected = checkArg(spec[i]!, args[i]);
      if (expected) return fail(Errno.EINVAL, `${call}: argument ${i + 1} must be ${expected}, got ${describe(args[i])}`);
    }
    switch (call as HypercallName) {
      case "life.exit": {
        const code = args[0] as number;
        if (code > MAX_GUEST_EXIT_CODE) return fail(Errno.EINVAL, `life.exit: code must be 0–${MAX_GUEST_EXIT_CODE}, got ${code}`);
        host.exit(code);
        return undefined;
      }
      case "life.abort":
        host.abort((args[0] as string).slice(0, LIMITS.abortReason));
        return undefined;
      case "console.write": {
        const stream = args[0] as number;
        const bytes = args[1] as Uint8Array;
        if (stream !== 1 && stream !== 2) return fail(Errno.EINVAL, `console.write: stream must be 1 (output) or 2 (errors), got ${stream}`);
        if (bytes.length > LIMITS.consoleWrite) return fail(Errno.E2BIG, `console.write: at most ${LIMITS.consoleWrite} bytes per call, got ${bytes.length}`);
        host.console(stream, bytes);
        return undefined;
      }
      case "clock.monotonic":
        return host.monotonic();
      case "clock.wall":
        return performance.timeOrigin + performance.now();
      case "timer.arm":
        host.armTimer(args[0] as number);
        return undefined;
      case "random.fill": {
        const n = args[0] as number;
        if (n < 1 || n > LIMITS.randomFill) return fail(Errno.EINVAL, `random.fill: n must be 1–${LIMITS.randomFill}, got ${n}`);
        return randomFillSync(new Uint8Array(n));
      }
      case "asset.read": {
        const [id, offset, length] = args as [number, number, number];
        const data = host.asset(id);
        if (data === undefined) return fail(Errno.EBADF, `asset.read: handle ${id} is not an asset of this image`);
        if (length > LIMITS.assetRead) return fail(Errno.E2BIG, `asset.read: at most ${LIMITS.assetRead} bytes per call, got ${length}`);
        return data.slice(Math.min(offset, data.length), Math.min(offset + length, data.length));
      }
      case "stream.write": {
        const data = args[1] as Uint8Array | string;
        if (data.length > LIMITS.streamWrite) return fail(Errno.E2BIG, `stream.write: at most ${LIMITS.streamWrite} bytes per call, got ${data.length}`);
        return host.devices.write(args[0] as number, data);
      }
      case "stream.shutdown":
        return host.devices.shutdown(args[0] as number);
      case "stream.close":
        return host.devices.close(args[0] as number);
      case "stream.flow":
        return host.devices.flow(args[0] as number, args[1] as boolean);
      case "stream.connect":
        return host.devices.connect(args[0] as number);
      case "datagram.send": {
        const [handle, bytes, address, port] = args as [number, Uint8Array, string, number];
        if (bytes.length > LIMITS.datagram) return fail(Errno.E2BIG, `datagram.send: at most ${LIMITS.datagram} bytes per datagram, got ${bytes.length}`);
        if (port > 65535) return fail(Errno.EINVAL, `datagram.send: port must be 0–65535, got ${port}`);
        return host.devices.send(handle, bytes, address, port);
      }
      case "net.send": {
        const [handle, packed] = args as [number, Uint8Array];
        if (packed.length > LIMITS.netSend) return fail(Errno.E2BIG, `net.send: at most ${LIMITS.netSend} bytes of packed frames per call, got ${packed.length}`);
        return host.devices.netSend(handle, packed);
      }
      case "block.read": {
        const [handle, offset, length] = args as [number, number, number];
        if (length > LIMITS.blockIo) return fail(Errno.E2BIG, `block.read: at most ${LIMITS.blockIo} bytes per call, got ${length}`);
        return host.devices.blockRead(handle, offset, length);
      }
      case "block.write": {
        const [handle, offset, bytes] = args as [number, number, Uint8Array];
        if (bytes.length > LIMITS.blockIo) return fail(Errno.E2BIG, `block.write: at most ${LIMITS.blockIo} bytes per call, got ${bytes.length}`);
        return host.devices.blockWrite(handle, offset, bytes);
      }
      case "block.flush":
        return host.devices.blockFlush(args[0] as number);
      case "runtime.part": {
        const source = runtimePart(args[0] as string);
        return source ?? fail(Errno.EINVAL, `runtime.part: no part ${JSON.stringify((args[0] as string).slice(0, 40))} (the parts: "subtle")`);
      }
      case "crypto.digest":
        return crypto.digest(args[0] as string, args[1] as Uint8Array);
      case "crypto.sign": {
        const [operation, key, data, saltLength] = args as [string, Uint8Array, Uint8Array, number];
        return crypto.sign(operation, key, data, saltLength);
      }
      case "crypto.verify": {
        const [operation, key, data, signature, saltLength] = args as [string, Uint8Array, Uint8Array, Uint8Array, number];
        return crypto.verify(operation, key, data, signature, saltLength);
      }
      case "crypto.encrypt":
      case "crypto.decrypt": {
        const [operation, key, iv, data, extra, tagBits] = args as [string, Uint8Array, Uint8Array, Uint8Array, Uint8Array, number];
        return crypto.cipher(call === "crypto.encrypt", operation, key, iv, data, extra, tagBits);
      }
      case "crypto.derive": {
        const [operation, key, other, info, iterations, length] = args as [string, Uint8Array, Uint8Array, Uint8Array, number, number];
        return crypto.derive(operation, key, other, info, iterations, length);
      }
      case "crypto.generate":
        return crypto.generate(args[0] as string, args[1] as number, args[2] as Uint8Array);
      case "crypto.import":
        return crypto.import(args[0] as Uint8Array);
    }
  }

  return (call, ...args) => {
    const result = handle(call, args);
    // Never String(call): a call name that is not a string is the guest's object (see describe).
    if (typeof result === "object" && result !== null && "errno" in result) host.rejected(typeof call === "string" ? call : `(${typeof call})`, (result as HypercallError).errno);
    return result;
  };
}
