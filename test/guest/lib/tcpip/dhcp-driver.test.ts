/**
 * The DHCP driver (tcpip/dhcp/driver): the shell that binds UDP port 68 on a stack, feeds the
 * clock-free client and arms its timer. Against a fake stack with Node's mock timers: the exchange
 * configures the stack once per lease (not again on a plain renewal), messages leave from 0.0.0.0
 * until an address exists and from it while renewing, a lease of weeks does not fire its timer
 * early (setTimeout's 2^31−1 ms limit), and release() sends DHCPRELEASE, unconfigures and closes.
 */

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { BROADCAST } from "../../../../src/guest/lib/tcpip/dhcp/client.ts";
import { type DhcpHost, startDhcp } from "../../../../src/guest/lib/tcpip/dhcp/driver.ts";
import { parseAddress } from "../../../../src/guest/lib/tcpip/seam/ip.ts";
import type { Stack } from "../../../../src/guest/lib/tcpip/stack.ts";
import { type DhcpMessage, MessageType, decodeDhcp, encodeDhcp, isDhcpError } from "../../../../src/guest/lib/tcpip/wire/dhcp.ts";

// The real Stack is a DhcpHost as it is (checked by the compiler).
export type StackIsAHost = Stack extends DhcpHost ? true : never;
const stackIsAHost: StackIsAHost = true;
void stackIsAHost;

const ip = (text: string) => parseAddress(text)!;
const MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const SERVER = ip("10.0.0.1");

function fakeHost() {
  const sent: { message: DhcpMessage; destination: number; port: number; source: number | undefined }[] = [];
  const calls: string[] = [];
  let handler: ((now: number, source: number, sourcePort: number, destination: number, payload: Uint8Array) => void) | undefined;
  let closed = false;
  const host: DhcpHost = {
    mac: MAC,
    layers: {
      udp: {
        bindRaw(port, h) {
          assert.equal(port, 68);
          handler = h;
          return {
            send(payload, destination, destinationPort, source) {
              const message = decodeDhcp(payload);
              if (isDhcpError(message)) assert.fail(message.detail);
              sent.push({ message, destination, port: destinationPort, source });
              return true;
            },
            close() {
              closed = true;
            },
          };
        },
      },
    },
    configure: (config) => calls.push(`configure ${JSON.stringify(config)}`),
    unconfigure: () => calls.push("unconfigure"),
  };
  return {
    host,
    sent,
    calls,
    get closed() {
      return closed;
    },
    /** A reply from the server's port 67 to the last message sent. */
    reply(type: number, now: number, fields: Partial<DhcpMessage> = {}, sourcePort = 67) {
      const request = sent.at(-1)!.message;
      const reply: DhcpMessage = {
        op: 2,
        messageType: type as DhcpMessage["messageType"],
        xid: request.xid,
        chaddr: MAC,
        yiaddr: ip("10.0.0.50"),
        serverId: SERVER,
        leaseTime: 3600,
        subnetMask: ip("255.255.255.0"),
        routers: [SERVER],
        ...fields,
      };
      handler!(now, SERVER, sourcePort, BROADCAST, encodeDhcp(reply));
    },
  };
}

describe("DHCP driver", () => {
  let now = 0;
  beforeEach(() => {
    now = 0;
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => mock.timers.reset());
  const advance = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };

  test("DISCOVER/OFFER/REQUEST/ACK configures the stack once; messages go to port 67 from 0.0.0.0", async () => {
    const fake = fakeHost();
    const dhcp = startDhcp(fake.host, { clock: () => now, random: (b) => b.fill(7), hostname: "web" });
    assert.equal(fake.sent.length, 1);
    assert.deepEqual({ ...fake.sent[0]!, message: fake.sent[0]!.message.messageType }, { message: MessageType.DISCOVER, destination: BROADCAST, port: 67, source: 0 });
    fake.reply(MessageType.OFFER, now, {}, 68);
    assert.equal(fake.sent.length, 1, "only datagrams from port 67 are DHCP servers'");
    fake.reply(MessageType.OFFER, now);
    assert.equal(fake.sent.at(-1)!.message.messageType, MessageType.REQUEST);
    fake.reply(MessageType.ACK, now);
    const lease = await dhcp.bound;
    assert.equal(lease.address, ip("10.0.0.50"));
    assert.deepEqual(fake.calls, [`configure ${JSON.stringify({ address: ip("10.0.0.50"), prefixLength: 24, gateway: SERVER })}`]);
    assert.equal(dhcp.lease, lease);
  });

  test("a retransmission fires from the armed timer; a renewal leaves from our address and does not reconfigure", () => {
    const fake = fakeHost();
    startDhcp(fake.host, { clock: () => now, random: (b) => b.fill(0x7f) });
    // Bytes 0x7f7f are a jitter of −4 ms: the first retransmission is due at 3,996 ms.
    advance(3995);
    assert.equal(fake.sent.length, 1);
    advance(1);
    assert.equal(fake.sent.length, 2);
    fake.reply(MessageType.OFFER, now);
    fake.reply(MessageType.ACK, now);
    assert.equal(fake.calls.length, 1);
    advance(1_800_000);
    const renew = fake.sent.at(-1)!;
    assert.equal(renew.destination, SERVER);
    assert.equal(renew.source, ip("10.0.0.50"));
    fake.reply(MessageType.ACK, now);
    assert.equal(fake.calls.length, 1);
  });

  test("a lease of 60 days arms its timer in steps of at most 2^31−1 ms, renewing at T1 (30 days) and not before", () => {
    const fake = fakeHost();
    startDhcp(fake.host, { clock: () => now, random: (b) => b.fill(0x7f) });
    fake.reply(MessageType.OFFER, now);
    fake.reply(MessageType.ACK, now, { leaseTime: 60 * 86_400 });
    const before = fake.sent.length;
    advance(2 ** 31 - 1);
    advance(1000);
    assert.equal(fake.sent.length, before);
    advance(30 * 86_400_000 - (2 ** 31 - 1) - 1000);
    assert.equal(fake.sent.length, before + 1);
    assert.equal(fake.sent.at(-1)!.destination, SERVER);
  });

  test("release() sends DHCPRELEASE from our address, unconfigures the stack and closes port 68", () => {
    const fake = fakeHost();
    const dhcp = startDhcp(fake.host, { clock: () => now, random: (b) => b.fill(1) });
    fake.reply(MessageType.OFFER, now);
    fake.reply(MessageType.ACK, now);
    dhcp.release();
    const release = fake.sent.at(-1)!;
    assert.equal(release.message.messageType, MessageType.RELEASE);
    assert.equal(release.source, ip("10.0.0.50"));
    assert.equal(fake.calls.at(-1), "unconfigure");
    assert.ok(fake.closed);
    const count = fake.sent.length;
    advance(10_000_000);
    assert.equal(fake.sent.length, count);
  });

  test("a NAK while renewing unconfigures the stack and starts over from 0.0.0.0", () => {
    const fake = fakeHost();
    startDhcp(fake.host, { clock: () => now, random: (b) => b.fill(3) });
    fake.reply(MessageType.OFFER, now);
    fake.reply(MessageType.ACK, now);
    advance(1_800_000);
    fake.reply(MessageType.NAK, now, { yiaddr: 0 });
    assert.equal(fake.calls.at(-1), "unconfigure");
    const discover = fake.sent.at(-1)!;
    assert.equal(discover.message.messageType, MessageType.DISCOVER);
    assert.equal(discover.source, 0);
  });
});
