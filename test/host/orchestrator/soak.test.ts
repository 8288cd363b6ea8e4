/**
 * The soak test of tenant isolation: a hostile tenant (hostile.ts) spins its guest, floods
 * connections to its listener and to the mTLS port, uploads a large image over and over and tries
 * every binding it can think of, all at once, while a neighbour tenant's hello-http and the
 * administrator's socket are asked at a steady pace. Measured first quiet, then under the attack:
 * the administrator is answered within 100 ms every time, and the neighbour's p99 stays within
 * `NEIGHBOUR_SLACK` of its quiet value. The pair of phases is measured once more if that was
 * missed: other test files run beside this one, and may load the machine in one phase only.
 * (`npm run bench:orchestrator` prints the same figures per attack, with the 2× target,
 * on a machine left alone.)
 */

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../../helpers.ts";
import { after, before, test } from "node:test";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import { type RunningDaemon, helloHttpImage, sourceImage, startDaemon } from "./harness.ts";
import { type AttackName, HOSTILE_POLICY, SPIN_SOURCE, largeImage, measure, pct, startAttacker } from "./hostile.ts";
import { type Ca, POLICY, makeCa, makeTenant, target } from "./pki.ts";

const MEASURE_MS = 5000;
const ATTEMPTS = 2;
const ADMIN_BOUND_MS = 100;
/**
 * The neighbour's p99 under attack may be this many times its quiet p99, plus a few ms for the
 * scheduler of a busy 2-core CI machine (one core is the spinner's; the test's own client, the
 * daemon's control thread and the neighbour share the other).
 */
const NEIGHBOUR_SLACK = { times: 2, plusMs: 15 };
const PORTS = { first: 18500 + Math.floor(Math.random() * 40) * 10, last: 0 };
PORTS.last = PORTS.first + 9;

let daemon: RunningDaemon;
let ca: Ca;
const clients: DaemonClient[] = [];

before(async () => {
  ca = await makeCa();
  daemon = await startDaemon(undefined, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey]);
});
after(async () => {
  for (const c of clients) c.close();
  assert.equal(await daemon.stop(), 0);
});

test("a hostile tenant doing everything at once leaves its neighbour's p99 and the administrator's socket as they were", { timeout: 180_000 }, async (t) => {
  const tlsPort = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
  const url = `https://127.0.0.1:${tlsPort}`;
  const [hostileFiles, neighbourFiles] = await Promise.all([makeTenant(ca, "acme", HOSTILE_POLICY(PORTS)), makeTenant(ca, "globex", { ...POLICY, ports: [{ first: PORTS.last + 1, last: PORTS.last + 1 }] })]);
  const neighbour = new DaemonClient(target(url, ca, neighbourFiles));
  clients.push(neighbour);
  const [hello, spin, large] = await Promise.all([helloHttpImage(), sourceImage("spin", SPIN_SOURCE), largeImage(16)]);
  const files = tempDir("tsuki-soak-");
  const images = { spin: path.join(files, "spin.tsuki"), hello: path.join(files, "hello.tsuki"), large: path.join(files, "large.tsuki") };
  writeFileSync(images.spin, spin);
  writeFileSync(images.hello, hello);
  writeFileSync(images.large, large);
  await neighbour.createBlock("data.img", 1);
  const web = await neighbour.create({ name: "web", memoryMb: 32, devices: [`web=tcp://127.0.0.1:${PORTS.last + 1}`] }, hello);
  const port = Number(web.addresses.web!.split(":").at(-1));

  const victims = [path.join(daemon.stateDir, "volumes", "globex+data.img"), path.join(daemon.stateDir, "state.db")];
  const hostile = new DaemonClient(target(url, ca, hostileFiles));
  clients.push(hostile);
  // Quiet, then under attack; once more if the bounds were missed, since another test file may
  // have been busy on the machine during one phase only (a real regression misses both times).
  const tries: string[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const quiet = await measure(port, daemon.socket, MEASURE_MS);
    const running = await startAttacker({
      url,
      tlsPort,
      ca: ca.caPem,
      cert: hostileFiles.clientPem,
      key: hostileFiles.clientKey,
      images,
      ports: PORTS,
      victims,
      // ATTACKS=spin,upload runs only those (to see what each costs); all by default.
      ...(process.env.ATTACKS === undefined ? {} : { attacks: process.env.ATTACKS.split(",") as AttackName[] }),
    });
    const loud = await measure(port, daemon.socket, MEASURE_MS);
    const did = await running.stop();
    for (const u of await hostile.listUnikernels()) await hostile.destroy(u.name);

    const f = { quietP99: pct(quiet.neighbour, 99), loudP99: pct(loud.neighbour, 99), adminQuietMax: quiet.admin.at(-1)!, adminLoudMax: loud.admin.at(-1)! };
    const line = `neighbour p99 quiet ${f.quietP99.toFixed(1)} ms, under attack ${f.loudP99.toFixed(1)} ms; admin max ${f.adminQuietMax.toFixed(1)} / ${f.adminLoudMax.toFixed(1)} ms; attack: ${JSON.stringify(did)}`;
    t.diagnostic(line);
    tries.push(line);
    // The attack was real: the spinner kept running, uploads went through, bad creates were refused.
    assert.ok(did.spinning && did.uploads >= 1 && did.refusedCreates >= 20, JSON.stringify(did));
    if (f.adminLoudMax <= ADMIN_BOUND_MS && f.loudP99 <= f.quietP99 * NEIGHBOUR_SLACK.times + NEIGHBOUR_SLACK.plusMs) break;
    assert.ok(attempt < ATTEMPTS, `missed ${ATTEMPTS} times: ${tries.join(" | ")}`);
  }
  assert.equal((await neighbour.stats("web")).state, "running");
});
