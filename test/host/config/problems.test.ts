/**
 * Bad run configurations: every mistake is a ConfigError problem with a stable code, the key it
 * is about, its line and column, and a message that names them and says how to fix it.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, type ConfigProblem, parseRunConfig } from "../../../src/host/config/index.ts";

/** The problems of a configuration that must not parse. */
function problems(text: string): ConfigProblem[] {
  try {
    parseRunConfig(text, { file: "run.yaml", dir: "/srv/site" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    return [...error.problems];
  }
  assert.fail("it parsed");
}

/** The one problem of a configuration, checked for code, key, line and column. */
function problem(text: string, code: string, key: string, line: number, column: number): string {
  const found = problems(text);
  assert.equal(found.length, 1, `one problem, got:\n${found.map((p) => p.message).join("\n")}`);
  const [p] = found as [ConfigProblem];
  assert.deepEqual({ code: p.code, key: p.key, line: p.line, column: p.column }, { code, key, line, column }, p.message);
  if (key !== "") assert.ok(p.message.startsWith(`${key} at run.yaml:${line}:${column} `) || p.message.includes(`at run.yaml:${line}:${column}`), p.message);
  return p.message;
}

describe("YAML syntax", () => {
  test("an unclosed quote is ERR_CONFIG_SYNTAX at its line", () => {
    const message = problem(`image: build/site.tsuki\ndevices:\n  web: "tcp://127.0.0.1:8080\n`, "ERR_CONFIG_SYNTAX", "devices.web", 4, 1);
    assert.equal(message, `YAML syntax error at run.yaml:4:1 (in devices.web): Missing closing "quote: close the quote or bracket`);
  });

  test("a tab used for indentation is ERR_CONFIG_SYNTAX and says to use spaces", () => {
    const message = problem(`devices:\n\tweb: !listen tcp://127.0.0.1:8080\n`, "ERR_CONFIG_SYNTAX", "", 2, 1);
    assert.match(message, /Tabs are not allowed as indentation: indent with spaces, not tabs$/);
  });

  test("an unclosed flow sequence names the key it is in", () => {
    const message = problem(`args:\n  ports: [80, 443\nimage: x\n`, "ERR_CONFIG_SYNTAX", "args.ports", 3, 1);
    assert.match(message, /close the \[ or \{/);
  });

  test("a second YAML document is refused with the line of its ---", () => {
    const message = problem(`image: a.tsuki\n---\nimage: b.tsuki\n`, "ERR_CONFIG_SYNTAX", "", 2, 1);
    assert.match(message, /one document; remove the "---" on line 2/);
  });
});

describe("keys", () => {
  test("an unknown top-level key is ERR_CONFIG_KEY with the closest key", () => {
    const message = problem(`imgae: site.tsuki\n`, "ERR_CONFIG_KEY", "imgae", 1, 1);
    assert.match(message, /is not a key of a run configuration: did you mean image\? \(the keys are image, memory, cpu-ms, target, console, devices, args\)/);
  });

  test("a flag's name as a key suggests the key (mem → memory)", () => {
    assert.match(problem(`memory: 32M\nmem: 64M\n`, "ERR_CONFIG_KEY", "mem", 2, 1), /did you mean memory\?/);
  });

  test("a tagged device at the top level says devices go under devices:", () => {
    assert.match(problem(`web: !listen tcp://127.0.0.1:8080\n`, "ERR_CONFIG_KEY", "web", 1, 1), /a device goes under devices:/);
  });

  test("a top-level key written twice is ERR_CONFIG_KEY at the second, naming the first's line", () => {
    assert.match(problem(`image: a.tsuki\nmemory: 32M\nimage: b.tsuki\n`, "ERR_CONFIG_KEY", "image", 3, 1), /is written twice \(first on line 1\): keep one/);
  });

  test("a device named twice is ERR_CONFIG_KEY at the second", () => {
    problem(`devices:\n  web: !listen tcp://127.0.0.1:1\n  web: !listen tcp://127.0.0.1:2\n`, "ERR_CONFIG_KEY", "devices.web", 3, 3);
  });

  test("an args key written twice, however deep, is ERR_CONFIG_KEY", () => {
    problem(`args:\n  db:\n    host: a\n    host: b\n`, "ERR_CONFIG_KEY", "args.db.host", 4, 5);
  });

  test("an option of a tag written twice is ERR_CONFIG_KEY", () => {
    problem(`devices:\n  web: !listen { url: tcp://127.0.0.1:1, max: 1, max: 2 }\n`, "ERR_CONFIG_KEY", "devices.web.max", 2, 50);
  });

  test("a device name that is not an identifier is ERR_CONFIG_KEY with the rule", () => {
    const message = problem(`devices:\n  web-1: !listen tcp://127.0.0.1:8080\n`, "ERR_CONFIG_KEY", "devices.web-1", 2, 3);
    assert.match(message, /must be an identifier of 1–63 letters, digits or "_", not starting with a digit/);
  });

  test("a device name start() already uses is ERR_CONFIG_KEY", () => {
    assert.match(problem(`devices:\n  console: !listen tcp://127.0.0.1:8080\n`, "ERR_CONFIG_KEY", "devices.console", 2, 3), /is reserved/);
  });

  test("an unknown option of a tag is ERR_CONFIG_KEY with the closest option", () => {
    const message = problem(`devices:\n  web: !listen { url: tcp://127.0.0.1:1, maxx: 5 }\n`, "ERR_CONFIG_KEY", "devices.web.maxx", 2, 42);
    assert.match(message, /is not an option of !listen: did you mean max\? \(!listen takes url, cert, key, max/);
  });

  test("a list used as a key in args is ERR_CONFIG_KEY", () => {
    problem(`args:\n  ? [a, b]\n  : c\n`, "ERR_CONFIG_KEY", "args", 2, 5);
  });
});

describe("tags under devices", () => {
  test("an untagged device value is ERR_CONFIG_TAG with the line to write", () => {
    const message = problem(`image: site.tsuki\nmemory: 32M\ntarget: isolate\ndevices:\n  web: tcp://127.0.0.1:8080\n`, "ERR_CONFIG_TAG", "devices.web", 5, 8);
    assert.ok(message.startsWith("devices.web at run.yaml:5:8 has no tag: write `web: !listen tcp://127.0.0.1:8080`"), message);
  });

  test("an untagged udp:// value suggests !udp", () => {
    assert.match(problem(`devices:\n  dns: udp://127.0.0.1:53\n`, "ERR_CONFIG_TAG", "devices.dns", 2, 8), /write `dns: !udp udp:\/\/127\.0\.0\.1:53`/);
  });

  test("an untagged path suggests !block", () => {
    assert.match(problem(`devices:\n  data: data/site.img\n`, "ERR_CONFIG_TAG", "devices.data", 2, 9), /write `data: !block data\/site\.img`/);
  });

  test("an untagged mapping says to put the tag before it", () => {
    assert.match(problem(`devices:\n  data: { path: a.img, size: 1M }\n`, "ERR_CONFIG_TAG", "devices.data", 2, 9), /put the tag before the mapping: `data: !block \{ … \}`/);
  });

  test("a device with no value at all is ERR_CONFIG_TAG", () => {
    problem(`devices:\n  web:\n`, "ERR_CONFIG_TAG", "devices.web", 2, 7);
  });

  test("an unknown tag is ERR_CONFIG_TAG with the closest tag", () => {
    const message = problem(`devices:\n  web: !lisen tcp://127.0.0.1:8080\n`, "ERR_CONFIG_TAG", "devices.web", 2, 8);
    assert.match(message, /has the unknown tag !lisen: did you mean !listen\? \(the tags are !listen, !connect, !udp, !block, !net\)/);
  });

  test("a scheme used as a tag suggests the tags for it", () => {
    assert.match(problem(`devices:\n  web: !tcp tcp://127.0.0.1:8080\n`, "ERR_CONFIG_TAG", "devices.web", 2, 8), /did you mean !listen or !connect\?/);
  });

  test("a tag unlike any lists the tags", () => {
    assert.match(problem(`devices:\n  web: !socket x\n`, "ERR_CONFIG_TAG", "devices.web", 2, 8), /unknown tag !socket: the tags are !listen, !connect, !udp, !block, !net$/);
  });

  test("a tag inside a device's mapping is ERR_CONFIG_TAG", () => {
    problem(`devices:\n  web: !listen { url: !connect tcp://127.0.0.1:1 }\n`, "ERR_CONFIG_TAG", "devices.web.url", 2, 23);
  });

  test("a tag on the devices mapping itself is ERR_CONFIG_TAG", () => {
    problem(`devices: !listen\n  web: tcp://127.0.0.1:1\n`, "ERR_CONFIG_TAG", "devices", 1, 10);
  });

  test("an alias as a device's value is ERR_CONFIG_VALUE: a device is bound where it is named", () => {
    problem(`devices:\n  a: &w !listen tcp://127.0.0.1:1\n  b: *w\n`, "ERR_CONFIG_VALUE", "devices.b", 3, 6);
  });
});

describe("tags outside devices", () => {
  test("a tag on a top-level value is ERR_CONFIG_TAG", () => {
    assert.match(problem(`image: !block site.img\n`, "ERR_CONFIG_TAG", "image", 1, 8), /has the tag !block: tags bind devices and go under devices:/);
  });

  test("a tag in args is ERR_CONFIG_TAG: a value can only become a resource through a tag under devices", () => {
    const message = problem(`args:\n  hosts: [a, !connect tcp://b:1]\n`, "ERR_CONFIG_TAG", "args.hosts[1]", 2, 14);
    assert.match(message, /has the tag !connect: a value can only become a resource through a tag under devices/);
  });

  test("any local tag in args is refused, not only device tags", () => {
    problem(`args:\n  when: !date 2024-01-01\n`, "ERR_CONFIG_TAG", "args.when", 2, 9);
  });

  test("an alias in args to a tagged value is ERR_CONFIG_TAG at the alias", () => {
    const found = problems(`devices:\n  web: &w !listen tcp://127.0.0.1:1\nargs:\n  copy: *w\n`);
    assert.deepEqual(found.map((p) => [p.code, p.key, p.line, p.column]), [["ERR_CONFIG_TAG", "args.copy", 4, 9]]);
  });

  test("a tag on the whole document is ERR_CONFIG_TAG", () => {
    problem(`--- !listen\nimage: a\n`, "ERR_CONFIG_TAG", "", 1, 5);
  });
});

describe("values of tags", () => {
  test("a list after a tag is ERR_CONFIG_VALUE naming what the tag takes", () => {
    assert.match(problem(`devices:\n  web: !listen [a, b]\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /has !listen with a list, but !listen takes tcp:\/\/ADDR:PORT or tls:\/\/ADDR:PORT/);
  });

  test("a URI of another kind suggests the tag for it", () => {
    const message = problem(`devices:\n  dns: !listen udp://127.0.0.1:53\n`, "ERR_CONFIG_VALUE", "devices.dns", 2, 8);
    assert.match(message, /is !listen "udp:\/\/127\.0\.0\.1:53", which is not tcp:\/\/… or tls:\/\/…: write `dns: !udp udp:\/\/127\.0\.0\.1:53` for a udp/);
  });

  test("a tag without a value is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  web: !listen\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8);
  });

  test("a listener without a port is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  web: !listen tcp://127.0.0.1\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /names no port/);
  });

  test("a connector to port 0 is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  db: !connect tcp://127.0.0.1:0\n`, "ERR_CONFIG_VALUE", "devices.db", 2, 7), /names no port \(1–65535\)/);
  });

  test("!connect's ca and servername are for tls:// only", () => {
    assert.match(problem(`devices:\n  db: !connect { url: tcp://127.0.0.1:5432, ca: ca.pem }\n`, "ERR_CONFIG_VALUE", "devices.db.ca", 2, 49), /only a tls:\/\/ connector takes ca/);
  });

  test("a tls listener without cert and key is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  web: !listen tls://127.0.0.1:8443\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /needs \?cert=PATH&key=PATH/);
  });

  test("a tls mapping without key is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  web: !listen { url: tls://127.0.0.1:8443, cert: c.pem }\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /without key/);
  });

  test("cert on a tcp listener is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  web: !listen { url: tcp://127.0.0.1:8080, cert: c.pem }\n`, "ERR_CONFIG_VALUE", "devices.web.cert", 2, 51);
  });

  test("an unknown ?option in a listener URI is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  web: !listen tcp://127.0.0.1:8080?backlog=5\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /has the option "backlog": a tcp listener takes max/);
  });

  test("max that is not a whole number is ERR_CONFIG_VALUE at max", () => {
    problem(`devices:\n  web: !listen { url: tcp://127.0.0.1:8080, max: many }\n`, "ERR_CONFIG_VALUE", "devices.web.max", 2, 50);
  });

  test("a mapping without its required key is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  web: !listen { max: 5 }\n`, "ERR_CONFIG_VALUE", "devices.web", 2, 8), /without url/);
  });

  test("a url with ?options in the mapping form is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  web: !listen { url: "tcp://127.0.0.1:1?max=3" }\n`, "ERR_CONFIG_VALUE", "devices.web.url", 2, 23);
  });

  test("a block size that is not a size is ERR_CONFIG_VALUE at size", () => {
    assert.match(problem(`devices:\n  data: !block { path: a.img, size: lots }\n`, "ERR_CONFIG_VALUE", "devices.data.size", 2, 37), /not a size/);
  });

  test("a block size of 0 is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  data: !block { path: a.img, size: 0 }\n`, "ERR_CONFIG_VALUE", "devices.data.size", 2, 37);
  });

  test("a sector size of 0 is ERR_CONFIG_VALUE at sector", () => {
    problem(`devices:\n  data: !block { path: a.img, sector: 0 }\n`, "ERR_CONFIG_VALUE", "devices.data.sector", 2, 39);
  });

  test("a sector size that is not a power of two from 512 is ERR_CONFIG_VALUE at sector", () => {
    assert.match(problem(`devices:\n  data: !block { path: a.img, sector: 1000 }\n`, "ERR_CONFIG_VALUE", "devices.data.sector", 2, 39), /a power of two from 512 to 65536/);
  });

  test("a block size that is not a whole number of sectors is ERR_CONFIG_VALUE at size", () => {
    assert.match(problem(`devices:\n  data: !block { path: a.img, size: 1000 }\n`, "ERR_CONFIG_VALUE", "devices.data.size", 2, 37), /not a whole number of 512-byte sectors/);
  });

  test("a '?' in a block file's path is ERR_CONFIG_VALUE (it would start the options)", () => {
    problem(`devices:\n  data: !block "what?.img"\n`, "ERR_CONFIG_VALUE", "devices.data", 2, 9);
  });

  test("a block path that is a number in the mapping is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  data: !block { path: 5 }\n`, "ERR_CONFIG_VALUE", "devices.data.path", 2, 24);
  });

  test("a udp peer that is not HOST:PORT is ERR_CONFIG_VALUE at peer", () => {
    problem(`devices:\n  dns: !udp { url: udp://127.0.0.1:5353, peer: nowhere }\n`, "ERR_CONFIG_VALUE", "devices.dns.peer", 2, 48);
  });

  test("a udp peer given by host name is ERR_CONFIG_VALUE: a peer is an IP address", () => {
    assert.match(problem(`devices:\n  dns: !udp udp://127.0.0.1:5353?peer=dns.local:53\n`, "ERR_CONFIG_VALUE", "devices.dns", 2, 8), /an IP address and a port/);
  });

  test("!net without tap: is ERR_CONFIG_VALUE", () => {
    assert.match(problem(`devices:\n  eth: !net eth0\n`, "ERR_CONFIG_VALUE", "devices.eth", 2, 8), /is not tap:NAME/);
  });
});

describe("values of keys", () => {
  test("memory that is not a size is ERR_CONFIG_VALUE with an example", () => {
    assert.match(problem(`memory: 32X\n`, "ERR_CONFIG_VALUE", "memory", 1, 9), /is "32X", not a size in whole MiB: write e\.g\. `memory: 64M`/);
  });

  test("memory out of range is ERR_CONFIG_VALUE with the range", () => {
    assert.match(problem(`memory: 4M\n`, "ERR_CONFIG_VALUE", "memory", 1, 9), /out of range: give 8M–16384M/);
  });

  test("a console limit that is not a whole number in range is ERR_CONFIG_VALUE with an example", () => {
    assert.match(problem(`console:\n  rate: 0\n`, "ERR_CONFIG_VALUE", "console.rate", 2, 9), /is 0, not a whole number of lines from 1 to 1000000: write e\.g\. `rate: 1000`/);
    problem(`console: { burst: many }\n`, "ERR_CONFIG_VALUE", "console.burst", 1, 19);
  });

  test("an unknown console key is ERR_CONFIG_KEY with a guess", () => {
    assert.match(problem(`console:\n  rates: 10\n`, "ERR_CONFIG_KEY", "console.rates", 2, 3), /did you mean rate\?/);
  });

  test("cpu-ms as a string is ERR_CONFIG_VALUE", () => {
    problem(`cpu-ms: fast\n`, "ERR_CONFIG_VALUE", "cpu-ms", 1, 9);
  });

  test("cpu-ms of 0 is ERR_CONFIG_VALUE", () => {
    problem(`cpu-ms: 0\n`, "ERR_CONFIG_VALUE", "cpu-ms", 1, 9);
  });

  test("a fractional cpu-ms is ERR_CONFIG_VALUE", () => {
    problem(`cpu-ms: 1.5\n`, "ERR_CONFIG_VALUE", "cpu-ms", 1, 9);
  });

  test("an unknown target is ERR_CONFIG_VALUE naming the targets", () => {
    assert.match(problem(`target: vm\n`, "ERR_CONFIG_VALUE", "target", 1, 9), /write `target: isolate` or `target: unix`/);
  });

  test("an image that is not a path is ERR_CONFIG_VALUE", () => {
    problem(`image: [a, b]\n`, "ERR_CONFIG_VALUE", "image", 1, 8);
  });

  test("an empty image is ERR_CONFIG_VALUE", () => {
    problem(`image:\n`, "ERR_CONFIG_VALUE", "image", 1, 7);
  });

  test("a file that is a list is ERR_CONFIG_VALUE", () => {
    problem(`- image: a\n`, "ERR_CONFIG_VALUE", "", 1, 1);
  });

  test("devices as a list is ERR_CONFIG_VALUE", () => {
    problem(`devices:\n  - web: !listen tcp://127.0.0.1:1\n`, "ERR_CONFIG_VALUE", "devices", 2, 3);
  });

  test("args as a list is ERR_CONFIG_VALUE", () => {
    problem(`args: [a, b]\n`, "ERR_CONFIG_VALUE", "args", 1, 7);
  });

  test("an alias in args to an anchor not set before it is ERR_CONFIG_VALUE", () => {
    problem(`args:\n  a: *later\n  b: &later 1\n`, "ERR_CONFIG_VALUE", "args.a", 2, 6);
  });

  test("an alias in args to a value that contains it is ERR_CONFIG_VALUE", () => {
    problem(`args:\n  loop: &l [1, *l]\n`, "ERR_CONFIG_VALUE", "args.loop[1]", 2, 16);
  });

  test("aliases that would expand to a billion values are ERR_CONFIG_VALUE, quickly", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`${"abcdefghi"[i]}: &${"abcdefghi"[i]} [${Array(10).fill(`*${"abcdefghi"[i - 1]}`).join(", ")}]`);
    const started = performance.now();
    const found = problems(`args:\n${levels.map((l) => `  ${l}`).join("\n")}\n`);
    assert.ok(performance.now() - started < 5000);
    assert.ok(found.some((p) => p.code === "ERR_CONFIG_VALUE" && /more than 100000 values/.test(p.message)));
  });
});

describe("reporting", () => {
  test("every mistake is reported at once, in the order of the file", () => {
    const found = problems(`target: vm\nmem: 3\ndevices:\n  web: tcp://127.0.0.1:1\n  db: !conect tcp://127.0.0.1:2\nargs:\n  x: !listen tcp://a:1\n`);
    assert.deepEqual(found.map((p) => [p.code, p.key, p.line]), [
      ["ERR_CONFIG_VALUE", "target", 1],
      ["ERR_CONFIG_KEY", "mem", 2],
      ["ERR_CONFIG_TAG", "devices.web", 4],
      ["ERR_CONFIG_TAG", "devices.db", 5],
      ["ERR_CONFIG_TAG", "args.x", 7],
    ]);
  });

  test("a ConfigError carries the first problem's code and exits 78", () => {
    assert.throws(() => parseRunConfig("target: vm\nmem: 3\n", { file: "run.yaml" }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, "ERR_CONFIG_VALUE");
      assert.equal(error.exitCode, 78);
      assert.equal(error.details.length, 2);
      return true;
    });
  });
});
