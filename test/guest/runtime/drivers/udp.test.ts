/**
 * The guest side of deferred udp sends (the isolate target): what the outbox hands over, when it
 * sends at once instead, and the device's mirror of the host's destination rule, which decides
 * between deferring a send and making it at once so that the host answers (EACCES and the rest).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { LIMITS, UDP_REPLY_MEMORY, udpSenderKey } from "../../../../src/abi/index.ts";
import { Outbox, Udp } from "../../../../src/guest/runtime/drivers/udp.ts";
import type { Call } from "../../../../src/guest/runtime/core/hypercall.ts";

type Sent = [handle: number, bytes: number[], address: string, port: number];

function recorder() {
  const sent: Sent[] = [];
  const call = ((name: string, handle: number, bytes: Uint8Array, address: string, port: number) => {
    assert.equal(name, "datagram.send");
    sent.push([handle, [...bytes], address, port]);
    return undefined;
  }) as unknown as Call;
  return { sent, call };
}

const encode = (text: string) => new TextEncoder().encode(text);
const local = { address: "127.0.0.1", port: 53, family: "IPv4" as const };
const from = (port: number, address = "127.0.0.1") => ({ address, port, family: "IPv4" as const });
const datagram = (port: number, address?: string) => ({ type: "datagram" as const, device: 1, bytes: new Uint8Array([1]), from: from(port, address) });

test("the outbox hands over the turn's datagrams as metadata and one buffer, a copy taken at send time", () => {
  const { sent, call } = recorder();
  const outbox = new Outbox(call);
  assert.equal(outbox.take(), undefined);
  const first = new Uint8Array([1, 2, 3]);
  outbox.add(1, first, "127.0.0.1", 5000);
  first[0] = 9; // the guest may reuse its buffer once send() has returned
  outbox.add(2, new Uint8Array(0), "::1", 53);
  outbox.add(1, new Uint8Array(70_000).fill(7), "10.0.0.1", 1);
  const [meta, bytes] = outbox.take()!;
  assert.deepEqual(JSON.parse(meta), [1, "127.0.0.1", 5000, 3, 2, "::1", 53, 0, 1, "10.0.0.1", 1, 70_000]);
  assert.equal(bytes.length, 70_003);
  assert.deepEqual([...bytes.subarray(0, 4)], [1, 2, 3, 7]);
  assert.equal(outbox.take(), undefined, "taken once");
  assert.deepEqual(sent, [], "nothing was sent at once");
});

test("flush sends what is queued at once, in order; a full outbox flushes before it takes more", () => {
  const { sent, call } = recorder();
  const outbox = new Outbox(call);
  outbox.add(1, new Uint8Array([1]), "127.0.0.1", 1);
  outbox.add(1, new Uint8Array([2, 2]), "127.0.0.1", 2);
  outbox.flush();
  assert.deepEqual(sent, [
    [1, [1], "127.0.0.1", 1],
    [1, [2, 2], "127.0.0.1", 2],
  ]);
  assert.equal(outbox.take(), undefined);
  sent.length = 0;
  for (let i = 0; i < 4097; i++) outbox.add(1, new Uint8Array([i & 0xff]), "127.0.0.1", i);
  assert.equal(sent.length, 4096);
  assert.deepEqual(JSON.parse(outbox.take()![0]), [1, "127.0.0.1", 4096, 1]);
});

test("a udp device defers replies to recent senders and sends anything else at once, after what is queued", () => {
  const { sent, call } = recorder();
  const outbox = new Outbox(call);
  const udp = new Udp("dns", 1, local, undefined, call, encode, outbox);
  udp.onDatagram(datagram(4000));
  udp.send("a", { address: "127.0.0.1", port: 4000 });
  assert.deepEqual(sent, [], "deferred");
  udp.send("b", { address: "127.0.0.1", port: 9 }); // never sent to us: the host answers
  assert.deepEqual(sent, [
    [1, [97], "127.0.0.1", 4000],
    [1, [98], "127.0.0.1", 9],
  ]);
  sent.length = 0;
  for (const bad of [
    () => udp.send(new Uint8Array(LIMITS.datagram + 1), { address: "127.0.0.1", port: 4000 }),
    () => udp.send(new Uint16Array(2) as unknown as Uint8Array, { address: "127.0.0.1", port: 4000 }),
    () => udp.send("x", { address: "127.0.0.1", port: 4000.5 }),
    () => udp.send("x", { address: 1 as unknown as string, port: 4000 }),
    () => udp.send("x"),
  ]) bad();
  assert.equal(sent.length, 5, "what the host must judge goes to it at once");
  assert.equal(outbox.take(), undefined);
});

test("the mirror forgets a sender only after UDP_REPLY_MEMORY datagrams, so the host still remembers every sender it defers for", () => {
  const { sent, call } = recorder();
  const outbox = new Outbox(call);
  const udp = new Udp("dns", 1, local, undefined, call, encode, outbox);
  udp.onDatagram(datagram(4000));
  for (let i = 1; i < UDP_REPLY_MEMORY; i++) udp.onDatagram(datagram(10_000 + (i % 7)));
  udp.send("old", { address: "127.0.0.1", port: 4000 });
  assert.deepEqual(sent, [], "4,095 datagrams later it is still among the last 4,096 senders");
  udp.onDatagram(datagram(10_000));
  udp.send("older", { address: "127.0.0.1", port: 4000 });
  assert.equal(sent.length, 2, "past that the host decides, at once");
  for (let i = 0; i < 3 * UDP_REPLY_MEMORY; i++) udp.onDatagram(datagram(i, `10.0.${i >> 8}.${i & 0xff}`));
  udp.send("new", { address: "10.0.47.255", port: 3 * UDP_REPLY_MEMORY - 1 });
  assert.equal(sent.length, 2, "the newest sender is remembered after pruning");
});

test("with a fixed peer the device defers sends to the peer only", () => {
  const { sent, call } = recorder();
  const outbox = new Outbox(call);
  const peer = { address: "127.0.0.1", port: 7000, family: "IPv4" as const };
  const udp = new Udp("out", 2, local, peer, call, encode, outbox);
  udp.send("to the peer");
  udp.send("also", { address: "127.0.0.1", port: 7000 });
  assert.deepEqual(sent, []);
  udp.send("elsewhere", { address: "127.0.0.1", port: 7001 });
  assert.equal(sent.length, 3);
});

test("without an outbox (the unix and process targets) every send is made at once", () => {
  const { sent, call } = recorder();
  const udp = new Udp("dns", 1, local, undefined, call, encode);
  udp.onDatagram(datagram(4000));
  udp.send("now", { address: "127.0.0.1", port: 4000 });
  assert.deepEqual(sent, [[1, [110, 111, 119], "127.0.0.1", 4000]]);
});

test("udpSenderKey: equal keys exactly for equal addresses and ports", () => {
  assert.equal(udpSenderKey("127.0.0.1", 53), ((127 * 256 + 0) * 256 * 256 + 1) * 65536 + 53);
  assert.equal(udpSenderKey("255.255.255.255", 65535), 2 ** 48 - 1);
  for (const address of ["127.0.0.01", "127.000.0.1", "1.2.3", "1.2.3.4.", ".1.2.3", "256.1.1.1", "1.2.3.4.5", "", "::1", "::ffff:1.2.3.4", "1..2.3", "1.2.3.a"]) {
    assert.equal(udpSenderKey(address, 53), `${address}|53`, address);
  }
  assert.notEqual(udpSenderKey("1.2.3.4", 1), udpSenderKey("1.2.3.4", 2));
  assert.notEqual(udpSenderKey("1.2.3.4", 1), udpSenderKey("1.2.3.5", 1));
});
