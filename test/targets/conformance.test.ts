/**
 * The target conformance suite: the same images, the same expectations, run against every target.
 * A case that needs a wall the target does not promise is skipped with the reason.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ExitCode } from "../../src/abi/index.ts";
import type { Image } from "../../src/host/image/image.ts";
import { readImage } from "../../src/host/image/image.ts";
import { TARGET_NAMES } from "../../src/host/tender/targets/index.ts";
import { ROOT, bootToEnd, buildSource, craftImage, testTender } from "../helpers.ts";

const built = new Map<string, Promise<Image>>();
/** Builds each distinct source once for all targets. */
const image = (source: string, extra: Record<string, string> = {}) => {
  const key = source + JSON.stringify(extra);
  if (!built.has(key)) built.set(key, buildSource(source, extra));
  return built.get(key)!;
};
const body = (start: string, head = "") => `import { unikernel } from "tsuki";\n${head}\nexport default unikernel({ async start(ctx) {\n${start}\n} });\n`;

const WALLS: Record<string, string | undefined> = {
  isolate: undefined,
  process: undefined,
  unix: "the unix target promises no heap limit and no CPU watchdog over promise jobs",
};

for (const target of TARGET_NAMES) {
  describe(`target ${target}`, () => {
    test("start() runs, prints to the console, and returning with nothing pending exits 0", async () => {
      const r = await bootToEnd(target, await image(body(`console.log("hi", 1, { a: [1, 2] }); console.error("oops");`)));
      assert.deepEqual(r.out, ["hi 1 { a: [ 1, 2 ] }"]);
      assert.deepEqual(r.err, ["oops"]);
      assert.equal(r.status.kind, "returned");
      assert.equal(r.status.code, 0);
      assert.ok(r.lines.every((l) => l.unikernel === "t"));
    });

    test("timers fire in deadline order and the unikernel lives until the last one", async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(`
          const t0 = performance.now();
          setTimeout(() => console.log("c"), 30);
          setTimeout(() => console.log("a"), 0);
          const dropped = setTimeout(() => console.log("never"), 10);
          setTimeout(() => console.log("b"), 10);
          clearTimeout(dropped);
          let n = 0;
          const i = setInterval(() => { console.log("tick", ++n); if (n === 3) clearInterval(i); }, 5);
          queueMicrotask(() => console.log("micro"));
          await new Promise((r) => setTimeout(r, 40));
          console.log("waited", performance.now() - t0 >= 40);`),
        ),
      );
      assert.deepEqual(r.out.filter((l) => !l.startsWith("tick")), ["micro", "a", "b", "c", "waited true"]);
      assert.deepEqual(r.out.filter((l) => l.startsWith("tick")), ["tick 1", "tick 2", "tick 3"]);
      assert.equal(r.status.code, 0);
    });

    test("exit(n) ends the unikernel at once with code n", async () => {
      const r = await bootToEnd(target, await image(body(`console.log("before"); ctx.exit(7); console.log("after");`)));
      assert.deepEqual(r.out, ["before"]);
      assert.deepEqual([r.status.kind, r.status.code], ["exit", 7]);
    });

    test("exit() from a timer ends the unikernel even with timers pending", async () => {
      const r = await bootToEnd(target, await image(body(`setInterval(() => {}, 1000); setTimeout(() => ctx.exit(3), 5);`)));
      assert.deepEqual([r.status.kind, r.status.code], ["exit", 3]);
    });

    test("abort(reason) ends it as aborted with the reason", async () => {
      const r = await bootToEnd(target, await image(body(`ctx.abort("disk on fire");`)));
      assert.deepEqual([r.status.kind, r.status.code], ["aborted", ExitCode.ABORTED]);
      assert.match(r.status.reason, /disk on fire/);
    });

    test("an exception thrown from start() prints its stack and aborts", async () => {
      const r = await bootToEnd(target, await image(body(`await null; throw new TypeError("bad thing");`)));
      assert.deepEqual([r.status.kind, r.status.code], ["aborted", ExitCode.ABORTED]);
      assert.match(r.status.reason, /uncaught TypeError: bad thing/);
      assert.match(r.err.join("\n"), /TypeError: bad thing\n\s+at /);
    });

    test("an exception thrown from a timer aborts, and later timers do not run", async () => {
      const r = await bootToEnd(target, await image(body(`setTimeout(() => { throw new RangeError("late"); }, 1); setTimeout(() => console.log("no"), 20);`)));
      assert.match(r.status.reason, /uncaught RangeError: late/);
      assert.deepEqual(r.out, []);
    });

    test("an exception at the top level of the module aborts the boot", async () => {
      const r = await bootToEnd(target, readImage(craftImage(`throw new Error("top level");`)));
      assert.deepEqual([r.status.kind, r.status.code], ["aborted", ExitCode.ABORTED]);
      assert.match(r.status.reason, /top level/);
      assert.match(r.err.join("\n"), /Error: top level/);
    });

    test("a default export that is not a unikernel aborts with a hint", async () => {
      const r = await bootToEnd(target, readImage(craftImage(`export default { start() {} };`)));
      assert.equal(r.status.kind, "aborted");
      assert.match(r.err.join("\n"), /export default unikernel/);
    });

    test("args reach start() as frozen plain values", async () => {
      const r = await bootToEnd(target, await image(body(`console.log(JSON.stringify(ctx.args), Object.isFrozen(ctx.args.list));`)), { args: { greeting: "hi", list: [1, 2], n: 3 } });
      assert.deepEqual(r.out, ['{"greeting":"hi","list":[1,2],"n":3} true']);
    });

    test("the global scope has the web basics and no host objects", async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(`
          const names = ["TextEncoder", "TextDecoder", "atob", "btoa", "structuredClone", "performance", "crypto", "queueMicrotask", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "console", "DOMException"];
          console.log(names.filter((n) => typeof globalThis[n] === "undefined").join() || "all present");
          const absent = ["process", "require", "Buffer", "global", "module", "fetch", "ivm", "_ivm", "__tsukiHypercall", "__tsukiEntry"];
          console.log(absent.filter((n) => typeof globalThis[n] !== "undefined").join() || "none present");
          console.log(new TextDecoder().decode(new TextEncoder().encode("héllo ✓")), atob(btoa("xyz")), structuredClone(new Map([[1, { a: 2 }]])).get(1).a);`),
        ),
      );
      assert.deepEqual(r.out, ["all present", "none present", "héllo ✓ xyz 2"]);
    });

    test("clocks: performance.now() is monotonic from boot and Date follows the host's wall clock", async () => {
      const before = Date.now();
      const r = await bootToEnd(target, await image(body(`const a = performance.now(); const b = performance.now(); console.log(a >= 0 && b >= a, Math.abs(performance.timeOrigin - Date.now()) < 5000, Date.now());`)));
      const [ok, origin, now] = r.out[0]!.split(" ");
      assert.equal(ok, "true");
      assert.equal(origin, "true");
      assert.ok(Number(now) >= before - 1000 && Number(now) <= Date.now() + 1000);
    });

    test("loopTime() is when the turn began: fixed through a turn, then advanced by the next, never ahead of performance.now()", async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(
            `const a = loopTime(); const t = performance.now(); while (performance.now() - t < 15) {} const b = loopTime();
             await new Promise((resolve) => setTimeout(resolve, 20));
             const c = loopTime(); const now = performance.now();
             console.log(a === b, c - b >= 20, c <= now, a <= t);`,
            `import { loopTime } from "tsuki";`,
          ),
        ),
      );
      assert.deepEqual(r.out, ["true true true true"]);
    });

    test("crypto.getRandomValues fills from the host's CSPRNG and enforces the Web Crypto rules", async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(`
          const a = crypto.getRandomValues(new Uint8Array(32)), b = crypto.getRandomValues(new Uint32Array(8));
          console.log(a.some((x) => x !== 0), b.some((x) => x !== 0), crypto.randomUUID().match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) !== null);
          for (const bad of [() => crypto.getRandomValues(new Float64Array(2)), () => crypto.getRandomValues(new Uint8Array(65537))]) {
            try { bad(); } catch (e) { console.log(e.name); }
          }`),
        ),
      );
      assert.deepEqual(r.out, ["true true true", "TypeMismatchError", "QuotaExceededError"]);
    });

    test("embedded assets are listed and readable, whole and in ranges", async () => {
      const r = await bootToEnd(
        target,
        await image(
          `import { unikernel } from "tsuki";
          export default unikernel({ assets: "public", start({ assets }) {
            console.log(assets.list().map((a) => a.path + ":" + a.size).join(","));
            console.log(assets.text("index.html"), new TextDecoder().decode(assets.read("sub/data.txt", 2, 3)), assets.read("nope"), assets.stat("index.html").sha256.length);
          } });`,
          { "public/index.html": "<h1>hi</h1>", "public/sub/data.txt": "0123456789" },
        ),
      );
      assert.deepEqual(r.out, ["index.html:11,sub/data.txt:10", "<h1>hi</h1> 234 undefined 64"]);
    });

    test("garbage hypercalls get error values with stable codes and the guest goes on", async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(`
          const hc = globalThis[Symbol.for("tsuki.hypercall")];
          const show = (r) => r && r.errno ? r.errno : typeof r;
          console.log([
            hc("no.such.call"), hc(42), hc("timer.arm", "soon"), hc("timer.arm"), hc("console.write", 1, "not bytes"),
            hc("console.write", 3, new Uint8Array(1)), hc("random.fill", -1), hc("random.fill", 1e9), hc("life.exit", 300),
            hc("asset.read", 99, 0, 1), hc("asset.read", 1.5, 0, 1), hc("clock.wall", 1),
          ].map(show).join(" "));
          try { crypto.getRandomValues(new Uint8Array(0)); performance.now(); console.log("still alive"); } catch (e) { console.log("dead", e); }`),
        ),
      );
      assert.deepEqual(r.out, ["ENOSYS ENOSYS EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EBADF EINVAL EINVAL", "still alive"]);
      assert.equal(r.status.code, 0);
    });

    test("a hypercall error surfaces in the guest as an Error with the stable code", async () => {
      const r = await bootToEnd(target, await image(body(`try { ctx.exit(200); } catch (e) { console.log(e.code, e.syscall, e instanceof Error); }`)));
      assert.deepEqual(r.out, ["EINVAL life.exit true"]);
    });

    test("nothing the guest can reach leads back to the host's realm", { skip: WALLS[target] }, async () => {
      const r = await bootToEnd(
        target,
        await image(
          body(`
          const hc = globalThis[Symbol.for("tsuki.hypercall")];
          // Each frame on the stack as the guest sees it: the type of its receiver, its function (the runtime's are minified) and its file.
          const frames = () => { Error.prepareStackTrace = (_, fs) => fs.map((f) => [typeof f.getThis(), f.getFileName() === "tsuki:runtime" ? "-" : f.getFunctionName(), f.getFileName()].join(" ")); try { return new Error().stack; } finally { delete Error.prepareStackTrace; } };
          let thrown;
          try { hc("console.write", 1, { get length() { throw new Error("x"); } }); } catch (e) { thrown = e; }
          // Guest code that runs while a hypercall copies its argument: a host frame below it would show here.
          let during;
          const copied = hc("console.write", 1, { get length() { during = frames(); return 0; } });
          const err = hc(42);
          console.log(JSON.stringify({
            hypercall: [hc.constructor === Function, Object.getPrototypeOf(hc) === Function.prototype, hc.constructor("return typeof process + typeof require")()],
            error: [Object.getPrototypeOf(err) === Object.prototype, Object.keys(err).join(), err.constructor.constructor("return typeof process")()],
            copied: [Object.getPrototypeOf(copied) === Object.prototype, copied.errno],
            thrown: [Object.getPrototypeOf(thrown) === Error.prototype, thrown.message],
            here: frames(),
            during,
          }));`),
        ),
      );
      assert.equal(r.status.code, 0, r.status.reason);
      assert.deepEqual(JSON.parse(r.out[0]!), {
        hypercall: [true, true, "undefinedundefined"],
        error: [true, "errno,message", "undefined"],
        copied: [true, "EINVAL"],
        thrown: [true, "x"],
        here: ["undefined frames tsuki:image/t/main.js", "undefined start tsuki:image/t/main.js", "undefined - tsuki:runtime"],
        during: ["undefined frames tsuki:image/t/main.js", "undefined get length tsuki:image/t/main.js", "undefined start tsuki:image/t/main.js", "undefined - tsuki:runtime"],
      });
    });

    test("the tender can read a live unikernel's heap use against its limit", async () => {
      const { tender } = testTender(target);
      const u = await tender.boot(await image(body(`setTimeout(() => {}, 60000);`)), { memoryMb: 32 });
      const heap = u.heap();
      u.stop();
      await u.exited;
      if (WALLS[target]) return assert.equal(heap, undefined);
      assert.ok(heap && heap.used > 0 && heap.used < heap.limit && heap.limit >= 32 * 2 ** 20, JSON.stringify(heap));
      assert.equal(u.heap(), undefined);
    });

    test("a loop that never yields is stopped by the CPU watchdog", async () => {
      const r = await bootToEnd(target, await image(body(`setTimeout(() => { for (;;) {} }, 1);`)), { cpuMs: 100 });
      assert.deepEqual([r.status.kind, r.status.code], ["cpu-limit", ExitCode.CPU_LIMIT]);
      assert.match(r.status.reason, /100 ms/);
    });

    test("allocating without bound ends it as out of memory", { skip: WALLS[target] }, async () => {
      const r = await bootToEnd(target, await image(body(`const keep = []; for (;;) keep.push({ a: [1, 2, 3], s: "x".repeat(64) + keep.length });`)), { memoryMb: 16, cpuMs: 20000 });
      assert.deepEqual([r.status.kind, r.status.code], ["out-of-memory", ExitCode.OUT_OF_MEMORY]);
      assert.match(r.status.reason, /16 MiB/);
    });

    test("a misbehaving unikernel does not disturb the others in the same tender", { skip: WALLS[target] }, async () => {
      const { tender, lines } = testTender(target);
      const steady = await tender.boot(await image(body(`let n = 0; await new Promise((r) => { const i = setInterval(() => { if (++n === 20) { clearInterval(i); r(); } }, 5); }); console.log("steady done", n);`)));
      const hog = await tender.boot(await image(body(`const keep = []; setTimeout(() => { for (;;) keep.push(new Array(1000).fill(keep.length)); }, 10);`)), { memoryMb: 16, cpuMs: 20000 });
      const spin = await tender.boot(await image(body(`setTimeout(() => { for (;;) {} }, 20);`)), { cpuMs: 50 });
      const [a, b, c] = await Promise.all([steady.exited, hog.exited, spin.exited]);
      assert.equal(b.kind, "out-of-memory");
      assert.equal(c.kind, "cpu-limit");
      assert.equal(a.kind, "returned");
      assert.ok(lines.some((l) => l.text === "steady done 20"));
      assert.equal(tender.live.size, 0);
    });
  });
}

/** Hostile guests that have crashed isolate-based hosts before; each must end cleanly. */
const HOSTILE: { what: string; code: string; kind: string; memoryMb?: number; cpuMs?: number }[] = [
  { what: "Array.prototype.fill past the heap limit", code: `const k = []; for (;;) k.push(new Array(1000).fill(k.length));`, kind: "out-of-memory" },
  { what: "one huge Array.prototype.fill", code: `new Array(2e8).fill(0);`, kind: "out-of-memory" },
  { what: "strings past the heap limit", code: `const k = []; for (;;) k.push("ab".repeat(1000) + k.length);`, kind: "out-of-memory" },
  { what: "typed arrays past the memory limit", code: `const k = []; for (;;) k.push(new Float64Array(1e5));`, kind: "out-of-memory" },
  { what: "catastrophic regular-expression backtracking", code: `/(a+)+$/.test("a".repeat(40) + "!");`, kind: "cpu-limit" },
  { what: "Atomics.wait forever", code: `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`, kind: "cpu-limit" },
  { what: "unbounded recursion", code: `const f = () => f(); f();`, kind: "aborted" },
  { what: "a microtask loop", code: `const f = () => queueMicrotask(f); f();`, kind: "cpu-limit" },
  { what: "a promise chain that never settles", code: `const f = () => Promise.resolve().then(f); f();`, kind: "out-of-memory" },
  // Without a stack of its own, an error leaving the isolate used to get the host's stack (isolated-vm attaches it).
  { what: "typed arrays past the memory limit in async code, with stack traces off", code: `Error.stackTraceLimit = undefined; const k = []; (async () => { for (;;) k.push(new Uint8Array(1 << 20)); })();`, kind: "out-of-memory" },
  { what: "an unhandled rejection of an error whose stack was deleted", code: `const e = new Error("stackless"); delete e.stack; Promise.reject(e);`, kind: "aborted" },
  { what: "an unhandled rejection of a plain object", code: `Promise.reject({ name: "Plain", message: "no stack" });`, kind: "aborted" },
];

/** Text that names the host's code: the checkout, its packages, Node's internals, the process target's child program. */
const HOST_TEXT = [ROOT, "node_modules", "node:internal", "file://", "/tsuki/child.js"];
const hostText = (text: string) => HOST_TEXT.find((host) => text.includes(host));

for (const target of ["isolate", "process"] as const) {
  describe(`target ${target}: hostile guests end with a reason and the tender goes on`, () => {
    for (const h of HOSTILE) {
      test(h.what, async () => {
        // Memory cases get a CPU budget far beyond what they need, CPU cases a short one, so that
        // each ends the way it is meant to whatever the machine's speed.
        const cpuMs = h.cpuMs ?? (h.kind === "out-of-memory" ? 10_000 : 300);
        const r = await bootToEnd(target, await image(body(`setTimeout(() => { ${h.code} }, 1);`)), { memoryMb: h.memoryMb ?? 16, cpuMs });
        assert.equal(r.status.kind, h.kind, r.status.reason);
        // What the operator and the tenant see names only the guest's code.
        for (const text of [r.status.reason, ...r.lines.map((l) => l.text)]) assert.equal(hostText(text), undefined, `host text in ${JSON.stringify(text)}`);
      });
    }
  });
}
