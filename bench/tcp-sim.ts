/**
 * `npm run bench:tcp-sim`: tsuki/tcpip's TCP in the deterministic simulation (two stacks in one
 * thread, test/guest/lib/tcpip/sim.ts), moved here from the unit tests, where a throughput figure
 * has no place:
 *
 * - the core's throughput: 32 MiB one way on a clean link of unbounded bandwidth, real time,
 *   next to the same bytes through the Linux kernel's TCP over loopback with Node's `net` (one
 *   process, both ends), best of ROUNDS, alternating; the ratio is the simulated core's share of
 *   what the kernel does (both directions of both stacks run in our one thread);
 * - goodput under loss at 10 ms RTT and 100 Mbit/s for CUBIC and NewReno, in simulated time
 *   (a figure of the algorithms, not of the machine), as smoltcp's netsim matrix prints it.
 */

import { type AddressInfo, connect, createServer } from "node:net";
import { Sim, collect, sendAll, testData } from "../test/guest/lib/tcpip/sim.ts";

const SIZE = 32 * 1024 * 1024;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

async function established(sim: Sim) {
  const listener = sim.b.tcp.listen(80);
  let server: Awaited<ReturnType<typeof listener.accept>> | undefined;
  void listener.accept().then((c) => (server = c));
  let client: Awaited<ReturnType<Sim["a"]["tcp"]["connect"]>> | undefined;
  sim.a.tcp.connect("10.0.0.2", 80).then((c) => (client = c));
  if (!(await sim.run(() => client !== undefined && server !== undefined, 10_000))) throw new Error("no handshake");
  return { client: client!, server: server! };
}

/** MB/s of the simulated core, one way. */
async function simRate(): Promise<number> {
  const sim = new Sim({ link: { delayMs: 0.05, bandwidth: Infinity } });
  const { client, server } = await established(sim);
  const got = collect(server as never);
  const started = performance.now();
  void sendAll(client as never, testData(SIZE, 3), 256 * 1024);
  if (!(await sim.run(() => got.done, 600_000)) || got.length !== SIZE) throw new Error("the simulated transfer did not complete");
  return SIZE / ((performance.now() - started) / 1000) / 1e6;
}

/** MB/s of the kernel's TCP over loopback, both ends in this process. */
async function kernelRate(): Promise<number> {
  const data = Buffer.from(testData(SIZE, 3));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const received = new Promise<number>((resolve) => {
    server.once("connection", (socket) => {
      let n = 0;
      socket.on("data", (c: Buffer) => (n += c.length));
      socket.on("end", () => resolve(n));
    });
  });
  const started = performance.now();
  const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
  for (let at = 0; at < SIZE; at += 256 * 1024) if (!socket.write(data.subarray(at, at + 256 * 1024))) await new Promise((r) => socket.once("drain", r));
  socket.end();
  if ((await received) !== SIZE) throw new Error("the kernel transfer lost bytes");
  const rate = SIZE / ((performance.now() - started) / 1000) / 1e6;
  server.close();
  return rate;
}

let sim = 0;
let kernel = 0;
for (let round = 0; round < ROUNDS; round++) {
  sim = Math.max(sim, await simRate());
  kernel = Math.max(kernel, await kernelRate());
}
console.log(`TCP, 32 MiB one way, best of ${ROUNDS} (alternating)`);
console.log(`  tsuki/tcpip core, both stacks in one thread  ${sim.toFixed(1).padStart(8)} MB/s  (${((sim * 8) / 1000).toFixed(2)} Gbit/s)`);
console.log(`  Linux TCP over loopback, Node net            ${kernel.toFixed(1).padStart(8)} MB/s  (${((kernel * 8) / 1000).toFixed(2)} Gbit/s)`);
console.log(`  ratio                                        ${(sim / kernel).toFixed(2)}×`);

console.log("\ngoodput under loss, 10 ms RTT, 100 Mbit/s, 4 MiB (simulated time)");
for (const loss of [0, 0.001, 0.01, 0.05]) {
  const cells: string[] = [];
  for (const congestionControl of ["cubic", "newreno"] as const) {
    const s = new Sim({ seed: 5, link: { loss, bandwidth: 100e6 }, tcp: { congestionControl } });
    const { client, server } = await established(s);
    const got = collect(server as never);
    const start = s.now;
    void sendAll(client as never, testData(4 * 1024 * 1024, 8));
    if (!(await s.run(() => got.done, 600_000))) throw new Error("the lossy transfer did not complete");
    cells.push(`${congestionControl} ${((got.length * 8) / (s.now - start) / 1000).toFixed(1)} Mbit/s`);
  }
  console.log(`  loss ${(loss * 100).toFixed(1)}%: ${cells.join(", ")}`);
}
