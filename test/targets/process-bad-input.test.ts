/**
 * Bad input on the process target's channel: a unikernel process that dies, hangs, floods the
 * channel, sends malformed, oversized or unexpected frames, or exceeds its limits. The misbehaviour
 * is planted with the test-only escape entry (code run in the child's own realm, outside the
 * isolate). Each time the tender reports an exit reason and goes on, and a neighbour unikernel on
 * the same tender is untouched. Skips, with the reason, where the process target cannot run.
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Target } from "../../src/host/tender/targets/index.ts";
import { type ProcessGuest, createProcessTarget, drainProcessTarget } from "../../src/host/tender/targets/process.ts";
import { Tender } from "../../src/host/tender/tender.ts";
import { buildSource, processTargetUnavailable } from "../helpers.ts";

const unavailable = await processTargetUnavailable();

const TICKING = `import { unikernel } from "tsuki";\nexport default unikernel({ start() { let n = 0; setInterval(() => { n++; }, 10); } });\n`;
/** Writes one frame of `message` (or raw bytes) on the channel, as the child's own code would. */
const FRAME = `const fs = require("fs"); const v8 = require("v8");
  const frame = (m) => { const b = v8.serialize(m); const f = Buffer.alloc(4 + b.length); f.writeUInt32BE(b.length); b.copy(f, 4); return f; };`;

function keptTarget(permission = true): { target: Target; guests: ProcessGuest[] } {
  const inner = createProcessTarget({ escapes: true, permission });
  const guests: ProcessGuest[] = [];
  return { guests, target: { ...inner, create: async (o) => { const g = (await inner.create(o)) as ProcessGuest; guests.push(g); return g; } } };
}

const CASES: { what: string; code: string; kind: string; reason: RegExp; permission?: boolean; cpuMs?: number }[] = [
  { what: "its process dies", code: `process.exit(3)`, kind: "crashed", reason: /process exited with status 3/ },
  { what: "it hangs outside the isolate during a turn", code: `require("fs").readSync = () => { for (;;) {} }; return "armed"`, kind: "cpu-limit", reason: /CPU limit/, cpuMs: 200 },
  { what: "it floods the channel with hypercalls and never reads the answers", code: `${FRAME} const f = frame({ t: "call", call: "clock.wall", args: [] }); for (let i = 0; i < 5e6; i++) fs.writeSync(3, f);`, kind: "crashed", reason: /flooded the channel/ },
  { what: "it sends a frame that does not decode", code: `require("fs").writeSync(3, Buffer.from([0, 0, 0, 3, 0xff, 0x0f, 0xff]))`, kind: "crashed", reason: /does not decode/ },
  { what: "it sends an oversized frame", code: `require("fs").writeSync(3, Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]))`, kind: "crashed", reason: /over the channel's cap/ },
  { what: "it sends a frame that is not a message", code: `${FRAME} fs.writeSync(3, frame(42))`, kind: "crashed", reason: /not a message/ },
  { what: "it sends a frame the protocol does not expect", code: `${FRAME} fs.writeSync(3, frame({ t: "end", end: null, busy: false, heap: null }))`, kind: "crashed", reason: /while the tender waited for "escaped"/ },
  { what: "it sends a hypercall whose arguments are not an array", code: `${FRAME} fs.writeSync(3, frame({ t: "call", call: "clock.wall", args: 7 }))`, kind: "crashed", reason: /arguments are not an array/ },
  { what: "it sends a console frame whose runs are not [stream, bytes, …]", code: `${FRAME} fs.writeSync(3, frame({ t: "console", runs: [1] }))`, kind: "crashed", reason: /console frame that is not \[stream, bytes, …\] runs/ },
  { what: "it allocates past its data limit outside the isolate", code: `const keep = []; for (let i = 0; i < 256; i++) keep.push(Buffer.alloc(64 * 2 ** 20, 1)); return "allocated"`, kind: "out-of-memory", reason: /out of memory/, permission: false },
];

describe("process target: bad input on the channel ends one unikernel with a reason", { skip: unavailable }, () => {
  after(() => drainProcessTarget());

  for (const c of CASES) {
    test(c.what, async (t) => {
      const { target, guests } = keptTarget(c.permission ?? true);
      const tender = new Tender({ target, console: { line() {} } });
      t.after(() => tender.stopAll());
      const image = await buildSource(TICKING);
      const neighbour = await tender.boot(image);
      const bad = await tender.boot(image, c.cpuMs === undefined ? {} : { cpuMs: c.cpuMs });
      const escaped = await guests[1]!.escape(c.code, 30_000);
      // Allocation that the limit refuses without killing the process is as good as a kill.
      if (c.kind === "out-of-memory" && bad.status === undefined) {
        assert.match(JSON.stringify(escaped), /allocation failed|Failed to allocate|ERR_MEMORY|RangeError|died/i, JSON.stringify(escaped));
        return;
      }
      const status = await bad.exited;
      assert.equal(status.kind, c.kind, status.reason);
      assert.match(status.reason, c.reason);
      // The tender goes on: the neighbour still runs, and a new unikernel boots.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(neighbour.status, undefined);
      assert.ok(neighbour.heap() !== undefined);
      const next = await tender.boot(image);
      assert.equal(next.status, undefined);
    });
  }
});
