/**
 * The host side of the hypercall ABI, driven with a fake host: every argument is checked before
 * anything acts on it, every mistake is an error value (`{ errno, message }`) that names the call
 * and the argument, never an exception, and every rejection is counted.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type HypercallFn, LIMITS, isHypercallError } from "../../../src/abi/index.ts";
import { NO_DEVICES } from "../../../src/host/tender/devices/calls.ts";
import { type HypercallHost, makeHypercall } from "../../../src/host/tender/hypercalls.ts";

interface Fake {
  call: HypercallFn;
  /** What reached the host, in order: only calls that passed validation act. */
  acted: unknown[][];
  rejected: [string, string][];
  kill(): void;
}

function fake(assets: Uint8Array[] = []): Fake {
  const acted: unknown[][] = [];
  const rejected: [string, string][] = [];
  let alive = true;
  const host: HypercallHost = {
    alive: () => alive,
    exit: (code) => void acted.push(["exit", code]),
    abort: (reason) => void acted.push(["abort", reason]),
    console: (stream, bytes) => void acted.push(["console", stream, bytes]),
    monotonic: () => 1234.5,
    armTimer: (deadline) => void acted.push(["timer", deadline]),
    asset: (handle) => assets[handle],
    rejected: (call, errno) => void rejected.push([call, errno]),
    devices: NO_DEVICES,
  };
  return { call: makeHypercall(host), acted, rejected, kill: () => (alive = false) };
}

/** A value whose every use by the host would run guest code; `touched` records any that did. */
function hostile(): { value: object; touched: string[] } {
  const touched: string[] = [];
  const handler: ProxyHandler<object> = {};
  for (const trap of ["get", "has", "ownKeys", "getOwnPropertyDescriptor", "getPrototypeOf", "apply", "construct", "defineProperty", "set"] as const) {
    handler[trap] = () => {
      touched.push(trap);
      throw new Error(`guest code ran in the host (${trap})`);
    };
  }
  return { value: new Proxy({}, handler), touched };
}

const bytes = (n: number) => new Uint8Array(n).fill(65);

/** Calls that must be EINVAL: [call, args, what the message must say about the argument]. */
const INVALID: [string, unknown[], RegExp][] = [
  ["life.exit", [], /takes 1 argument/],
  ["life.exit", [0, 1], /takes 1 argument.*got 2/],
  ["life.exit", ["3"], /argument 1 .*string/],
  ["life.exit", [-1], /argument 1/],
  ["life.exit", [1.5], /argument 1/],
  ["life.exit", [Number.NaN], /argument 1/],
  ["life.exit", [Number.POSITIVE_INFINITY], /argument 1/],
  ["life.exit", [126], /code must be 0–125/],
  ["life.exit", [2 ** 32], /argument 1/],
  ["life.exit", [null], /argument 1 .*null/],
  ["life.exit", [3n], /argument 1 .*bigint/],
  ["life.abort", [], /takes 1 argument/],
  ["life.abort", [42], /argument 1 must be a string/],
  ["life.abort", [bytes(3)], /argument 1 must be a string.*Uint8Array/],
  ["console.write", [1], /takes 2 argument/],
  ["console.write", [1, bytes(1), 2], /takes 2 argument/],
  ["console.write", [1, "text"], /argument 2 must be a Uint8Array/],
  ["console.write", [1, [72, 105]], /argument 2 must be a Uint8Array.*Array/],
  ["console.write", [1, new Uint16Array(2)], /argument 2 must be a Uint8Array.*Uint16Array/],
  ["console.write", [1, new ArrayBuffer(2)], /argument 2 must be a Uint8Array/],
  ["console.write", [0, bytes(1)], /stream must be 1/],
  ["console.write", [3, bytes(1)], /stream must be 1/],
  ["console.write", [-1, bytes(1)], /argument 1/],
  ["console.write", [Number.NaN, bytes(1)], /argument 1/],
  ["clock.monotonic", [1], /takes 0 argument/],
  ["clock.wall", [undefined], /takes 0 argument/],
  ["timer.arm", [], /takes 1 argument/],
  ["timer.arm", [-1], /argument 1 must be a time/],
  ["timer.arm", [Number.NaN], /argument 1 must be a time/],
  ["timer.arm", [Number.NEGATIVE_INFINITY], /argument 1 must be a time/],
  ["timer.arm", ["5"], /argument 1 must be a time/],
  ["random.fill", [0], /n must be 1–65536/],
  ["random.fill", [LIMITS.randomFill + 1], /n must be 1–65536/],
  ["random.fill", [-1], /argument 1/],
  ["random.fill", [2.5], /argument 1/],
  ["random.fill", [Number.NaN], /argument 1/],
  ["random.fill", [], /takes 1 argument/],
  ["asset.read", [0, 0], /takes 3 argument/],
  ["asset.read", [-1, 0, 1], /argument 1/],
  ["asset.read", [0.5, 0, 1], /argument 1/],
  ["asset.read", [0, -1, 1], /argument 2/],
  ["asset.read", [0, 0, "1"], /argument 3/],
  ["asset.read", [0, 0, 2 ** 32], /argument 3/],
  ["stream.write", [5, "héllo"], /argument 2 must be bytes or an ASCII string \(encode other text as UTF-8 bytes\)/],
  ["stream.write", [5, "\u0100"], /argument 2 must be bytes or an ASCII string/],
  ["stream.write", [5, 42], /argument 2 must be a Uint8Array or an ASCII string/],
  ["stream.write", [5, new Uint16Array(2)], /argument 2 must be a Uint8Array or an ASCII string.*Uint16Array/],
];

const show = (args: unknown[]) =>
  args.map((a) => (typeof a === "bigint" ? `${a}n` : a instanceof Uint8Array ? "Uint8Array" : ArrayBuffer.isView(a) ? a.constructor.name : a instanceof ArrayBuffer ? "ArrayBuffer" : Number.isNaN(a) ? "NaN" : a === Infinity ? "Infinity" : a === -Infinity ? "-Infinity" : JSON.stringify(a))).join(", ");

describe("argument validation", () => {
  for (const [call, args, says] of INVALID) {
    test(`${call}(${show(args)}) is EINVAL with a message naming ${call} and the argument, and nothing acts`, () => {
      const h = fake([bytes(4)]);
      const result = h.call(call, ...args);
      assert.ok(isHypercallError(result), `an error value, got ${String(result)}`);
      assert.equal(result.errno, "EINVAL");
      assert.ok(result.message.startsWith(call), result.message);
      assert.match(result.message, says);
      assert.deepEqual(h.acted, []);
      assert.deepEqual(h.rejected, [[call, "EINVAL"]]);
    });
  }

  test("an argument whose inspection would run guest code is EINVAL without touching it", () => {
    const h = fake();
    const { value, touched } = hostile();
    for (const [call, args] of [["life.exit", [value]], ["console.write", [1, value]], ["console.write", [value, bytes(1)]], ["timer.arm", [value]], ["life.abort", [value]]] as const) {
      const result = h.call(call, ...args);
      assert.ok(isHypercallError(result) && result.errno === "EINVAL", `${call}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(touched, []);
  });

  test("a function argument with its own toString is EINVAL without calling it", () => {
    const h = fake();
    let called = false;
    const fn = Object.assign(() => {}, { toString: () => ((called = true), "x") });
    const result = h.call("life.exit", fn);
    assert.ok(isHypercallError(result));
    assert.equal(result.errno, "EINVAL");
    assert.equal(called, false);
  });

  test("an object with a throwing constructor getter is EINVAL, not an exception", () => {
    const h = fake();
    const odd = Object.defineProperty({}, "constructor", { get: () => { throw new Error("guest getter"); } });
    const result = h.call("console.write", 1, odd);
    assert.ok(isHypercallError(result));
    assert.equal(result.errno, "EINVAL");
  });
});

describe("call names", () => {
  for (const name of ["fs.read", "", "LIFE.EXIT", "life.exit ", "toString", "__proto__", "hasOwnProperty", "constructor"]) {
    test(`an unknown call ${JSON.stringify(name)} is ENOSYS`, () => {
      const h = fake();
      const result = h.call(name);
      assert.ok(isHypercallError(result));
      assert.equal(result.errno, "ENOSYS");
      assert.deepEqual(h.rejected, [[name, "ENOSYS"]]);
    });
  }

  for (const [label, name] of [["a number", 42], ["undefined", undefined], ["null", null], ["a symbol", Symbol("life.exit")], ["an array", ["life.exit"]]] as const) {
    test(`a call name that is ${label} is ENOSYS`, () => {
      const h = fake();
      const result = (h.call as (call: unknown, ...args: unknown[]) => unknown)(name, 0);
      assert.ok(isHypercallError(result));
      assert.equal(result.errno, "ENOSYS");
      assert.equal(h.rejected.length, 1);
      assert.deepEqual(h.acted, []);
    });
  }

  test("a call name whose toString throws is ENOSYS, not an exception, and is never converted", () => {
    const h = fake();
    const { value, touched } = hostile();
    const result = (h.call as (call: unknown) => unknown)(value);
    assert.ok(isHypercallError(result));
    assert.equal(result.errno, "ENOSYS");
    assert.deepEqual(touched, []);
    assert.equal(h.rejected.length, 1);
  });

  test("a very long unknown call name is cut short in the message", () => {
    const result = fake().call("x".repeat(10_000));
    assert.ok(isHypercallError(result));
    assert.ok(result.message.length < 200, `${result.message.length} characters`);
  });
});

describe("life", () => {
  test("life.exit(n) hands n to the host", () => {
    const h = fake();
    assert.equal(h.call("life.exit", 125), undefined);
    assert.deepEqual(h.acted, [["exit", 125]]);
  });

  test("life.abort(reason) hands the reason to the host, cut to LIMITS.abortReason characters", () => {
    const h = fake();
    h.call("life.abort", "x".repeat(LIMITS.abortReason + 500));
    assert.equal((h.acted[0]![1] as string).length, LIMITS.abortReason);
  });

  test("once the host reports the unikernel not alive, every call is ESRCH, valid or not", () => {
    const h = fake();
    h.kill();
    for (const [call, ...args] of [["clock.monotonic"], ["life.exit", 0], ["console.write", 1, bytes(1)], ["random.fill", 8], ["nonsense"]] as const) {
      const result = h.call(call, ...args);
      assert.ok(isHypercallError(result) && result.errno === "ESRCH", `${call}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(h.acted, []);
    assert.equal(h.rejected.length, 5);
    assert.ok(h.rejected.every(([, errno]) => errno === "ESRCH"));
  });
});

describe("console", () => {
  test("console.write hands the stream and the bytes to the host", () => {
    const h = fake();
    const data = new TextEncoder().encode("hi\n");
    assert.equal(h.call("console.write", 2, data), undefined);
    assert.deepEqual(h.acted, [["console", 2, data]]);
  });

  test("console.write of exactly 64 KiB is accepted", () => {
    const h = fake();
    assert.equal(h.call("console.write", 1, bytes(LIMITS.consoleWrite)), undefined);
    assert.equal(h.acted.length, 1);
  });

  test("console.write over 64 KiB is E2BIG naming the limit, and nothing is written", () => {
    const h = fake();
    const result = h.call("console.write", 1, bytes(LIMITS.consoleWrite + 1));
    assert.ok(isHypercallError(result));
    assert.equal(result.errno, "E2BIG");
    assert.match(result.message, /console\.write: at most 65536 bytes/);
    assert.deepEqual(h.acted, []);
    assert.deepEqual(h.rejected, [["console.write", "E2BIG"]]);
  });
});

describe("clocks and timers", () => {
  test("clock.monotonic returns the host's monotonic time", () => {
    assert.equal(fake().call("clock.monotonic"), 1234.5);
  });

  test("clock.wall returns milliseconds since the epoch", () => {
    const before = Date.now();
    const wall = fake().call("clock.wall") as number;
    assert.ok(wall >= before - 1 && wall <= Date.now() + 1, `${wall}`);
  });

  test("timer.arm accepts 0, a fraction and Infinity (disarm)", () => {
    const h = fake();
    for (const deadline of [0, 12.25, Number.POSITIVE_INFINITY]) assert.equal(h.call("timer.arm", deadline), undefined);
    assert.deepEqual(h.acted, [["timer", 0], ["timer", 12.25], ["timer", Number.POSITIVE_INFINITY]]);
  });
});

describe("random", () => {
  test("random.fill(n) returns n random bytes", () => {
    const h = fake();
    const a = h.call("random.fill", 32);
    const b = h.call("random.fill", 32);
    assert.ok(a instanceof Uint8Array && b instanceof Uint8Array);
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.deepEqual(h.rejected, []);
  });

  test("random.fill(1) and random.fill(65536) give exactly that many bytes", () => {
    const h = fake();
    assert.equal((h.call("random.fill", 1) as Uint8Array).length, 1);
    const big = h.call("random.fill", LIMITS.randomFill) as Uint8Array;
    assert.equal(big.length, LIMITS.randomFill);
    assert.ok(new Set(big).size > 200, "the bytes are spread over the whole range");
  });
});

describe("assets", () => {
  const asset = new TextEncoder().encode("hello, asset");

  test("asset.read returns the bytes at offset, shorter at the end", () => {
    const h = fake([asset]);
    assert.deepEqual(h.call("asset.read", 0, 7, 100), new TextEncoder().encode("asset"));
    assert.deepEqual(h.call("asset.read", 0, 0, 5), new TextEncoder().encode("hello"));
    assert.deepEqual(h.call("asset.read", 0, 1000, 5), new Uint8Array(0));
  });

  test("asset.read returns a copy the guest cannot use to change the asset", () => {
    const h = fake([asset]);
    const read = h.call("asset.read", 0, 0, 5) as Uint8Array;
    read[0] = 0;
    assert.equal(asset[0], "h".charCodeAt(0));
  });

  test("asset.read on a handle the unikernel does not own is EBADF naming the handle", () => {
    const h = fake([asset]);
    for (const handle of [1, 7, 2 ** 32 - 1]) {
      const result = h.call("asset.read", handle, 0, 1);
      assert.ok(isHypercallError(result));
      assert.equal(result.errno, "EBADF");
      assert.match(result.message, new RegExp(`asset\\.read: handle ${handle}`));
    }
    assert.deepEqual(h.rejected, [["asset.read", "EBADF"], ["asset.read", "EBADF"], ["asset.read", "EBADF"]]);
  });

  test("asset.read over LIMITS.assetRead bytes is E2BIG", () => {
    const h = fake([asset]);
    const result = h.call("asset.read", 0, 0, LIMITS.assetRead + 1);
    assert.ok(isHypercallError(result));
    assert.equal(result.errno, "E2BIG");
  });
});

describe("counting", () => {
  test("every rejection is counted once through host.rejected, and successful calls are not", () => {
    const h = fake([bytes(1)]);
    h.call("clock.monotonic");
    h.call("life.exit", "x");
    h.call("nope");
    h.call("console.write", 1, bytes(LIMITS.consoleWrite + 1));
    h.call("asset.read", 9, 0, 1);
    h.call("random.fill", 4);
    h.kill();
    h.call("clock.wall");
    assert.deepEqual(h.rejected, [
      ["life.exit", "EINVAL"],
      ["nope", "ENOSYS"],
      ["console.write", "E2BIG"],
      ["asset.read", "EBADF"],
      ["clock.wall", "ESRCH"],
    ]);
  });

  test("a rejection is an error value, never a thrown exception", () => {
    const h = fake();
    assert.doesNotThrow(() => {
      for (const [call, args] of INVALID) h.call(call, ...args);
    });
    assert.equal(h.rejected.length, INVALID.length);
  });
});

describe("streams", () => {
  test("stream.write takes bytes or an ASCII string, which reaches the device as the string", () => {
    const written: unknown[] = [];
    const call = makeHypercall({
      alive: () => true,
      exit() {},
      abort() {},
      console() {},
      monotonic: () => 0,
      armTimer() {},
      asset: () => undefined,
      rejected() {},
      devices: { ...NO_DEVICES, write: (handle, data) => (written.push([handle, data]), data.length) },
    });
    assert.equal(call("stream.write", 7, "GET / HTTP/1.1\r\n\r\n"), 18);
    assert.equal(call("stream.write", 7, bytes(3)), 3);
    assert.deepEqual(written, [[7, "GET / HTTP/1.1\r\n\r\n"], [7, bytes(3)]]);
    const tooLong = call("stream.write", 7, "x".repeat(LIMITS.streamWrite + 1));
    assert.ok(isHypercallError(tooLong) && tooLong.errno === "E2BIG");
    assert.equal(written.length, 2);
  });
});
