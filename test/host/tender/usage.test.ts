/**
 * What the tender tells the operator about a running unikernel, through `Unikernel`'s public
 * interface: CPU time (isolate target: isolated-vm's counters; process target: /proc of its
 * sandboxed processes) that grows with work and stays readable after the end; bytes and
 * connections per listener, datagrams per udp device, reads and writes per block device; and the
 * name it boots under (`BootOptions.name`), which labels its console lines and is the guest's `name`.
 */

import assert from "node:assert/strict";
import { type Socket, createSocket } from "node:dgram";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { Image } from "../../../src/host/image/image.ts";
import type { TargetName } from "../../../src/host/tender/targets/index.ts";
import { drainProcessTarget } from "../../../src/host/tender/targets/process.ts";
import type { Unikernel } from "../../../src/host/tender/unikernel.ts";
import { ROOT, buildSource, processTargetUnavailable, tempDir, testTender } from "../../helpers.ts";
import { buildImage } from "../../../src/host/build/build.ts";
import { readImage } from "../../../src/host/image/image.ts";
import { readFileSync } from "node:fs";

const processUnavailable = await processTargetUnavailable();
const live: Unikernel[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
  drainProcessTarget();
});

let helloHttp: Promise<Image> | undefined;
const helloHttpImage = () =>
  (helloHttp ??= buildImage(path.join(ROOT, "examples/hello-http"), { out: path.join(tempDir(), "hello-http.tsuki") }).then((b) => readImage(readFileSync(b.image))));

async function boot(target: TargetName, image: Image, bindings: Record<string, string>, name?: string) {
  const { tender, lines } = testTender(target);
  const unikernel = await tender.boot(image, { bindings: Object.entries(bindings).map(([n, uri]) => ({ name: n, uri })), ...(name ? { name } : {}) });
  live.push(unikernel);
  return { unikernel, lines };
}

const url = (u: Unikernel) => `http://127.0.0.1:${u.addresses.web!.port}/`;

async function get(address: string): Promise<string> {
  const res = await fetch(address, { headers: { connection: "close" } });
  return res.text();
}

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const target of ["isolate", "process"] as const) {
  describe(`usage on the ${target} target`, { skip: target === "process" ? processUnavailable : undefined }, () => {
    test("cpuTime grows with requests and is kept after the end; the listener counts connections and bytes both ways", { timeout: 60_000 }, async () => {
      const { unikernel } = await boot(target, await helloHttpImage(), { web: "tcp://127.0.0.1:0" });
      const first = unikernel.cpuTime();
      assert.ok(first !== undefined, "the target measures CPU time");
      assert.ok(first.cpuMs >= 0);
      if (target === "isolate") assert.ok(first.cpuMs > 0 && first.wallMs !== null && first.wallMs >= first.cpuMs * 0.5, JSON.stringify(first));
      else assert.equal(first.wallMs, null);

      let busy = 0;
      for (let i = 0; i < 200; i++) assert.equal(await get(url(unikernel)), "hello\n");
      // The process target counts in clock ticks (10 ms): keep going until a tick shows.
      while (target === "process" && (unikernel.cpuTime()?.cpuMs ?? 0) <= first.cpuMs && busy++ < 2000) await get(url(unikernel));
      const later = unikernel.cpuTime()!;
      assert.ok(later.cpuMs > first.cpuMs, `CPU time grew: ${first.cpuMs} → ${later.cpuMs}`);

      await waitUntil(() => unikernel.connections === 0);
      const web = unikernel.deviceStats().web!;
      assert.equal(web.kind, "listener");
      assert.ok("connectionsTotal" in web);
      assert.ok(web.connectionsTotal >= 200, `connections: ${web.connectionsTotal}`);
      assert.equal(web.connections, 0);
      // Each request is at least "GET / HTTP/1.1\r\n…"; each answer carries "hello\n" and its headers.
      assert.ok(web.bytesIn >= web.connectionsTotal * 16, `bytes in: ${web.bytesIn}`);
      assert.ok(web.bytesOut >= web.connectionsTotal * 40, `bytes out: ${web.bytesOut}`);

      unikernel.stop();
      await unikernel.exited;
      const final = unikernel.cpuTime();
      assert.ok(final !== undefined && final.cpuMs >= later.cpuMs, "the CPU time as it ended stays readable");
      assert.equal(unikernel.deviceStats().web!.bytesOut, web.bytesOut, "counters stay readable after the end");
    });

    test("an open connection is counted while it is open", { timeout: 60_000 }, async () => {
      const { unikernel } = await boot(target, await helloHttpImage(), { web: "tcp://127.0.0.1:0" });
      const { connect } = await import("node:net");
      const socket = connect(unikernel.addresses.web!.port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      await waitUntil(() => unikernel.connections === 1);
      const web = unikernel.deviceStats().web!;
      assert.ok("connections" in web && web.connections === 1);
      socket.destroy();
      await waitUntil(() => unikernel.connections === 0);
      assert.ok("connections" in unikernel.deviceStats().web! && (unikernel.deviceStats().web as { connections: number }).connections === 0);
      unikernel.stop();
      await unikernel.exited;
    });
  });
}

describe("usage of udp and block devices", () => {
  test("udp counts datagrams and bytes each way", { timeout: 60_000 }, async () => {
    const image = await buildSource(`import { unikernel, udp } from "tsuki";
      export default unikernel({ devices: { dns: udp() }, async start({ dns }) {
        for await (const d of dns) dns.send(new Uint8Array([...d.data, ...d.data]), d.from);
      } });`);
    const { unikernel } = await boot("isolate", image, { dns: "udp://127.0.0.1:0" });
    const socket: Socket = createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
    for (let i = 0; i < 3; i++) {
      const answer = new Promise<Buffer>((r) => socket.once("message", r));
      socket.send("abcd", unikernel.addresses.dns!.port, "127.0.0.1");
      assert.equal((await answer).toString(), "abcdabcd");
    }
    socket.close();
    assert.deepEqual(unikernel.deviceStats().dns, { kind: "udp", bytesIn: 12, bytesOut: 24, datagramsIn: 3, datagramsOut: 3, dropped: 0 });
    unikernel.stop();
  });

  test("block counts reads, writes, flushes and their bytes", { timeout: 60_000 }, async () => {
    const image = await buildSource(`import { unikernel, block } from "tsuki";
      export default unikernel({ devices: { data: block() }, async start({ data }) {
        data.write(0, new Uint8Array(4096));
        data.write(4096, new Uint8Array(512));
        await data.flush();
        data.read(0, 1024);
      } });`);
    const file = path.join(tempDir(), "disk.img");
    const { unikernel } = await boot("isolate", image, { data: `file:${file}?size=1M` });
    const status = await unikernel.exited;
    assert.equal(status.code, 0, status.reason);
    assert.deepEqual(unikernel.deviceStats().data, { kind: "block", bytesIn: 1024, bytesOut: 4608, reads: 1, writes: 2, flushes: 1 });
  });
});

describe("the name a unikernel boots under", () => {
  test("labels its console lines and is the guest's name; the image's name by default", { timeout: 60_000 }, async () => {
    const image = await buildSource(`import { unikernel } from "tsuki";
      export default unikernel({ async start({ console, name }) { console.log("I am " + name); } });`);
    const named = await boot("isolate", image, {}, "web-7");
    await named.unikernel.exited;
    assert.equal(named.unikernel.name, "web-7");
    assert.deepEqual(named.lines.map((l) => [l.unikernel, l.text]), [["web-7", "I am web-7"]]);
    const tenant = await boot("isolate", image, {}, "acme/web-1");
    await tenant.unikernel.exited;
    assert.deepEqual(tenant.lines.map((l) => [l.unikernel, l.text]), [["acme/web-1", "I am acme/web-1"]]);
    const plain = await boot("isolate", image, {});
    await plain.unikernel.exited;
    assert.deepEqual(plain.lines.map((l) => [l.unikernel, l.text]), [[image.manifest.name, `I am ${image.manifest.name}`]]);
  });

  test("a name that is not a unikernel name is refused before anything boots", async () => {
    const image = await buildSource(`import { unikernel } from "tsuki"; export default unikernel({ async start() {} });`);
    const { tender } = testTender("isolate");
    for (const name of ["Bad Name\n", "", "acme/", "/web", "a//b"]) {
      await assert.rejects(tender.boot(image, { name }), (e: Error & { code?: string }) => e.code === "ERR_FLAG_VALUE" && /not valid/.test(e.message), name);
    }
  });
});
