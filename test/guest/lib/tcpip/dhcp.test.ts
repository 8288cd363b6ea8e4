/**
 * The DHCP client core (tcpip/dhcp/client) against a server scripted in each test, on a virtual
 * clock: the four-message exchange, what each message carries (RFC 2131 Table 5), DHCPNAK,
 * renewing at T1, rebinding at T2, expiry, release, decline, INIT-REBOOT, and the retransmission
 * timings of RFC 2131 §4.1 and §4.4.5. Hours of lease run in milliseconds, since the client never
 * reads a clock.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BROADCAST, DhcpClient, type DhcpClientOptions, type DhcpEvent, type Lease } from "../../../../src/guest/lib/tcpip/dhcp/client.ts";
import { prefixFromMask } from "../../../../src/guest/lib/tcpip/dhcp/lease.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import { type DhcpMessage, MessageType, decodeDhcp, encodeDhcp, isDhcpError } from "../../../../src/guest/lib/tcpip/wire/dhcp.ts";
import { prng } from "../../runtime/seeded.ts";

const ip = (text: string) => parseAddress(text)!;
const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc);
const SERVER = ip("192.168.1.1");
const OTHER_SERVER = ip("192.168.1.2");
const ADDRESS = ip("192.168.1.77");

interface Sent {
  at: number;
  message: DhcpMessage;
  destination: number;
}

/**
 * A client on a virtual clock. `random` is "middle" by default: jitter 0 (so timings are exact)
 * and xids that still differ, or a seeded PRNG.
 */
function harness(options: Partial<DhcpClientOptions> & { seed?: number } = {}) {
  const sent: Sent[] = [];
  const leases: (Lease | undefined)[] = [];
  const events: DhcpEvent[] = [];
  let counter = 0;
  const seeded = options.seed === undefined ? undefined : prng(options.seed);
  const random = (bytes: Uint8Array) => {
    if (seeded) return bytes.forEach((_, i) => (bytes[i] = Math.floor(seeded() * 256)));
    // Two bytes are jitter: 0x7fff is the middle of the range (±0 ms); four are an xid.
    if (bytes.length === 2) return bytes.set([0x7f, 0xff]);
    counter++;
    bytes.set([0x10, 0x20, counter >>> 8, counter & 0xff]);
  };
  const state = { now: 0, deadline: Infinity };
  const client = new DhcpClient({
    mac: MAC,
    hostname: "tsuki",
    random,
    send(payload, destination) {
      const message = decodeDhcp(payload);
      if (isDhcpError(message)) assert.fail(`the client sent a malformed message: ${message.detail}`);
      sent.push({ at: state.now, message, destination });
    },
    onLease: (lease) => leases.push(lease),
    onEvent: (event) => events.push(event),
    ...options,
  });
  const h = {
    client,
    sent,
    leases,
    events,
    get now() {
      return state.now;
    },
    last(): Sent {
      return sent.at(-1)!;
    },
    start() {
      client.start(state.now);
      state.deadline = client.poll(state.now);
    },
    /** Runs the client's deadlines up to `to` (a virtual clock), then sets now to `to`. */
    runUntil(to: number) {
      for (let guard = 0; state.deadline <= to && guard < 10_000; guard++) {
        state.now = Math.max(state.now, state.deadline);
        state.deadline = client.poll(state.now);
      }
      state.now = to;
      state.deadline = client.poll(to);
    },
    /** A server's reply to `request`, delivered now. */
    reply(request: DhcpMessage, type: number, fields: Partial<DhcpMessage> = {}, source = SERVER) {
      client.input(state.now, encodeDhcp(serverReply(request, type, fields)), source);
      state.deadline = client.poll(state.now);
    },
    deliver(bytes: Uint8Array, source = SERVER) {
      client.input(state.now, bytes, source);
      state.deadline = client.poll(state.now);
    },
    get deadline() {
      return state.deadline;
    },
  };
  return h;
}

const LEASE_OPTIONS = {
  leaseTime: 3600,
  renewalTime: 1800,
  rebindingTime: 3150,
  subnetMask: ip("255.255.255.0"),
  routers: [SERVER],
  dnsServers: [ip("192.168.1.53"), ip("192.168.1.54")],
  domainName: "lan.example",
};

function serverReply(request: DhcpMessage, type: number, fields: Partial<DhcpMessage> = {}): DhcpMessage {
  const nak = type === MessageType.NAK;
  return {
    op: 2,
    messageType: type as DhcpMessage["messageType"],
    xid: request.xid,
    broadcast: request.broadcast,
    chaddr: request.chaddr,
    yiaddr: nak ? 0 : (request.requestedAddress ?? (request.ciaddr || ADDRESS)),
    serverId: SERVER,
    ...(nak ? {} : LEASE_OPTIONS),
    ...fields,
  };
}

/** Runs DISCOVER/OFFER/REQUEST/ACK at the current time; returns the harness bound. */
function bound(h: ReturnType<typeof harness>, fields: Partial<DhcpMessage> = {}) {
  h.start();
  h.reply(h.last().message, MessageType.OFFER, { yiaddr: ADDRESS, ...fields });
  h.reply(h.last().message, MessageType.ACK, fields);
  assert.equal(h.client.state, "bound");
  return h;
}

describe("DHCP client: acquiring a lease", () => {
  test("start broadcasts a DHCPDISCOVER with the broadcast flag, client id, host name and requested options", () => {
    const h = harness();
    h.start();
    assert.equal(h.client.state, "selecting");
    assert.equal(h.sent.length, 1);
    const { message, destination } = h.last();
    assert.equal(destination, BROADCAST);
    assert.equal(message.messageType, MessageType.DISCOVER);
    assert.equal(message.op, 1);
    assert.equal(message.broadcast, true);
    assert.equal(message.ciaddr, 0);
    assert.deepEqual(message.chaddr, MAC);
    assert.deepEqual(message.clientId, Uint8Array.of(1, ...MAC));
    assert.equal(message.hostname, "tsuki");
    assert.deepEqual(message.parameterRequestList, [1, 3, 6, 15, 51, 58, 59]);
    assert.equal(message.serverId, undefined);
    assert.equal(message.requestedAddress, undefined);
  });

  test("DISCOVER, OFFER, REQUEST, ACK: bound, with the lease's address, prefix, gateway, DNS, domain and times", () => {
    const h = harness();
    h.runUntil(1000);
    h.start();
    const discover = h.last().message;
    h.runUntil(1200);
    h.reply(discover, MessageType.OFFER, { yiaddr: ADDRESS });
    assert.equal(h.client.state, "requesting");
    const request = h.last();
    assert.equal(request.destination, BROADCAST);
    assert.equal(request.message.messageType, MessageType.REQUEST);
    // RFC 2131 §4.4.1 Table 5: same xid as the offer, requested address and server id, ciaddr 0.
    assert.equal(request.message.xid, discover.xid);
    assert.equal(request.message.requestedAddress, ADDRESS);
    assert.equal(request.message.serverId, SERVER);
    assert.equal(request.message.ciaddr, 0);
    h.runUntil(1300);
    h.reply(request.message, MessageType.ACK);
    assert.equal(h.client.state, "bound");
    const lease = h.client.lease!;
    assert.deepEqual(lease, {
      address: ADDRESS,
      prefixLength: 24,
      gateway: SERVER,
      dns: [ip("192.168.1.53"), ip("192.168.1.54")],
      server: SERVER,
      leaseTime: 3600,
      // Counted from when the REQUEST was sent (1200 ms), not from the ACK.
      renewAt: 1200 + 1_800_000,
      rebindAt: 1200 + 3_150_000,
      expiresAt: 1200 + 3_600_000,
      domain: "lan.example",
    });
    assert.deepEqual(h.leases, [lease]);
    assert.equal(h.deadline, lease.renewAt);
    assert.equal(h.sent.length, 2);
  });

  test("without T1 and T2 from the server, they are 0.5 and 0.875 of the lease (RFC 2131 §4.4.5)", () => {
    const h = harness();
    h.start();
    h.reply(h.last().message, MessageType.OFFER);
    h.reply(h.last().message, MessageType.ACK, { leaseTime: 1000, renewalTime: undefined, rebindingTime: undefined });
    assert.equal(h.client.lease!.renewAt, 500_000);
    assert.equal(h.client.lease!.rebindAt, 875_000);
    assert.equal(h.client.lease!.expiresAt, 1_000_000);
  });

  test("T1 and T2 out of order are replaced by the defaults", () => {
    const h = harness();
    bound(h, { leaseTime: 1000, renewalTime: 2000, rebindingTime: 900 });
    assert.equal(h.client.lease!.renewAt, 500_000);
    assert.equal(h.client.lease!.rebindAt, 900_000);
  });

  test("an infinite lease is never renewed", () => {
    const h = harness();
    bound(h, { leaseTime: 0xffffffff });
    assert.equal(h.client.lease!.expiresAt, Infinity);
    assert.equal(h.deadline, Infinity);
    h.runUntil(10 * 365 * 86_400_000);
    assert.equal(h.client.state, "bound");
  });

  test("the first acceptable offer wins; a later offer from another server is dropped", () => {
    const h = harness();
    h.start();
    const discover = h.last().message;
    h.reply(discover, MessageType.OFFER);
    h.reply(discover, MessageType.OFFER, { serverId: OTHER_SERVER, yiaddr: ip("192.168.1.99") }, OTHER_SERVER);
    assert.equal(h.client.state, "requesting");
    assert.equal(h.sent.length, 2);
    assert.equal(h.last().message.serverId, SERVER);
  });

  test("an ACK or NAK from a server we did not choose is dropped while requesting", () => {
    const h = harness();
    h.start();
    h.reply(h.last().message, MessageType.OFFER);
    h.reply(h.last().message, MessageType.NAK, { serverId: OTHER_SERVER }, OTHER_SERVER);
    h.reply(h.last().message, MessageType.ACK, { serverId: OTHER_SERVER }, OTHER_SERVER);
    assert.equal(h.client.state, "requesting");
    assert.equal(h.client.stats.dropped, 2);
  });

  test("a subnet mask without it sets the natural prefix; a non-contiguous mask makes the ACK unusable", () => {
    const h = harness();
    bound(h, { subnetMask: undefined, yiaddr: ip("10.1.2.3") });
    assert.equal(h.client.lease!.prefixLength, 8);
    const g = harness();
    g.start();
    g.reply(g.last().message, MessageType.OFFER);
    g.reply(g.last().message, MessageType.ACK, { subnetMask: ip("255.0.255.0") });
    assert.equal(g.client.state, "requesting");
    assert.deepEqual([prefixFromMask(0xffffffff), prefixFromMask(0), prefixFromMask(ip("255.255.240.0")), prefixFromMask(ip("255.0.255.0"))], [32, 0, 20, undefined]);
  });
});

describe("DHCP client: retransmission (RFC 2131 §4.1)", () => {
  test("DHCPDISCOVER is resent after 4, 8, 16, 32, 64, 64 s with the same xid and growing secs", () => {
    const h = harness();
    h.start();
    h.runUntil(250_000);
    const times = h.sent.map((s) => s.at);
    assert.deepEqual(times, [0, 4000, 12_000, 28_000, 60_000, 124_000, 188_000]);
    assert.ok(h.sent.every((s) => s.message.xid === h.sent[0]!.message.xid && s.message.messageType === MessageType.DISCOVER));
    assert.deepEqual(h.sent.map((s) => s.message.secs), [0, 4, 12, 28, 60, 124, 188]);
    assert.equal(h.client.stats.retransmissions, 6);
  });

  test("with real randomness each delay is within ±1 s of 4, 8, 16, 32, 64 s", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const h = harness({ seed });
      h.start();
      h.runUntil(400_000);
      const gaps = h.sent.slice(1).map((s, i) => s.at - h.sent[i]!.at);
      assert.ok(gaps.length >= 8);
      gaps.forEach((gap, i) => assert.ok(Math.abs(gap - Math.min(64_000, 4000 * 2 ** i)) <= 1000, `seed ${seed}: gap ${i} is ${gap} ms`));
    }
  });

  test("a DHCPREQUEST unanswered four times sends the client back to INIT with a new xid", () => {
    const h = harness();
    h.start();
    h.reply(h.last().message, MessageType.OFFER);
    const request = h.last();
    h.runUntil(request.at + 4000 + 8000 + 16_000 + 32_000 - 1);
    const requests = h.sent.filter((s) => s.message.messageType === MessageType.REQUEST);
    assert.deepEqual(requests.map((s) => s.at - request.at), [0, 4000, 12_000, 28_000]);
    h.runUntil(request.at + 60_000);
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
    assert.notEqual(h.last().message.xid, request.message.xid);
  });
});

describe("DHCP client: DHCPNAK", () => {
  test("a NAK while requesting starts over at INIT: a new DISCOVER at once, no lease announced", () => {
    const h = harness();
    h.start();
    h.reply(h.last().message, MessageType.OFFER);
    const request = h.last().message;
    h.reply(request, MessageType.NAK, { message: "wrong network" });
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
    assert.notEqual(h.last().message.xid, request.xid);
    assert.deepEqual(h.leases, []);
    assert.ok(h.events.some((e) => e.type === "drop" && e.reason === "nak" && e.detail === "wrong network"));
  });

  test("NAKs in a row wait 4 s, then 8 s, before discovering again", () => {
    const h = harness();
    h.start();
    const nakOnce = () => {
      h.reply(h.last().message, MessageType.OFFER);
      h.reply(h.last().message, MessageType.NAK);
    };
    nakOnce();
    assert.equal(h.client.state, "selecting");
    nakOnce();
    assert.equal(h.client.state, "init");
    assert.equal(h.deadline, h.now + 4000);
    h.runUntil(h.now + 4000);
    assert.equal(h.client.state, "selecting");
    nakOnce();
    assert.equal(h.deadline, h.now + 8000);
  });

  test("a NAK while renewing drops the lease and starts over", () => {
    const h = bound(harness());
    h.runUntil(h.client.lease!.renewAt);
    assert.equal(h.client.state, "renewing");
    h.reply(h.last().message, MessageType.NAK);
    assert.equal(h.client.lease, undefined);
    assert.equal(h.leases.at(-1), undefined);
    assert.equal(h.leases.length, 2);
    assert.equal(h.client.state, "selecting");
  });
});

describe("DHCP client: renewing, rebinding, expiry (RFC 2131 §4.4.5)", () => {
  test("at T1 a DHCPREQUEST goes unicast to the server with ciaddr and no server id or requested address", () => {
    const h = bound(harness());
    const lease = h.client.lease!;
    h.runUntil(lease.renewAt - 1);
    assert.equal(h.client.state, "bound");
    h.runUntil(lease.renewAt);
    assert.equal(h.client.state, "renewing");
    const renew = h.last();
    assert.equal(renew.destination, SERVER);
    assert.equal(renew.message.messageType, MessageType.REQUEST);
    assert.equal(renew.message.ciaddr, ADDRESS);
    assert.equal(renew.message.broadcast, false);
    assert.equal(renew.message.serverId, undefined);
    assert.equal(renew.message.requestedAddress, undefined);
    assert.equal(renew.message.secs, 0);
  });

  test("an ACK while renewing extends the lease from the time of the renewal request", () => {
    const h = bound(harness());
    const renewAt = h.client.lease!.renewAt;
    h.runUntil(renewAt);
    h.runUntil(renewAt + 500);
    h.reply(h.last().message, MessageType.ACK);
    assert.equal(h.client.state, "bound");
    assert.equal(h.client.lease!.expiresAt, renewAt + 3_600_000);
    assert.equal(h.leases.length, 2);
  });

  test("renewal requests are resent after half the time left to T2, at least 60 s, and T2 starts rebinding", () => {
    const h = bound(harness());
    const { renewAt, rebindAt } = h.client.lease!;
    h.runUntil(rebindAt - 1);
    const renewals = h.sent.filter((s) => s.destination === SERVER).map((s) => (s.at - renewAt) / 1000);
    // T1 = 1800 s, T2 = 3150 s: 1800, 2475, 2812.5, 2981.25, 3065.625, then 60 s is more than half: 3125.625.
    assert.deepEqual(renewals, [0, 675, 1012.5, 1181.25, 1265.625, 1325.625]);
    h.runUntil(rebindAt);
    assert.equal(h.client.state, "rebinding");
    const rebind = h.last();
    assert.equal(rebind.destination, BROADCAST);
    assert.equal(rebind.message.ciaddr, ADDRESS);
    assert.equal(rebind.message.serverId, undefined);
  });

  test("an ACK while rebinding (from any server) binds again", () => {
    const h = bound(harness());
    h.runUntil(h.client.lease!.rebindAt);
    h.reply(h.last().message, MessageType.ACK, { serverId: OTHER_SERVER }, OTHER_SERVER);
    assert.equal(h.client.state, "bound");
    assert.equal(h.client.lease!.server, OTHER_SERVER);
  });

  test("rebinding requests are resent after half the time left to expiry, at least 60 s; at expiry the lease is lost and discovery restarts", () => {
    const h = bound(harness());
    const { rebindAt, expiresAt } = h.client.lease!;
    h.runUntil(expiresAt - 1);
    const rebinds = h.sent.filter((s) => s.at >= rebindAt).map((s) => (s.at - rebindAt) / 1000);
    // T2 = 3150 s, expiry 3600 s: 450 s left → 225 s, then 112.5 s, then 60 s, then the rest.
    assert.deepEqual(rebinds, [0, 225, 337.5, 397.5]);
    assert.equal(h.client.lease?.address, ADDRESS);
    h.runUntil(expiresAt);
    assert.equal(h.client.lease, undefined);
    assert.deepEqual(h.leases.at(-1), undefined);
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
    assert.equal(h.last().at, expiresAt);
  });

  test("a client polled late (a paused loop) catches up: T1, T2 and expiry in one poll", () => {
    const h = bound(harness());
    const lease = h.client.lease!;
    h.client.poll(10 * 3_600_000);
    assert.equal(h.client.lease, undefined);
    assert.deepEqual(h.leases, [lease, undefined]);
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
  });
});

describe("DHCP client: release, decline, INIT-REBOOT", () => {
  test("release() sends DHCPRELEASE unicast to the server with ciaddr and server id, and stops", () => {
    const h = bound(harness());
    h.runUntil(60_000);
    h.client.release(h.now);
    const release = h.last();
    assert.equal(release.destination, SERVER);
    assert.equal(release.message.messageType, MessageType.RELEASE);
    assert.equal(release.message.ciaddr, ADDRESS);
    assert.equal(release.message.serverId, SERVER);
    assert.equal(release.message.requestedAddress, undefined);
    assert.equal(release.message.parameterRequestList, undefined);
    assert.equal(h.client.state, "stopped");
    assert.equal(h.client.lease, undefined);
    assert.equal(h.leases.at(-1), undefined);
    assert.equal(h.client.poll(h.now + 10_000_000), Infinity);
    const before = h.sent.length;
    h.client.start(h.now);
    assert.equal(h.sent.length, before + 1);
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
  });

  test("release() without a lease sends nothing and stops", () => {
    const h = harness();
    h.start();
    h.client.release(h.now);
    assert.equal(h.sent.length, 1);
    assert.equal(h.client.state, "stopped");
  });

  test("decline() broadcasts DHCPDECLINE with the address and server id, then waits 10 s before discovering", () => {
    const h = bound(harness());
    h.client.decline(h.now);
    const decline = h.last();
    assert.equal(decline.destination, BROADCAST);
    assert.equal(decline.message.messageType, MessageType.DECLINE);
    assert.equal(decline.message.requestedAddress, ADDRESS);
    assert.equal(decline.message.serverId, SERVER);
    assert.equal(decline.message.ciaddr, 0);
    assert.equal(h.client.state, "init");
    assert.equal(h.leases.at(-1), undefined);
    h.runUntil(h.now + 9999);
    assert.equal(h.last().message.messageType, MessageType.DECLINE);
    h.runUntil(h.now + 1);
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
  });

  test("with a previous address, start broadcasts a DHCPREQUEST for it without a server id (INIT-REBOOT)", () => {
    const h = harness({ previousAddress: ADDRESS });
    h.start();
    assert.equal(h.client.state, "rebooting");
    const request = h.last();
    assert.equal(request.destination, BROADCAST);
    assert.equal(request.message.messageType, MessageType.REQUEST);
    assert.equal(request.message.requestedAddress, ADDRESS);
    assert.equal(request.message.serverId, undefined);
    assert.equal(request.message.ciaddr, 0);
    h.reply(request.message, MessageType.ACK);
    assert.equal(h.client.state, "bound");
    assert.equal(h.client.lease!.address, ADDRESS);
  });

  test("INIT-REBOOT NAKed (moved to another network) falls back to discovery", () => {
    const h = harness({ previousAddress: ip("10.99.0.5") });
    h.start();
    h.reply(h.last().message, MessageType.NAK, { message: "wrong network" });
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.messageType, MessageType.DISCOVER);
    assert.equal(h.last().message.requestedAddress, undefined, "the refused address is not hinted again");
  });

  test("INIT-REBOOT unanswered four times falls back to discovery, hinting the old address", () => {
    const h = harness({ previousAddress: ADDRESS });
    h.start();
    h.runUntil(60_000);
    assert.equal(h.sent.filter((s) => s.message.messageType === MessageType.REQUEST).length, 4);
    assert.equal(h.client.state, "selecting");
    assert.equal(h.last().message.requestedAddress, ADDRESS);
  });
});

describe("DHCP client: what is dropped, never thrown", () => {
  test("garbage, requests, wrong xid, wrong chaddr, offers without a server id, stray ACKs: counted and ignored", () => {
    const h = harness();
    h.start();
    const discover = h.last().message;
    h.deliver(new Uint8Array(0));
    h.deliver(new Uint8Array(1000).fill(0xff));
    h.deliver(encodeDhcp({ ...discover }));
    h.deliver(encodeDhcp(serverReply({ ...discover, xid: discover.xid ^ 1 }, MessageType.OFFER)));
    h.deliver(encodeDhcp(serverReply({ ...discover, chaddr: Uint8Array.of(1, 2, 3, 4, 5, 6) }, MessageType.OFFER)));
    h.deliver(encodeDhcp(serverReply(discover, MessageType.OFFER, { serverId: undefined })));
    h.deliver(encodeDhcp(serverReply(discover, MessageType.OFFER, { yiaddr: 0 })));
    h.deliver(encodeDhcp(serverReply(discover, MessageType.ACK)));
    assert.equal(h.client.state, "selecting");
    assert.equal(h.client.stats.received, 8);
    assert.equal(h.client.stats.dropped, 8);
    const reasons = h.events.filter((e) => e.type === "drop").map((e) => (e as { reason: string }).reason);
    assert.deepEqual(reasons, ["truncated", "bad-cookie", "not-a-reply", "xid", "chaddr", "offer", "offer", "unexpected"]);
  });

  test("an ACK without a lease time is not a lease", () => {
    const h = harness();
    h.start();
    h.reply(h.last().message, MessageType.OFFER);
    h.reply(h.last().message, MessageType.ACK, { leaseTime: undefined });
    assert.equal(h.client.state, "requesting");
  });

  test("once bound, a repeated ACK for the finished exchange is dropped", () => {
    const h = bound(harness());
    const request = h.sent.at(-1)!.message;
    h.reply(request, MessageType.ACK);
    assert.equal(h.leases.length, 1);
  });

  test("the constructor refuses a MAC that is not 6 bytes and a host name that is not one", () => {
    const base = { random: () => {}, send: () => {} };
    assert.throws(() => new DhcpClient({ ...base, mac: new Uint8Array(5) }), TypeError);
    assert.throws(() => new DhcpClient({ ...base, mac: MAC, hostname: "a b" }), TypeError);
  });
});
