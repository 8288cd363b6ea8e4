// The TCP wire format: the bounds-checked view, the representation's parse/emit round trip, every
// option, and the malformed inputs it sheds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACK, FIN, PSH, RST, SYN, TcpPacket, TcpRepr, emitHeader, headerLengthFor } from "../../../../src/guest/lib/tcpip/wire/tcp.ts";
import { prng } from "./sim.ts";

const SRC = 0xc0a80001;
const DST = 0xc0a80002;

function emitted(fields: Partial<TcpRepr>): Uint8Array {
  const repr = Object.assign(new TcpRepr(), { sourcePort: 1234, destinationPort: 80, seq: 0xfffffff0, ack: 7, flags: ACK, window: 512 }, fields);
  const bytes = new Uint8Array(repr.bufferLength());
  repr.emit(bytes, 0, SRC, DST);
  return bytes;
}

function parsed(bytes: Uint8Array, checksum = true): TcpRepr | string {
  const packet = TcpPacket.check(bytes);
  if (typeof packet === "string") return packet;
  const repr = new TcpRepr();
  return repr.parse(packet, checksum ? { source: SRC, destination: DST } : undefined) ?? repr;
}

describe("tcp wire", () => {
  test("a SYN with MSS, window scale, SACK-permitted and timestamps round-trips", () => {
    const bytes = emitted({ flags: SYN, mss: 1460, windowScale: 7, sackPermitted: true, timestampValue: 0xdeadbeef, timestampEcho: 5 });
    assert.equal(bytes.length, 20 + 20);
    const repr = parsed(bytes) as TcpRepr;
    assert.equal(repr.flags, SYN);
    assert.equal(repr.mss, 1460);
    assert.equal(repr.windowScale, 7);
    assert.equal(repr.sackPermitted, true);
    assert.equal(repr.timestampValue, 0xdeadbeef);
    assert.equal(repr.timestampEcho, 5);
    assert.equal(repr.seq, 0xfffffff0);
    assert.equal(repr.seqLength, 1);
  });

  test("data with PSH|ACK round-trips; the payload is a view; the checksum verifies", () => {
    const payload = new TextEncoder().encode("hello, world!");
    const bytes = emitted({ flags: PSH | ACK, payload });
    const packet = TcpPacket.check(bytes) as TcpPacket;
    assert.equal(packet.verifyChecksum(SRC, DST), true);
    assert.equal(packet.verifyChecksum(SRC, DST + 1), false, "the pseudo-header counts");
    const repr = parsed(bytes) as TcpRepr;
    assert.equal(new TextDecoder().decode(repr.payload), "hello, world!");
    assert.equal(repr.payload.buffer, bytes.buffer);
    assert.equal(repr.seqLength, payload.length);
    assert.equal(packet.sourcePort, 1234);
    assert.equal(packet.destinationPort, 80);
    assert.equal(packet.window, 512);
    assert.equal(packet.headerLength, 20);
  });

  test("MSS and window scale are ignored outside a SYN (RFC 9293 §3.7.1, RFC 7323 §2.2); a shift above 14 is 14", () => {
    const header = new Uint8Array(28);
    emitHeader(header, 0, { sourcePort: 1, destinationPort: 2, seq: 0, ack: 0, flags: ACK, window: 1, mss: 1000, windowScale: 3 });
    assert.equal((parsed(header, false) as TcpRepr).mss, -1);
    assert.equal((parsed(header, false) as TcpRepr).windowScale, -1);
    emitHeader(header, 0, { sourcePort: 1, destinationPort: 2, seq: 0, ack: 0, flags: SYN, window: 1, mss: 1000, windowScale: 20 });
    assert.equal((parsed(header, false) as TcpRepr).windowScale, 14);
  });

  test("SACK blocks round-trip (RFC 2018 §3); a length that is not 2 + 8n is refused", () => {
    const repr = Object.assign(new TcpRepr(), { sourcePort: 1, destinationPort: 2, seq: 3, ack: 4, flags: ACK, window: 5 });
    repr.sackBlocks.push(100, 200, 0xfffffff0, 0x10);
    repr.sackCount = 2;
    assert.equal(repr.headerLength(), 20 + 4 + 16);
    const bytes = new Uint8Array(repr.bufferLength());
    repr.emit(bytes, 0, SRC, DST);
    const back = parsed(bytes) as TcpRepr;
    assert.equal(back.sackCount, 2);
    assert.deepEqual(back.sackBlocks.slice(0, 4), [100, 200, 0xfffffff0, 0x10]);
    bytes[23] = 2 + 8 + 3; // the SACK option's length
    assert.equal(parsed(bytes, false), "bad-option");
  });

  test("NOP, EOL and unknown options are skipped", () => {
    const bytes = new Uint8Array(32);
    emitHeader(bytes, 0, { sourcePort: 1, destinationPort: 2, seq: 0, ack: 0, flags: SYN, window: 1, mss: -1, windowScale: -1 });
    bytes[12] = (32 / 4) << 4;
    bytes.set([1, 1, 30, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 0, 0], 20); // NOP NOP unknown(30,len 4) MSS 1460 EOL
    const repr = parsed(bytes, false) as TcpRepr;
    assert.equal(repr.mss, 1460);
  });

  test("malformed segments are refused with a reason, never thrown", () => {
    assert.equal(parsed(new Uint8Array(19)), "truncated");
    const bad = emitted({});
    bad[12] = 4 << 4; // data offset 16 bytes
    assert.equal(parsed(bad, false), "bad-data-offset");
    bad[12] = 15 << 4; // 60 bytes, beyond the segment
    assert.equal(parsed(bad, false), "bad-data-offset");
    const corrupt = emitted({ payload: new Uint8Array([1, 2, 3]) });
    corrupt[21] = corrupt[21]! ^ 0xff;
    assert.equal(parsed(corrupt), "bad-checksum");
    assert.equal(parsed(emitted({ flags: SYN | FIN })), "bad-flags");
    assert.equal(parsed(emitted({ flags: SYN | RST })), "bad-flags");
    assert.equal(parsed(emitted({ sourcePort: 0 })), "bad-port");
    for (const options of [[2, 5, 0, 0], [2, 3, 5, 0], [3, 2, 0, 0], [8, 9, 0, 0], [30, 1, 0, 0], [30, 9, 0, 0]]) {
      const bytes = new Uint8Array(24);
      emitHeader(bytes, 0, { sourcePort: 1, destinationPort: 2, seq: 0, ack: 0, flags: SYN, window: 1, mss: -1, windowScale: -1 });
      bytes[12] = 6 << 4;
      bytes.set(options.slice(0, 4), 20);
      assert.equal(parsed(bytes, false), "bad-option", `options ${options}`);
    }
  });

  test("fuzz: random bytes and mutated segments never throw", () => {
    const random = prng(7);
    const seed = emitted({ flags: SYN, mss: 1460, windowScale: 7, sackPermitted: true, timestampValue: 1, payload: new Uint8Array(10) });
    const repr = new TcpRepr();
    for (let i = 0; i < 20_000; i++) {
      const bytes = i % 2 === 0 ? seed.slice() : new Uint8Array(Math.floor(random() * 80));
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips && bytes.length > 0; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const packet = TcpPacket.check(bytes);
      if (typeof packet !== "string") {
        const error = repr.parse(packet);
        if (error === undefined) assert.ok(repr.payload.length <= bytes.length - 20);
      }
    }
  });

  test("headerLengthFor pads options to whole words", () => {
    assert.equal(headerLengthFor(false, false), 20);
    assert.equal(headerLengthFor(true, false), 24);
    assert.equal(headerLengthFor(true, true), 28);
    assert.equal(headerLengthFor(true, true, true, true), 40);
  });
});
