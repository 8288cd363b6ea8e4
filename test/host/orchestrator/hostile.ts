/**
 * A hostile tenant of tsukid and the figures that show whether it hurts anyone else: shared by the
 * soak test (soak.test.ts, which asserts them) and `npm run bench:orchestrator` (which prints
 * them). The tenant does, all at once, everything the tenant-isolation issue found it could:
 *
 * - spins: a guest that runs 900 ms of every second, just under its turn's limit;
 * - floods connections: idle connections to its own listener, past its cap, and idle TCP
 *   connections to the mTLS port that never handshake, from other loopback addresses;
 * - uploads: a large image, over and over, each one streamed and checked in full;
 * - binds whatever it can think of: creates with a control character after a volume's path,
 *   another tenant's volume, the daemon's database, `?max=1000000`, a connector to anywhere.
 *
 * `attacks` (default: all of `ATTACKS`) chooses which, to see what each costs.
 *
 * Meanwhile a neighbour tenant's hello-http is asked at a steady pace (a connection per request)
 * and the administrator's socket likewise; `measure` gives their latencies. The attack runs in a
 * process of its own (`startAttacker`, this file run as a script), as a tenant on another machine
 * would: its own TLS and event loop must not slow the measuring client and pass for the daemon's.
 */

import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { type Socket, connect } from "node:net";
import { buildImage } from "../../../src/host/build/build.ts";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { Policy } from "../../../src/host/orchestrator/pki/policy.ts";
import { tempDir, unikernelDir } from "../../helpers.ts";

/** The hostile tenant's policy: enough to do all of it. */
export const HOSTILE_POLICY = (ports: { first: number; last: number }): Policy => ({
  unikernels: 4,
  memoryMb: 256,
  storageMb: 256,
  targets: ["isolate"],
  addresses: ["127.0.0.1"],
  ports: [ports],
  cpuMs: 1000,
  connections: 4096,
  peers: [],
});

export const SPIN_SOURCE = `import { unikernel } from "tsuki";
export default unikernel({
  async start({ console }) {
    for (;;) {
      const end = performance.now() + 900;
      while (performance.now() < end);
      console.log("spun");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
});`;

/** An image of about `mib` MiB (random assets, so that every byte is checked). */
export async function largeImage(mib: number): Promise<Uint8Array> {
  const files: Record<string, string | Uint8Array> = { "src/main.ts": `import { unikernel } from "tsuki";\nexport default unikernel({ assets: "public", start() {} });\n` };
  for (let i = 0; i < mib; i++) files[`public/blob-${i}.bin`] = randomBytes(2 ** 20);
  const built = await buildImage(unikernelDir(files, "large"), { out: path.join(tempDir("tsuki-large-"), "large.tsuki") });
  return readFileSync(built.image);
}

/** One `GET path` on a connection of its own (TCP or the daemon's Unix socket); its latency in ms. */
export function timedGet(where: { port: number } | { socketPath: string }, path = "/"): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ ...where, host: "127.0.0.1", path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** `one()` every `everyMs` for `ms`; the latencies, sorted. */
export async function paced(ms: number, everyMs: number, one: () => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < ms; i++) {
    const wait = t0 + i * everyMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    times.push(await one());
  }
  return times.sort((a, b) => a - b);
}

export const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface Figures {
  /** The neighbour's HTTP latencies, sorted, ms. */
  readonly neighbour: number[];
  /** The administrator's `GET /v1/daemon` latencies, sorted, ms. */
  readonly admin: number[];
}

/** The neighbour's and the administrator's latencies over `ms`, asked at once, side by side. */
export async function measure(neighbourPort: number, socketPath: string, ms: number): Promise<Figures> {
  const [neighbour, admin] = await Promise.all([paced(ms, 10, () => timedGet({ port: neighbourPort })), paced(ms, 50, () => timedGet({ socketPath }, "/v1/daemon"))]);
  return { neighbour, admin };
}

/** The hostile tenant's every attack, started; `stop` ends them and says what each did. */
export interface Attack {
  stop(): Promise<{ spinning: boolean; refusedCreates: number; uploads: number; floodHeld: number }>;
}

export const ATTACKS = ["spin", "flood", "upload", "bind"] as const;
export type AttackName = (typeof ATTACKS)[number];

export async function attack(options: {
  readonly attacks?: readonly AttackName[];
  readonly hostile: DaemonClient;
  readonly tlsPort: number;
  readonly spin: Uint8Array;
  readonly hello: Uint8Array;
  readonly large: Uint8Array;
  readonly ports: { first: number; last: number };
  /** Files of another tenant and of the daemon to try to bind. */
  readonly victims: readonly string[];
}): Promise<Attack> {
  const { hostile } = options;
  const only: readonly string[] = options.attacks ?? ATTACKS;
  let running = true;
  if (only.includes("spin")) await hostile.create({ name: "spin", memoryMb: 32, cpuMs: 1000 }, options.spin);
  const flooded = await hostile.create({ name: "flooded", memoryMb: 32, devices: [`web=tcp://127.0.0.1:${options.ports.first}?max=512`] }, options.hello);
  const floodPort = Number(flooded.addresses.web!.split(":").at(-1));
  const sockets: Socket[] = [];
  const open = (port: number, from: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, () => new Promise<void>((resolve) => {
        const s = connect({ port, host: "127.0.0.1", localAddress: from });
        s.on("error", () => undefined);
        s.once("connect", () => resolve());
        s.once("close", () => resolve());
        sockets.push(s);
      })),
    );
  // Past its own listener's cap, and a never-handshaking crowd at the API from two addresses.
  if (only.includes("flood")) {
  await open(floodPort, "127.0.0.1", 600);
  await open(options.tlsPort, "127.0.0.2", 300);
  await open(options.tlsPort, "127.0.0.3", 300);
  }

  let uploads = 0;
  const uploading = (async () => {
    while (running && only.includes("upload")) {
      await hostile.uploadImage(options.large, true).then(() => uploads++, () => undefined);
    }
  })();
  let refusedCreates = 0;
  const bindings = [
    ...options.victims.flatMap((file) => [`data=file:${file}?sector=512\n`, `data=file:${file}`, `data=file:${file}\u2028`]),
    `web=tcp://127.0.0.1:${options.ports.first + 1}?max=1000000`,
    "db=tcp://10.0.0.1:5432",
    "data=volume:globex/data.img",
  ];
  const binding = (async () => {
    for (let i = 0; running && only.includes("bind"); i++) {
      await hostile.call("POST", "/v1/unikernels", { name: "thief", image: "0".repeat(64), devices: [bindings[i % bindings.length]] }).then(
        () => undefined,
        () => refusedCreates++,
      );
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await Promise.all([uploading, binding]);
      const floodHeld = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
      for (const s of sockets) s.destroy();
      const spinning = !only.includes("spin") || (await hostile.stats("spin")).state === "running";
      return { spinning, refusedCreates, uploads, floodHeld };
    },
  };
}

/** What the attacker process needs: the daemon, the hostile tenant's files, and the images in files. */
export interface AttackerConfig {
  readonly url: string;
  readonly tlsPort: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly images: { readonly spin: string; readonly hello: string; readonly large: string };
  readonly ports: { first: number; last: number };
  readonly victims: readonly string[];
  readonly attacks?: readonly AttackName[];
}

/** Starts the attack in a child process; resolves once every attack runs. `stop` ends it and says what it did. */
export async function startAttacker(config: AttackerConfig): Promise<{ stop(): Promise<Awaited<ReturnType<Attack["stop"]>>> }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [...process.execArgv.filter((a) => !a.startsWith("--test")), import.meta.filename, JSON.stringify(config)], { stdio: ["pipe", "pipe", "inherit"], env: process.env });
  // The attacker stands for a client on another machine: its own CPU (TLS, hashing) is not the
  // daemon's doing, so it takes only what the host leaves idle.
  const { setPriority } = await import("node:os");
  setPriority(child.pid!, 19);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = out.split("\n").find((l) => l.startsWith(prefix));
        if (found !== undefined) return resolve(found.slice(prefix.length));
        if (child.exitCode !== null) return reject(new Error(`the attacker ended: ${out}`));
        setTimeout(look, 20);
      };
      look();
    });
  await line("attacking");
  return {
    async stop() {
      child.stdin!.end("stop\n");
      return JSON.parse(await line("did "));
    },
  };
}

// Run as a script: the attacker.
if (process.argv[1] === import.meta.filename) {
  const config = JSON.parse(process.argv[2]!) as AttackerConfig;
  const { DaemonClient } = await import("../../../src/host/orchestrator/api/client.ts");
  const hostile = new DaemonClient({ url: config.url, ca: readFileSync(config.ca, "utf8"), cert: readFileSync(config.cert, "utf8"), key: readFileSync(config.key, "utf8") });
  const running = await attack({
    hostile,
    tlsPort: config.tlsPort,
    spin: readFileSync(config.images.spin),
    hello: readFileSync(config.images.hello),
    large: readFileSync(config.images.large),
    ports: config.ports,
    victims: config.victims,
    ...(config.attacks === undefined ? {} : { attacks: config.attacks }),
  });
  process.stdout.write("attacking\n");
  process.stdin.once("data", async () => {
    const did = await running.stop();
    hostile.close();
    process.stdout.write(`did ${JSON.stringify(did)}\n`);
    process.exit(0);
  });
}
