/**
 * The device tags of a run configuration, each form of each: the binding it makes (name, URI,
 * kind, origin with file, line, column and tag), with relative paths resolved against the
 * configuration's folder.
 */

import assert from "node:assert/strict";
import { parseDeviceUri } from "../../../src/host/spec/device-uri.ts";
import { describe, test } from "node:test";
import { type RunConfig, parseRunConfig } from "../../../src/host/config/index.ts";

const DIR = "/srv/site";

/** Parses `devices:` holding the given lines (each already indented by two spaces). */
function devices(...lines: string[]): RunConfig["devices"] {
  return parseRunConfig(`devices:\n${lines.map((l) => `  ${l}`).join("\n")}\n`, { file: "run.yaml", dir: DIR }).devices;
}

describe("!listen", () => {
  test("!listen tcp://ADDR:PORT makes a listener binding with its origin", () => {
    assert.deepEqual(devices("web: !listen tcp://127.0.0.1:8080"), [
      { name: "web", uri: "tcp://127.0.0.1:8080", kind: "listener", origin: "run.yaml:2:8 (!listen)", path: "yaml" },
    ]);
  });

  test("!listen tcp with port 0 is kept (the host picks a free port)", () => {
    assert.equal(devices("web: !listen tcp://127.0.0.1:0")[0]?.uri, "tcp://127.0.0.1:0");
  });

  test("!listen tcp://…?max=N keeps the connection cap", () => {
    assert.equal(devices("web: !listen tcp://127.0.0.1:8080?max=10")[0]?.uri, "tcp://127.0.0.1:8080?max=10");
  });

  test("!listen tls://…?cert&key makes relative certificate and key paths absolute", () => {
    assert.equal(devices("web: !listen tls://127.0.0.1:8443?cert=site.crt&key=keys/site.key")[0]?.uri, "tls://127.0.0.1:8443?cert=/srv/site/site.crt&key=/srv/site/keys/site.key");
  });

  test("!listen tls with absolute certificate paths keeps them", () => {
    assert.equal(devices("web: !listen tls://127.0.0.1:8443?cert=/etc/c.pem&key=/etc/k.pem")[0]?.uri, "tls://127.0.0.1:8443?cert=/etc/c.pem&key=/etc/k.pem");
  });

  test("the mapping form { url, cert, key, max } makes a tls listener with absolute paths", () => {
    assert.deepEqual(devices("web: !listen { url: tls://127.0.0.1:8443, cert: site.crt, key: site.key, max: 100 }"), [
      { name: "web", uri: "tls://127.0.0.1:8443?cert=/srv/site/site.crt&key=/srv/site/site.key&max=100", kind: "listener", origin: "run.yaml:2:8 (!listen)", path: "yaml" },
    ]);
  });

  test("the mapping form { url, max } makes a tcp listener with a cap", () => {
    assert.equal(devices("web: !listen { url: tcp://127.0.0.1:8080, max: 100 }")[0]?.uri, "tcp://127.0.0.1:8080?max=100");
  });

  test("the mapping form may be a block mapping; the origin is the tag's line", () => {
    const [binding] = devices("web: !listen", "  url: tcp://127.0.0.1:8080", "  max: 5");
    assert.equal(binding?.uri, "tcp://127.0.0.1:8080?max=5");
    assert.equal(binding?.origin, "run.yaml:2:8 (!listen)");
  });

  test("a certificate path with spaces and '+' survives the URI query", () => {
    const uri = devices("web: !listen { url: tls://127.0.0.1:8443, cert: my certs/a+b.crt, key: k.key }")[0]!.uri;
    assert.equal(new URL(uri).searchParams.get("cert"), "/srv/site/my certs/a+b.crt");
  });
});

describe("!connect", () => {
  test("!connect tcp://HOST:PORT makes a connector binding", () => {
    assert.deepEqual(devices("db: !connect tcp://db.internal:5432"), [
      { name: "db", uri: "tcp://db.internal:5432", kind: "connector", origin: "run.yaml:2:7 (!connect)", path: "yaml" },
    ]);
  });
});

describe("!connect tls", () => {
  test("!connect tls://HOST:PORT verifies against the host's roots; the mapping form names a CA (made absolute) and a server name", () => {
    assert.equal(devices("db: !connect tls://db.internal:5432")[0]?.uri, "tls://db.internal:5432");
    assert.equal(devices("db: !connect { url: tls://10.0.0.5:5432, ca: certs/db ca.pem, servername: db.internal, max: 8 }")[0]?.uri, "tls://10.0.0.5:5432?ca=/srv/site/certs/db%20ca.pem&servername=db.internal&max=8");
  });
});

describe("!udp", () => {
  test("!udp udp://ADDR:PORT makes a udp binding", () => {
    assert.deepEqual(devices("dns: !udp udp://127.0.0.1:5353"), [{ name: "dns", uri: "udp://127.0.0.1:5353", kind: "udp", origin: "run.yaml:2:8 (!udp)", path: "yaml" }]);
  });

  test("the mapping form { url, peer } puts the peer in the query", () => {
    assert.equal(devices("dns: !udp { url: udp://127.0.0.1:5353, peer: 127.0.0.1:53 }")[0]?.uri, "udp://127.0.0.1:5353?peer=127.0.0.1:53");
  });

  test("an IPv6 peer keeps its brackets readable and parses back", () => {
    const uri = devices("dns: !udp { url: \"udp://[::1]:5353\", peer: \"[::1]:53\" }")[0]!.uri;
    assert.equal(uri, "udp://[::1]:5353?peer=[::1]:53");
    assert.equal(new URL(uri).searchParams.get("peer"), "[::1]:53");
  });
});

describe("!block", () => {
  test("!block PATH resolves the path against the configuration's folder", () => {
    assert.deepEqual(devices("data: !block data/site.img"), [{ name: "data", uri: "file:/srv/site/data/site.img", kind: "block", origin: "run.yaml:2:9 (!block)", path: "yaml" }]);
  });

  test("!block with an absolute path keeps it", () => {
    assert.equal(devices("data: !block /var/lib/site.img")[0]?.uri, "file:/var/lib/site.img");
  });

  test("!block { path, size, sector } gives the size in bytes and the sector size", () => {
    assert.equal(devices("data: !block { path: data/site.img, size: 64M, sector: 512 }")[0]?.uri, "file:/srv/site/data/site.img?size=67108864&sector=512");
  });

  test("!block { path } alone has no options", () => {
    assert.equal(devices("data: !block { path: site.img }")[0]?.uri, "file:/srv/site/site.img");
  });

  test("a size may be a number of bytes or use K, G and T", () => {
    const uris = devices("a: !block { path: a, size: 4096 }", "b: !block { path: b, size: 1G }", "c: !block { path: c, size: 512K }", "d: !block { path: d, size: 2T }").map((b) => b.uri);
    assert.deepEqual(uris, ["file:/srv/site/a?size=4096", "file:/srv/site/b?size=1073741824", "file:/srv/site/c?size=524288", "file:/srv/site/d?size=2199023255552"]);
  });

  test("'#', '%' and spaces in a file name are percent-encoded in the URI and read back exactly", () => {
    const uri = devices("data: !block \"my disks/#1 50%.img\"")[0]!.uri;
    assert.equal(uri, "file:/srv/site/my%20disks/%231%2050%25.img");
    assert.deepEqual(parseDeviceUri("block", uri), { kind: "block", scheme: "file", path: "/srv/site/my disks/#1 50%.img" });
  });

  test("a sector size of 4096 with a size that is a multiple of it is kept", () => {
    assert.equal(devices("data: !block { path: a.img, size: 8K, sector: 4096 }")[0]?.uri, "file:/srv/site/a.img?size=8192&sector=4096");
  });
});

describe("!net", () => {
  test("!net tap:NAME makes a net binding", () => {
    assert.deepEqual(devices("eth: !net tap:tap0"), [{ name: "eth", uri: "tap:tap0", kind: "net", origin: "run.yaml:2:8 (!net)", path: "yaml" }]);
  });
});

describe("several devices", () => {
  test("bindings come in the file's order, each with its own line", () => {
    const bindings = devices("web: !listen tcp://127.0.0.1:8080", "db: !connect tcp://127.0.0.1:5432", "data: !block d.img");
    assert.deepEqual(bindings.map((b) => [b.name, b.kind, b.origin]), [
      ["web", "listener", "run.yaml:2:8 (!listen)"],
      ["db", "connector", "run.yaml:3:7 (!connect)"],
      ["data", "block", "run.yaml:4:9 (!block)"],
    ]);
  });

  test("an anchor between the tag and the value does not move the origin off the tag", () => {
    assert.equal(devices("web: !listen &w tcp://127.0.0.1:8080")[0]?.origin, "run.yaml:2:8 (!listen)");
  });
});
