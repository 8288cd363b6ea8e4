/**
 * The udp device end to end on the isolate target, against Node's dgram sockets and socat: a
 * datagram echo, the rule that a guest may only reply (or send to its fixed peer), and a bind
 * conflict at boot. The isolate target defers sends to the end of the turn: what is sent just
 * before exit() still goes out, many sends in one turn arrive in order, and the targets that
 * send at once (unix, process) echo as well.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { type Socket, createSocket } from "node:dgram";
import { after, describe, test } from "node:test";
import type { Image } from "../../src/host/image/image.ts";
import type { Unikernel } from "../../src/host/tender/unikernel.ts";
import type { TargetName } from "../../src/host/tender/targets/index.ts";
import { buildSource, processTargetUnavailable, testTender } from "../helpers.ts";

const processUnavailable = await processTargetUnavailable();

const live: Unikernel[] = [];
after(async () => {
  for (const u of live) u.stop();
  await Promise.all(live.map((u) => u.exited));
});

async function boot(image: Image, devices: Record<string, string>, target: TargetName = "isolate") {
  const { tender, lines } = testTender(target);
  const unikernel = await tender.boot(image, { bindings: Object.entries(devices).map(([name, uri]) => ({ name, uri })) });
  live.push(unikernel);
  return { unikernel, lines };
}

async function client(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  return socket;
}

function exchange(socket: Socket, port: number, data: string | Buffer, ms = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once("message", (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
    socket.send(data, port, "127.0.0.1");
  });
}

let echoImage: Promise<Image> | undefined;
const echo = () =>
  (echoImage ??= buildSource(`import { unikernel, udp } from "tsuki";
    export default unikernel({ devices: { dns: udp() }, async start({ dns }) {
      for await (const d of dns) {
        const text = new TextDecoder().decode(d.data);
        if (text === "stranger") { try { dns.send("hi", { address: "127.0.0.1", port: 9 }); } catch (e) { dns.send(e.code, d.from); } continue; }
        dns.send(d.data, d.from);
      }
    } });`));

describe("udp device", () => {
  test("a datagram is answered to its sender, byte for byte, up to the largest IPv4 datagram", async () => {
    const { unikernel } = await boot(await echo(), { dns: "udp://127.0.0.1:0" });
    const socket = await client();
    const port = unikernel.addresses.dns!.port;
    assert.equal((await exchange(socket, port, "ping"))?.toString(), "ping");
    const big = Buffer.alloc(65507, 7);
    assert.ok((await exchange(socket, port, big))?.equals(big));
    socket.close();
  });

  test("a guest cannot send to an address that never sent to it (EACCES)", async () => {
    const { unikernel } = await boot(await echo(), { dns: "udp://127.0.0.1:0" });
    const socket = await client();
    assert.equal((await exchange(socket, unikernel.addresses.dns!.port, "stranger"))?.toString(), "EACCES");
    socket.close();
  });

  test("with a fixed peer, datagrams go only to that peer", async () => {
    const peer = await client();
    const peerPort = (peer.address() as { port: number }).port;
    const image = await buildSource(`import { unikernel, udp } from "tsuki";
      export default unikernel({ devices: { out: udp() }, start({ out }) {
        out.send("to the peer");
        try { out.send("elsewhere", { address: "127.0.0.1", port: 9 }); } catch (e) { out.send(e.code); }
        console.log(out.peer.port);
      } });`);
    const got: string[] = [];
    const both = new Promise<void>((resolve) =>
      peer.on("message", (m) => {
        got.push(m.toString());
        if (got.length === 2) resolve();
      }),
    );
    const { lines } = await boot(image, { out: `udp://127.0.0.1:0?peer=127.0.0.1:${peerPort}` });
    await both;
    assert.deepEqual(got, ["to the peer", "EACCES"]);
    assert.equal(lines[0]?.text, String(peerPort));
    peer.close();
  });

  test("datagrams sent in the turn that calls exit() still go out, in order, many per turn", async () => {
    const peer = await client();
    const peerPort = (peer.address() as { port: number }).port;
    const image = await buildSource(`import { unikernel, udp } from "tsuki";
      export default unikernel({ devices: { out: udp() }, start({ out, exit }) {
        for (let i = 0; i < 100; i++) out.send(String(i));
        out.send("bye");
        exit(3);
      } });`);
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      peer.on("message", (m) => {
        got.push(m.toString());
        if (got.length === 101) resolve();
      }),
    );
    const { unikernel } = await boot(image, { out: `udp://127.0.0.1:0?peer=127.0.0.1:${peerPort}` });
    assert.equal((await unikernel.exited).code, 3);
    await all;
    assert.deepEqual(got, [...Array.from({ length: 100 }, (_, i) => String(i)), "bye"]);
    assert.equal(unikernel.rejectedCalls.size, 0);
    peer.close();
  });

  for (const target of ["unix", "process"] as const) {
    test(`on the ${target} target, which sends at once, a datagram is echoed and a stranger is EACCES`, { skip: target === "process" ? processUnavailable : undefined }, async () => {
      const { unikernel } = await boot(await echo(), { dns: "udp://127.0.0.1:0" }, target);
      const socket = await client();
      const port = unikernel.addresses.dns!.port;
      assert.equal((await exchange(socket, port, "ping"))?.toString(), "ping");
      assert.equal((await exchange(socket, port, "stranger"))?.toString(), "EACCES");
      socket.close();
    });
  }

  test("socat, a peer we did not write, gets its datagram echoed", { skip: spawnSync("sh", ["-c", "command -v socat"]).status === 0 ? undefined : "socat is not installed (apt-get install socat)" }, async () => {
    const { unikernel } = await boot(await echo(), { dns: "udp://127.0.0.1:0" });
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("socat", ["-t", "1", "-T", "2", "-", `UDP:127.0.0.1:${unikernel.addresses.dns!.port}`]);
      let text = "";
      child.stdout.on("data", (c: Buffer) => (text += c));
      child.on("error", reject);
      child.on("close", () => resolve(text));
      child.stdin.end("through socat");
    });
    assert.equal(out, "through socat");
  });

  test("an address already bound is a boot error naming the device", async () => {
    const taken = await client();
    const { tender } = testTender("isolate");
    await assert.rejects(tender.boot(await echo(), { bindings: [{ name: "dns", uri: `udp://127.0.0.1:${(taken.address() as { port: number }).port}` }] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_DEV_OPEN");
      assert.match(error.message, /device "dns".*in use/);
      return true;
    });
    taken.close();
  });
});
