/**
 * The hostile-tenant figures of `npm run bench:orchestrator`: a neighbour tenant's hello-http p99
 * and the administrator's socket, quiet and while a hostile tenant (test/host/orchestrator/
 * hostile.ts, in a process of its own) spins, floods connections, uploads or binds whatever it can
 * think of — each alone, then all at once — on a fresh daemon each time. Quiet and loud rounds
 * alternate (ROUNDS of each, best kept); the issue's targets are a p99 within 2× of the quiet one
 * and the administrator answered within 100 ms.
 *
 * On a 2-core machine the attacker's own client shares the cores with the daemon and the
 * measuring client: the figures are a ceiling on what the daemon lets one tenant cost another.
 */

import { writeFileSync } from "node:fs";
import path from "node:path";
import { DaemonClient } from "../src/host/orchestrator/api/client.ts";
import { ATTACKS, type AttackName, HOSTILE_POLICY, SPIN_SOURCE, largeImage, measure, pct, startAttacker } from "../test/host/orchestrator/hostile.ts";
import { helloHttpImage, sourceImage, startDaemon } from "../test/host/orchestrator/harness.ts";
import { POLICY, makeCa, makeTenant, target } from "../test/host/orchestrator/pki.ts";
import { tempDir } from "../test/helpers.ts";

const MEASURE_MS = Number(process.env.HOSTILE_MS ?? 5000);
const ROUNDS = Number(process.env.HOSTILE_ROUNDS ?? 2);
const PORTS = { first: 18700, last: 18709 };

export async function hostileTenantFigures(): Promise<void> {
  const ca = await makeCa("tsuki bench CA");
  const [hello, spin, large] = await Promise.all([helloHttpImage(), sourceImage("spin", SPIN_SOURCE), largeImage(16)]);
  const files = tempDir("tsuki-bench-hostile-");
  const images = { spin: path.join(files, "spin.tsuki"), hello: path.join(files, "hello.tsuki"), large: path.join(files, "large.tsuki") };
  writeFileSync(images.spin, spin);
  writeFileSync(images.hello, hello);
  writeFileSync(images.large, large);
  const hostileFiles = await makeTenant(ca, "acme", HOSTILE_POLICY(PORTS));
  const neighbourFiles = await makeTenant(ca, "globex", { ...POLICY, ports: [{ first: PORTS.last + 1, last: PORTS.last + 1 }] });

  console.log(`\na hostile tenant and its neighbour (hello-http asked every 10 ms, the admin socket every 50 ms, ${MEASURE_MS / 1000} s a round, best of ${ROUNDS} quiet and ${ROUNDS} loud, alternating)`);
  console.log("  the hostile tenant does          neighbour p99: quiet   under attack   ratio   admin max: quiet   under attack");
  const sets: AttackName[][] = [...ATTACKS.map((a) => [a]), [...ATTACKS]];
  const ratios: number[] = [];
  let adminWorst = 0;
  for (const attacks of sets) {
    const daemon = await startDaemon(undefined, ["--listen", "127.0.0.1:0", "--ca", ca.caPem, "--cert", ca.serverPem, "--key", ca.serverKey]);
    try {
      const tlsPort = (await daemon.waitFor((e) => e.event === "tls-listening")).port as number;
      const url = `https://127.0.0.1:${tlsPort}`;
      const neighbour = new DaemonClient(target(url, ca, neighbourFiles));
      const web = await neighbour.create({ name: "web", memoryMb: 32, devices: [`web=tcp://127.0.0.1:${PORTS.last + 1}`] }, hello);
      await neighbour.createBlock("data.img", 1);
      const port = Number(web.addresses.web!.split(":").at(-1));
      const quiet = { p99: Infinity, admin: Infinity };
      const loud = { p99: Infinity, admin: Infinity };
      for (let round = 0; round < ROUNDS; round++) {
        const q = await measure(port, daemon.socket, MEASURE_MS);
        quiet.p99 = Math.min(quiet.p99, pct(q.neighbour, 99));
        quiet.admin = Math.min(quiet.admin, q.admin.at(-1)!);
        const attacker = await startAttacker({ url, tlsPort, ca: ca.caPem, cert: hostileFiles.clientPem, key: hostileFiles.clientKey, images, ports: PORTS, victims: [path.join(daemon.stateDir, "volumes", "globex+data.img"), path.join(daemon.stateDir, "state.db")], attacks });
        const l = await measure(port, daemon.socket, MEASURE_MS);
        await attacker.stop();
        loud.p99 = Math.min(loud.p99, pct(l.neighbour, 99));
        loud.admin = Math.min(loud.admin, l.admin.at(-1)!);
        // The hostile tenant's unikernels go between rounds, so that each loud round starts alike.
        const hostile = new DaemonClient(target(url, ca, hostileFiles));
        for (const u of await hostile.listUnikernels()) await hostile.destroy(u.name);
        hostile.close();
      }
      neighbour.close();
      const ratio = loud.p99 / quiet.p99;
      ratios.push(ratio);
      adminWorst = Math.max(adminWorst, loud.admin);
      const f = (x: number) => `${x.toFixed(1)} ms`;
      console.log(`  ${attacks.join(" + ").padEnd(32)} ${f(quiet.p99).padStart(20)} ${f(loud.p99).padStart(14)} ${`${ratio.toFixed(2)}×`.padStart(7)} ${f(quiet.admin).padStart(18)} ${f(loud.admin).padStart(14)}`);
    } finally {
      await daemon.stop();
    }
  }
  const all = ratios.at(-1)!;
  console.log("\ntargets (issue 12)");
  console.log(`  ${Math.max(...ratios.slice(0, -1)) <= 2 ? "met " : "MISSED"}  each attack alone: the neighbour's p99 within 2× of its quiet value: worst ${Math.max(...ratios.slice(0, -1)).toFixed(2)}×`);
  console.log(`  ${all <= 2 ? "met " : "MISSED"}  every attack at once: within 2×: ${all.toFixed(2)}×`);
  console.log(`  ${adminWorst <= 100 ? "met " : "MISSED"}  the administrator answered within 100 ms throughout: worst ${adminWorst.toFixed(1)} ms`);
}
