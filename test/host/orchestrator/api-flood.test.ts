/**
 * A flood of idle TCP connections to tsukid's mutual-TLS port, as a hostile peer without any
 * certificate makes it: the real daemon, started with its descriptor limit lowered below the
 * flood (`ulimit -n 400`) and small caps, keeps serving the administrator's socket, a tenant's
 * `tsuki list --remote` and a unikernel's HTTP service while the flood is held open; what it
 * refused is counted by reason (metrics), and its event log grows by the rate limit's lines and a
 * summary, each naming the peer. A second daemon's caps are above its descriptor budget: the
 * budget refuses the flood, and the Unix socket, served from the reserve and capped on its own,
 * still answers.
 */

import assert from "node:assert/strict";
import { request } from "node:http";
import { type Socket, connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { tsuki } from "../../cli/spawn.ts";
import { type RunningDaemon, fetchText, helloHttpImage, startDaemon } from "./harness.ts";
import { type Ca, POLICY, type TenantFiles, makeCa, makeTenant } from "./pki.ts";

const T = { timeout: 120_000 };
let ca: Ca;
let acme: TenantFiles;
const opened: Socket[] = [];

/** `n` TCP connections to `port` from `from` (any 127/8 address is this host's), resolved once all connected or failed. */
async function flood(port: number, from: string, n: number): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect({ port, host: "127.0.0.1", localAddress: from });
          socket.on("error", () => undefined);
          socket.once("connect", () => resolve(socket));
          socket.once("close", () => resolve(socket));
        }),
    ),
  );
  opened.push(...sockets);
  return sockets;
}

/** A series' value in Prometheus text, or undefined. */
function series(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Polls `check` until it holds (the daemon accepts what the kernel queued at its own pace). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET on the Unix socket with a connection of its own: the status, or the error code if the daemon closed it. */
function localGet(socketPath: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    req.end();
  });
}

before(async () => {
  ca = await makeCa();
  acme = await makeTenant(ca, "acme", POLICY);
});
after(() => {
  for (const s of opened) s.destroy();
});

describe("a flood of idle connections to the mTLS port, past the caps and the descriptor limit", () => {
  let daemon: RunningDaemon;
  let url: string;
  let port: number;
  let metricsUrl: string;
  const scrape = async () => (await fetch(metricsUrl)).text();

  before(async () => {
    daemon = await startDaemon(
      undefined,
      [
        ...["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey, "--metrics", "127.0.0.1:0"],
        ...["--max-unauthenticated", "20", "--max-unauthenticated-per-address", "10", "--handshake-timeout", "100s"],
      ],
      { nofile: 400 },
    );
    port = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
    url = `https://127.0.0.1:${port}`;
    metricsUrl = (await daemon.waitFor((e) => e.event === "metrics-ready")).url as string;
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("everyone else is served while the flood is held, and what was refused is counted by reason", T, async () => {
    const budget = daemon.events().find((e) => e.event === "descriptors")!;
    assert.equal(budget.limit, 400, "the daemon runs with the lowered RLIMIT_NOFILE");
    const hello = await helloHttpImage();
    const web = await daemon.client.create({ name: "web", devices: ["web=tcp://127.0.0.1:0"] }, hello);
    const started = Date.now();

    // One address: 450 connections (more than the daemon may open files), 10 kept, the rest closed at once.
    await flood(port, "127.0.0.2", 450);
    await until("the refusals per address", async () => series(await scrape(), "tsukid_api_connections_refused_total", 'reason="unauthenticated_per_address"') === 440);
    let metrics = await scrape();
    assert.equal(series(metrics, "tsukid_api_connections", 'kind="unauthenticated"'), 10);
    assert.equal(series(metrics, "tsukid_descriptors", 'state="limit"'), 400);
    assert.equal(series(metrics, "tsukid_descriptors", 'state="reserve"'), 128);
    assert.equal(series(metrics, "tsukid_descriptors", 'state="in_use"'), 10);

    // While they are held: the administrator, a tenant from another address, and the unikernel.
    assert.equal((await daemon.client.call<{ pid: number }>("GET", "/v1/daemon")).pid, daemon.child.pid);
    const listed = await tsuki(["list", "--remote", url, "--cert", acme.clientPem, "--key", acme.clientKey, "--ca", ca.caPem]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(await fetchText(web.addresses!.web!), "hello\n");

    // A second address fills the total: 10 more kept, 5 refused; now a newcomer is refused too, but not the administrator.
    await flood(port, "127.0.0.3", 15);
    await until("the refusals in total", async () => series(await scrape(), "tsukid_api_connections_refused_total", 'reason="unauthenticated"') === 5);
    const refused = await tsuki(["list", "--remote", url, "--cert", acme.clientPem, "--key", acme.clientKey, "--ca", ca.caPem]);
    assert.equal(refused.code, 69, refused.stderr);
    assert.match(refused.stderr, /ERR_TLS_HANDSHAKE/);
    assert.equal(await localGet(daemon.socket, "/v1/daemon"), 200);
    assert.equal(await fetchText(web.addresses!.web!), "hello\n");
    metrics = await scrape();
    assert.equal(series(metrics, "tsukid_api_connections", 'kind="unauthenticated"'), 20);
    assert.ok(series(metrics, "tsukid_api_connections_refused_total", 'reason="unauthenticated"')! >= 6);

    // The log: at most the burst and a line a second since, and a summary naming the flood's address.
    const summary = await daemon.waitFor((e) => e.event === "tls-refused-suppressed", "tls-refused-suppressed");
    const lines = daemon.events().filter((e) => e.event === "tls-refused");
    const seconds = (Date.now() - started) / 1000;
    assert.ok(lines.length <= 50 + Math.ceil(seconds) + 1, `${lines.length} tls-refused lines in ${seconds} s`);
    assert.ok(lines.length >= 50);
    for (const line of lines) assert.match(String(line.peer), /^127\.0\.0\.[123]$/, JSON.stringify(line));
    assert.ok(lines.some((l) => l.code === "ERR_CONNECTION_LIMIT" && l.limit === "unauthenticated_per_address" && /--max-unauthenticated-per-address/.test(String(l.reason))));
    assert.equal((summary.top as { peer: string }[])[0]!.peer, "127.0.0.2");
    assert.ok((summary.suppressed as number) > 300);

    // Let go, and the budget is whole again.
    for (const s of opened.splice(0)) s.destroy();
    await until("the descriptors given back", async () => series(await scrape(), "tsukid_descriptors", 'state="in_use"') === 0);
    assert.equal(series(await scrape(), "tsukid_api_connections", 'kind="unauthenticated"'), 0);
    const again = await tsuki(["list", "--remote", url, "--cert", acme.clientPem, "--key", acme.clientKey, "--ca", ca.caPem]);
    assert.equal(again.code, 0, again.stderr);
  });
});

describe("caps above the descriptor budget: the budget refuses; the Unix socket is served from the reserve", () => {
  let daemon: RunningDaemon;
  let port: number;

  before(async () => {
    daemon = await startDaemon(
      undefined,
      [
        ...["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey],
        ...["--max-unauthenticated", "1000", "--max-unauthenticated-per-address", "1000", "--handshake-timeout", "100s", "--max-local-connections", "8"],
      ],
      { nofile: 200 },
    );
    port = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("past the budget every connection is closed at once, counted as 'descriptors'; the administrator's requests go on", T, async () => {
    const budget = daemon.events().find((e) => e.event === "descriptors")!;
    assert.deepEqual([budget.limit, budget.reserve, budget.forPeers], [200, 72, 128]);
    await flood(port, "127.0.0.2", 300);
    await until("refusals for want of descriptors", () => daemon.events().some((e) => e.event === "tls-refused" && e.limit === "descriptors"));
    const line = daemon.events().find((e) => e.event === "tls-refused" && e.limit === "descriptors")!;
    assert.equal(line.peer, "127.0.0.2");
    assert.match(String(line.reason), /no descriptor left for network peers: 128 of 128 in use \(RLIMIT_NOFILE 200, 72 kept/);
    // The administrator, many requests at once, from the reserve.
    const answers = await Promise.all(Array.from({ length: 6 }, () => localGet(daemon.socket, "/v1/daemon")));
    assert.deepEqual(answers, Array(6).fill(200));
    const listed = await tsuki(daemon.tsukiArgs("list"));
    assert.equal(listed.code, 0, listed.stderr);
  });

  test("the Unix socket's own cap: one connection past it is closed at once; freed, it serves again", T, async () => {
    const held = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(daemon.socket);
            socket.once("connect", () => resolve(socket));
          }),
      ),
    );
    await until("the cap reached", async () => (await localGet(daemon.socket, "/v1/daemon")) !== 200, 10_000);
    for (const s of held) s.destroy();
    await until("a slot free again", async () => (await localGet(daemon.socket, "/v1/daemon")) === 200, 10_000);
  });
});

describe("a flood of a unikernel's listener: its connections take from the same budget", () => {
  let daemon: RunningDaemon;

  before(async () => {
    daemon = await startDaemon(undefined, ["--metrics", "127.0.0.1:0"], { nofile: 200 });
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0);
  });

  test("a listener with ?max=100000 flooded past RLIMIT_NOFILE: the rest are closed at once, the administrator and the metrics are served, and the budget comes back", T, async () => {
    const metricsUrl = (await daemon.waitFor((e) => e.event === "metrics-ready")).url as string;
    const budget = daemon.events().find((e) => e.event === "descriptors")!;
    assert.deepEqual([budget.limit, budget.forPeers], [200, 72]);
    const web = await daemon.client.create({ name: "web", devices: ["web=tcp://127.0.0.1:0?max=100000"] }, await helloHttpImage());
    const port = Number(web.addresses!.web!.split(":").at(-1));
    const sockets = await flood(port, "127.0.0.2", 300);
    // Held (the unikernel gives an idle connection 10 s for its headers): 72 open, the rest closed
    // by the host at once; the administrator is served from the reserve.
    await until("the unikernel holding its share", async () => (await daemon.client.stats("web")).connections === 72, 5_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => localGet(daemon.socket, "/v1/daemon")));
    assert.deepEqual(answers, Array(6).fill(200));
    const scrape = async () => (await fetch(metricsUrl)).text();
    assert.equal(series(await scrape(), "tsukid_descriptors", 'state="in_use"'), 72);
    for (const s of sockets) s.destroy();
    await until("the descriptors given back", async () => series(await scrape(), "tsukid_descriptors", 'state="in_use"') === 0);
    assert.equal(await fetchText(web.addresses!.web!), "hello\n");
  });
});
