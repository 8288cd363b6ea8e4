/**
 * The one device-URI parser: every kind's grammar, what it refuses (the spellings a hostile
 * tenant tried: control and invisible characters after a value, options given twice or unknown,
 * numbers that are not plain decimal, IPv4 addresses in the forms getaddrinfo also takes), and
 * that formatting and parsing again give the same binding, over a seeded stream of bindings.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DeviceKind } from "../../../src/abi/index.ts";
import { prng } from "../../guest/runtime/seeded.ts";
import { type DeviceBinding, UriProblem, formatDeviceUri, parseDeviceUri } from "../../../src/host/spec/device-uri.ts";

const refused = (kind: DeviceKind, uri: string, why?: RegExp) =>
  assert.throws(
    () => parseDeviceUri(kind, uri, { volumes: true }),
    (e: unknown) => {
      assert.ok(e instanceof UriProblem, `a UriProblem for ${JSON.stringify(uri)}, not ${String(e)}`);
      if (why) assert.match(e.message, why, JSON.stringify(uri));
      return true;
    },
    JSON.stringify(uri),
  );

describe("each kind's grammar", () => {
  test("listeners: tcp and tls, with their options", () => {
    assert.deepEqual(parseDeviceUri("listener", "tcp://127.0.0.1:8080"), { kind: "listener", scheme: "tcp", host: "127.0.0.1", port: 8080 });
    assert.deepEqual(parseDeviceUri("listener", "tcp://[::1]:0?max=10"), { kind: "listener", scheme: "tcp", host: "::1", port: 0, max: 10 });
    assert.deepEqual(parseDeviceUri("listener", "tls://0.0.0.0:443?key=k.pem&cert=c%20d.pem", { base: "/srv" }), { kind: "listener", scheme: "tls", host: "0.0.0.0", port: 443, cert: "/srv/c d.pem", key: "/srv/k.pem" });
  });

  test("connectors take a name or an address, never port 0, and a cap", () => {
    assert.deepEqual(parseDeviceUri("connector", "tcp://DB.Internal:5432?max=8"), { kind: "connector", scheme: "tcp", host: "db.internal", port: 5432, max: 8 });
    refused("connector", "tcp://127.0.0.1:0", /port 0/);
  });

  test("udp devices with and without a fixed peer", () => {
    assert.deepEqual(parseDeviceUri("udp", "udp://127.0.0.1:53?peer=[0:0::1]:5353"), { kind: "udp", scheme: "udp", host: "127.0.0.1", port: 53, peer: { host: "::1", port: 5353 } });
    refused("udp", "udp://127.0.0.1:53?peer=ns.example:53", /IP address/);
  });

  test("net devices: a TAP name and a unicast MAC", () => {
    assert.deepEqual(parseDeviceUri("net", "tap:tap0?mac=02:AA:00:00:00:01"), { kind: "net", scheme: "tap", tap: "tap0", mac: "02:aa:00:00:00:01" });
    refused("net", "tap:tap0?mac=01:00:00:00:00:01", /multicast/);
    refused("net", "tap:tap 0", /TAP interface name/);
  });

  test("block devices: a file (percent-decoded, resolved against base) or a volume, with size and sector", () => {
    assert.deepEqual(parseDeviceUri("block", "file:d%20e.img?size=64M&sector=4096", { base: "/srv" }), { kind: "block", scheme: "file", path: "/srv/d e.img", size: 64 * 2 ** 20, sector: 4096 });
    assert.deepEqual(parseDeviceUri("block", "file:rel.img"), { kind: "block", scheme: "file", path: "rel.img" }, "no base: the path as written");
    assert.deepEqual(parseDeviceUri("block", "volume:acme/data.img?sector=512", { volumes: true }), { kind: "block", scheme: "volume", volume: "acme/data.img", sector: 512 });
    assert.throws(() => parseDeviceUri("block", "volume:data"), UriProblem, "volume: only where the caller takes volumes");
  });

  test("a scheme that does not suit the kind is a wrong-kind problem", () => {
    for (const [kind, uri] of [["block", "tcp://1.2.3.4:5"], ["listener", "udp://1.2.3.4:5"], ["connector", "udp://1.2.3.4:5"], ["net", "file:x"], ["udp", "TCP://1.2.3.4:5"]] as const) {
      assert.throws(() => parseDeviceUri(kind, uri), (e: UriProblem) => e.wrongKind, `${kind} ${uri}`);
    }
  });
});

describe("what it refuses", () => {
  // The attack: a character after a value that a regular expression elsewhere did not expect.
  const invisible = ["\n", "\r", "\t", " ", "\u0000", "\u0085", "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "\u202e", "\ud800"];
  test("every control, format, separator or lone surrogate character, raw, anywhere", () => {
    for (const c of invisible) {
      refused("block", `file:/srv/a.img?sector=512${c}`);
      refused("block", `file:/srv/a${c}.img`);
      refused("listener", `tcp://127.0.0.1:8080${c}`);
      refused("listener", `tcp://127.0.0.1${c}:8080`);
      refused("udp", `udp://127.0.0.1:53?peer=127.0.0.1:53${c}`);
      refused("connector", `${c}tcp://127.0.0.1:1`);
    }
  });

  test("the same characters percent-encoded, except a space in a file's path", () => {
    for (const c of ["%0A", "%0D", "%00", "%E2%80%A8", "%C2%85", "%E2%80%8B"]) {
      refused("block", `file:/srv/a${c}.img`, /encoded invisible/);
      refused("listener", `tls://127.0.0.1:1?cert=c${c}&key=k`, /encoded invisible/);
    }
    assert.equal((parseDeviceUri("block", "file:/srv/a%20b.img") as { path: string }).path, "/srv/a b.img");
    refused("block", "file:/srv/a%2.img", /two hex digits/);
    refused("block", "file:/srv/a%FF.img", /not UTF-8/);
  });

  test("options unknown, given twice, empty or without a value", () => {
    refused("block", "file:/a?size=1M&size=2M", /twice/);
    refused("block", "file:/a?sector=512&sector=512", /twice/);
    refused("block", "file:/a?owner=root", /unknown option "owner"/);
    refused("block", "file:/a?", /empty option/);
    refused("block", "file:/a?size=1M&", /empty option/);
    refused("block", "file:/a?size", /without a value/);
    refused("block", "file:/a?size=", /without a value/);
    refused("listener", "tcp://127.0.0.1:1?cert=a", /unknown option "cert"/);
    refused("udp", "udp://127.0.0.1:1?max=5", /unknown option "max"/);
  });

  test("numbers that are not plain decimal", () => {
    for (const n of ["+512", "-512", "0512", "512.0", "5e2", "0x200", "512 ", " 512", "", "５１２", "99999999999999999999"]) refused("block", `file:/a?sector=${encodeURIComponent(n)}`);
    for (const n of ["+1", "01", "1e3", "0x10", "0", "1000001"]) refused("listener", `tcp://127.0.0.1:1?max=${n}`);
    for (const n of ["08080", "+80", "65536", "8080.", "0x1f90", "1e3", "-1"]) refused("listener", `tcp://127.0.0.1:${n}`);
    for (const n of ["64MiB", "64m", "0", "1000", "64M1", "2000T"]) refused("block", `file:/a?size=${n}`);
  });

  test("IPv4 addresses in any but the dotted-quad form, and malformed hosts", () => {
    for (const host of ["127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "127.000.0.1", "127.0.0.01", "256.0.0.1", "1.2.3.4.5", "127.0.0.1.", "[::1", "[fe80::1%eth0]", "a_b.example", "-a.example", "exa mple"]) {
      refused("listener", `tcp://${host}:80`);
    }
    refused("listener", "tcp://:80", /no host/);
    refused("listener", "tcp://127.0.0.1:80/", /path/);
    refused("listener", "tcp://user@127.0.0.1:80", /user/);
    refused("listener", "tcp://127.0.0.1", /no port/);
  });

  test("IPv6 and names are written one way", () => {
    assert.equal((parseDeviceUri("listener", "tcp://[0:0:0:0:0:FFFF:7F00:1]:1") as { host: string }).host, "::ffff:7f00:1");
    assert.equal((parseDeviceUri("listener", "tcp://[::ffff:127.0.0.1]:1") as { host: string }).host, "::ffff:7f00:1");
    assert.equal((parseDeviceUri("listener", "tcp://LocalHost:1") as { host: string }).host, "localhost");
  });

  test("volumes' names", () => {
    for (const v of ["", "../x", "a//b", "/etc/passwd", "A", "a/b/c/d/e/f/g/h/i/j"]) refused("block", `volume:${v}`);
  });
});

describe("format and parse again", () => {
  const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const maybe = <T>(r: () => number, value: T): T | undefined => (r() < 0.5 ? value : undefined);
  const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  function binding(r: () => number): DeviceBinding {
    const host = pick(r, ["127.0.0.1", "10.0.0.255", "::1", "fe80::1:2", "db.example.org", "localhost"]);
    const port = Math.floor(r() * 65536);
    const max = maybe(r, 1 + Math.floor(r() * 1_000_000));
    const file = pick(r, ["/srv/a.img", "/srv/my disks/#1 50%.img", "/tmp/a?b&c=d.img", "rel/ätsch.img", "/x/+plus.img"]);
    const sector = pick(r, [undefined, 512, 4096, 65536]);
    const size = maybe(r, (1 + Math.floor(r() * 1000)) * 65536);
    switch (pick(r, ["tcp", "tls", "connector", "udp", "net", "file", "volume"])) {
      case "tcp":
        return defined({ kind: "listener", scheme: "tcp", host, port, max });
      case "tls":
        return defined({ kind: "listener", scheme: "tls", host, port, max, cert: file, key: pick(r, ["/k.pem", "k&=.pem"]) });
      case "connector":
        return defined({ kind: "connector", scheme: "tcp", host, port: port || 1, max });
      case "udp":
        return defined({ kind: "udp", scheme: "udp", host, port, peer: maybe(r, { host: pick(r, ["127.0.0.1", "::1"]), port: 1 + Math.floor(r() * 65535) }) });
      case "net":
        return defined({ kind: "net", scheme: "tap", tap: pick(r, ["tap0", "a.b-c_d", "abcdefghijklmno"]), mac: maybe(r, "02:00:5e:10:00:01") });
      case "file":
        return defined({ kind: "block", scheme: "file", path: file, size, sector });
      default:
        return defined({ kind: "block", scheme: "volume", volume: pick(r, ["data", "acme/web/data.img"]), size, sector });
    }
  }

  test("2,000 seeded bindings come back equal, and their text holds nothing invisible", () => {
    const r = prng(20261207); // seeded: the same stream of bindings on every run
    for (let i = 0; i < 2000; i++) {
      const b = binding(r);
      const text = formatDeviceUri(b);
      assert.doesNotMatch(text, /[\s\p{Cc}]/u, text);
      assert.deepEqual(parseDeviceUri(b.kind, text, { volumes: true }), b, text);
    }
  });
});
